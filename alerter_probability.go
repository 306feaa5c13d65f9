package omen

import (
	"hash/fnv"
	"math"
	"time"

	"github.com/stacklens/omen/arima"
	"github.com/stacklens/omen/internal/randstream"
)

// forecastBreach is the distribution of the first crossing of a threshold by the forecast path.
type forecastBreach struct {
	Probability float64 // P(the path exceeds the threshold at some step of the horizon)
	// Median, Early and Late are the 50 %, 5 % and 95 % quantiles of the first crossing step
	// (1-based) given a crossing within the horizon.
	Median, Early, Late int
}

// forecastBreachOf estimates, by Monte Carlo over paths sample paths, the probability that the
// forecast path exceeds threshold at some step, and the distribution of the first such step.
// fc holds the means and the total standard errors, arimaSE the model's part of them, w the
// model's ψ-weights and ARMA form, and driftSE the standard error of the drift (see
// forecastDrift). Each path is
//
//	Y_h = mean_h + se_h · Σ_{j<h} ψ_j ε_{h−j} / √(Σ_{j<h} ψ_j²) + s·w_h·η,
//
// with ε iid N(0, 1) and one η ~ N(0, 1) per path, se_h the model's standard error, s the
// drift's and w_h its weights (forecastDriftWeights). It has exactly the forecast's marginal
// distributions and the model's correlation between steps (a step with no variance is its
// mean). The sums Σ_{j<h} ψ_j ε_{h−j} follow the model's ARMA recursion (see forecastWeights).
// A path draws η, then ε_1, ε_2, … up to its first crossing.
//
// It reports false, drawing nothing, when the union bound Σ_h P(Y_h > threshold) is below minP,
// and false when the estimate is below minP. The bound is loose (the steps are strongly
// correlated), so most draws are of probabilities well below minP: every breachCheckEvery
// paths a sequential test stops the draw when the crossings so far put the probability clearly
// below minP (breachClearlyBelow). A probability that is reported is always estimated from all
// the paths.
func forecastBreachOf(fc *arima.Forecast, arimaSE []float64, w forecastWeights, driftSE, threshold, minP float64, paths int, seed, stream uint64) (forecastBreach, bool) {
	h := len(fc.Mean)
	if !forecastUnionReaches(fc, threshold, minP) {
		return forecastBreach{}, false
	}
	// scale[i] turns the recursion's x_i into the model's part of the step's deviation.
	scale, common := make([]float64, h), forecastDriftWeights(w.Psi)
	ss := 0.0
	for i := range h {
		ss += w.Psi[i] * w.Psi[i]
		if se := arimaSE[i]; se > 0 && ss > 0 {
			scale[i] = se / math.Sqrt(ss)
		}
		common[i] *= driftSE
	}
	rng := randstream.New(seed, stream)
	eps, x := make([]float64, h), make([]float64, h)
	first := make([]int, h)
	crossed, drawn := 0, 0
	for drawn < paths {
		if drawn > 0 && drawn%breachCheckEvery == 0 && breachClearlyBelow(crossed, drawn, minP) {
			return forecastBreach{}, false
		}
		drawn++
		eta := rng.NormFloat64()
		for i := range h {
			eps[i] = rng.NormFloat64()
			x[i] = w.next(eps, x, i)
			if fc.Mean[i]+common[i]*eta+scale[i]*x[i] > threshold {
				first[i]++
				crossed++
				break
			}
		}
	}
	p := float64(crossed) / float64(drawn)
	if p < minP || crossed == 0 {
		return forecastBreach{}, false
	}
	quantile := func(q float64) int {
		need := q * float64(crossed)
		cum := 0
		for i, c := range first {
			cum += c
			if float64(cum) >= need {
				return i + 1
			}
		}
		return h
	}
	return forecastBreach{Probability: p, Median: quantile(0.5), Early: quantile(0.05), Late: quantile(0.95)}, true
}

// breachCheckEvery is the number of paths between the checks of the sequential stopping rule
// of forecastBreachOf, and breachStopZ the rule's margin in standard errors.
const (
	breachCheckEvery = 250
	breachStopZ      = 4
)

// breachClearlyBelow reports whether crossed crossings among n paths put the breach probability
// clearly below minP: the count falls short of n·minP by more than breachStopZ standard
// deviations of a count whose probability is minP, √(n·minP·(1−minP)). Were the probability
// minP or more, such a shortfall would happen with probability below 4·10⁻⁵ at each check.
func breachClearlyBelow(crossed, n int, minP float64) bool {
	fn := float64(n)
	return float64(crossed) < fn*minP-breachStopZ*math.Sqrt(fn*minP*(1-minP))
}

// forecastUnionReaches reports whether the union bound Σ_h P(Y_h > threshold) of the forecast
// reaches minP. The sum stops once it does; a step more than forecastFarZ standard errors below
// the threshold adds less than 10⁻¹⁸ and is not evaluated (most steps of most forecasts are far
// below every threshold, and each term costs an erfc).
func forecastUnionReaches(fc *arima.Forecast, threshold, minP float64) bool {
	union := 0.0
	for i, mean := range fc.Mean {
		se := fc.SE[i]
		if se > 0 && threshold-mean > forecastFarZ*se {
			continue
		}
		if union += forecastExceedance(mean, se, threshold); union >= minP {
			return true
		}
	}
	return false
}

// forecastFarZ is the distance to a threshold, in standard errors, beyond which a step's
// exceedance probability (below 1.1·10⁻¹⁹) is left out of the union bound.
const forecastFarZ = 9

// forecastExceedance returns P(Y > threshold) for Y ~ N(mean, se²); a zero se makes Y its mean.
func forecastExceedance(mean, se, threshold float64) float64 {
	if !(se > 0) {
		if mean > threshold {
			return 1
		}
		return 0
	}
	return 0.5 * math.Erfc((threshold-mean)/(se*math.Sqrt2))
}

// forecastStream returns the Monte Carlo stream number of a (service, metric, level, window):
// the 64-bit FNV-1a hash of the four.
func forecastStream(service, metric, level string, t time.Time) uint64 {
	h := fnv.New64a()
	for _, part := range []string{service, metric, level} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	var b [8]byte
	n := uint64(t.UnixNano())
	for i := range b {
		b[i] = byte(n >> (8 * i))
	}
	h.Write(b[:])
	return h.Sum64()
}
