package trend

import "math"

// LegacyTrend reproduces calculate_trend(values, window) of the original
// Python service (ORIGINAL-SYSTEM.md §4.5), kept for compatibility; OLS,
// TheilSen and MannKendall are the sound alternatives.
//
// With fewer than window values it returns 0. Otherwise it fits a
// least-squares line to the last window values against x = 0, …, window−1
// and returns its slope divided by the mean of all values (by 1 when that
// mean is ≤ 0), clipped to [−1, 1]. Dividing by the mean makes the result
// depend on the level of the series, so a clear reversal of a series around
// 15 scores only a few hundredths. A NaN among the values gives NaN (the
// original raised an error). window ≤ 0 panics.
func LegacyTrend(values []float64, window int) float64 {
	if window <= 0 {
		panic("trend: LegacyTrend window must be positive")
	}
	if len(values) < window {
		return 0
	}
	slope := lineSlope(values[len(values)-window:])
	mean := meanOf(values)
	if mean <= 0 {
		mean = 1
	}
	return clip(slope/mean, -1, 1)
}

// LegacySeasonality reproduces calculate_seasonality(values, period) of the
// original (ORIGINAL-SYSTEM.md §4.5), which the service never called; Strength
// and DetectPeriod are the sound alternatives.
//
// With fewer than 2·period values it returns 0. Otherwise it returns the
// sample autocorrelation at lag period, clip(c_p / (c_0 + 1e−10), 0, 1), with
// c_k = Σ_{t<n−k} (x_t − μ)(x_{t+k} − μ) / n. A NaN gives NaN. period ≤ 0
// panics.
func LegacySeasonality(values []float64, period int) float64 {
	if period <= 0 {
		panic("trend: LegacySeasonality period must be positive")
	}
	n := len(values)
	if n < 2*period {
		return 0
	}
	mu := meanOf(values)
	var c0, ck float64
	for i, v := range values {
		c0 += (v - mu) * (v - mu)
		if i+period < n {
			ck += (v - mu) * (values[i+period] - mu)
		}
	}
	c0 /= float64(n)
	ck /= float64(n)
	return clip(ck/(c0+1e-10), 0, 1)
}

// LegacyTrendChange reproduces detect_trend_change(values, window, threshold)
// of the original (ORIGINAL-SYSTEM.md §4.5); PELT, BinarySegmentation, CUSUM
// and BOCPD are the sound alternatives.
//
// With fewer than 2·window values it returns (false, 0). Otherwise it splits
// the values at n/2 (integer division), computes LegacyTrend of each half
// (each normalised by its own half's mean) and returns
// (|new − old| > threshold, |new − old|); the magnitude lies in [0, 2]. The
// original used window 5 and threshold 0.3, under which a V shape from 10 to
// 15 and back scores 0.0333 and goes undetected. window ≤ 0 panics.
func LegacyTrendChange(values []float64, window int, threshold float64) (changed bool, magnitude float64) {
	if window <= 0 {
		panic("trend: LegacyTrendChange window must be positive")
	}
	n := len(values)
	if n < 2*window {
		return false, 0
	}
	mid := n / 2
	old := LegacyTrend(values[:mid], window)
	recent := LegacyTrend(values[mid:], window)
	magnitude = math.Abs(recent - old)
	return magnitude > threshold, magnitude
}

// lineSlope is the least-squares slope of y against x = 0, 1, …, len(y)−1.
func lineSlope(y []float64) float64 {
	n := float64(len(y))
	xm := (n - 1) / 2
	ym := meanOf(y)
	var sxy, sxx float64
	for i, v := range y {
		dx := float64(i) - xm
		sxy += dx * (v - ym)
		sxx += dx * dx
	}
	if sxx == 0 {
		return 0
	}
	return sxy / sxx
}

func meanOf(y []float64) float64 {
	s := 0.0
	for _, v := range y {
		s += v
	}
	return s / float64(len(y))
}

func clip(v, lo, hi float64) float64 {
	if math.IsNaN(v) {
		return v
	}
	return math.Max(lo, math.Min(hi, v))
}
