package arima

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// Fit estimates the model spec for the series y (NaN = missing) as R's stats::arima does,
// with cfg's method (default CSS-ML). The returned Model is immutable and safe for concurrent
// use. Fit does not modify y or spec.
//
// Errors: a series with too few non-missing values (*TooShortError, naming the length
// needed), ±Inf values (ErrNonFinite), a CSS start that is not stationary
// (ErrNonStationaryCSS), rank-deficient regressors (ErrRankDeficient). Misuse — negative
// orders, a seasonal order without a period, regressors or Fixed of the wrong length — panics.
//
// A constant series gives R's answer: the innovation variance is zero, the log-likelihood is
// +Inf, and a model with free ARMA coefficients fails as in R. Fix the coefficients (Spec.Fixed)
// to fit a constant series.
func Fit(y []float64, spec Spec, cfg Config) (*Model, error) {
	lay := spec.resolve(len(y))
	for _, v := range y {
		if math.IsInf(v, 0) {
			return nil, ErrNonFinite
		}
	}
	for _, col := range spec.Xreg {
		for _, v := range col {
			if math.IsInf(v, 0) {
				return nil, ErrNonFinite
			}
		}
	}
	n := len(y)
	yc := append([]float64(nil), y...)
	xreg := lay.regressors(spec, n, 0)
	missing := make([]bool, n)
	nonMissing := 0
	for t := range n {
		missing[t] = math.IsNaN(yc[t])
		for _, col := range xreg {
			if math.IsNaN(col[t]) {
				missing[t] = true
			}
		}
		if !missing[t] {
			nonMissing++
		}
	}
	fixed := make([]float64, lay.ncoef())
	for i := range fixed {
		fixed[i] = math.NaN()
	}
	if spec.Fixed != nil {
		copy(fixed, spec.Fixed)
	}
	nfree := 0
	for _, v := range fixed {
		if math.IsNaN(v) {
			nfree++
		}
	}
	method := cfg.Method
	if method == CSSML && (anyNaN(yc) || anyMissing(xreg)) {
		method = ML
	}
	ncond := 0
	if method != ML {
		ncond = lay.ndiff() + max(cfg.NCond, lay.p+lay.m*lay.sp)
	}
	need := lay.ndiff() + nfree + 1
	if method != ML {
		need = max(need, ncond+1)
	}
	if nonMissing < need || n == 0 {
		return nil, &TooShortError{Have: nonMissing, Need: need}
	}
	nUsed := nonMissing - lay.ndiff()

	pr := newProblem(yc, lay, nil, fixed, cfg.kappa())
	pr.ncond = ncond
	narma := lay.narma()
	trans := !cfg.NoTransform && nfree > 0
	for i := range lay.p {
		if !math.IsNaN(fixed[i]) {
			trans = false
		}
	}
	for i := range lay.sp {
		if !math.IsNaN(fixed[lay.p+lay.q+i]) {
			trans = false
		}
	}

	init := make([]float64, lay.ncoef())
	parscale := make([]float64, lay.ncoef())
	for i := range parscale {
		parscale[i] = 1
	}
	// Regressors: optionally rotate to orthogonal columns, then start from least squares on
	// the differenced data (R's arima).
	var rot *mat.Dense
	if len(xreg) > 0 {
		fixedReg := false
		for j := range xreg {
			if !math.IsNaN(fixed[narma+j]) {
				fixedReg = true
			}
		}
		if len(xreg) > 1 && !fixedReg {
			var err error
			xreg, rot, err = rotate(xreg, missing)
			if err != nil {
				return nil, err
			}
		}
		beta, ses, err := initialRegression(yc, xreg, lay)
		if err != nil {
			return nil, err
		}
		for j := range xreg {
			init[narma+j] = beta[j]
			parscale[narma+j] = 10 * ses[j]
			if !(parscale[narma+j] > 0) || math.IsInf(parscale[narma+j], 0) {
				parscale[narma+j] = 1
			}
		}
	}
	pr.xreg = xreg
	pr.trans = false

	freeInit := func() []float64 {
		x := make([]float64, len(pr.free))
		for i, j := range pr.free {
			x[i] = init[j]
		}
		return x
	}
	freeScale := make([]float64, len(pr.free))
	for i, j := range pr.free {
		freeScale[i] = parscale[j]
	}
	gradTol, maxIter := cfg.gradTol(), cfg.maxIter()
	hess := hessian
	if cfg.ranking {
		// The quick Hessian settles the usual case; a candidate it would reject (standard
		// errors that do not exist) gets R's Hessian before the verdict.
		hess = func(f func([]float64) float64, x, parscale []float64) []float64 {
			h := quickHessian(f, x, parscale)
			if v := invertScaled(h, len(x), 1); !positiveDiagonal(v, len(x)) {
				return hessian(f, x, parscale)
			}
			return h
		}
	}

	m := &Model{lay: lay, method: method, n: n, nobs: nUsed}
	coef := append([]float64(nil), fixed...)
	var vcov []float64
	var value float64
	if method == CSS {
		x, fx, _ := minimize(pr.cssObjective, freeInit(), freeScale, gradTol, maxIter, cfg.ranking)
		if x == nil && len(pr.free) > 0 {
			return nil, ErrDegenerate
		}
		value = fx
		if len(x) == 0 {
			value = pr.cssObjective(nil)
		}
		for i, j := range pr.free {
			coef[j] = x[i]
		}
		if len(x) > 0 {
			h := hess(pr.cssObjective, x, freeScale)
			vcov = invertScaled(h, len(x), float64(nUsed))
		}
		pr.setARMA(coef, false)
		adj := pr.adjusted(coef)
		resid := make([]float64, n)
		ssq, nu := pr.css(adj, resid)
		m.sigma2 = ssq / float64(nu)
		m.resid = resid
		if err := pr.ss.initialCovariance(pr.pn, pr.kappa); err != nil {
			// A non-stationary CSS estimate has no stationary covariance: start every state
			// diffuse instead, so the filter still gives the state to forecast from.
			clear(pr.pn)
			for i := range pr.ss.rd {
				pr.pn[i*pr.ss.rd+i] = pr.kappa
			}
		}
		pr.runFilter(adj, nil)
		m.stateOK = true
	} else {
		if method == CSSML {
			// The CSS estimate is only a starting point: a looser tolerance suffices.
			x, _, ok := minimize(pr.cssObjective, freeInit(), freeScale, max(gradTol, cssStartTol), maxIter, cfg.ranking)
			if x == nil && len(pr.free) > 0 {
				return nil, ErrDegenerate
			}
			if ok {
				for i, j := range pr.free {
					init[j] = x[i]
				}
			}
			if !isStationary(init[:lay.p]) || !isStationary(init[lay.p+lay.q:lay.p+lay.q+lay.sp]) {
				return nil, ErrNonStationaryCSS
			}
			pr.ncond = 0
		} else {
			if !isStationary(init[:lay.p]) || !isStationary(init[lay.p+lay.q:lay.p+lay.q+lay.sp]) {
				return nil, ErrNonStationary
			}
		}
		if trans {
			arToPACF(init[:lay.p], append([]float64(nil), init[:lay.p]...))
			s0 := lay.p + lay.q
			arToPACF(init[s0:s0+lay.sp], append([]float64(nil), init[s0:s0+lay.sp]...))
			copy(init[lay.p:lay.p+lay.q], invertMA(init[lay.p:lay.p+lay.q]))
			s1 := lay.p + lay.q + lay.sp
			copy(init[s1:narma], invertMA(init[s1:narma]))
		}
		pr.trans = trans
		pr.exact = !anyMissingValue(missing) && !cfg.KappaLikelihood
		x, fx, _ := minimize(pr.mlObjective, freeInit(), freeScale, gradTol, maxIter, cfg.ranking)
		if x == nil && len(pr.free) > 0 {
			return nil, ErrDegenerate
		}
		value = fx
		if len(x) == 0 {
			value = pr.mlObjective(nil)
		}
		for i, j := range pr.free {
			coef[j] = x[i]
		}
		if trans {
			changed := false
			if lay.q > 0 && allFree(fixed[lay.p:lay.p+lay.q]) {
				inv := invertMA(coef[lay.p : lay.p+lay.q])
				changed = changed || !equal(inv, coef[lay.p:lay.p+lay.q])
				copy(coef[lay.p:lay.p+lay.q], inv)
			}
			s1 := lay.p + lay.q + lay.sp
			if lay.sq > 0 && allFree(fixed[s1:narma]) {
				inv := invertMA(coef[s1:narma])
				changed = changed || !equal(inv, coef[s1:narma])
				copy(coef[s1:narma], inv)
			}
			if changed {
				for i, j := range pr.free {
					x[i] = coef[j]
				}
				value = pr.mlObjective(x)
			}
			if len(x) > 0 {
				h := hess(pr.mlObjective, x, freeScale)
				v := invertScaled(h, len(x), float64(nUsed))
				vcov = transformCovariance(v, coef, pr.free, lay)
			}
			undoTransform(coef, lay)
		} else if len(x) > 0 {
			h := hess(pr.mlObjective, x, freeScale)
			vcov = invertScaled(h, len(x), float64(nUsed))
		}
		if pr.exact {
			// Report R's large-κ likelihood at the estimate.
			pr.exact = false
			if len(x) > 0 {
				value = pr.mlObjective(x)
			} else {
				value = pr.mlObjective(nil)
			}
		}
		pr.trans = false
		pr.setARMA(coef, false)
		if err := pr.ss.initialCovariance(pr.pn, pr.kappa); err != nil {
			return nil, err
		}
		resid := make([]float64, n)
		sums := pr.runFilter(pr.adjusted(coef), resid)
		m.sigma2 = sums.ssq / float64(nUsed)
		m.resid = resid
		m.stateOK = true
	}
	if rot != nil {
		coef, vcov = unrotate(coef, vcov, rot, narma, pr.free)
	}
	m.coef = coef
	m.free = pr.free
	m.vcov = vcov
	m.names = lay.names
	twoPi := 2 * math.Pi
	nu := float64(nUsed)
	m.loglik = -0.5 * (2*nu*value + nu + nu*math.Log(twoPi))
	npar := float64(len(pr.free) + 1)
	if method != CSS {
		m.aic = -2*m.loglik + 2*npar
		m.bic = m.aic + npar*(math.Log(nu)-2)
		m.aicc = m.aic + 2*npar*(npar+1)/(nu-npar-1)
		if nu-npar-1 <= 0 {
			m.aicc = math.Inf(1)
		}
	} else {
		m.aic, m.bic, m.aicc = math.NaN(), math.NaN(), math.NaN()
	}
	m.phi = append([]float64(nil), pr.ss.phi...)
	m.theta = append([]float64(nil), pr.ss.theta...)
	m.delta = pr.ss.delta
	m.a = append([]float64(nil), pr.st.a...)
	m.p = append([]float64(nil), pr.st.p...)
	m.ss = m.newStateSpaceOf()
	if !m.stateOK {
		m.a = make([]float64, pr.ss.rd)
		m.p = make([]float64, pr.ss.rd*pr.ss.rd)
	}
	return m, nil
}

// cssStartTol is the gradient tolerance of the CSS start of CSS-ML.
const cssStartTol = 1e-4

func anyMissingValue(missing []bool) bool {
	for _, m := range missing {
		if m {
			return true
		}
	}
	return false
}

func anyMissing(cols [][]float64) bool {
	for _, c := range cols {
		if anyNaN(c) {
			return true
		}
	}
	return false
}

func allFree(x []float64) bool {
	for _, v := range x {
		if !math.IsNaN(v) {
			return false
		}
	}
	return true
}

func equal(a, b []float64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
