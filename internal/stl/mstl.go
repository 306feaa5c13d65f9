package stl

import (
	"fmt"
	"slices"
)

// MultipleConfig holds the MSTL settings. A zero field means the default of
// forecast::mstl, given with each field.
type MultipleConfig struct {
	// SeasonalWindows are the seasonal windows of the STL fits, one per
	// period in increasing order of period. Nil means 11, 15, 19, …
	// (7 + 4i for the i-th period, counting from 1), forecast's default; a
	// single value applies to every period.
	SeasonalWindows []int
	// Iterations is the number of passes over the periods. Zero means 2 when
	// there are several periods and 1 for a single one, as forecast::mstl on
	// an msts and on a plain ts respectively.
	Iterations int
	// STL holds the other settings of every STL fit; its Period and
	// SeasonalWindow are ignored (its Periodic applies to every period).
	STL Config
}

// MultipleResult is an MSTL decomposition: Trend[i] + Σ_k Seasonal[k][i] +
// Remainder[i] equals the input y[i] up to rounding.
type MultipleResult struct {
	// Periods are the periods decomposed, increasing; Seasonal[k] is the
	// component of Periods[k].
	Periods   []int
	Trend     []float64
	Seasonal  [][]float64
	Remainder []float64
}

// DecomposeMultiple splits y into a trend, one seasonal component per period
// and a remainder by MSTL, as forecast::mstl(msts(y, seasonal.periods =
// periods)) (without its Box–Cox and missing-value options): the periods are
// sorted, a repeated period is taken once (forecast fits it twice, splitting
// its seasonality between two components), those with no more than two full
// cycles in y are dropped, and each
// pass removes the other seasonal components and refits STL for one period
// at a time, from the shortest period to the longest. The trend is that of
// the last STL fit. y is not modified.
//
// DecomposeMultiple returns ErrTooShort when no period has more than two
// cycles in y, ErrNotFinite for a NaN or infinite value, and an error for a
// period below 2 or another invalid setting.
func DecomposeMultiple(y []float64, periods []int, cfg MultipleConfig) (MultipleResult, error) {
	n := len(y)
	var kept []int
	for _, p := range periods {
		if p < 2 {
			return MultipleResult{}, fmt.Errorf("stl: period %d is below 2", p)
		}
		if p <= (n-1)/2 && !slices.Contains(kept, p) { // 2p < n, without the overflow of 2p
			kept = append(kept, p)
		}
	}
	if len(kept) == 0 {
		return MultipleResult{}, ErrTooShort
	}
	slices.Sort(kept)
	windows := cfg.SeasonalWindows
	switch {
	case len(windows) == 0:
		windows = make([]int, len(kept))
		for i := range windows {
			windows[i] = 7 + 4*(i+1)
		}
	case len(windows) == 1:
		windows = slices.Repeat(windows, len(kept))
	case len(windows) < len(kept):
		return MultipleResult{}, fmt.Errorf("stl: %d seasonal windows for %d periods", len(windows), len(kept))
	}
	iterations := cfg.Iterations
	if iterations < 0 {
		return MultipleResult{}, fmt.Errorf("stl: %d iterations is negative", iterations)
	}
	if iterations == 0 {
		iterations = 2
		if len(kept) == 1 {
			iterations = 1
		}
	}

	res := MultipleResult{Periods: kept, Seasonal: make([][]float64, len(kept))}
	deseasoned := slices.Clone(y)
	var fit Result
	for range iterations {
		for k, p := range kept {
			if s := res.Seasonal[k]; s != nil {
				for i := range deseasoned {
					deseasoned[i] += s[i]
				}
			}
			c := cfg.STL
			c.Period, c.SeasonalWindow = p, windows[k]
			var err error
			if fit, err = Decompose(deseasoned, c); err != nil {
				return MultipleResult{}, err
			}
			res.Seasonal[k] = fit.Seasonal
			for i := range deseasoned {
				deseasoned[i] -= fit.Seasonal[i]
			}
		}
	}
	res.Trend = fit.Trend
	res.Remainder = deseasoned
	for i := range deseasoned {
		res.Remainder[i] -= res.Trend[i]
	}
	return res, nil
}
