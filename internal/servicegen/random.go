package servicegen

import (
	"math"
	"math/rand/v2"
)

// ar1 is a stationary AR(1) noise process ε(t) = φ·ε(t−1) + √(1−φ²)·σ·η(t) whose innovations η
// are heavy-tailed: standard normal, scaled by 2.5 with probability 0.04.
type ar1 struct {
	phi, sigma float64
	state      float64
}

// next advances the process by one step, drawing exactly two variates from r.
func (a *ar1) next(r *rand.Rand) float64 {
	eta := r.NormFloat64()
	if r.Float64() < 0.04 {
		eta *= 2.5
	}
	a.state = a.phi*a.state + math.Sqrt(1-a.phi*a.phi)*a.sigma*eta
	return a.state
}

// uniform returns a uniform variate in the open interval (0, 1), drawing one word from r.
func uniform(r *rand.Rand) float64 {
	return (float64(r.Uint64()>>11) + 0.5) / (1 << 53)
}

// countQuantile returns the u-quantile of a Poisson count with mean lambda: exact by inversion
// of the distribution function for lambda < 50, the rounded normal approximation N(λ, λ) above.
// Drawing a count by inversion of one uniform keeps the number of draws independent of lambda,
// so incidents never shift the random sequence.
func countQuantile(lambda, u float64) int64 {
	if !(lambda > 0) {
		return 0
	}
	if lambda >= 50 {
		return max(0, int64(math.Round(lambda+math.Sqrt(lambda)*normalQuantile(u))))
	}
	p := math.Exp(-lambda)
	cdf := p
	var k int64
	for u > cdf && k < 1000 {
		k++
		p *= lambda / float64(k)
		cdf += p
	}
	return k
}

// binomialQuantile returns the u-quantile of a Binomial(n, p) count, approximated by a Poisson
// count of mean n·p when n·p < 50 and by the rounded normal N(np, np(1−p)) above, clamped to
// [0, n].
func binomialQuantile(n int64, p, u float64) int64 {
	p = min(max(p, 0), 1)
	mean := float64(n) * p
	var k int64
	if mean < 50 {
		k = countQuantile(mean, u)
	} else {
		k = int64(math.Round(mean + math.Sqrt(mean*(1-p))*normalQuantile(u)))
	}
	return min(max(k, 0), n)
}

// normalQuantile is the standard normal quantile function Φ⁻¹(u) = √2·erf⁻¹(2u − 1).
func normalQuantile(u float64) float64 { return math.Sqrt2 * math.Erfinv(2*u-1) }

// round rounds x to the given number of decimals.
func round(x float64, decimals int) float64 {
	s := math.Pow(10, float64(decimals))
	return math.Round(x*s) / s
}
