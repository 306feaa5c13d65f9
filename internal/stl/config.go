package stl

import (
	"errors"
	"fmt"
	"math"
)

// Config holds the STL settings. A zero field means the default of R's
// stats::stl, given with each field.
type Config struct {
	// Period is the number of observations per seasonal cycle (R's
	// frequency). It must be at least 2.
	Period int

	// SeasonalWindow is the loess window (in cycles) for the cycle-subseries
	// smoothing, R's s.window; an even value is raised to the next odd one and
	// a value below 3 to 3, as in R. Zero means 11 (no default in R; 11 is
	// forecast::mstl's first window). Ignored when Periodic is set.
	SeasonalWindow int
	// Periodic makes the seasonal component strictly periodic, R's
	// s.window = "periodic": the seasonal window becomes 10n+1, the seasonal
	// degree 0, and the seasonal values are replaced by their mean over each
	// position in the cycle.
	Periodic bool

	// TrendWindow is the trend loess window, R's t.window. Zero means
	// nextodd(⌈1.5·Period/(1 − 1.5/SeasonalWindow)⌉).
	TrendWindow int
	// LowPassWindow is the low-pass loess window, R's l.window. Zero means
	// nextodd(Period).
	LowPassWindow int

	// SeasonalDegree, TrendDegree and LowPassDegree are the degrees of the
	// local polynomials (R's s.degree, t.degree, l.degree). Their zero values
	// mean R's defaults: Constant, Linear, and the trend degree. A periodic
	// decomposition always uses a constant seasonal fit.
	SeasonalDegree, TrendDegree, LowPassDegree Degree

	// SeasonalJump, TrendJump and LowPassJump are the strides at which the
	// loess fits are computed, linear interpolation filling the points in
	// between (R's s.jump, t.jump, l.jump). Zero means ⌈window/10⌉ of the
	// corresponding window (before it is made odd).
	SeasonalJump, TrendJump, LowPassJump int

	// Robust turns on the robustness weights that make the fit resistant to
	// outliers in the remainder.
	Robust bool
	// Inner is the number of inner-loop passes; zero means 1 when Robust and
	// 2 otherwise.
	Inner int
	// Outer is the number of robustness iterations; zero means 15 when Robust
	// and none otherwise. As in R, Robust only chooses the defaults of Inner
	// and Outer: a positive Outer makes the fit robust.
	Outer int
}

// Degree is the degree of a local polynomial fit.
type Degree int

// The degrees STL supports; DefaultDegree stands for R's default.
const (
	DefaultDegree Degree = iota
	Constant             // degree 0: local weighted mean
	Linear               // degree 1: local weighted line
)

// Errors returned for data the decomposition cannot handle.
var (
	// ErrTooShort reports a series with no more than two full periods.
	ErrTooShort = errors.New("stl: series has less than two periods")
	// ErrNotFinite reports a NaN or infinite value in the series.
	ErrNotFinite = errors.New("stl: series contains a NaN or infinite value")
)

// settings are the resolved parameters passed to the Fortran-equivalent
// routines.
type settings struct {
	period                                     int
	seasonalWindow, trendWindow, lowPassWindow int
	seasonalDegree, trendDegree, lowPassDegree int
	seasonalJump, trendJump, lowPassJump       int
	inner, outer                               int
	periodic                                   bool
}

// resolve applies R's defaults to cfg for a series of length n and checks the
// result. It returns an error for settings no series could satisfy.
func (cfg Config) resolve(n int) (settings, error) {
	if cfg.Period < 2 {
		return settings{}, fmt.Errorf("stl: period %d is below 2", cfg.Period)
	}
	for _, f := range []struct {
		name string
		v    int
	}{
		{"SeasonalWindow", cfg.SeasonalWindow}, {"TrendWindow", cfg.TrendWindow},
		{"LowPassWindow", cfg.LowPassWindow}, {"SeasonalJump", cfg.SeasonalJump},
		{"TrendJump", cfg.TrendJump}, {"LowPassJump", cfg.LowPassJump},
		{"Inner", cfg.Inner}, {"Outer", cfg.Outer},
	} {
		if f.v < 0 {
			return settings{}, fmt.Errorf("stl: %s %d is negative", f.name, f.v)
		}
	}
	s := settings{period: cfg.Period, periodic: cfg.Periodic}
	var err error
	if s.seasonalDegree, err = degree("SeasonalDegree", cfg.SeasonalDegree, 0); err != nil {
		return settings{}, err
	}
	if s.trendDegree, err = degree("TrendDegree", cfg.TrendDegree, 1); err != nil {
		return settings{}, err
	}
	if s.lowPassDegree, err = degree("LowPassDegree", cfg.LowPassDegree, s.trendDegree); err != nil {
		return settings{}, err
	}

	s.seasonalWindow = orDefault(cfg.SeasonalWindow, 11)
	if cfg.Periodic {
		s.seasonalWindow = 10*n + 1
		s.seasonalDegree = 0
	}
	// The default trend window is R's formula on the seasonal window, except that a window of 1
	// (for which the formula gives a negative trend window, and jumps of 0) counts as the 3 the
	// Fortran driver raises it to.
	sw := s.seasonalWindow
	if sw < 2 {
		sw = 3
	}
	s.trendWindow = orDefault(cfg.TrendWindow, nextOdd(math.Ceil(1.5*float64(cfg.Period)/(1-1.5/float64(sw)))))
	s.lowPassWindow = orDefault(cfg.LowPassWindow, nextOdd(float64(cfg.Period)))
	s.seasonalJump = orDefault(cfg.SeasonalJump, ceilTenth(s.seasonalWindow))
	s.trendJump = orDefault(cfg.TrendJump, ceilTenth(s.trendWindow))
	s.lowPassJump = orDefault(cfg.LowPassJump, ceilTenth(s.lowPassWindow))
	if cfg.Robust {
		s.inner = orDefault(cfg.Inner, 1)
		s.outer = orDefault(cfg.Outer, 15)
	} else {
		s.inner = orDefault(cfg.Inner, 2)
		s.outer = cfg.Outer
	}

	// As the Fortran driver: windows at least 3 and odd.
	s.seasonalWindow = oddAtLeast3(s.seasonalWindow)
	s.trendWindow = oddAtLeast3(s.trendWindow)
	s.lowPassWindow = oddAtLeast3(s.lowPassWindow)
	return s, nil
}

// degree resolves a degree field to 0 or 1; DefaultDegree means def.
func degree(name string, d Degree, def int) (int, error) {
	switch d {
	case DefaultDegree:
		return def, nil
	case Constant:
		return 0, nil
	case Linear:
		return 1, nil
	}
	return 0, fmt.Errorf("stl: %s %d is not a valid degree", name, d)
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// nextOdd is R's nextodd: x rounded (half to even, as R), plus one when even.
func nextOdd(x float64) int {
	k := int(math.RoundToEven(x))
	if k%2 == 0 {
		k++
	}
	return k
}

// ceilTenth is ⌈w/10⌉, at least 1 (a jump).
func ceilTenth(w int) int { return max(1, (w+9)/10) }

func oddAtLeast3(w int) int {
	w = max(w, 3)
	if w%2 == 0 {
		w++
	}
	return w
}
