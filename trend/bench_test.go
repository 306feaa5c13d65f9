package trend

import (
	"math"
	"math/rand/v2"
	"testing"
)

// hourlyMetric returns n hourly values with daily and weekly cycles, a slow
// drift, noise and a level shift every 1,000 values.
func hourlyMetric(n int) []float64 {
	rng := rand.New(rand.NewPCG(42, 42))
	y := make([]float64, n)
	for i := range y {
		t := float64(i)
		y[i] = 100 + 0.001*t + 10*math.Sin(2*math.Pi*t/24) + 5*math.Sin(2*math.Pi*t/168) +
			2*rng.NormFloat64() + 8*float64((i/1000)%2)
	}
	return y
}

// piecewise returns n noisy values whose mean changes every 500.
func piecewise(n int) []float64 {
	rng := rand.New(rand.NewPCG(1, 2))
	y := make([]float64, n)
	level := 0.0
	for i := range y {
		if i%500 == 0 {
			level = 5 * rng.NormFloat64()
		}
		y[i] = level + rng.NormFloat64()
	}
	return y
}

func BenchmarkMannKendall(b *testing.B) {
	y := hourlyMetric(10_000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := MannKendall(y); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSeasonalMannKendall(b *testing.B) {
	y := hourlyMetric(10_000)
	b.ReportAllocs()
	for b.Loop() {
		SeasonalMannKendall(y, 24)
	}
}

func BenchmarkHamedRao(b *testing.B) {
	y := hourlyMetric(1_000)
	b.ReportAllocs()
	for b.Loop() {
		HamedRao(y, HamedRaoConfig{})
	}
}

func BenchmarkTheilSen(b *testing.B) {
	y := hourlyMetric(1_000)
	b.ReportAllocs()
	for b.Loop() {
		TheilSen(y, 0)
	}
}

func BenchmarkOLS(b *testing.B) {
	y := hourlyMetric(10_000)
	b.ReportAllocs()
	for b.Loop() {
		OLS(y)
	}
}

// BenchmarkDecompose: STL, n = 10,000, period 24, R's defaults (s.window 11).
func BenchmarkDecompose(b *testing.B) {
	y := hourlyMetric(10_000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decompose(y, STLConfig{Period: 24}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecomposeRobust(b *testing.B) {
	y := hourlyMetric(10_000)
	b.ReportAllocs()
	for b.Loop() {
		Decompose(y, STLConfig{Period: 24, Robust: true})
	}
}

// BenchmarkDecomposeMultiple: MSTL, n = 10,000, periods 24 and 168.
func BenchmarkDecomposeMultiple(b *testing.B) {
	y := hourlyMetric(10_000)
	b.ReportAllocs()
	for b.Loop() {
		DecomposeMultiple(y, []int{24, 168}, MSTLConfig{})
	}
}

func BenchmarkDetectPeriod(b *testing.B) {
	y := hourlyMetric(2_000)
	b.ReportAllocs()
	for b.Loop() {
		DetectPeriod(y, PeriodConfig{MaxPeriod: 400})
	}
}

// BenchmarkPELT: n = 10,000, 20 segments, normal mean cost, MBIC.
func BenchmarkPELT(b *testing.B) {
	y := piecewise(10_000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := PELT(y, ChangeConfig{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPELTMeanVar(b *testing.B) {
	y := piecewise(10_000)
	b.ReportAllocs()
	for b.Loop() {
		PELT(y, ChangeConfig{Cost: NormalMeanVar})
	}
}

func BenchmarkBinarySegmentation(b *testing.B) {
	y := piecewise(10_000)
	b.ReportAllocs()
	for b.Loop() {
		BinarySegmentation(y, ChangeConfig{MaxChanges: 20})
	}
}

func BenchmarkCUSUMAdd(b *testing.B) {
	y := hourlyMetric(10_000)
	var c CUSUM
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c.Add(y[i%len(y)])
		i++
	}
}

func BenchmarkBOCPDAdd(b *testing.B) {
	y := hourlyMetric(10_000)
	var d BOCPD
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		d.Add(y[i%len(y)])
		i++
	}
}

// BenchmarkTheilSenLarge: n = 10,000 (50 million slopes), by scanning.
func BenchmarkTheilSenLarge(b *testing.B) {
	y := hourlyMetric(10_000)
	b.ReportAllocs()
	for b.Loop() {
		TheilSen(y, 0)
	}
}
