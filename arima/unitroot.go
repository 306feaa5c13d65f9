package arima

import (
	"math"

	"github.com/stacklens/omen/internal/stl"
)

// KPSS returns the KPSS level-stationarity statistic of x (Kwiatkowski et al. 1992) as
// urca::ur.kpss(x, type = "mu", use.lag = lags): with e the deviations from the mean and S
// their partial sums, η = Σ S_t² / n² / s²(l), where s²(l) is the Bartlett-weighted long-run
// variance with l lags. Missing values are dropped first.
func KPSS(x []float64, lags int) float64 {
	y := dropNaN(x)
	n := len(y)
	if n == 0 {
		return math.NaN()
	}
	mean := 0.0
	for _, v := range y {
		mean += v
	}
	mean /= float64(n)
	e := make([]float64, n)
	s, num, s2 := 0.0, 0.0, 0.0
	for i, v := range y {
		e[i] = v - mean
		s += e[i]
		num += s * s
		s2 += e[i] * e[i]
	}
	nf := float64(n)
	num /= nf * nf
	s2 /= nf
	den := s2
	for l := 1; l <= lags && l < n; l++ {
		c := 0.0
		for t := l; t < n; t++ {
			c += e[t] * e[t-l]
		}
		den += 2 / nf * (1 - float64(l)/float64(lags+1)) * c
	}
	return num / den
}

// kpssCritical5 is the 5 % critical value of the KPSS level test (Kwiatkowski et al. 1992,
// Table 1). forecast's p-value interpolation is below 0.05 exactly when the statistic exceeds it.
const kpssCritical5 = 0.463

// NDiffs returns the number of first differences (at most maxD) needed to make x
// level-stationary by repeated KPSS tests at the 5 % level, as forecast::ndiffs(x) with its
// defaults: the lag truncation is ⌊3√n/13⌋, missing values are dropped, and a constant series
// needs none.
func NDiffs(x []float64, maxD int) int {
	y := dropNaN(x)
	if isConstant(y) {
		return 0
	}
	kpssDiff := func(v []float64) bool {
		return KPSS(v, int(3*math.Sqrt(float64(len(v)))/13)) > kpssCritical5
	}
	d := 0
	dodiff := kpssDiff(y)
	for dodiff && d < maxD {
		d++
		y = diffLag(y, 1)
		if len(y) == 0 || isConstant(y) {
			return d
		}
		dodiff = kpssDiff(y)
	}
	return d
}

// SeasonalStrength returns the strength of seasonality of x at period m (Wang, Smith &
// Hyndman 2006), as forecast's seas.heuristic: with an STL decomposition (s.window = 11,
// R's stl defaults otherwise) into seasonal S and remainder R,
// max(0, min(1, 1 − var(R)/var(R + S))). Missing values are filled by linear interpolation
// (forecast uses na.interp). It returns NaN when x has no more than two full periods.
func SeasonalStrength(x []float64, m int) float64 {
	y := interpolateNaN(x)
	if m < 2 || len(y) <= 2*m || y == nil {
		return math.NaN()
	}
	res, err := stl.Decompose(y, stl.Config{Period: m, SeasonalWindow: 11})
	if err != nil {
		return math.NaN()
	}
	sum := make([]float64, len(y))
	for i := range sum {
		sum[i] = res.Remainder[i] + res.Seasonal[i]
	}
	vr, vs := variance(res.Remainder), variance(sum)
	if vs == 0 {
		return 0
	}
	return math.Max(0, math.Min(1, 1-vr/vs))
}

// NSDiffs returns the number of seasonal differences (at most maxD) for period m by the
// seasonal-strength heuristic: difference while the strength exceeds 0.64, as
// forecast::nsdiffs(x) with its default test "seas". A constant series, or one no longer than
// m, needs none.
func NSDiffs(x []float64, m, maxD int) int {
	return seasonalDiffs(x, m, maxD, func(v []float64) bool {
		s := SeasonalStrength(v, m)
		return !math.IsNaN(s) && s > 0.64
	})
}

// seasonalDiffs is forecast::nsdiffs's loop: it counts the seasonal differences at lag m (at
// most maxD) taken while needDiff says the series still needs one. A constant series, or one no
// longer than m, needs none; a difference that leaves a constant series is the last, and a series
// shorter than two periods is not tested again.
func seasonalDiffs(x []float64, m, maxD int, needDiff func([]float64) bool) int {
	if isConstant(dropNaN(x)) || m >= len(x) || m < 2 {
		return 0
	}
	D, y := 0, x
	for D < maxD && (D == 0 || len(y) >= 2*m) && needDiff(y) {
		D++
		y = diffLag(y, m)
		if isConstant(dropNaN(y)) {
			break
		}
	}
	return D
}

// isConstant reports whether every value equals the first, to R's all.equal tolerance (mean
// relative difference below 1.5e-8), as forecast's is.constant. A NaN among numbers makes the
// series non-constant; an empty series is constant.
func isConstant(x []float64) bool {
	if len(x) == 0 {
		return true
	}
	x0 := x[0]
	sumDiff, sumAbs := 0.0, 0.0
	for _, v := range x {
		if math.IsNaN(v) != math.IsNaN(x0) {
			return false
		}
		if math.IsNaN(v) {
			continue
		}
		sumDiff += math.Abs(v - x0)
		sumAbs += math.Abs(v)
	}
	if sumAbs == 0 || math.IsInf(sumAbs, 0) {
		return sumDiff == 0
	}
	return sumDiff/sumAbs < 1.5e-8
}

func dropNaN(x []float64) []float64 {
	out := make([]float64, 0, len(x))
	for _, v := range x {
		if !math.IsNaN(v) {
			out = append(out, v)
		}
	}
	return out
}

// interpolateNaN fills interior NaNs linearly and edge NaNs with the nearest value; it
// returns nil for an all-NaN series.
func interpolateNaN(x []float64) []float64 {
	out := append([]float64(nil), x...)
	last := -1
	for i, v := range out {
		if math.IsNaN(v) {
			continue
		}
		if last == -1 {
			for j := range i {
				out[j] = v
			}
		} else if i-last > 1 {
			for j := last + 1; j < i; j++ {
				w := float64(j-last) / float64(i-last)
				out[j] = (1-w)*out[last] + w*v
			}
		}
		last = i
	}
	if last == -1 {
		return nil
	}
	for j := last + 1; j < len(out); j++ {
		out[j] = out[last]
	}
	return out
}

func variance(x []float64) float64 {
	if len(x) < 2 {
		return 0
	}
	mean := 0.0
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	s := 0.0
	for _, v := range x {
		s += (v - mean) * (v - mean)
	}
	return s / float64(len(x)-1)
}
