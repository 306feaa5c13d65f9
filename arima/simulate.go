package arima

import (
	"math"
	"math/rand/v2"
)

// Simulate returns n values of the process described by spec (orders, mean/drift/regressors
// ignored except as documented below) with coefficients coef in the order of Model.Names and
// innovation variance sigma2, drawn from rng. The ARMA part starts from its stationary
// distribution by a burn-in of 100 + 10·(p + mP + q + mQ) steps; the differencing is
// integrated from zero. An intercept coefficient, if spec.Mean, is added to the ARMA part and
// a drift coefficient, if spec.Drift, multiplies the time index 1…n. It panics when coef has
// the wrong length, the spec has regressors, n is negative, or sigma2 is negative or NaN.
func Simulate(spec Spec, coef []float64, sigma2 float64, n int, rng *rand.Rand) []float64 {
	if len(spec.Xreg) > 0 {
		panic("arima: Simulate does not take regressors")
	}
	if n < 0 || !(sigma2 >= 0) {
		panic("arima: Simulate: negative n, or a negative or NaN sigma2")
	}
	lay := spec.resolve(n)
	if len(coef) != lay.ncoef() {
		panic("arima: Simulate: coef has the wrong length")
	}
	P, Q := lay.fullP(), lay.fullQ()
	phi := make([]float64, P)
	theta := make([]float64, Q)
	expandARMA(phi, theta, coef[:lay.p], coef[lay.p:lay.p+lay.q], coef[lay.p+lay.q:lay.p+lay.q+lay.sp], coef[lay.p+lay.q+lay.sp:lay.narma()], lay.m)
	burn := 100 + 10*(P+Q)
	total := burn + n
	w := make([]float64, total)
	e := make([]float64, total)
	sd := math.Sqrt(sigma2)
	for t := range total {
		e[t] = sd * rng.NormFloat64()
		v := e[t]
		for i := 0; i < P && i < t; i++ {
			v += phi[i] * w[t-i-1]
		}
		for i := 0; i < Q && i < t; i++ {
			v += theta[i] * e[t-i-1]
		}
		w[t] = v
	}
	out := append([]float64(nil), w[burn:]...)
	reg := coef[lay.narma():]
	k := 0
	if lay.mean {
		for t := range out {
			out[t] += reg[k]
		}
		k++
	}
	// Integrate: apply the inverse of (1−B)^d (1−B^m)^D starting from zeros.
	delta := differencingPolynomial(lay.d, lay.sd, lay.m)
	for t := range out {
		for i, dl := range delta {
			if t-i-1 >= 0 {
				out[t] += dl * out[t-i-1]
			}
		}
	}
	if lay.drift {
		for t := range out {
			out[t] += reg[k] * float64(t+1)
		}
	}
	return out
}
