package trend

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// LinearFit is an ordinary least-squares line y ≈ Intercept + Slope·t.
type LinearFit struct {
	Slope, Intercept float64
	// SlopeSE is the standard error of the slope, √(σ̂² / Σ(t−t̄)²) with
	// σ̂² = RSS/(N−2); T = Slope/SlopeSE and P is its two-sided p-value
	// under Student's t with N−2 degrees of freedom (R's summary(lm(y ~ t))).
	SlopeSE, T, P float64
	// N is the number of values used (NaN values are skipped).
	N int
}

// OLS fits a least-squares line to y against the time index t = 0, 1, …,
// len(y)−1. NaN values are skipped, keeping the time index of the others.
// It returns ErrTooFew with fewer than three values and ErrNotFinite for an
// infinite value. A perfect fit has SlopeSE 0, T ±Inf and P 0 (T NaN and P 1
// for a constant series). y is not modified.
func OLS(y []float64) (LinearFit, error) {
	n, err := countFinite(y)
	if err != nil {
		return LinearFit{}, err
	}
	if n < 3 {
		return LinearFit{}, ErrTooFew
	}
	var tm, ym float64
	for i, v := range y {
		if !math.IsNaN(v) {
			tm += float64(i)
			ym += v
		}
	}
	tm /= float64(n)
	ym /= float64(n)
	var sxx, sxy float64
	for i, v := range y {
		if !math.IsNaN(v) {
			dt := float64(i) - tm
			sxx += dt * dt
			sxy += dt * (v - ym)
		}
	}
	fit := LinearFit{Slope: sxy / sxx, N: n}
	fit.Intercept = ym - fit.Slope*tm
	rss := 0.0
	for i, v := range y {
		if !math.IsNaN(v) {
			r := v - fit.Intercept - fit.Slope*float64(i)
			rss += r * r
		}
	}
	df := float64(n - 2)
	fit.SlopeSE = math.Sqrt(rss / df / sxx)
	fit.T = fit.Slope / fit.SlopeSE
	switch {
	case math.IsNaN(fit.T):
		fit.P = 1
	default:
		fit.P = 2 * distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Survival(math.Abs(fit.T))
	}
	return fit, nil
}

// TheilSenFit is a Theil–Sen line: the median of pairwise slopes with
// Sen's (1968) confidence interval [Lower, Upper].
type TheilSenFit struct {
	Slope, Intercept, Lower, Upper float64
	// N is the number of values used (NaN values are skipped).
	N int
}

// TheilSen returns the Theil–Sen estimate of the slope of y against the
// time index t = 0, 1, …: the median of (y_j − y_i)/(j − i) over all pairs
// i < j, with intercept median(y) − slope·median(t) and the confidence
// interval of Sen (1968) at the given level (zero means 0.95), exactly as
// scipy.stats.theilslopes(y, t, level): with N the number of slopes sorted
// ascending, σ² = [n(n−1)(2n+5) − Σ_ties t(t−1)(2t+5)]/18 over ties in y, and
// z the normal quantile of (1−level)/2 (negative), the bounds are the slopes
// of ranks round((N+zσ)/2) − 1 and round((N−zσ)/2) (0-based, rounding half to
// even, clamped to the ends).
//
// NaN values are skipped, keeping the time index of the others. It takes
// O(n²) time; memory is O(n²) up to about 2,900 values and small beyond,
// where the order statistics are found by sampling and scanning the slopes
// instead of storing them. It returns ErrTooFew with fewer than two values and
// ErrNotFinite for an infinite value; a level outside (0, 1) panics. y is not
// modified.
func TheilSen(y []float64, level float64) (TheilSenFit, error) {
	if level == 0 {
		level = 0.95
	}
	if !(level > 0 && level < 1) {
		panic("trend: TheilSen level must lie in (0, 1)")
	}
	n, err := countFinite(y)
	if err != nil {
		return TheilSenFit{}, err
	}
	if n < 2 {
		return TheilSenFit{}, ErrTooFew
	}
	t, v := finitePoints(y)
	alpha := 1 - level
	if alpha > 0.5 {
		alpha = 1 - alpha
	}
	z := distuv.UnitNormal.Quantile(alpha / 2)
	fn := float64(n)
	sigma := math.Sqrt((fn*(fn-1)*(2*fn+5) - tieSum(v)) / 18)
	m := n * (n - 1) / 2
	nt := float64(m)
	upper := min(int(math.RoundToEven((nt-z*sigma)/2)), m-1)
	lower := max(int(math.RoundToEven((nt+z*sigma)/2))-1, 0)
	q := slopeOrderStatistics(t, v, []int{lower, upper, (m - 1) / 2, m / 2})
	fit := TheilSenFit{Slope: (q[2] + q[3]) / 2, N: n, Lower: q[0], Upper: q[1]}
	fit.Intercept = median(slices.Sorted(slices.Values(v))) - fit.Slope*median(t)
	return fit, nil
}

// SeasonalSen returns the seasonal Kendall slope of Hirsch, Slack and Smith
// (1982): the median, over the seasons s = 0, …, period−1, of all slopes
// (y_j − y_i)/(c_j − c_i) between two values i < j of the same season, c being
// the cycle number of a value, divided by period so that it is a slope per
// time step like TheilSen's (multiply by period for Hirsch's slope per cycle).
// y[0] is taken to be in season 0.
//
// NaN values are skipped. It returns ErrTooFew when no season has two
// values, ErrNotFinite for an infinite value; period < 1 panics. y is not
// modified.
func SeasonalSen(y []float64, period int) (float64, error) {
	if period < 1 {
		panic("trend: SeasonalSen period must be positive")
	}
	if _, err := countFinite(y); err != nil {
		return 0, err
	}
	var slopes []float64
	for s := range period {
		for j := s; j < len(y); j += period {
			if math.IsNaN(y[j]) {
				continue
			}
			for i := s; i < j; i += period {
				if !math.IsNaN(y[i]) {
					slopes = append(slopes, (y[j]-y[i])/float64((j-i)/period))
				}
			}
		}
	}
	if len(slopes) == 0 {
		return 0, ErrTooFew
	}
	slices.Sort(slopes)
	return median(slopes) / float64(period), nil
}

// finitePoints returns the time indices and values of the non-NaN values.
func finitePoints(y []float64) (t, v []float64) {
	t = make([]float64, 0, len(y))
	v = make([]float64, 0, len(y))
	for i, x := range y {
		if !math.IsNaN(x) {
			t = append(t, float64(i))
			v = append(v, x)
		}
	}
	return t, v
}

// median of sorted values (the mean of the two middle ones for an even
// count).
func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// tieSum returns Σ t(t−1)(2t+5) over the groups of equal values in v.
func tieSum(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	sum := 0.0
	for i := 0; i < len(s); {
		j := i + 1
		for j < len(s) && s[j] == s[i] {
			j++
		}
		t := float64(j - i)
		sum += t * (t - 1) * (2*t + 5)
		i = j
	}
	return sum
}
