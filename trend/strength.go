package trend

import "math"

// Strength returns the trend and seasonal strengths of a decomposition
// (Wang, Smith and Hyndman 2006, in the form of Hyndman and Athanasopoulos,
// Forecasting: Principles and Practice, §4.3):
//
//	F_T = max(0, 1 − Var(R) / Var(T + R)),
//	F_S = max(0, 1 − Var(R) / Var(S + R)),
//
// with T, S and R the trend, seasonal and remainder. Both lie in [0, 1]; near
// 1 means a strong trend or seasonality. A zero denominator gives 0. The
// components must have equal lengths (else Strength panics).
func Strength(d Decomposition) (trendStrength, seasonalStrength float64) {
	n := len(d.Remainder)
	if len(d.Trend) != n || len(d.Seasonal) != n {
		panic("trend: Strength of components of unequal lengths")
	}
	vr := variance(d.Remainder, nil)
	return strengthOf(vr, variance(d.Trend, d.Remainder)), strengthOf(vr, variance(d.Seasonal, d.Remainder))
}

// SeasonalStrengths returns the seasonal strength max(0, 1 − Var(R)/Var(S_k
// + R)) of each seasonal component of an MSTL decomposition — the heuristic
// by which forecast's nsdiffs(test = "seas") chooses seasonal differencing
// (it differences when the strength exceeds 0.64).
func SeasonalStrengths(d MultipleDecomposition) []float64 {
	vr := variance(d.Remainder, nil)
	out := make([]float64, len(d.Seasonal))
	for k, s := range d.Seasonal {
		out[k] = strengthOf(vr, variance(s, d.Remainder))
	}
	return out
}

func strengthOf(vr, v float64) float64 {
	if !(v > 0) {
		return 0
	}
	return math.Max(0, math.Min(1, 1-vr/v))
}

// variance returns the sample variance (divisor n−1) of a + b (of a alone
// when b is nil).
func variance(a, b []float64) float64 {
	n := len(a)
	if n < 2 {
		return 0
	}
	at := func(i int) float64 {
		if b == nil {
			return a[i]
		}
		return a[i] + b[i]
	}
	mean := 0.0
	for i := range n {
		mean += at(i)
	}
	mean /= float64(n)
	ss := 0.0
	for i := range n {
		d := at(i) - mean
		ss += d * d
	}
	return ss / float64(n-1)
}
