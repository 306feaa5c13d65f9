package arima

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// Fit estimates the model spec for the series y (NaN = missing) as R's stats::arima does,
// with cfg's method (default CSS-ML). The returned Model is immutable and safe for concurrent
// use. Fit does not modify y or spec.
//
// Errors: a series with too few non-missing values (*TooShortError, naming the length
// needed), ±Inf values (ErrNonFinite), magnitudes whose squares overflow or underflow
// (ErrMagnitude), a CSS start that is not stationary
// (ErrNonStationaryCSS), rank-deficient regressors (ErrRankDeficient). Misuse — negative
// orders, a seasonal order without a period, regressors or Fixed of the wrong length — panics.
//
// A constant series gives R's answer: the innovation variance is zero and the log-likelihood
// +Inf. Without regressors, a model with a free coefficient that fits the series (differenced by
// d and D) exactly fails with ErrDegenerate: a free mean or drift of a constant (R stops), a free
// AR coefficient (it would run to a unit root), any free coefficient of a zero series. Fix the
// coefficients (Spec.Fixed) to fit such a series.
func Fit(y []float64, spec Spec, cfg Config) (*Model, error) {
	return fit(y, spec, cfg, nil)
}

// fit is Fit with the design of spec for y, when the caller has it (nil: built here).
func fit(y []float64, spec Spec, cfg Config, des *design) (*Model, error) {
	f, err := newFitting(y, spec, cfg, des)
	if err != nil {
		return nil, err
	}
	defer f.pr.release()
	var est estimate
	if f.method == CSS {
		est, err = f.estimateCSS()
	} else {
		est, err = f.estimateML()
	}
	if err != nil {
		return nil, err
	}
	return f.model(est), nil
}

// fitting is one Fit call between its steps: the resolved problem, the starting point and
// scale of the optimiser, and the settings derived from the spec and the data.
type fitting struct {
	lay    layout
	cfg    Config
	method Method // CSS-ML becomes ML with missing values
	n      int    // series length
	nUsed  int    // non-missing observations minus d + mD
	fixed  []float64
	// trans optimises the AR parts through the PACF transform: on unless turned off or an AR
	// coefficient is fixed.
	trans bool
	// missing marks the time steps where y or a regressor is NaN.
	missing []bool
	pr      *problem
	// init and parscale are the optimiser's start and scale for every coefficient (R's
	// init and parscale); freeScale is parscale of the free ones, and start holds their
	// starting values for the optimiser (freeStart).
	init, parscale, freeScale, start []float64
	// rot rotates several free regressors to orthogonal columns (nil when not rotated).
	rot  *mat.Dense
	hess func(f func([]float64) float64, x, parscale []float64) []float64
}

// estimate is the outcome of the optimisation: every coefficient, the covariance of the free
// ones, the optimiser's objective at the reported point, and the innovation variance,
// residuals and final filter state at the estimate (left in fitting.pr).
type estimate struct {
	coef, vcov []float64
	value      float64
	sigma2     float64
	resid      []float64
}

// newFitting validates the data, resolves the method, the coefficients to estimate and the
// number of observations used, and sets up the likelihood problem with its starting values.
// des is the design of spec for y when the caller has it (y then need not be checked or copied),
// else nil.
func newFitting(y []float64, spec Spec, cfg Config, des *design) (*fitting, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := checkLags(spec, len(y)); err != nil {
		return nil, err
	}
	lay := spec.resolve(len(y))
	fixed := fixedOf(spec, lay)
	if des == nil {
		if err := checkFinite(y, spec.Xreg); err != nil {
			return nil, err
		}
		des = newDesign(append([]float64(nil), y...), spec, lay, fixed)
	}
	n := len(y)
	nfree := 0
	for _, v := range fixed {
		if math.IsNaN(v) {
			nfree++
		}
	}
	method := cfg.Method
	if method == CSSML && des.anyMissing {
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
	if des.nonMissing < need || n == 0 {
		return nil, &TooShortError{Have: des.nonMissing, Need: need}
	}
	if len(des.xreg) == 0 && fitsExactly(des.w, lay, fixed) {
		// R stops for a free mean, and a free AR coefficient runs to a unit root with σ² ≈ 0
		// and meaningless standard errors.
		return nil, ErrDegenerate
	}
	if des.err != nil {
		return nil, des.err
	}
	f := &fitting{
		lay: lay, cfg: cfg, method: method, n: n, nUsed: des.nonMissing - lay.ndiff(),
		fixed: fixed, missing: des.missing, rot: des.rot,
		pr: newProblem(des.y, lay, des.xreg, fixed, cfg.kappa()),
	}
	f.pr.ncond = ncond
	f.trans = !cfg.NoTransform && nfree > 0 && allFree(fixed[:lay.p]) && allFree(fixed[lay.p+lay.q:lay.p+lay.q+lay.sp])
	nc, nf := lay.ncoef(), len(f.pr.free)
	buf := make([]float64, 2*nc+2*nf)
	f.init, f.parscale = buf[:nc:nc], buf[nc:2*nc:2*nc]
	f.freeScale, f.start = buf[2*nc:2*nc+nf:2*nc+nf], buf[2*nc+nf:]
	for i := range f.parscale {
		f.parscale[i] = 1
	}
	narma := lay.narma()
	copy(f.init[narma:], des.start)
	copy(f.parscale[narma:], des.scale)
	for i, j := range f.pr.free {
		f.freeScale[i] = f.parscale[j]
	}
	f.hess = hessian
	if cfg.ranking {
		f.hess = rankingHessian
	}
	return f, nil
}

// fixedOf returns every coefficient of the layout: the values of spec.Fixed, NaN for the free
// ones.
func fixedOf(spec Spec, lay layout) []float64 {
	fixed := make([]float64, lay.ncoef())
	for i := range fixed {
		fixed[i] = math.NaN()
	}
	if spec.Fixed != nil {
		copy(fixed, spec.Fixed)
	}
	return fixed
}

// design is what the fits of a series share whatever their ARMA orders, for given differences,
// regressors and fixed regression coefficients (Auto's candidates with or without the
// constant): the series, the regression columns, the missing time steps, and the regression
// coefficients' starting values and scales. It is read-only once built.
type design struct {
	y []float64 // the series (a copy the fits only read)
	// xreg holds the regression columns (intercept, drift, user), rotated when rot != nil.
	xreg       [][]float64
	rot        *mat.Dense
	missing    []bool // the time steps where y or a regressor is NaN
	nonMissing int
	anyMissing bool      // y or a regressor has a NaN
	w          []float64 // without regressors, y differenced d and D times (for fitsExactly)
	// start and scale are the regression coefficients' starting values and optimiser scales
	// (R's init and parscale); err is the start's failure, reported by the fits.
	start, scale []float64
	err          error
}

// newDesign builds the design of spec (layout lay, coefficients fixed) for the series y, which it
// keeps. The regression coefficients start as R's arima starts them: several free regressors
// are rotated to orthogonal columns for conditioning, and the coefficients start from least
// squares on the differenced data with a scale of ten standard errors.
func newDesign(y []float64, spec Spec, lay layout, fixed []float64) *design {
	xreg := lay.regressors(spec, len(y), 0)
	des := &design{y: y, xreg: xreg}
	des.missing, des.nonMissing = missingSteps(y, xreg)
	des.anyMissing = anyNaN(y) || anyMissing(xreg)
	if len(xreg) == 0 {
		des.w = diffN(diffSeasonal(y, lay.m, lay.sd), lay.d)
		return des
	}
	if len(xreg) > 1 && allFree(fixed[lay.narma():]) {
		if des.xreg, des.rot, des.err = rotate(xreg, des.missing); des.err != nil {
			return des
		}
	}
	beta, ses, err := initialRegression(y, des.xreg, lay)
	if err != nil {
		des.err = err
		return des
	}
	des.start, des.scale = beta, make([]float64, len(beta))
	for j, se := range ses {
		des.scale[j] = 10 * se
		if !(des.scale[j] > 0) || math.IsInf(des.scale[j], 0) {
			des.scale[j] = 1
		}
	}
	return des
}

// checkLags returns a TooShortError when a lag of the model reaches the length n of the series
// or beyond (the AR, MA or differencing polynomial of degree p + m·P, q + m·Q or d + m·D): no
// observation pairs with it, and its state would be allocated for nothing. Negative orders are
// left to resolve, which panics.
func checkLags(spec Spec, n int) error {
	o, so := spec.Order, spec.Seasonal
	orders := []int{o.P, o.D, o.Q, so.P, so.D, so.Q}
	if slices.Min(orders) < 0 || so.Period < 0 {
		return nil
	}
	m := 1
	if so.P+so.D+so.Q > 0 {
		m = so.Period
	}
	if slices.Max(orders) >= n || m >= n && so.P+so.D+so.Q > 0 {
		return &TooShortError{Have: n, Need: min(max(slices.Max(orders), m), math.MaxInt-1) + 1}
	}
	// Every factor is below n now, so the degrees cannot overflow.
	if lag := max(o.P+m*so.P, o.Q+m*so.Q, o.D+m*so.D); lag >= n {
		return &TooShortError{Have: n, Need: lag + 1}
	}
	return nil
}

// fitsExactly reports whether a free coefficient of the model fits the differenced series w
// exactly, leaving no innovation: w is constant (to rounding, over two observed values or more)
// and the model has a free mean or drift, a free AR coefficient (φ = 1 repeats any constant), or
// any free coefficient when the constant is 0. An MA-only model without a mean does not: it
// leaves a positive σ², as in R.
func fitsExactly(w []float64, lay layout, fixed []float64) bool {
	lo, hi, n := math.Inf(1), math.Inf(-1), 0
	for _, v := range w {
		if !math.IsNaN(v) {
			lo, hi, n = min(lo, v), max(hi, v), n+1
		}
	}
	if n < 2 || hi-lo > 1e-10*max(math.Abs(lo), math.Abs(hi)) {
		return false
	}
	free := func(from, to int) bool {
		for _, v := range fixed[from:to] {
			if math.IsNaN(v) {
				return true
			}
		}
		return false
	}
	narma := lay.narma()
	ar := free(0, lay.p) || free(lay.p+lay.q, lay.p+lay.q+lay.sp)
	constant := lay.mean || lay.drift
	return ar || (constant && free(narma, narma+btoi(lay.mean)+btoi(lay.drift))) ||
		(hi == 0 && lo == 0 && free(0, len(fixed)))
}

// checkFinite reports ErrNonFinite when the series or a regressor holds ±Inf, and ErrMagnitude
// when one holds a value beyond ±1e150 or lies entirely within ±1e-150 (not all zero).
func checkFinite(y []float64, xreg [][]float64) error {
	for _, col := range append([][]float64{y}, xreg...) {
		largest := 0.0
		for _, v := range col {
			if math.IsInf(v, 0) {
				return ErrNonFinite
			}
			if !math.IsNaN(v) {
				largest = max(largest, math.Abs(v))
			}
		}
		if largest > 1e150 || (largest > 0 && largest < 1e-150) {
			return ErrMagnitude
		}
	}
	return nil
}

// missingSteps marks the time steps where y or a regression column is NaN and counts the
// others.
func missingSteps(y []float64, xreg [][]float64) (missing []bool, nonMissing int) {
	missing = make([]bool, len(y))
	for t := range y {
		missing[t] = math.IsNaN(y[t])
		for _, col := range xreg {
			if math.IsNaN(col[t]) {
				missing[t] = true
			}
		}
		if !missing[t] {
			nonMissing++
		}
	}
	return missing, nonMissing
}

// rankingHessian is the Hessian of the automatic search's candidate fits: the quick Hessian
// settles the usual case, and a candidate it would reject (standard errors that do not exist)
// gets R's Hessian before the verdict.
func rankingHessian(f func([]float64) float64, x, parscale []float64) []float64 {
	h := quickHessian(f, x, parscale)
	if v := invertScaled(h, len(x), 1); !positiveDiagonal(v, len(x)) {
		return hessian(f, x, parscale)
	}
	return h
}

// freeStart returns the starting values of the free coefficients (in f.start, which the next
// call overwrites).
func (f *fitting) freeStart() []float64 {
	for i, j := range f.pr.free {
		f.start[i] = f.init[j]
	}
	return f.start
}

// coefWith returns every coefficient: the fixed ones and the free ones from x.
func (f *fitting) coefWith(x []float64) []float64 {
	coef := append([]float64(nil), f.fixed...)
	for i, j := range f.pr.free {
		coef[j] = x[i]
	}
	return coef
}

// covariance returns the covariance of the free coefficients at x from the Hessian of the
// objective per observation, as R's solve(hessian * n.used); nil without free coefficients.
func (f *fitting) covariance(obj func([]float64) float64, x []float64) []float64 {
	if len(x) == 0 {
		return nil
	}
	return invertScaled(f.hess(obj, x, f.freeScale), len(x), float64(f.nUsed))
}

// estimateCSS minimises the conditional sum of squares; σ² is the conditional one, and the
// Kalman filter is run at the estimate only to give the state to forecast from.
func (f *fitting) estimateCSS() (estimate, error) {
	pr, cfg := f.pr, f.cfg
	x, fx, _ := pr.opt.minimize(pr.cssObjective, f.freeStart(), f.freeScale, cfg.gradTol(), cfg.maxIter(), cfg.ranking)
	if x == nil && len(pr.free) > 0 {
		return estimate{}, ErrDegenerate
	}
	est := estimate{coef: f.coefWith(x), value: fx, vcov: f.covariance(pr.cssObjective, x)}
	if len(x) == 0 {
		est.value = pr.cssObjective(nil)
	}
	pr.setARMA(est.coef, false)
	est.resid = make([]float64, f.n)
	ssq, nu := pr.css(est.coef, est.resid)
	est.sigma2 = ssq / float64(nu)
	if err := pr.ss.initialCovariance(pr.pn, pr.kappa); err != nil {
		// A non-stationary CSS estimate has no stationary covariance: start every state
		// diffuse instead, so the filter still gives the state to forecast from.
		clear(pr.pn)
		for i := range pr.ss.rd {
			pr.pn[i*pr.ss.rd+i] = pr.kappa
		}
	}
	pr.runFilter(pr.adjusted(est.coef), nil)
	return est, nil
}

// estimateML maximises the exact likelihood (from the CSS estimate for CSS-ML), then reports
// R's large-κ likelihood, σ² and residuals at the estimate.
func (f *fitting) estimateML() (estimate, error) {
	pr, cfg, lay := f.pr, f.cfg, f.lay
	if f.method == CSSML {
		if err := f.startFromCSS(); err != nil {
			return estimate{}, err
		}
	} else if !f.startStationary() {
		return estimate{}, ErrNonStationary
	}
	if f.trans {
		f.transformStart()
	}
	pr.trans = f.trans
	pr.exact = !anyMissingValue(f.missing) && !cfg.KappaLikelihood
	x, fx, _ := pr.opt.minimize(pr.mlObjective, f.freeStart(), f.freeScale, cfg.gradTol(), cfg.maxIter(), cfg.ranking)
	if x == nil && len(pr.free) > 0 {
		return estimate{}, ErrDegenerate
	}
	est := estimate{coef: f.coefWith(x), value: fx}
	if len(x) == 0 {
		est.value = pr.mlObjective(nil)
	}
	if f.trans {
		f.invertibleEstimate(&est, x)
		undoTransform(est.coef, lay)
	} else {
		est.vcov = f.covariance(pr.mlObjective, x)
	}
	// The Kalman filter at the estimate gives the residuals, σ² and the final state and, when
	// the optimiser used the exactly diffuse likelihood, R's large-κ likelihood to report: the
	// filter mlObjective(x) would run on the inexact path is this one (est.coef holds x with
	// the AR parts mapped through the same transform).
	exact := pr.exact
	pr.trans, pr.exact = false, false
	pr.setARMA(est.coef, false)
	if err := pr.ss.initialCovariance(pr.pn, pr.kappa); err != nil {
		return estimate{}, err
	}
	est.resid = make([]float64, f.n)
	sums := pr.runFilter(pr.adjusted(est.coef), est.resid)
	if exact {
		est.value = mlValue(sums)
	}
	est.sigma2 = sums.ssq / float64(f.nUsed)
	return est, nil
}

// startFromCSS replaces the starting values by the CSS estimate (R's CSS-ML), at a looser
// tolerance since it is only a starting point; a non-stationary CSS estimate is an error, as
// in R.
func (f *fitting) startFromCSS() error {
	pr, cfg := f.pr, f.cfg
	x, _, ok := pr.opt.minimize(pr.cssObjective, f.freeStart(), f.freeScale, max(cfg.gradTol(), cssStartTol), cfg.maxIter(), cfg.ranking)
	if x == nil && len(pr.free) > 0 {
		return ErrDegenerate
	}
	if ok {
		for i, j := range pr.free {
			f.init[j] = x[i]
		}
	}
	if !f.startStationary() {
		return ErrNonStationaryCSS
	}
	pr.ncond = 0
	return nil
}

// startStationary reports whether the starting AR parts are stationary.
func (f *fitting) startStationary() bool {
	l := f.lay
	return isStationary(f.init[:l.p]) && isStationary(f.init[l.p+l.q:l.p+l.q+l.sp])
}

// transformStart maps the starting AR parts to partial autocorrelations and reflects the
// starting MA parts to invertibility (R's arima before optim).
func (f *fitting) transformStart() {
	l, init := f.lay, f.init
	arToPACF(init[:l.p], append([]float64(nil), init[:l.p]...))
	s0 := l.p + l.q
	arToPACF(init[s0:s0+l.sp], append([]float64(nil), init[s0:s0+l.sp]...))
	copy(init[l.p:l.p+l.q], invertMA(init[l.p:l.p+l.q]))
	s1 := l.p + l.q + l.sp
	copy(init[s1:l.narma()], invertMA(init[s1:l.narma()]))
}

// invertibleEstimate finishes an estimate found on the transformed scale, as R's arima:
// MA parts whose coefficients are all free are made invertible (re-evaluating the objective
// when that changed them), and the covariance is computed on the transformed scale and mapped
// through the Jacobian of the transform. est.coef stays on the transformed scale; x is updated.
func (f *fitting) invertibleEstimate(est *estimate, x []float64) {
	l, pr, coef := f.lay, f.pr, est.coef
	changed := false
	reflect := func(lo, hi int) {
		if hi > lo && allFree(f.fixed[lo:hi]) {
			inv := invertMA(coef[lo:hi])
			changed = changed || !equal(inv, coef[lo:hi])
			copy(coef[lo:hi], inv)
		}
	}
	reflect(l.p, l.p+l.q)
	reflect(l.p+l.q+l.sp, l.narma())
	if changed {
		for i, j := range pr.free {
			x[i] = coef[j]
		}
		est.value = pr.mlObjective(x)
	}
	if len(x) > 0 {
		v := f.covariance(pr.mlObjective, x)
		est.vcov = transformCovariance(v, coef, pr.free, l)
	}
}

// model assembles the fitted model: the regression coefficients rotated back, R's
// log-likelihood and criteria, and the final filter state for forecasting.
func (f *fitting) model(est estimate) *Model {
	pr, lay := f.pr, f.lay
	coef, vcov := est.coef, est.vcov
	if f.rot != nil {
		coef, vcov = unrotate(coef, vcov, f.rot, lay.narma(), pr.free)
	}
	m := &Model{
		lay: lay, method: f.method, n: f.n, nobs: f.nUsed,
		coef: coef, free: append([]int(nil), pr.free...), vcov: vcov, names: lay.names,
		sigma2: est.sigma2, resid: est.resid, stateOK: true,
	}
	nu := float64(f.nUsed)
	m.loglik = -0.5 * (2*nu*est.value + nu + nu*math.Log(2*math.Pi))
	npar := float64(len(pr.free) + 1)
	if f.method != CSS {
		m.aic = -2*m.loglik + 2*npar
		m.bic = m.aic + npar*(math.Log(nu)-2)
		m.aicc = m.aic + 2*npar*(npar+1)/(nu-npar-1)
		if nu-npar-1 <= 0 {
			m.aicc = math.Inf(1)
		}
	} else {
		m.aic, m.bic, m.aicc = math.NaN(), math.NaN(), math.NaN()
	}
	// The polynomials and the final state, copied into one array.
	buf := make([]float64, 0, len(pr.ss.phi)+len(pr.ss.theta)+len(pr.st.a)+len(pr.st.p))
	keep := func(v []float64) []float64 {
		if len(v) == 0 {
			return nil
		}
		n := len(buf)
		buf = append(buf, v...)
		return buf[n:len(buf):len(buf)]
	}
	m.phi, m.theta, m.a, m.p = keep(pr.ss.phi), keep(pr.ss.theta), keep(pr.st.a), keep(pr.st.p)
	m.delta = pr.ss.delta // allocated for this problem
	m.ss = m.newStateSpaceOf()
	return m
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
