package severity

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
)

func floatsFromBytes(b []byte) []float64 {
	xs := make([]float64, 0, len(b)/8)
	for ; len(b) >= 8; b = b[8:] {
		xs = append(xs, math.Float64frombits(binary.LittleEndian.Uint64(b)))
	}
	return xs
}

func bytesFromFloats(xs ...float64) []byte {
	var b []byte
	for _, v := range xs {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return b
}

func FuzzFitGPD(f *testing.F) {
	f.Add(bytesFromFloats(0.1, 0.5, 2, 0.3, 7))
	f.Add(bytesFromFloats(1, 1, 1))
	f.Add(bytesFromFloats(0, 0, 1e-300, 1e300))
	f.Add(bytesFromFloats(1, math.NaN(), -1))
	f.Fuzz(func(t *testing.T, b []byte) {
		ys := floatsFromBytes(b)
		g, err := FitGPD(ys)
		if err != nil {
			return
		}
		if !finite(g.Shape) || !(g.Scale > 0) || math.IsInf(g.Scale, 0) {
			t.Fatalf("FitGPD(%v) = %+v", ys, g)
		}
		for _, y := range ys {
			if s := g.Survival(y); !(s >= 0 && s <= 1) {
				t.Fatalf("Survival(%g) = %g", y, s)
			}
		}
	})
}

func FuzzCalibrator(f *testing.F) {
	f.Add(bytesFromFloats(1, 2, 3, math.NaN(), math.Inf(1), -5, 1e300))
	f.Add(bytesFromFloats(0, 0, 0, 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		xs := floatsFromBytes(b)
		c := New(Config{WarmUp: 5, MinPeaks: 3})
		for i, x := range xs {
			res := c.Add(x)
			if !(res.Score >= 0 && res.Score <= 100) || !(res.Confidence >= 0 && res.Confidence <= 1) ||
				!(res.Probability >= 0 && res.Probability <= 1) {
				t.Fatalf("value %d (%g): %+v", i, x, res)
			}
		}
		enc, _ := c.MarshalBinary()
		var r Calibrator
		if err := r.UnmarshalBinary(enc); err != nil {
			t.Fatalf("round trip: %v", err)
		}
	})
}

func FuzzCalibratorUnmarshalBinary(f *testing.F) {
	rng := rand.New(rand.NewPCG(1, 0))
	for _, n := range []int{0, 7, 300} {
		c := New(Config{WarmUp: 100})
		for range n {
			c.Add(rng.ExpFloat64())
		}
		b, _ := c.MarshalBinary()
		f.Add(b)
	}
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		var c Calibrator
		if c.UnmarshalBinary(b) != nil {
			return
		}
		for _, x := range []float64{-1, 0, 0.5, 3, 100} {
			res := c.Add(x)
			if !(res.Score >= 0 && res.Score <= 100) || !(res.Confidence >= 0 && res.Confidence <= 1) {
				t.Fatalf("decoded calibrator gives %+v", res)
			}
		}
		if _, err := c.MarshalBinary(); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzDigestUnmarshalBinary(f *testing.F) {
	var d Digest
	for i := range 250 {
		d.Add(float64(i % 17))
	}
	b, _ := d.MarshalBinary()
	f.Add(b)
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		var d Digest
		if d.UnmarshalBinary(b) != nil {
			return
		}
		d.Add(1)
		if c := d.CDF(1); !(c >= 0 && c <= 1) {
			t.Fatalf("CDF %g", c)
		}
		if q := d.Quantile(0.5); math.IsNaN(q) {
			t.Fatal("Quantile NaN on a non-empty digest")
		}
	})
}

func FuzzEscalatorUnmarshalBinary(f *testing.F) {
	b, _ := NewEscalator(EscalationConfig{After: 2, From: High}).MarshalBinary()
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		var e Escalator
		if e.UnmarshalBinary(b) != nil {
			return
		}
		if l := e.Add(Critical); l != Critical {
			t.Fatalf("Add(Critical) = %v", l)
		}
	})
}

func FuzzClassify(f *testing.F) {
	f.Add(bytesFromFloats(10, 12, 11, 250, 13))
	f.Add(bytesFromFloats(math.NaN()))
	f.Fuzz(func(t *testing.T, b []byte) {
		xs := floatsFromBytes(b)
		base, err := RobustBaseline(xs)
		if err != nil {
			return
		}
		if base.Scale < 0 || math.IsNaN(base.Center) {
			t.Fatalf("baseline %+v", base)
		}
		for _, x := range xs {
			d := ClassifyPoint(x, base, 0)
			if d.Kind == Spike && !(d.Z >= DefaultMinZ) || d.Kind == Dip && !(d.Z <= -DefaultMinZ) {
				t.Fatalf("%+v", d)
			}
			ClassifySeasonal(x, base.Center, base.Scale, 2)
		}
	})
}

func FuzzDigest(f *testing.F) {
	f.Add(bytesFromFloats(1, 2, 2, 2, 3, math.NaN(), -1e300, 1e300), uint8(10))
	f.Add(bytesFromFloats(5), uint8(0))
	f.Fuzz(func(t *testing.T, b []byte, compression uint8) {
		d := Digest{Compression: float64(compression)}
		xs := floatsFromBytes(b)
		for _, x := range xs {
			d.Add(x)
		}
		if d.Count() == 0 {
			return
		}
		prev := 0.0
		for _, q := range []float64{0, 0.1, 0.5, 0.9, 1} {
			v := d.Quantile(q)
			if v < d.Min() || v > d.Max() {
				t.Fatalf("Quantile(%g) = %g outside [%g, %g]", q, v, d.Min(), d.Max())
			}
		}
		for _, x := range append(xs, d.Min(), d.Max()) {
			if math.IsNaN(x) {
				continue
			}
			if c := d.CDF(x); !(c >= 0 && c <= 1) {
				t.Fatalf("CDF(%g) = %g", x, c)
			}
		}
		for _, x := range []float64{d.Min(), (d.Min() + d.Max()) / 2, d.Max()} {
			c := d.CDF(x)
			if c < prev-1e-12 {
				t.Fatalf("CDF not monotone at %g: %g < %g", x, c, prev)
			}
			prev = c
		}
	})
}
