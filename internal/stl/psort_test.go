package stl

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestPartialSortOrderStatistics checks that partialSort places the order
// statistics at increasing requested positions and only permutes a.
func TestPartialSortOrderStatistics(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 300 {
		n := 2 + rng.IntN(200)
		a := make([]float64, n+1)
		for i := 1; i <= n; i++ {
			a[i] = float64(rng.IntN(50)) // ties included
		}
		sorted := slices.Clone(a[1:])
		slices.Sort(sorted)
		lo := 1 + rng.IntN(n)
		hi := lo + rng.IntN(n-lo+1)
		partialSort(a, []int{0, lo, hi})
		if a[lo] != sorted[lo-1] || a[hi] != sorted[hi-1] {
			t.Fatalf("trial %d n=%d: positions %d,%d hold %g,%g, want %g,%g",
				trial, n, lo, hi, a[lo], a[hi], sorted[lo-1], sorted[hi-1])
		}
		rest := slices.Clone(a[1:])
		slices.Sort(rest)
		if !slices.Equal(rest, sorted) {
			t.Fatalf("trial %d: not a permutation", trial)
		}
	}
}

// TestPartialSortDecreasingPositions pins the quirk R's stl depends on: with
// the two middle positions of an even length in decreasing order, psort may
// leave a value other than the order statistic at one of them. The input is
// the absolute remainder of the first pass of stl(co2, s.window = 13,
// l.jump = 1), where R's weights imply 6·M = 0.8741208299… instead of the
// true 6·median 0.9163155579… (see TestDecomposeMatchesR/co2_s13_robust and
// testdata/generate.R for the R side).
func TestPartialSortDecreasingPositions(t *testing.T) {
	want := readColumns(t, "co2_s13_robust")
	y := want["y"]
	r, err := Decompose(y, Config{Period: 12, SeasonalWindow: 13, Inner: 1, LowPassJump: 1})
	if err != nil {
		t.Fatal(err)
	}
	fit := make([]float64, len(y))
	for i := range y {
		fit[i] = r.Trend[i] + r.Seasonal[i]
	}
	rw := make([]float64, len(y))
	robustnessWeights(y, fit, rw, make([]float64, len(y)+1))
	// Back out h from a weight strictly between 0 and 1.
	for i, w := range rw {
		if w > 0 && w < 1 {
			res := y[i] - fit[i]
			u := 1 - math.Sqrt(w)
			h := math.Abs(res) / math.Sqrt(u)
			if math.Abs(h-0.8741208299) > 1e-9 {
				t.Fatalf("h = %.12g, want 0.8741208299 (R's psort result)", h)
			}
			return
		}
	}
	t.Fatal("no weight in (0, 1)")
}
