package severity

import (
	"math"
	"math/rand/v2"
	"testing"
)

// BenchmarkCalibratorAdd measures Add per point after the warm-up, tail refits included (they
// happen whenever the excesses grow by a quarter, so their cost is amortised over the stream).
func BenchmarkCalibratorAdd(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	xs := make([]float64, 1<<16)
	for i := range xs {
		xs[i] = rng.NormFloat64()
	}
	c := New(Config{})
	for _, x := range xs[:1000] {
		c.Add(x)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c.Add(xs[i&(len(xs)-1)])
		i++
	}
}

// BenchmarkCalibratorStream measures a new calibrator learning the 336 values of two weeks of
// hourly windows, as each metric of a service does: at these lengths the tail refits (every
// quarter's growth of the excesses, from the first tens) dominate. The configs are those of a
// stream detector's calibrator and of the outlier and pattern calibrators of omen's Detector.
func BenchmarkCalibratorStream(b *testing.B) {
	rng := rand.New(rand.NewPCG(4, 4))
	xs := make([]float64, 336)
	for i := range xs {
		xs[i] = math.Abs(rng.NormFloat64())
	}
	for _, bc := range []struct {
		name string
		cfg  Config
	}{
		{"stream", Config{WarmUp: 40, TailQuantile: 0.75, Compression: 50}},
		{"detector", Config{WarmUp: 24, TailQuantile: 0.5, MinPeaks: 8}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c := New(bc.cfg)
				for _, x := range xs {
					c.Add(x)
				}
			}
		})
	}
}

func BenchmarkCalibrate(b *testing.B) {
	c := trainNormal(10000, 1)
	b.ReportAllocs()
	for b.Loop() {
		c.Calibrate(3.2)
	}
}

func BenchmarkDigestAdd(b *testing.B) {
	rng := rand.New(rand.NewPCG(2, 2))
	xs := make([]float64, 1<<16)
	for i := range xs {
		xs[i] = rng.ExpFloat64()
	}
	var d Digest
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		d.Add(xs[i&(len(xs)-1)])
		i++
	}
}

func BenchmarkFitGPD(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 3))
	g := GPD{Shape: 0.2, Scale: 1}
	ys := make([]float64, 500)
	for i := range ys {
		ys[i] = g.Quantile(1 - rng.Float64())
	}
	b.ReportAllocs()
	for b.Loop() {
		FitGPD(ys)
	}
}
