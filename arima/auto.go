package arima

import (
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"sort"
	"sync"
)

// IC is the information criterion that Auto minimises.
type IC int

const (
	AICc IC = iota // the default
	AIC
	BIC
)

// SeasonalTest chooses how Auto picks the number of seasonal differences.
type SeasonalTest int

const (
	// SeasonalStrengthTest differences when the STL seasonal strength exceeds 0.64 (the
	// default, forecast's "seas").
	SeasonalStrengthTest SeasonalTest = iota
	// OCSBTest uses the Osborn–Chui–Smith–Birchenhall test (forecast's "ocsb").
	OCSBTest
	// CHTest uses the Canova–Hansen test (forecast's "ch").
	CHTest
)

// Approximation selects whether Auto ranks models by the fast conditional-sum-of-squares
// approximation before refitting the best exactly.
type Approximation int

const (
	// ApproxAuto approximates when the series is longer than 150 or Period > 12, a non-seasonal
	// search included (forecast's rule).
	ApproxAuto Approximation = iota
	ApproxOn
	ApproxOff
)

// AutoConfig holds the settings of Auto. The zero value gives forecast::auto.arima's
// defaults for a series of frequency Period.
type AutoConfig struct {
	// Period is the seasonal period m (R's frequency); 0 or 1 means non-seasonal.
	Period int
	// Xreg holds optional external regressors, one slice of length len(y) per column: Auto
	// then selects a regression with ARIMA errors (auto.arima(y, xreg = …)). A NaN in a
	// regressor makes that time step missing.
	Xreg [][]float64
	// XregNames names the columns of Xreg, as Spec.XregNames.
	XregNames []string
	// NonSeasonal restricts the search to non-seasonal models (R's seasonal = FALSE).
	NonSeasonal bool
	// Stationary restricts the search to d = D = 0.
	Stationary bool
	// D and SD, when FixD and FixSD are set, fix the numbers of first and seasonal
	// differences instead of testing for them.
	D, SD       int
	FixD, FixSD bool
	// MaxP, MaxQ, MaxSP, MaxSQ and MaxOrder bound p, q, P, Q and (non-stepwise) p+q+P+Q;
	// zero means 5, 5, 2, 2, 5 and a negative value means 0. MaxD and MaxSD bound the
	// differences chosen by the tests; zero means 2 and 1.
	MaxP, MaxQ, MaxSP, MaxSQ, MaxOrder int
	MaxD, MaxSD                        int
	// SeasonalTest chooses the test for D (default: seasonal strength).
	SeasonalTest SeasonalTest
	// IC is the criterion minimised (default AICc).
	IC IC
	// Exhaustive searches every model within the bounds instead of stepping (R's
	// stepwise = FALSE), fitting on Workers goroutines.
	Exhaustive bool
	// Workers bounds the goroutines of the exhaustive search; 0 means GOMAXPROCS.
	Workers int
	// Approximation chooses the CSS approximation during the search (default: forecast's rule).
	Approximation Approximation
	// NModels bounds the number of models the stepwise search fits; 0 means 94.
	NModels int
	// NoDrift and NoMean forbid the drift and the mean (R's allowdrift/allowmean = FALSE).
	NoDrift, NoMean bool
	// Method is the estimation method of the exact fits (default CSS-ML).
	Method Method
	// Trace, when non-nil, receives one line per fitted candidate with its criterion, like
	// auto.arima(trace = TRUE).
	Trace io.Writer
}

// searchGradTol is the optimiser's gradient tolerance while ranking candidate models.
const searchGradTol = 1e-4

func orDefault(v, def int) int {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

// candidate is one model of the search.
type candidate struct {
	p, q, sp, sq int
	constant     bool
}

// searchResult is one fitted candidate and its criterion (+Inf when rejected).
type searchResult struct {
	c     candidate
	ic    float64
	model *Model
	// final marks a model fitted exactly at full precision, which needs no refit.
	final bool
}

// autoSearch holds what every candidate fit of one Auto call shares.
type autoSearch struct {
	y            []float64
	xreg         [][]float64 // user regressors, from the first non-missing y
	xregNames    []string
	d, sd, m     int
	ic           IC
	method       Method
	offset       float64
	trace        io.Writer
	serieslength int
	// constantAllowed is true when a mean (d + D = 0) or drift (d + D = 1) may be included.
	constantAllowed bool
	// designs are the candidates' designs without and with the constant (nil when it is not
	// allowed), built once for the whole search.
	designs [2]*design
}

// newDesigns builds the designs the candidates share (after s.d, s.sd, s.m and
// s.constantAllowed are set).
func (s *autoSearch) newDesigns() {
	for k := range btoi(s.constantAllowed) + 1 {
		spec := s.spec(candidate{constant: k == 1})
		lay := spec.resolve(len(s.y))
		s.designs[k] = newDesign(s.y, spec, lay, fixedOf(spec, lay))
	}
}

// Auto selects and fits a seasonal ARIMA model for y by the Hyndman–Khandakar algorithm, as
// forecast::auto.arima(ts(y, frequency = cfg.Period)) with its defaults:
//
//  1. Leading missing values are dropped. A constant series gets R's answer: a model with the
//     mean fixed at the value (or no mean when NoMean).
//  2. D is chosen by the seasonal strength of an STL decomposition (difference when it
//     exceeds 0.64; or by the OCSB or Canova–Hansen test, cfg.SeasonalTest) when the series is
//     longer than 2m; d by repeated KPSS tests at 5 %. With regressors the tests see the
//     residuals of the least-squares regression of y on a constant and the non-constant
//     regressors, and a difference that would make a regressor constant is not taken.
//  3. If the differenced series is constant, the matching pure differencing model is
//     returned. Otherwise models are ranked by AICc (or cfg.IC); with approximation (series
//     longer than 150 or Period > 12) they are fitted by CSS and the criterion uses the offset
//     −2 loglik − n log σ² of the (0,d,0)(0,D,0) fit.
//  4. The stepwise search starts from (2,d,2)(1,D,1), (0,d,0)(0,D,0), (1,d,0)(1,D,0) and
//     (0,d,1)(0,D,1) (with a constant when d + D ≤ 1), then moves to the best neighbour —
//     P±1, Q±1, both; p±1, q±1, both; toggling the constant — until none improves or 94
//     models have been fitted. A model whose AR or MA polynomial has a root of modulus below
//     1.01, or whose standard errors are not all finite, is rejected.
//  5. With approximation, the candidates are refitted exactly in the order of their
//     criterion until one fits.
//
// One departure from forecast: a series whose largest absolute value lies outside
// [10⁻³, 10⁶] is searched divided by a power of ten, and the chosen model fitted to the series
// itself (see autoScale): at such magnitudes R's Hessian check rejects every ARMA candidate.
//
// Every candidate, the approximation's offset fit and the final fit include the regressors
// of cfg.Xreg (regression with ARIMA errors, as forecast's auto.arima(y, xreg = X)).
//
// y and cfg.Xreg are not modified. Auto returns ErrNoModel when no model can be fitted, a
// *TooShortError for a series with no observations, ErrNonFinite for ±Inf, ErrRankDeficient
// for linearly dependent regressors, and an error for regressors of the wrong length or an
// unknown Method, IC, SeasonalTest or Approximation.
func Auto(y []float64, cfg AutoConfig) (*Model, error) {
	if (cfg.FixD && cfg.D < 0) || (cfg.FixSD && cfg.SD < 0) {
		return nil, fmt.Errorf("arima: fixed differences d = %d, D = %d; want 0 or more", cfg.D, cfg.SD)
	}
	if err := (Config{Method: cfg.Method}).validate(); err != nil {
		return nil, err
	}
	if cfg.IC < AICc || cfg.IC > BIC || cfg.SeasonalTest < SeasonalStrengthTest || cfg.SeasonalTest > CHTest ||
		cfg.Approximation < ApproxAuto || cfg.Approximation > ApproxOff {
		return nil, fmt.Errorf("arima: AutoConfig: unknown IC %d, SeasonalTest %d or Approximation %d", cfg.IC, cfg.SeasonalTest, cfg.Approximation)
	}
	x, xreg, serieslength, err := autoInput(y, cfg.Xreg)
	if err != nil {
		return nil, err
	}
	m := cfg.Period
	if cfg.NonSeasonal || m < 1 {
		m = 1
	}
	if isConstant(x) {
		spec := Spec{Mean: !cfg.NoMean}
		if spec.Mean {
			spec.Fixed = []float64{meanNaN(x)}
		}
		return Fit(x, spec, Config{Method: cfg.Method})
	}
	if scale := autoScale(x); scale != 1 {
		return autoRescaled(y, x, xreg, scale, cfg)
	}
	maxP := min(orDefault(cfg.MaxP, 5), serieslength/3)
	maxQ := min(orDefault(cfg.MaxQ, 5), serieslength/3)
	maxSP := min(orDefault(cfg.MaxSP, 2), serieslength/3/m)
	maxSQ := min(orDefault(cfg.MaxSQ, 2), serieslength/3/m)
	maxOrder := orDefault(cfg.MaxOrder, 5)
	ic := cfg.IC
	if serieslength <= 3 {
		ic = AIC
	}
	if m == 1 {
		maxSP, maxSQ = 0, 0
	}
	// The unit-root tests see the regression residuals xx and the non-constant regressors.
	xx, xtest, err := regressionResiduals(x, xreg)
	if err != nil {
		return nil, err
	}
	d, sd := cfg.differences(xx, xtest, m)
	if lag := differencingLag(d, sd, m); lag >= len(xx) { // differencing leaves nothing
		return nil, &TooShortError{Have: serieslength, Need: lag + 1}
	}
	dx := diffN(diffSeasonal(xx, m, sd), d)
	if len(dx) == 0 {
		return nil, &TooShortError{Have: serieslength, Need: serieslength + 1}
	}
	if isConstant(dx) {
		if len(xreg) > 0 {
			spec := Spec{Order: Order{D: d}, Seasonal: Seasonal{D: sd, Period: m}, Mean: true, Xreg: xreg, XregNames: cfg.XregNames}
			return Fit(x, spec, Config{Method: cfg.Method})
		}
		return constantDifferenced(x, dx, d, sd, m, cfg.Method)
	}
	if m > 1 {
		if maxSP > 0 {
			maxP = min(maxP, m-1)
		}
		if maxSQ > 0 {
			maxQ = min(maxQ, m-1)
		}
	}
	// forecast's rule reads the series' frequency, seasonal search or not.
	approx := cfg.Approximation == ApproxOn || (cfg.Approximation == ApproxAuto && (len(x) > 150 || cfg.Period > 12))
	s := &autoSearch{y: x, xreg: xreg, xregNames: cfg.XregNames, d: d, sd: sd, m: m, ic: ic, method: cfg.Method, serieslength: serieslength, trace: cfg.Trace}
	allowDrift := !cfg.NoDrift && d+sd == 1
	allowMean := !cfg.NoMean && d+sd == 0
	s.constantAllowed = allowDrift || allowMean
	s.newDesigns()
	if approx {
		base := Spec{Order: Order{D: d}, Seasonal: Seasonal{D: sd, Period: m}, Mean: true, Xreg: xreg, XregNames: cfg.XregNames}
		// Its regressors are the candidates' with the constant when that is a mean (nil when the
		// mean is not allowed: fit builds the design), else those without.
		des := s.designs[0]
		if d+sd == 0 {
			des = s.designs[1]
		}
		if m0, err := fit(x, base, Config{Method: cfg.Method}, des); err == nil {
			s.offset = -2*m0.LogLik() - float64(serieslength)*math.Log(m0.Sigma2())
		}
	}
	if cfg.Exhaustive {
		return s.exhaustive(maxP, maxQ, maxSP, maxSQ, maxOrder, allowDrift || allowMean, approx, cfg.Workers)
	}
	return s.stepwise(maxP, maxQ, maxSP, maxSQ, allowDrift || allowMean, approx, orDefault(cfg.NModels, 94))
}

// autoInput validates Auto's data and drops the leading missing values of y (and the
// regressors' values at those steps). It returns copies, and the number of non-missing values
// between the first and the last (forecast's serieslength).
// autoScale returns the power of ten that brings the largest absolute value of x into
// [1, 10) when it lies outside [10⁻³, 10⁶], else 1. Beyond that range the Hessian that checks a
// candidate's standard errors (R's optimHess, whose outer step is 10⁻³ in the coefficients' own
// units) is noise for a mean or drift of the series' magnitude, its standard errors come out
// NaN, and every ARMA candidate is rejected: forecast's auto.arima then picks white noise for a
// counter near 10⁹ (its issue 756).
func autoScale(x []float64) float64 {
	big := 0.0
	for _, v := range x {
		if !math.IsNaN(v) {
			big = max(big, math.Abs(v))
		}
	}
	if big == 0 || (big >= 1e-3 && big <= 1e6) {
		return 1
	}
	return math.Pow(10, math.Floor(math.Log10(big)))
}

// autoRescaled chooses the model of y (x once its leading missing values are dropped, with its
// regressors xreg) on y/scale, where the search is well conditioned, and fits the chosen model
// to x itself. ARIMA is equivariant under scaling — the ARMA coefficients are unchanged, the
// constant and the regressors' coefficients scale, and every candidate's criterion moves by
// the same amount — so the choice is the one the search would make in exact arithmetic.
func autoRescaled(y, x []float64, xreg [][]float64, scale float64, cfg AutoConfig) (*Model, error) {
	ys := make([]float64, len(y))
	for i, v := range y {
		ys[i] = v / scale
	}
	chosen, err := Auto(ys, cfg)
	if err != nil {
		return nil, err
	}
	spec := chosen.Spec()
	spec.Xreg, spec.XregNames = xreg, cfg.XregNames
	if spec.Fixed != nil {
		// A fixed constant (the mean or drift of a series whose differences are constant) was
		// chosen on y/scale: it scales, as every regression coefficient does; the ARMA ones do not.
		narma := chosen.lay.narma()
		for j := narma; j < len(spec.Fixed); j++ {
			spec.Fixed[j] *= scale
		}
	}
	return Fit(x, spec, Config{Method: cfg.Method})
}

func autoInput(y []float64, xregIn [][]float64) (x []float64, xreg [][]float64, serieslength int, err error) {
	for j, col := range xregIn {
		if len(col) != len(y) {
			return nil, nil, 0, fmt.Errorf("arima: Xreg column %d has length %d, y has %d", j+1, len(col), len(y))
		}
	}
	if err := checkFinite(y, xregIn); err != nil {
		return nil, nil, 0, err
	}
	first, last := -1, -1
	for i, v := range y {
		if !math.IsNaN(v) {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return nil, nil, 0, &TooShortError{Have: 0, Need: 1}
	}
	x = append([]float64(nil), y[first:]...)
	xreg = make([][]float64, len(xregIn))
	for j, col := range xregIn {
		xreg[j] = append([]float64(nil), col[first:]...)
	}
	for _, v := range y[first : last+1] {
		if !math.IsNaN(v) {
			serieslength++
		}
	}
	return x, xreg, serieslength, nil
}

// differences chooses the numbers of seasonal and first differences of the series xx (the
// regression residuals) as auto.arima: D by the seasonal test when the series is longer than
// 2m, then d by KPSS tests on the seasonally differenced series, each reduced by one when it
// would make one of the regressors xtest constant or leave no observations. Fixed,
// stationary and non-seasonal settings take precedence.
func (cfg AutoConfig) differences(xx []float64, xtest [][]float64, m int) (d, sd int) {
	d, sd = cfg.D, cfg.SD
	fixD, fixSD := cfg.FixD, cfg.FixSD
	if cfg.Stationary {
		d, sd, fixD, fixSD = 0, 0, true, true
	}
	switch {
	case m == 1:
		sd = 0
	case fixSD:
	case len(xx) <= 2*m:
		sd = 0
	default:
		maxSD := orDefault(cfg.MaxSD, 1)
		switch cfg.SeasonalTest {
		case OCSBTest:
			sd = NSDiffsOCSB(xx, m, maxSD)
		case CHTest:
			sd = NSDiffsCH(xx, m, maxSD)
		default:
			sd = NSDiffs(xx, m, maxSD)
		}
		if sd > 0 && anyConstant(xtest, func(c []float64) []float64 { return diffSeasonal(c, m, sd) }) {
			sd--
		}
		if sd > 0 && allNaN(diffSeasonal(xx, m, sd)) {
			sd--
		}
	}
	if fixD {
		return d, sd
	}
	dx := diffSeasonal(xx, m, sd)
	d = NDiffs(dx, orDefault(cfg.MaxD, 2))
	if d > 0 && anyConstant(xtest, func(c []float64) []float64 { return diffN(diffSeasonal(c, m, sd), d) }) {
		d--
	}
	if d > 0 && allNaN(diffN(dx, d)) {
		d--
	}
	return d, sd
}

// fit fits one candidate as forecast's myarima and returns its criterion, +Inf when the fit
// fails or is rejected. Candidates are fitted at the ranking tolerance; one that would be
// rejected for its standard errors is refitted at full precision before the verdict, since a
// nearly singular Hessian is sensitive to where the optimiser stopped.
func (s *autoSearch) fit(c candidate, approx bool) searchResult {
	res := s.fitUntraced(c, approx)
	s.traceResult(res)
	return res
}

// fitUntraced is fit without the trace line, for fits run in parallel.
func (s *autoSearch) fitUntraced(c candidate, approx bool) searchResult {
	res := s.fitWith(c, approx, true)
	if res.model != nil && math.IsInf(res.ic, 1) && !rootsRejected(res.model, c) {
		res = s.fitWith(c, approx, false)
	}
	return res
}

// traceResult writes a candidate's criterion to the trace, as auto.arima's trace = TRUE.
func (s *autoSearch) traceResult(res searchResult) {
	if s.trace != nil {
		fmt.Fprintf(s.trace, "%-44s: %.3f\n", s.label(res.c), res.ic)
	}
}

// spec returns the model of a candidate: its orders, the constant as a mean (d + D = 0) or
// a drift (d + D = 1), and the regressors.
func (s *autoSearch) spec(c candidate) Spec {
	return Spec{
		Order:     Order{c.p, s.d, c.q},
		Seasonal:  Seasonal{c.sp, s.sd, c.sq, s.m},
		Mean:      c.constant,
		Drift:     c.constant && s.d+s.sd == 1,
		Xreg:      s.xreg,
		XregNames: s.xregNames,
	}
}

// refit fits a candidate of the approximate search exactly at full precision (the fit the
// search returns when the candidate is accepted).
func (s *autoSearch) refit(c candidate) searchResult {
	res := s.fitWith(c, false, false)
	res.final = true
	if s.trace != nil {
		fmt.Fprintf(s.trace, "%-44s: %.3f\n", s.label(c), res.ic)
	}
	return res
}

func (s *autoSearch) fitWith(c candidate, approx, ranking bool) searchResult {
	spec := s.spec(c)
	// Models are only ranked here: a looser gradient tolerance changes the criterion by far
	// less than the differences that matter. The chosen model is refitted at full precision.
	cfg := Config{Method: s.method}
	if ranking {
		cfg.GradTol, cfg.ranking = searchGradTol, true
	}
	if approx {
		cfg.Method = CSS
	}
	res := searchResult{c: c, ic: math.Inf(1)}
	m, err := fit(s.y, spec, cfg, s.designs[btoi(c.constant)])
	if err != nil {
		return res
	}
	res.model = m
	nstar := float64(s.serieslength - s.d - s.sd*s.m)
	npar := float64(len(m.free) + 1)
	aic := m.aic
	if cfg.Method == CSS {
		aic = s.offset + nstar*math.Log(m.sigma2) + 2*npar
	}
	if math.IsNaN(aic) {
		return res
	}
	var v float64
	switch s.ic {
	case AIC:
		v = aic
	case BIC:
		v = aic + npar*(math.Log(nstar)-2)
	default:
		v = aic + 2*npar*(npar+1)/(nstar-npar-1)
		if nstar-npar-1 <= 0 {
			v = math.Inf(1)
		}
	}
	if math.IsNaN(v) || rootsRejected(m, c) || !standardErrorsExist(m) {
		return res
	}
	res.ic = v
	return res
}

// label names a candidate as forecast's arima.string: the seasonal part when it has terms,
// then "with drift" for a drift alone, "Regression with … errors" around user regressors,
// "with non-zero mean" or "with zero mean" (undifferenced) otherwise.
func (s *autoSearch) label(c candidate) string {
	l := fmt.Sprintf("ARIMA(%d,%d,%d)", c.p, s.d, c.q)
	if s.m > 1 && c.sp+s.sd+c.sq > 0 {
		l += fmt.Sprintf("(%d,%d,%d)[%d]", c.sp, s.sd, c.sq, s.m)
	}
	drift := c.constant && s.d+s.sd == 1
	switch {
	case len(s.xreg) > 0:
		l = "Regression with " + l + " errors"
	case drift:
		l += " with drift"
	case c.constant && s.d+s.sd == 0:
		l += " with non-zero mean"
	case s.d+s.sd == 0:
		l += " with zero mean"
	}
	return l
}

// rootsRejected applies forecast's root check: a root of the expanded AR or MA polynomial
// with modulus below 1.01.
func rootsRejected(m *Model, c candidate) bool {
	minroot := 2.0
	trim := func(v []float64) []float64 {
		last := 0
		for i, x := range v {
			if math.Abs(x) > 1e-8 {
				last = i + 1
			}
		}
		return v[:last]
	}
	if c.p+c.sp > 0 {
		if phi := trim(m.phi); len(phi) > 0 {
			minroot = math.Min(minroot, minRootModulus(phi, -1))
		}
	}
	if c.q+c.sq > 0 {
		if theta := trim(m.theta); len(theta) > 0 {
			minroot = math.Min(minroot, minRootModulus(theta, 1))
		}
	}
	return minroot < 1.01
}

// standardErrorsExist is forecast's checkarima: every variance is a number whose square root
// is not NaN.
func standardErrorsExist(m *Model) bool {
	k := len(m.free)
	for i := range k {
		if math.IsNaN(math.Sqrt(m.vcov[i*k+i])) {
			return false
		}
	}
	return true
}

func (s *autoSearch) stepwise(maxP, maxQ, maxSP, maxSQ int, constant, approx bool, nmodels int) (*Model, error) {
	startP, startQ, startSP, startSQ := 2, 2, 1, 1
	if len(s.y) < 10 {
		startP, startQ, startSP, startSQ = 1, 1, 0, 0
	}
	p, q := min(startP, maxP), min(startQ, maxQ)
	sp, sq := min(startSP, maxSP), min(startSQ, maxSQ)
	var results []searchResult
	tried := func(c candidate) bool {
		for _, r := range results {
			if r.c == c {
				return true
			}
		}
		return false
	}
	best := s.fit(candidate{p, q, sp, sq, constant}, approx)
	results = append(results, best)
	try := func(c candidate) bool { // fits c and reports whether it beat the best
		r := s.fit(c, approx)
		results = append(results, r)
		if r.ic < best.ic {
			best = r
			return true
		}
		return false
	}
	if try(candidate{0, 0, 0, 0, constant}) {
		p, q, sp, sq = 0, 0, 0, 0
	}
	if maxP > 0 || maxSP > 0 {
		c := candidate{btoi(maxP > 0), 0, btoi(s.m > 1 && maxSP > 0), 0, constant}
		if try(c) {
			p, sp, q, sq = c.p, c.sp, 0, 0
		}
	}
	if maxQ > 0 || maxSQ > 0 {
		c := candidate{0, btoi(maxQ > 0), 0, btoi(s.m > 1 && maxSQ > 0), constant}
		if try(c) {
			p, sp, q, sq = 0, 0, c.q, c.sq
		}
	}
	if constant {
		if try(candidate{0, 0, 0, 0, false}) {
			p, q, sp, sq = 0, 0, 0, 0
		}
	}
	type move struct {
		ok             func() bool
		dp, dq, dP, dQ int
		flip           bool
	}
	moves := []move{
		{func() bool { return sp > 0 }, 0, 0, -1, 0, false},
		{func() bool { return sq > 0 }, 0, 0, 0, -1, false},
		{func() bool { return sp < maxSP }, 0, 0, 1, 0, false},
		{func() bool { return sq < maxSQ }, 0, 0, 0, 1, false},
		{func() bool { return sq > 0 && sp > 0 }, 0, 0, -1, -1, false},
		{func() bool { return sq < maxSQ && sp > 0 }, 0, 0, -1, 1, false},
		{func() bool { return sq > 0 && sp < maxSP }, 0, 0, 1, -1, false},
		{func() bool { return sq < maxSQ && sp < maxSP }, 0, 0, 1, 1, false},
		{func() bool { return p > 0 }, -1, 0, 0, 0, false},
		{func() bool { return q > 0 }, 0, -1, 0, 0, false},
		{func() bool { return p < maxP }, 1, 0, 0, 0, false},
		{func() bool { return q < maxQ }, 0, 1, 0, 0, false},
		{func() bool { return q > 0 && p > 0 }, -1, -1, 0, 0, false},
		{func() bool { return q < maxQ && p > 0 }, -1, 1, 0, 0, false},
		{func() bool { return q > 0 && p < maxP }, 1, -1, 0, 0, false},
		{func() bool { return q < maxQ && p < maxP }, 1, 1, 0, 0, false},
		{func() bool { return s.constantAllowed }, 0, 0, 0, 0, true},
	}
	k := len(results)
	startk := 0
	for startk < k && k < nmodels {
		startk = k
		for _, mv := range moves {
			if !mv.ok() {
				continue
			}
			c := candidate{p + mv.dp, q + mv.dq, sp + mv.dP, sq + mv.dQ, constant != mv.flip}
			if tried(c) {
				continue
			}
			k++
			if k > nmodels {
				break
			}
			if try(c) {
				p, q, sp, sq, constant = c.p, c.q, c.sp, c.sq, c.constant
				break
			}
		}
	}
	if approx && best.model != nil {
		order := make([]int, len(results))
		for i := range order {
			order[i] = i
		}
		sort.SliceStable(order, func(a, b int) bool { return results[order[a]].ic < results[order[b]].ic })
		for _, i := range order {
			r := s.refit(results[i].c)
			if r.ic < math.Inf(1) {
				best = r
				break
			}
		}
	}
	return s.final(best)
}

// final refits the chosen model at full precision.
func (s *autoSearch) final(best searchResult) (*Model, error) {
	if best.model == nil || math.IsInf(best.ic, 1) {
		return nil, ErrNoModel
	}
	if best.final {
		return best.model, nil
	}
	m, err := fit(s.y, s.spec(best.c), Config{Method: s.method}, s.designs[btoi(best.c.constant)])
	if err != nil {
		return best.model, nil
	}
	return m, nil
}

func (s *autoSearch) exhaustive(maxP, maxQ, maxSP, maxSQ, maxOrder int, constant, approx bool, workers int) (*Model, error) {
	maxK := btoi(constant)
	var cands []candidate
	for i := 0; i <= maxP; i++ {
		for j := 0; j <= maxQ; j++ {
			for I := 0; I <= maxSP; I++ {
				for J := 0; J <= maxSQ; J++ {
					if i+j+I+J > maxOrder {
						continue
					}
					for K := 0; K <= maxK; K++ {
						cands = append(cands, candidate{i, j, I, J, K == 1})
					}
				}
			}
		}
	}
	results := s.fitAll(cands, approx, workers)
	best := searchResult{ic: math.Inf(1)}
	for _, r := range results {
		if r.ic < best.ic {
			best = r
		}
	}
	if best.model == nil {
		return nil, ErrNoModel
	}
	if approx {
		r := s.refit(best.c)
		if math.IsInf(r.ic, 1) {
			results = s.fitAll(cands, false, workers)
			r = searchResult{ic: math.Inf(1)}
			for _, x := range results {
				if x.ic < r.ic {
					r = x
				}
			}
		}
		best = r
	}
	return s.final(best)
}

// fitAll fits the candidates on a pool of goroutines; the results keep the candidates' order,
// so the choice does not depend on scheduling.
func (s *autoSearch) fitAll(cands []candidate, approx bool, workers int) []searchResult {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	results := make([]searchResult, len(cands))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, len(cands)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i] = s.fitUntraced(cands[i], approx)
			}
		}()
	}
	for i := range cands {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, r := range results { // in candidate order, whatever the workers
		s.traceResult(r)
	}
	return results
}

// differencingLag returns d + m·sd, the lag of the differencing polynomial, saturating at
// math.MaxInt/2 instead of overflowing.
func differencingLag(d, sd, m int) int {
	const most = math.MaxInt / 2
	if sd > 0 && m > most/sd {
		return most
	}
	return min(d, most) + min(m*sd, most) // each at most most: no overflow
}

// constantDifferenced returns forecast's model for a series whose differenced values are
// constant.
func constantDifferenced(x, dx []float64, d, sd, m int, method Method) (*Model, error) {
	cfg := Config{Method: method}
	spec := Spec{Order: Order{D: d}, Seasonal: Seasonal{D: sd, Period: m}}
	switch {
	case sd > 0 && d == 0:
		spec.Drift = true
		spec.Fixed = []float64{meanNaN(dx) / float64(m)}
	case sd > 0 && d > 0, d == 2:
	case d < 2:
		spec.Mean, spec.Drift = d == 0, d == 1
		spec.Fixed = []float64{meanNaN(dx)}
	default:
		return nil, errors.New("arima: the data follow a polynomial and are not suitable for ARIMA modelling")
	}
	return Fit(x, spec, cfg)
}

func meanNaN(x []float64) float64 {
	s, n := 0.0, 0
	for _, v := range x {
		if !math.IsNaN(v) {
			s += v
			n++
		}
	}
	return s / float64(n)
}

func allNaN(x []float64) bool {
	for _, v := range x {
		if !math.IsNaN(v) {
			return false
		}
	}
	return true
}

func diffSeasonal(x []float64, m, times int) []float64 {
	for range times {
		x = diffLag(x, m)
	}
	return x
}

func diffN(x []float64, times int) []float64 {
	for range times {
		x = diffLag(x, 1)
	}
	return x
}

// regressionResiduals returns what Auto's unit-root tests see, as auto.arima: with no
// regressors, or only constant ones, the series itself; otherwise the series with its values
// at the complete time steps replaced by the residuals of the least-squares regression on a
// constant and the non-constant regressors, which it also returns. Regressors that are
// numerically dependent together with the constant (smallest singular value below machine
// epsilon times their sum) give ErrRankDeficient.
func regressionResiduals(x []float64, xreg [][]float64) ([]float64, [][]float64, error) {
	var cols [][]float64
	for _, c := range xreg {
		if !isConstant(c) {
			cols = append(cols, c)
		}
	}
	if len(cols) == 0 {
		return x, nil, nil
	}
	ones := make([]float64, len(x))
	for i := range ones {
		ones[i] = 1
	}
	design := append([][]float64{ones}, cols...)
	if !wellConditioned(design) {
		return nil, nil, ErrRankDeficient
	}
	beta, _, ok := leastSquares(x, design)
	if !ok {
		return nil, nil, ErrRankDeficient
	}
	xx := append([]float64(nil), x...)
	for t := range xx {
		if math.IsNaN(xx[t]) {
			continue
		}
		fit := 0.0
		for j, c := range design {
			fit += beta[j] * c[t]
		}
		if !math.IsNaN(fit) {
			xx[t] -= fit
		}
	}
	return xx, cols, nil
}

// anyConstant reports whether transform makes any of the columns constant.
func anyConstant(cols [][]float64, transform func([]float64) []float64) bool {
	for _, c := range cols {
		if isConstant(transform(c)) {
			return true
		}
	}
	return false
}
