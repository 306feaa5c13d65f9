package isoforest

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// gaussian returns n rows of d standard-normal features from a fixed seed.
func gaussian(n, d int, seed uint64) [][]float64 {
	rng := rand.New(rand.NewPCG(seed, 0))
	X := make([][]float64, n)
	for i := range X {
		X[i] = make([]float64, d)
		for j := range X[i] {
			X[i][j] = rng.NormFloat64()
		}
	}
	return X
}

// BenchmarkFit fits 100 trees with ψ = 256 on one goroutine; the cost should not depend on n.
func BenchmarkFit(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		X := gaussian(n, 8, 1)
		b.Run(fmt.Sprintf("n=%d/d=8", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Fit(X, Config{Workers: 1}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkScore scores one row of 8 features with 100 trees, ψ = 256.
func BenchmarkScore(b *testing.B) {
	X := gaussian(10_000, 8, 2)
	for _, ext := range []int{0, 7} {
		m, err := Fit(X, Config{ExtensionLevel: ext, Workers: 1})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("d=8/ext=%d", ext), func(b *testing.B) {
			b.ReportAllocs()
			var i int
			for b.Loop() {
				m.Score(X[i%len(X)])
				i++
			}
		})
	}
}

// BenchmarkScoresTo scores 10,000 rows of 8 features into a caller's slice; 0 allocs/op.
func BenchmarkScoresTo(b *testing.B) {
	X := gaussian(10_000, 8, 3)
	m, err := Fit(X, Config{Workers: 1})
	if err != nil {
		b.Fatal(err)
	}
	dst := make([]float64, len(X))
	b.Run("rows=10000/d=8", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m.ScoresTo(dst, X)
		}
	})
}
