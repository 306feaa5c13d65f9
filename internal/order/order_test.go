package order

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// testValues returns n values of one of three kinds by trial: normal draws, a few values with
// heavy ties, and values in decreasing order.
func testValues(rng *rand.Rand, trial, n int) []float64 {
	a := make([]float64, n)
	for i := range a {
		switch trial % 3 {
		case 0:
			a[i] = rng.NormFloat64()
		case 1:
			a[i] = float64(rng.IntN(4))
		default:
			a[i] = float64(n - i)
		}
	}
	return a
}

func TestSelectRanks(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 500 {
		a := testValues(rng, trial, 1+rng.IntN(300))
		n := len(a)
		sorted := slices.Sorted(slices.Values(a))
		ranks := []int{rng.IntN(n), rng.IntN(n), rng.IntN(n)}
		SelectRanks(a, ranks...)
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

// Median agrees with the middle of the sorted values, for odd and even lengths, ties and
// sorted input.
func TestMedian(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for trial := range 300 {
		a := testValues(rng, trial, 1+rng.IntN(200))
		n := len(a)
		s := slices.Sorted(slices.Values(a))
		want := (s[(n-1)/2] + s[n/2]) / 2
		if got := Median(a); got != want {
			t.Fatalf("trial %d n=%d: Median = %g, want %g", trial, n, got, want)
		}
	}
	if got := Median(nil); !math.IsNaN(got) {
		t.Errorf("Median(nil) = %g, want NaN", got)
	}
}
