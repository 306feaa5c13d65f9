package trend

import (
	"fmt"

	"github.com/stacklens/omen/internal/stl"
)

// Degree is the degree of a local polynomial fit in STL.
type Degree = stl.Degree

// The degrees STL supports; DefaultDegree stands for R's default.
const (
	DefaultDegree = stl.DefaultDegree
	Constant      = stl.Constant // degree 0: local weighted mean
	Linear        = stl.Linear   // degree 1: local weighted line
)

// STLConfig holds the settings of Decompose. A zero field means the default
// of R's stats::stl, given with each field.
type STLConfig struct {
	// Period is the number of observations per seasonal cycle, at least 2.
	Period int
	// SeasonalWindow is the loess window, in cycles, of the seasonal
	// smoothing (R's s.window), made odd and at least 3; zero means 11.
	SeasonalWindow int
	// Periodic makes the seasonal component strictly periodic (R's
	// s.window = "periodic").
	Periodic bool
	// TrendWindow (R's t.window) defaults to nextodd(⌈1.5·Period/(1 −
	// 1.5/SeasonalWindow)⌉) and LowPassWindow (l.window) to nextodd(Period),
	// nextodd(k) being k, plus one when k is even.
	TrendWindow, LowPassWindow int
	// SeasonalDegree, TrendDegree and LowPassDegree default to Constant,
	// Linear and the trend degree.
	SeasonalDegree, TrendDegree, LowPassDegree Degree
	// SeasonalJump, TrendJump and LowPassJump are the strides of the loess
	// fits, interpolated in between; zero means ⌈window/10⌉.
	SeasonalJump, TrendJump, LowPassJump int
	// Robust turns on robustness weights against outliers.
	Robust bool
	// Inner and Outer count the inner passes (default 1 when Robust, else 2)
	// and robustness iterations (default 15 when Robust, else 0).
	Inner, Outer int
}

func (c STLConfig) internal() stl.Config {
	return stl.Config{
		Period: c.Period, SeasonalWindow: c.SeasonalWindow, Periodic: c.Periodic,
		TrendWindow: c.TrendWindow, LowPassWindow: c.LowPassWindow,
		SeasonalDegree: c.SeasonalDegree, TrendDegree: c.TrendDegree, LowPassDegree: c.LowPassDegree,
		SeasonalJump: c.SeasonalJump, TrendJump: c.TrendJump, LowPassJump: c.LowPassJump,
		Robust: c.Robust, Inner: c.Inner, Outer: c.Outer,
	}
}

// Decomposition holds the components of a series: Trend[i] + Seasonal[i] +
// Remainder[i] = y[i] up to rounding.
type Decomposition struct {
	Trend, Seasonal, Remainder []float64
	// Weights are the final robustness weights in [0, 1] (all 1 unless
	// robust).
	Weights []float64
}

// Decompose splits y into trend, seasonal and remainder by STL (Cleveland et
// al. 1990), reproducing R's stl(ts(y, frequency = Period), …) to rounding
// error, including its robustness weights; y[0] is the first position of the
// cycle. It returns ErrTooFew when len(y) ≤ 2·Period, ErrNotFinite for a NaN
// or infinite value (R's stl does not accept missing values either), and an
// error for invalid settings. y is not modified; the function is safe for
// concurrent use.
func Decompose(y []float64, cfg STLConfig) (Decomposition, error) {
	if err := checkFinite(y); err != nil {
		return Decomposition{}, err
	}
	r, err := stl.Decompose(y, cfg.internal())
	if err != nil {
		return Decomposition{}, wrapSTLError(err)
	}
	return Decomposition{Trend: r.Trend, Seasonal: r.Seasonal, Remainder: r.Remainder, Weights: r.Weights}, nil
}

// MSTLConfig holds the settings of DecomposeMultiple; zero fields mean the
// defaults of forecast::mstl.
type MSTLConfig struct {
	// SeasonalWindows are the seasonal windows, one per period in increasing
	// order of period; nil means 11, 15, 19, … and a single value applies to
	// all.
	SeasonalWindows []int
	// Iterations is the number of passes over the periods; zero means 2
	// (1 for a single period, as mstl on a plain ts).
	Iterations int
	// STL holds the remaining settings of every STL fit (its Period and
	// SeasonalWindow are ignored).
	STL STLConfig
}

// MultipleDecomposition holds the components of an MSTL decomposition:
// Trend[i] + Σ_k Seasonal[k][i] + Remainder[i] = y[i] up to rounding, where
// Seasonal[k] belongs to Periods[k].
type MultipleDecomposition struct {
	Periods   []int
	Trend     []float64
	Seasonal  [][]float64
	Remainder []float64
}

// DecomposeMultiple splits y into a trend, one seasonal component per
// period and a remainder by MSTL (Bandara, Hyndman and Bergmeir 2021),
// reproducing forecast::mstl(msts(y, seasonal.periods = periods)): periods
// are sorted, duplicates and periods with no more than two cycles in y are
// dropped, and each pass refits STL for one period at a time on the series
// without the other seasonal components. For hourly service metrics use
// periods 24 and 168. Errors are as for Decompose; ErrTooFew when no period
// remains. y is not modified.
func DecomposeMultiple(y []float64, periods []int, cfg MSTLConfig) (MultipleDecomposition, error) {
	if err := checkFinite(y); err != nil {
		return MultipleDecomposition{}, err
	}
	r, err := stl.DecomposeMultiple(y, periods, stl.MultipleConfig{
		SeasonalWindows: cfg.SeasonalWindows, Iterations: cfg.Iterations, STL: cfg.STL.internal(),
	})
	if err != nil {
		return MultipleDecomposition{}, wrapSTLError(err)
	}
	return MultipleDecomposition{Periods: r.Periods, Trend: r.Trend, Seasonal: r.Seasonal, Remainder: r.Remainder}, nil
}

// wrapSTLError maps the internal package's errors onto this package's.
func wrapSTLError(err error) error {
	switch err {
	case stl.ErrTooShort:
		return ErrTooFew
	case stl.ErrNotFinite:
		return ErrNotFinite
	}
	return fmt.Errorf("trend: %w", err)
}
