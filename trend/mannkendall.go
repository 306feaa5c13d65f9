package trend

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// MannKendallResult is the outcome of a Mann–Kendall trend test.
type MannKendallResult struct {
	// S = Σ_{i<j} sign(y_j − y_i): positive for an upward trend.
	S int
	// VarS is the variance of S under the null hypothesis of no trend, with
	// the tie correction (and, for HamedRao, the autocorrelation correction).
	VarS float64
	// Z is the continuity-corrected normal score (S−1)/√VarS for S > 0,
	// (S+1)/√VarS for S < 0 and 0 for S = 0; P its two-sided p-value.
	Z, P float64
	// Tau is Kendall's tau-a, S divided by the number of pairs compared.
	Tau float64
	// N is the effective number of values: NaN values are skipped.
	N int
	// Correction is Hamed and Rao's variance factor n/n* (1 for the other
	// tests).
	Correction float64
}

// MannKendall runs the Mann–Kendall test for a monotonic trend in y (Mann
// 1945, Kendall 1975) with the tie correction
//
//	Var S = [n(n−1)(2n+5) − Σ_ties t(t−1)(2t+5)] / 18,
//
// where t runs over the sizes of the groups of equal values. NaN values are
// skipped (N reports how many values remain). S is computed in O(n log n) by
// counting inversions with a merge sort. It returns ErrTooFew with fewer
// than two values and ErrNotFinite for an infinite value. A constant series
// has S = 0, VarS = 0, Z = 0 and P = 1. y is not modified.
//
// The statistics follow pymannkendall's original_test.
func MannKendall(y []float64) (MannKendallResult, error) {
	_, v, err := finiteValues(y)
	if err != nil {
		return MannKendallResult{}, err
	}
	if len(v) < 2 {
		return MannKendallResult{}, ErrTooFew
	}
	s, varS := kendallS(v)
	return newMannKendallResult(s, varS, len(v), pairs(len(v)), 1), nil
}

// HamedRaoConfig holds the settings of HamedRao.
type HamedRaoConfig struct {
	// MaxLag is the largest autocorrelation lag considered; zero means all
	// lags up to n−1.
	MaxLag int
	// Alpha is the level at which an autocorrelation is significant, |ρ_k| >
	// z_{1−α/2}/√n; zero means 0.05.
	Alpha float64
}

// HamedRao runs the Mann–Kendall test with the variance correction of Hamed
// and Rao (1998) for autocorrelated data. The series is detrended by its
// Theil–Sen slope, y_t − β·t; with ρ_k the autocorrelations of the ranks of
// the detrended values (ties get average ranks) that are significant at
// level Alpha,
//
//	n/n* = 1 + 2/(n(n−1)(n−2)) Σ_k (n−k)(n−k−1)(n−k−2) ρ_k,
//
// and Var S is multiplied by n/n* (reported as Correction). When estimation
// noise makes n/n* zero or negative no correction is applied.
//
// NaN values are skipped: the detrending uses the true time index, the
// autocorrelations the remaining values in order. The Theil–Sen slope and
// the autocorrelations take O(n²) time. It returns ErrTooFew with fewer than
// three values, ErrNotFinite for an infinite value; a negative MaxLag or an
// Alpha outside [0, 1) panics. y is not modified. The statistics follow
// pymannkendall's hamed_rao_modification_test.
func HamedRao(y []float64, cfg HamedRaoConfig) (MannKendallResult, error) {
	if cfg.MaxLag < 0 || !(cfg.Alpha >= 0 && cfg.Alpha < 1) {
		panic("trend: invalid HamedRaoConfig")
	}
	alpha := cfg.Alpha
	if alpha == 0 {
		alpha = 0.05
	}
	t, v, err := finiteValues(y)
	if err != nil {
		return MannKendallResult{}, err
	}
	n := len(v)
	if n < 3 {
		return MannKendallResult{}, ErrTooFew
	}
	s, varS := kendallS(v)

	sen, err := TheilSen(y, 0)
	if err != nil {
		return MannKendallResult{}, err
	}
	detrended := make([]float64, n)
	for i := range v {
		detrended[i] = v[i] - sen.Slope*t[i]
	}
	ranks := averageRanks(detrended)
	maxLag := n - 1
	if cfg.MaxLag > 0 {
		maxLag = min(cfg.MaxLag, n-1)
	}
	bound := distuv.UnitNormal.Quantile(1-alpha/2) / math.Sqrt(float64(n))
	acf := autocorrelations(ranks, maxLag)
	sum := 0.0
	for k := 1; k <= maxLag; k++ {
		if r := acf[k]; r > bound || r < -bound {
			fk := float64(n - k)
			sum += fk * (fk - 1) * (fk - 2) * r
		}
	}
	fn := float64(n)
	correction := 1 + 2/(fn*(fn-1)*(fn-2))*sum
	if !(correction > 0) {
		correction = 1
	}
	return newMannKendallResult(s, varS*correction, n, pairs(n), correction), nil
}

// SeasonalMannKendall runs the seasonal Kendall test of Hirsch, Slack and
// Smith (1982): the Mann–Kendall S and its tie-corrected variance are
// computed within each season s = 0, …, period−1 (y[0] is in season 0) and
// summed; Z and P come from the sums, Tau = S / Σ n_s(n_s−1)/2. NaN values are
// skipped. It returns ErrTooFew when no season has two values and
// ErrNotFinite for an infinite value; period < 1 panics. y is not modified.
// The statistics follow pymannkendall's seasonal_test.
func SeasonalMannKendall(y []float64, period int) (MannKendallResult, error) {
	if period < 1 {
		panic("trend: SeasonalMannKendall period must be positive")
	}
	if _, err := countFinite(y); err != nil {
		return MannKendallResult{}, err
	}
	var s, nPairs, n int
	var varS float64
	season := make([]float64, 0, len(y)/period+1)
	for j := range period {
		season = season[:0]
		for i := j; i < len(y); i += period {
			if !math.IsNaN(y[i]) {
				season = append(season, y[i])
			}
		}
		if len(season) < 2 {
			n += len(season)
			continue
		}
		ss, vs := kendallS(season)
		s += ss
		varS += vs
		nPairs += pairs(len(season))
		n += len(season)
	}
	if nPairs == 0 {
		return MannKendallResult{}, ErrTooFew
	}
	return newMannKendallResult(s, varS, n, nPairs, 1), nil
}

func newMannKendallResult(s int, varS float64, n, nPairs int, correction float64) MannKendallResult {
	r := MannKendallResult{S: s, VarS: varS, N: n, Tau: float64(s) / float64(nPairs), Correction: correction, P: 1}
	sd := math.Sqrt(varS)
	switch {
	case s > 0 && sd > 0:
		r.Z = float64(s-1) / sd
	case s < 0 && sd > 0:
		r.Z = float64(s+1) / sd
	}
	if r.Z != 0 {
		r.P = math.Erfc(math.Abs(r.Z) / math.Sqrt2)
	}
	return r
}

func pairs(n int) int { return n * (n - 1) / 2 }

// finiteValues returns the time indices and values of the non-NaN values of
// y, or ErrNotFinite.
func finiteValues(y []float64) (t, v []float64, err error) {
	if _, err := countFinite(y); err != nil {
		return nil, nil, err
	}
	t, v = finitePoints(y)
	return t, v, nil
}

// kendallS returns S = Σ_{i<j} sign(v_j − v_i) and its tie-corrected null
// variance. With Q the strict inversions (i < j, v_i > v_j), counted by a
// merge sort, and T the tied pairs, S = (pairs − Q − T) − Q.
func kendallS(v []float64) (s int, varS float64) {
	n := len(v)
	sorted := slices.Clone(v)
	q := countInversions(sorted, make([]float64, n))
	ties, tieTerm := 0, 0.0
	for i := 0; i < n; {
		j := i + 1
		for j < n && sorted[j] == sorted[i] {
			j++
		}
		t := j - i
		ties += pairs(t)
		ft := float64(t)
		tieTerm += ft * (ft - 1) * (2*ft + 5)
		i = j
	}
	s = pairs(n) - 2*q - ties
	fn := float64(n)
	return s, (fn*(fn-1)*(2*fn+5) - tieTerm) / 18
}

// countInversions sorts a in place (using buf, of the same length) and
// returns the number of pairs i < j with a[i] > a[j].
func countInversions(a, buf []float64) int {
	n := len(a)
	if n < 2 {
		return 0
	}
	if n <= 16 {
		inv := 0
		for i := 1; i < n; i++ {
			x, j := a[i], i
			for j > 0 && a[j-1] > x {
				a[j] = a[j-1]
				j--
			}
			inv += i - j
			a[j] = x
		}
		return inv
	}
	mid := n / 2
	inv := countInversions(a[:mid], buf[:mid]) + countInversions(a[mid:], buf[mid:])
	left := buf[:mid]
	copy(left, a[:mid])
	right := a[mid:]
	i, j, k := 0, 0, 0
	for i < len(left) && j < len(right) {
		if left[i] <= right[j] {
			a[k] = left[i]
			i++
		} else {
			a[k] = right[j]
			j++
			inv += len(left) - i
		}
		k++
	}
	copy(a[k:], left[i:])
	return inv
}

// averageRanks returns the 1-based ranks of v, ties sharing their average
// rank (scipy.stats.rankdata's default).
func averageRanks(v []float64) []float64 {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case v[a] < v[b]:
			return -1
		case v[a] > v[b]:
			return 1
		}
		return 0
	})
	ranks := make([]float64, len(v))
	for i := 0; i < len(idx); {
		j := i + 1
		for j < len(idx) && v[idx[j]] == v[idx[i]] {
			j++
		}
		r := float64(i+j+1) / 2 // mean of ranks i+1 … j
		for _, k := range idx[i:j] {
			ranks[k] = r
		}
		i = j
	}
	return ranks
}

// autocorrelations returns ρ_0 … ρ_maxLag of x with the biased estimator
// ρ_k = Σ_{t<n−k} (x_t − x̄)(x_{t+k} − x̄) / Σ (x_t − x̄)². A constant x has
// ρ_k = 0 for k ≥ 1.
func autocorrelations(x []float64, maxLag int) []float64 {
	n := len(x)
	mean := meanOf(x)
	d := make([]float64, n)
	for i, v := range x {
		d[i] = v - mean
	}
	acf := make([]float64, maxLag+1)
	c0 := 0.0
	for _, v := range d {
		c0 += v * v
	}
	if c0 == 0 {
		return acf
	}
	acf[0] = 1
	for k := 1; k <= maxLag; k++ {
		c := 0.0
		for t := 0; t+k < n; t++ {
			c += d[t] * d[t+k]
		}
		acf[k] = c / c0
	}
	return acf
}
