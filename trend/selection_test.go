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
