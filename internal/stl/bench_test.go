package stl

import (
	"math"
	"math/rand/v2"
	"testing"
)

// hourly returns n hourly values with daily and weekly cycles and noise.
func hourly(n int) []float64 {
	rng := rand.New(rand.NewPCG(7, 7))
	y := make([]float64, n)
	for i := range y {
		t := float64(i)
		y[i] = 100 + 0.01*t + 10*math.Sin(2*math.Pi*t/24) + 5*math.Cos(2*math.Pi*t/168) + rng.NormFloat64()
	}
	return y
}

// BenchmarkDecompose: n = 10,000, period 24, R's defaults with s.window = 11.
func BenchmarkDecompose(b *testing.B) {
	y := hourly(10000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decompose(y, Config{Period: 24}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecomposeRobust(b *testing.B) {
	y := hourly(10000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decompose(y, Config{Period: 24, Robust: true}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecomposeMultiple: n = 10,000, periods 24 and 168.
func BenchmarkDecomposeMultiple(b *testing.B) {
	y := hourly(10000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecomposeMultiple(y, []int{24, 168}, MultipleConfig{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecomposePeriodicRobust168: the predictive alerter's call, a week
// of hourly values (n = 168) with a daily period, periodic and robust.
func BenchmarkDecomposePeriodicRobust168(b *testing.B) {
	y := hourly(168)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decompose(y, Config{Period: 24, Periodic: true, Robust: true}); err != nil {
			b.Fatal(err)
		}
	}
}
