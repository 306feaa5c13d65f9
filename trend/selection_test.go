package trend

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestSelectRanks(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 500 {
		n := 1 + rng.IntN(300)
		a := make([]float64, n)
		for i := range a {
			switch trial % 3 {
			case 0:
				a[i] = rng.NormFloat64()
			case 1:
				a[i] = float64(rng.IntN(4)) // heavy ties
			default:
				a[i] = float64(i) // sorted input
			}
		}
		sorted := slices.Sorted(slices.Values(a))
		ranks := []int{rng.IntN(n), rng.IntN(n), rng.IntN(n)}
		selectRanks(a, ranks...)
		for _, r := range ranks {
			if a[r] != sorted[r] {
				t.Fatalf("trial %d n=%d: a[%d] = %g, want %g", trial, n, r, a[r], sorted[r])
			}
		}
		if !slices.Equal(slices.Sorted(slices.Values(a)), sorted) {
			t.Fatalf("trial %d: not a permutation", trial)
		}
	}
}

// TestScanOrderStatistics checks the sampling-and-scanning path against
// sorting all slopes, on series with many tied slopes and on gaps in t.
func TestScanOrderStatistics(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	for trial := range 12 {
		n := 2 + rng.IntN(400)
		ts := make([]float64, n)
		v := make([]float64, n)
		for i := range v {
			ts[i] = float64(i + i/7) // gaps
			if trial%2 == 0 {
				v[i] = float64(rng.IntN(5)) // many equal slopes
			} else {
				v[i] = 0.3*float64(i) + rng.NormFloat64()
			}
		}
		var all []float64
		for j := range v {
			for i := range j {
				all = append(all, (v[j]-v[i])/(ts[j]-ts[i]))
			}
		}
		slices.Sort(all)
		m := len(all)
		ranks := []int{0, m - 1, (m - 1) / 2, m / 2, rng.IntN(m), (m - 1) / 2}
		got := scanOrderStatistics(ts, v, ranks)
		for k, r := range ranks {
			if got[k] != all[r] {
				t.Fatalf("trial %d n=%d: rank %d = %g, want %g", trial, n, r, got[k], all[r])
			}
		}
	}
}
