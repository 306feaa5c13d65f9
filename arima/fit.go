package arima

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// problem holds one fit's data and scratch space; its objective functions are what the
// optimiser sees. It is used by one goroutine.
type problem struct {
	lay   layout
	y     []float64   // the series, copied
	xreg  [][]float64 // regression columns, possibly rotated
	fixed []float64   // full coefficient vector with NaN for free ones
	free  []int       // indices of the free coefficients
	trans bool        // optimise AR parts through the PACF transform
	kappa float64
	ncond int

	ss   *stateSpace
	pn   []float64
	st   filterState
	work *filterWork

	// exact selects the exactly diffuse likelihood for the optimiser: with no missing values
	// it is the likelihood of the differenced series under the ARMA model, the limit of R's
	// large-κ likelihood, evaluated on the smaller state space arma (r states, not r + d).
	exact      bool
	arma       *stateSpace
	armaPn     []float64
	chandra    *chandrasekharWork
	diffed     []float64
	diffedDone bool

	cssW, cssResid, cssRev []float64 // scratch of css
	thetaIdx               []int

	par, adj      []float64
	arBuf, sarBuf []float64
}

func newProblem(y []float64, lay layout, xreg [][]float64, fixed []float64, kappa float64) *problem {
	delta := differencingPolynomial(lay.d, lay.sd, lay.m)
	ss := newStateSpace(lay.fullP(), lay.fullQ(), delta)
	pr := &problem{
		lay: lay, y: y, xreg: xreg, fixed: fixed, kappa: kappa,
		ss:     ss,
		pn:     make([]float64, ss.rd*ss.rd),
		st:     filterState{a: make([]float64, ss.rd), p: make([]float64, ss.rd*ss.rd)},
		work:   newFilterWork(ss.rd),
		par:    make([]float64, lay.ncoef()),
		adj:    make([]float64, len(y)),
		arBuf:  make([]float64, lay.p),
		sarBuf: make([]float64, lay.sp),
	}
	for i, v := range fixed {
		if math.IsNaN(v) {
			pr.free = append(pr.free, i)
		}
	}
	pr.chandra = newChandrasekharWork(ss.r)
	if ss.d == 0 {
		pr.arma = ss
		pr.armaPn = pr.pn
	} else {
		a := newStateSpace(0, 0, nil)
		a.phi, a.theta, a.r, a.rd = ss.phi, ss.theta, ss.r, ss.r
		pr.arma = a
		pr.armaPn = make([]float64, a.rd*a.rd)
		pr.diffed = make([]float64, len(y)-ss.d)
	}
	return pr
}

// fill returns the full coefficient vector with the free ones set from x.
func (pr *problem) fill(x []float64) []float64 {
	copy(pr.par, pr.fixed)
	for i, j := range pr.free {
		pr.par[j] = x[i]
	}
	return pr.par
}

// setARMA expands par's ARMA coefficients into the state space, mapping the AR blocks through
// the PACF transform when trans is set (R's ARIMA_transPars).
func (pr *problem) setARMA(par []float64, trans bool) {
	l := pr.lay
	ar := par[:l.p]
	ma := par[l.p : l.p+l.q]
	sar := par[l.p+l.q : l.p+l.q+l.sp]
	sma := par[l.p+l.q+l.sp : l.narma()]
	if trans {
		pacfToAR(pr.arBuf, ar)
		pacfToAR(pr.sarBuf, sar)
		ar, sar = pr.arBuf, pr.sarBuf
	}
	expandARMA(pr.ss.phi, pr.ss.theta, ar, ma, sar, sma, l.m)
	pr.ss.refreshIndex()
}

// adjusted writes y − Xβ to pr.adj and returns it.
func (pr *problem) adjusted(par []float64) []float64 {
	if len(pr.xreg) == 0 {
		return pr.y // read-only for every caller
	}
	copy(pr.adj, pr.y)
	beta := par[pr.lay.narma():]
	for j, col := range pr.xreg {
		b := beta[j]
		for t, v := range col {
			pr.adj[t] -= b * v
		}
	}
	return pr.adj
}

// mlObjective is R's armafn: ½ (log(S/ν) + Σ log F_t / ν), the negative concentrated Gaussian
// log-likelihood per counted observation up to a constant.
func (pr *problem) mlObjective(x []float64) float64 {
	par := pr.fill(x)
	pr.setARMA(par, pr.trans)
	var sums filterSums
	if pr.exact {
		pr.arma.phiIdx = pr.ss.phiIdx
		if err := pr.arma.initialCovariance(pr.armaPn, 0); err != nil {
			return math.Inf(1)
		}
		sums = pr.arma.chandrasekhar(pr.differenced(par), pr.armaPn, pr.chandra)
	} else {
		if err := pr.ss.initialCovariance(pr.pn, pr.kappa); err != nil {
			return math.Inf(1)
		}
		sums = pr.runFilter(pr.adjusted(par), nil)
	}
	if sums.nu == 0 {
		return math.Inf(1)
	}
	s2 := sums.ssq / float64(sums.nu)
	return 0.5 * (math.Log(s2) + sums.sumlog/float64(sums.nu))
}

// differenced returns the regression-adjusted series differenced by δ; without regressors it
// is computed once.
func (pr *problem) differenced(par []float64) []float64 {
	x := pr.adjusted(par)
	d := pr.ss.delta
	if len(d) == 0 {
		return x
	}
	if pr.diffedDone && len(pr.xreg) == 0 {
		return pr.diffed
	}
	for t := range pr.diffed {
		v := x[t+len(d)]
		for _, k := range pr.ss.deltaIdx {
			v -= d[k] * x[t+len(d)-k-1]
		}
		pr.diffed[t] = v
	}
	pr.diffedDone = true
	return pr.diffed
}

// runFilter filters x from the initial state (after initialCovariance).
func (pr *problem) runFilter(x []float64, resid []float64) filterSums {
	clear(pr.st.a)
	pr.st.start = true
	return pr.ss.filter(x, &pr.st, pr.pn, pr.work, resid)
}

// cssObjective is R's armaCSS: ½ log(Σ e_t² / ν) over the conditional residuals.
func (pr *problem) cssObjective(x []float64) float64 {
	par := pr.fill(x)
	pr.setARMA(par, false)
	ssq, nu := pr.css(pr.adjusted(par), nil)
	if nu == 0 {
		return math.Inf(1)
	}
	return 0.5 * math.Log(ssq/float64(nu))
}

// css computes the conditional sum of squares of R's ARIMA_CSS: the series is differenced, the
// first ncond residuals are taken as zero, and e_t = w_t − Σ φ_j w_{t−j} − Σ θ_j e_{t−j}.
// Residuals that are NaN (from missing values) are not counted.
func (pr *problem) css(x []float64, resid []float64) (float64, int) {
	n := len(x)
	if len(pr.cssW) != n {
		pr.cssW = make([]float64, n)
		pr.cssResid = make([]float64, n)
	}
	w := pr.cssW
	copy(w, x)
	for range pr.lay.d {
		for t := n - 1; t > 0; t-- {
			w[t] -= w[t-1]
		}
	}
	m := pr.lay.m
	for range pr.lay.sd {
		for t := n - 1; t >= m; t-- {
			w[t] -= w[t-m]
		}
	}
	if resid == nil {
		resid = pr.cssResid
	}
	phi, theta := pr.ss.phi, pr.ss.theta
	ssq, nu := 0.0, 0
	ncond := pr.ncond
	for t := range min(ncond, n) {
		resid[t] = 0
	}
	// Two passes: the AR part u_t = w_t − Σ φ_j w_{t−j} has no recursion; the MA part
	// e_t = u_t − Σ θ_j e_{t−j} (over the residuals since ncond) is the only serial chain.
	p, q := len(phi), len(theta)
	if cap(pr.cssRev) < p {
		pr.cssRev = make([]float64, p)
	}
	phiRev := pr.cssRev[:p]
	for j, v := range phi {
		phiRev[p-1-j] = v
	}
	sparse := len(pr.ss.phiIdx)*4 < p
	for t := ncond; t < n; t++ {
		v := w[t]
		if sparse {
			for _, j := range pr.ss.phiIdx {
				v -= phi[j] * w[t-j-1]
			}
		} else {
			win := w[t-p : t]
			for j, c := range phiRev {
				v -= c * win[j]
			}
		}
		resid[t] = v
	}
	e := resid[ncond:n]
	switch {
	case q == 0:
	case q == 1:
		th, e1 := theta[0], 0.0
		for t, u := range e {
			v := u - th*e1
			e[t], e1 = v, v
		}
	case q == 2:
		th1, th2, e1, e2 := theta[0], theta[1], 0.0, 0.0
		for t, u := range e {
			v := u - th1*e1 - th2*e2
			e[t], e1, e2 = v, v, e1
		}
	default:
		thIdx := pr.thetaIdx[:0]
		for j, v := range theta {
			if v != 0 {
				thIdx = append(thIdx, j)
			}
		}
		pr.thetaIdx = thIdx
		for t := range e {
			v := e[t]
			for _, j := range thIdx {
				if j >= t {
					break
				}
				v -= theta[j] * e[t-j-1]
			}
			e[t] = v
		}
	}
	for _, v := range e {
		if v == v { // not NaN
			nu++
			ssq += v * v
		}
	}
	return ssq, nu
}

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

// positiveDiagonal reports whether every diagonal element of the k × k matrix v is positive.
func positiveDiagonal(v []float64, k int) bool {
	for i := range k {
		if !(v[i*k+i] > 0) {
			return false
		}
	}
	return true
}

// invertScaled returns (h·n)⁻¹ as a flat k × k matrix, or NaNs when h is singular.
func invertScaled(h []float64, k int, n float64) []float64 {
	a := mat.NewDense(k, k, nil)
	for i := range k {
		for j := range k {
			a.Set(i, j, h[i*k+j]*n)
		}
	}
	var inv mat.Dense
	out := make([]float64, k*k)
	if err := inv.Inverse(a); err != nil {
		for i := range out {
			out[i] = math.NaN()
		}
		return out
	}
	for i := range k {
		for j := range k {
			out[i*k+j] = inv.At(i, j)
		}
	}
	return out
}

// transformCovariance maps the covariance v of the free raw (PACF-transformed) parameters to
// the covariance of the AR coefficients by the delta method, Aᵀ v A with A the Jacobian of the
// transform by forward differences of step 1e-3 (R's ARIMA_Gradtrans).
func transformCovariance(v []float64, raw []float64, free []int, lay layout) []float64 {
	nc := len(raw)
	a := make([]float64, nc*nc) // a[i*nc+j] = ∂new_j/∂raw_i
	for i := range nc {
		a[i*nc+i] = 1
	}
	block := func(off, k int) {
		if k == 0 {
			return
		}
		w1 := append([]float64(nil), raw[off:off+k]...)
		w2 := make([]float64, k)
		w3 := make([]float64, k)
		pacfToAR(w2, w1)
		for i := range k {
			w1[i] += 1e-3
			pacfToAR(w3, w1)
			for j := range k {
				a[(off+i)*nc+off+j] = (w3[j] - w2[j]) / 1e-3
			}
			w1[i] -= 1e-3
		}
	}
	block(0, lay.p)
	block(lay.p+lay.q, lay.sp)
	k := len(free)
	out := make([]float64, k*k)
	for r := range k {
		for c := range k {
			s := 0.0
			for i := range k {
				ai := a[free[i]*nc+free[r]]
				if ai == 0 {
					continue
				}
				for j := range k {
					s += ai * v[i*k+j] * a[free[j]*nc+free[c]]
				}
			}
			out[r*k+c] = s
		}
	}
	return out
}

// undoTransform maps the raw AR blocks of coef to AR coefficients in place.
func undoTransform(coef []float64, lay layout) {
	ar := append([]float64(nil), coef[:lay.p]...)
	pacfToAR(coef[:lay.p], ar)
	s0 := lay.p + lay.q
	sar := append([]float64(nil), coef[s0:s0+lay.sp]...)
	pacfToAR(coef[s0:s0+lay.sp], sar)
}

// rotate replaces the regressors X by X V, where X = U S Vᵀ is the singular value decomposition
// of the complete rows (R's arima does this for conditioning when there are several free
// regressors). It returns the rotated columns and V.
func rotate(cols [][]float64, missing []bool) ([][]float64, *mat.Dense, error) {
	k := len(cols)
	var rows int
	for _, mis := range missing {
		if !mis {
			rows++
		}
	}
	if rows < k {
		return nil, nil, ErrRankDeficient
	}
	x := mat.NewDense(rows, k, nil)
	r := 0
	for t, mis := range missing {
		if mis {
			continue
		}
		for j := range k {
			x.Set(r, j, cols[j][t])
		}
		r++
	}
	var svd mat.SVD
	if !svd.Factorize(x, mat.SVDThin) {
		return nil, nil, ErrRankDeficient
	}
	var v mat.Dense
	svd.VTo(&v)
	n := len(cols[0])
	out := make([][]float64, k)
	for j := range k {
		out[j] = make([]float64, n)
		for t := range n {
			s := 0.0
			for i := range k {
				s += cols[i][t] * v.At(i, j)
			}
			out[j][t] = s
		}
	}
	return out, &v, nil
}

// unrotate maps regression coefficients and their covariance back from the rotated basis.
func unrotate(coef, vcov []float64, v *mat.Dense, narma int, free []int) ([]float64, []float64) {
	k, _ := v.Dims()
	nc := len(coef)
	out := append([]float64(nil), coef...)
	for i := range k {
		s := 0.0
		for j := range k {
			s += v.At(i, j) * coef[narma+j]
		}
		out[narma+i] = s
	}
	if vcov == nil {
		return out, nil
	}
	a := make([]float64, nc*nc)
	for i := range nc {
		a[i*nc+i] = 1
	}
	for i := range k {
		for j := range k {
			a[(narma+i)*nc+narma+j] = v.At(i, j)
		}
	}
	f := len(free)
	res := make([]float64, f*f)
	for r := range f {
		for c := range f {
			s := 0.0
			for i := range f {
				ai := a[free[r]*nc+free[i]]
				if ai == 0 {
					continue
				}
				for j := range f {
					s += ai * vcov[i*f+j] * a[free[c]*nc+free[j]]
				}
			}
			res[r*f+c] = s
		}
	}
	return out, res
}

// initialRegression is R's starting point for the regression coefficients: least squares of
// the differenced series on the differenced regressors (complete rows only), falling back to
// the undifferenced data when the differenced regressors are all zero. It returns the
// coefficients and their standard errors.
func initialRegression(y []float64, cols [][]float64, lay layout) ([]float64, []float64, error) {
	diff := func(x []float64) []float64 {
		w := append([]float64(nil), x...)
		for range lay.d {
			w = diffLag(w, 1)
		}
		if lay.m > 1 {
			for range lay.sd {
				w = diffLag(w, lay.m)
			}
		}
		return w
	}
	dy := diff(y)
	dcols := make([][]float64, len(cols))
	allZero := true
	for j, c := range cols {
		dcols[j] = diff(c)
		for _, v := range dcols[j] {
			if v != 0 && !math.IsNaN(v) {
				allZero = false
			}
		}
	}
	if len(dy) > len(cols) && !allZero {
		if beta, se, ok := leastSquares(dy, dcols); ok {
			return beta, se, nil
		}
	}
	beta, se, ok := leastSquares(y, cols)
	if !ok {
		return nil, nil, ErrRankDeficient
	}
	return beta, se, nil
}

func diffLag(x []float64, lag int) []float64 {
	if len(x) <= lag {
		return nil
	}
	out := make([]float64, len(x)-lag)
	for i := range out {
		out[i] = x[i+lag] - x[i]
	}
	return out
}

// leastSquares regresses y on cols (no intercept) over the complete rows and returns the
// coefficients and their standard errors; ok is false when the design is rank deficient.
func leastSquares(y []float64, cols [][]float64) (beta, se []float64, ok bool) {
	k := len(cols)
	var rows []int
	for t := range y {
		good := !math.IsNaN(y[t])
		for _, c := range cols {
			if math.IsNaN(c[t]) {
				good = false
			}
		}
		if good {
			rows = append(rows, t)
		}
	}
	if len(rows) < k || k == 0 {
		return nil, nil, false
	}
	x := mat.NewDense(len(rows), k, nil)
	yv := mat.NewVecDense(len(rows), nil)
	for i, t := range rows {
		for j := range k {
			x.Set(i, j, cols[j][t])
		}
		yv.SetVec(i, y[t])
	}
	var xtx mat.SymDense
	xtx.SymOuterK(1, x.T())
	var chol mat.Cholesky
	if !chol.Factorize(&xtx) {
		return nil, nil, false
	}
	var xty mat.VecDense
	xty.MulVec(x.T(), yv)
	var b mat.VecDense
	if err := chol.SolveVecTo(&b, &xty); err != nil {
		return nil, nil, false
	}
	var fit mat.VecDense
	fit.MulVec(x, &b)
	rss := 0.0
	for i := range rows {
		e := yv.AtVec(i) - fit.AtVec(i)
		rss += e * e
	}
	dof := float64(len(rows) - k)
	s2 := math.NaN()
	if dof > 0 {
		s2 = rss / dof
	}
	var inv mat.SymDense
	if err := chol.InverseTo(&inv); err != nil {
		return nil, nil, false
	}
	beta = make([]float64, k)
	se = make([]float64, k)
	for j := range k {
		beta[j] = b.AtVec(j)
		se[j] = math.Sqrt(inv.At(j, j) * s2)
	}
	return beta, se, true
}
