package trend

import (
	"cmp"
	"math"
	"slices"
)

// PeriodConfig holds the settings of DetectPeriod; zero fields mean the
// defaults given with each.
type PeriodConfig struct {
	// MinPeriod and MaxPeriod bound the lags searched; zero means 2 and
	// len(y)/2 (at least two full cycles).
	MinPeriod, MaxPeriod int
	// MinCorrelation is the smallest autocorrelation a peak must reach; zero
	// means max(0.1, 1.96/√n), the upper limit of the usual 95 % band of a
	// white-noise autocorrelation and a floor against weak peaks.
	MinCorrelation float64
}

// Period is a candidate seasonal period: a lag and its autocorrelation.
type Period struct {
	Lag int
	ACF float64
}

// DetectPeriod finds the dominant seasonal period of y from its sample
// autocorrelation function ρ_k = Σ_{t<n−k} (y_t − ȳ)(y_{t+k} − ȳ) / Σ (y_t −
// ȳ)². Candidates are the local maxima ρ_{k−1} < ρ_k ≥ ρ_{k+1} with
// MinPeriod ≤ k ≤ MaxPeriod and ρ_k ≥ MinCorrelation; the first is the one
// with the highest ρ_k (the biased estimator shrinks long lags by (n−k)/n,
// which favours a period over its multiples), and the others follow in
// decreasing order of ρ_k. A cycle whose period divides a stronger one's (a
// daily cycle within a weekly one) is part of the longer cycle and may show
// displaced or not at all; DetectPeriod reports the longer one.
//
// It returns ErrNotFinite for a NaN or infinite value, ErrTooFew for fewer
// than 2·MinPeriod+1 values, and ErrNoPeriod when no lag qualifies (white
// noise, a constant series, a pure trend). Cost: O(n·MaxPeriod). y is not
// modified.
func DetectPeriod(y []float64, cfg PeriodConfig) ([]Period, error) {
	if err := checkFinite(y); err != nil {
		return nil, err
	}
	n := len(y)
	minP := cfg.MinPeriod
	if minP == 0 {
		minP = 2
	}
	if minP < 2 || cfg.MaxPeriod < 0 || (cfg.MaxPeriod > 0 && cfg.MaxPeriod < minP) {
		panic("trend: DetectPeriod needs 2 ≤ MinPeriod ≤ MaxPeriod")
	}
	if n < 2*minP+1 {
		return nil, ErrTooFew
	}
	maxP := cfg.MaxPeriod
	if maxP == 0 {
		maxP = n / 2
	}
	maxP = min(maxP, n-2)
	threshold := cfg.MinCorrelation
	if threshold == 0 {
		threshold = math.Max(0.1, 1.96/math.Sqrt(float64(n)))
	}
	acf := autocorrelations(y, maxP+1)
	var found []Period
	for k := minP; k <= maxP; k++ {
		if acf[k] > acf[k-1] && acf[k] >= acf[k+1] && acf[k] >= threshold {
			found = append(found, Period{Lag: k, ACF: acf[k]})
		}
	}
	if len(found) == 0 {
		return nil, ErrNoPeriod
	}
	slices.SortStableFunc(found, func(a, b Period) int { return cmp.Compare(b.ACF, a.ACF) })
	return found, nil
}
