package stl

import (
	"math/rand/v2"
	"testing"
)

// TestSmootherRecomputedEdges checks that a smoother which recomputes its
// edge kernels at each fit (when keeping them would take too much room)
// smooths exactly as one that keeps them, with and without robustness
// weights.
func TestSmootherRecomputedEdges(t *testing.T) {
	const n = 60
	y := hourly(n)
	rng := rand.New(rand.NewPCG(1, 1))
	rw := make([]float64, n)
	for i := range rw {
		rw[i] = rng.Float64()
	}
	for _, c := range []struct{ window, degree, jump int }{
		{601, 0, 1}, {601, 1, 7}, {59, 1, 1}, {25, 1, 3}, {7, 0, 2}, {3, 1, 1},
	} {
		var kept, recomputed smoother
		kept.resetKeeping(n, c.window, c.degree, c.jump, n*n)
		recomputed.resetKeeping(n, c.window, c.degree, c.jump, 0)
		if !kept.keepEdges || recomputed.keepEdges {
			t.Fatalf("%+v: keepEdges %v and %v, want true and false", c, kept.keepEdges, recomputed.keepEdges)
		}
		for _, weights := range [][]float64{nil, rw} {
			want, got := make([]float64, n), make([]float64, n)
			kept.smooth(y, weights, want)
			recomputed.smooth(y, weights, got)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%+v, robust %v: smooth[%d] = %v recomputing the kernels, %v keeping them", c, weights != nil, i, got[i], want[i])
				}
			}
		}
	}
}
