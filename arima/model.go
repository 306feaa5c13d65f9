package arima

import (
	"math"
	"slices"
)

// Model is a fitted ARIMA model. It is immutable and safe for concurrent use; Update returns a
// new Model.
type Model struct {
	lay    layout
	method Method

	coef  []float64 // all coefficients, R's order
	names []string
	free  []int     // indices of the estimated coefficients
	vcov  []float64 // covariance of the free coefficients, len(free)²

	sigma2, loglik, aic, aicc, bic float64
	n, nobs                        int // series length absorbed, observations used
	resid                          []float64

	// Final Kalman state for forecasting: expanded polynomials, filtered state and covariance.
	phi, theta, delta []float64
	a, p              []float64
	stateOK           bool
	ss                *stateSpace // built from phi, theta, delta; read-only after construction
}

// Order returns the non-seasonal order (p, d, q).
func (m *Model) Order() Order { return Order{m.lay.p, m.lay.d, m.lay.q} }

// Seasonal returns the seasonal order (P, D, Q) and period m (1 for a non-seasonal model).
func (m *Model) Seasonal() Seasonal { return Seasonal{m.lay.sp, m.lay.sd, m.lay.sq, m.lay.m} }

// Method returns the estimation method used (CSS-ML becomes ML when the series has missing
// values, as in R).
func (m *Model) Method() Method { return m.method }

// Names returns the coefficient names in R's order: ar1…, ma1…, sar1…, sma1…, intercept,
// drift, then the regressors.
func (m *Model) Names() []string { return slices.Clone(m.names) }

// Coef returns the coefficients in the order of Names.
func (m *Model) Coef() []float64 { return slices.Clone(m.coef) }

// SE returns the standard errors of the coefficients in the order of Names, from the inverse
// Hessian of the log-likelihood as R computes it; a fixed coefficient has SE 0, as R prints it.
// A Hessian that is not positive definite gives NaN (R's NaNs).
func (m *Model) SE() []float64 {
	se := make([]float64, len(m.coef))
	k := len(m.free)
	for i, j := range m.free {
		se[j] = math.Sqrt(m.vcov[i*k+i])
	}
	return se
}

// Vcov returns the covariance matrix of the estimated (free) coefficients, row-major, with the
// indices of those coefficients in Names.
func (m *Model) Vcov() (cov []float64, free []int) {
	return slices.Clone(m.vcov), slices.Clone(m.free)
}

// Sigma2 returns the maximum-likelihood innovation variance σ² = Σ v_t²/F_t / nobs (the
// conditional one for CSS), as R's stats::arima.
func (m *Model) Sigma2() float64 { return m.sigma2 }

// Sigma2Adjusted returns forecast::Arima's innovation variance, Σ r_t² / (nobs − k + 1), where
// r_t are the standardized residuals and k the number of estimated coefficients plus one.
func (m *Model) Sigma2Adjusted() float64 {
	ss := 0.0
	for _, r := range m.resid {
		if !math.IsNaN(r) {
			ss += r * r
		}
	}
	npar := len(m.free) + 1
	return ss / float64(m.nobs-npar+1)
}

// LogLik returns the Gaussian log-likelihood (R's loglik; for CSS the conditional one).
func (m *Model) LogLik() float64 { return m.loglik }

// AIC returns −2 loglik + 2k with k the number of estimated coefficients plus one (NaN for CSS).
func (m *Model) AIC() float64 { return m.aic }

// AICc returns AIC + 2k(k+1)/(nobs − k − 1) (NaN for CSS).
func (m *Model) AICc() float64 { return m.aicc }

// BIC returns AIC + k(log nobs − 2) (NaN for CSS).
func (m *Model) BIC() float64 { return m.bic }

// NObs returns the number of observations used: non-missing values minus d + mD.
func (m *Model) NObs() int { return m.nobs }

// Len returns the number of time steps the model has absorbed (the fitted series and every
// Update).
func (m *Model) Len() int { return m.n }

// Residuals returns the standardized innovations of the fitted series, as R's residuals(fit):
// v_t/√F_t for ML (so their variance is σ²), the conditional residuals for CSS; NaN where y is
// missing.
func (m *Model) Residuals() []float64 { return slices.Clone(m.resid) }

// ARPolynomial returns the expanded AR coefficients φ of φ(B)Φ(B^m) = 1 − Σ φ_i B^i.
func (m *Model) ARPolynomial() []float64 { return slices.Clone(m.phi) }

// MAPolynomial returns the expanded MA coefficients θ of θ(B)Θ(B^m) = 1 + Σ θ_i B^i.
func (m *Model) MAPolynomial() []float64 { return slices.Clone(m.theta) }

// newStateSpaceOf builds a state space on the model's polynomials, which it shares: neither
// the model nor the state space changes them.
func (m *Model) newStateSpaceOf() *stateSpace {
	return m.stateSpaceIn(nil)
}

// stateSpaceIn is newStateSpaceOf reusing the scratch of ss (nil for new). The state space
// refers to m's polynomials: release it with forget before ss is reused for anything else.
func (m *Model) stateSpaceIn(ss *stateSpace) *stateSpace {
	ss = ss.reuse(0, 0, m.delta)
	ss.phi, ss.theta = m.phi, m.theta
	ss.r = stateDim(len(m.phi), len(m.theta))
	ss.rd = ss.r + ss.d
	ss.refreshIndex()
	return ss
}

// regressionAt returns β'x for the time step t (1-based, t > m.n), with the user regressors'
// values taken from xreg[j][i].
func (m *Model) regressionAt(t int, xreg [][]float64, i int) float64 {
	l := m.lay
	beta := m.coef[l.narma():]
	v := 0.0
	k := 0
	if l.mean {
		v += beta[k]
		k++
	}
	if l.drift {
		v += beta[k] * float64(t)
		k++
	}
	for j := range l.nxreg {
		v += beta[k+j] * xreg[j][i]
	}
	return v
}

// Spec returns the specification m was fitted with, without regressors: its orders, whether it
// has a mean or a drift, and the coefficients it held fixed (Fixed, NaN for the estimated ones;
// nil when every coefficient was estimated). Fitting it to a series (with the same regressors,
// when m has some) re-estimates the same model.
func (m *Model) Spec() Spec {
	spec := Spec{Order: m.Order(), Seasonal: m.Seasonal(), Mean: m.lay.mean, Drift: m.lay.drift}
	if len(m.free) < len(m.coef) {
		spec.Fixed = slices.Clone(m.coef)
		for _, j := range m.free {
			spec.Fixed[j] = math.NaN()
		}
	}
	return spec
}

// mustBeFitted panics on a zero Model, which has no state to forecast or update from.
func (m *Model) mustBeFitted() {
	if m.ss == nil {
		panic("arima: a Model not made by Fit, Auto or UnmarshalBinary")
	}
}
