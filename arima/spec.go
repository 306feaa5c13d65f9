package arima

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Order is the non-seasonal order (p, d, q): p autoregressive terms, d differences and q moving
// average terms.
type Order struct{ P, D, Q int }

// Seasonal is the seasonal order (P, D, Q) at period m (R's frequency). The zero value means no
// seasonal part; a period of 0 or 1 with P = D = Q = 0 is the same.
type Seasonal struct{ P, D, Q, Period int }

// Spec describes the model to fit: a multiplicative seasonal ARIMA (p,d,q)(P,D,Q)m for the
// regression errors of y on optional regressors,
//
//	y_t = β'x_t + u_t,  φ(B) Φ(B^m) (1−B)^d (1−B^m)^D u_t = θ(B) Θ(B^m) e_t,  e_t ~ N(0, σ²),
//
// with φ(B) = 1 − φ1 B − … − φp B^p and θ(B) = 1 + θ1 B + … + θq B^q (R's sign convention).
type Spec struct {
	Order    Order
	Seasonal Seasonal

	// Mean adds a constant regressor (R's intercept, the process mean when there are no other
	// regressors). As in R it is only fitted when d + D = 0 and ignored otherwise.
	Mean bool
	// Drift adds the regressor t = 1, 2, …, n (the time index), as forecast::Arima's
	// include.drift. It is ignored when d + D > 1, as in forecast.
	Drift bool

	// Xreg holds optional external regressors, one slice of length len(y) per column. A NaN
	// in a regressor makes that time step missing.
	Xreg [][]float64
	// XregNames names the columns of Xreg; missing names default to xreg1, xreg2, ….
	XregNames []string

	// Fixed, when non-nil, holds one value per coefficient in the order of Model.Names: a
	// number fixes that coefficient, NaN leaves it free (R's fixed). Fixing any AR coefficient
	// turns the stationarity transform off, as in R.
	Fixed []float64
}

// Method is the estimation method.
type Method int

const (
	// CSSML estimates by conditional sum of squares, then starts exact maximum likelihood from
	// that estimate (R's default "CSS-ML"). With missing values it is ML.
	CSSML Method = iota
	// ML is exact Gaussian maximum likelihood by the Kalman filter.
	ML
	// CSS minimises the conditional sum of squares.
	CSS
)

// String returns R's name of the method.
func (m Method) String() string {
	switch m {
	case CSSML:
		return "CSS-ML"
	case ML:
		return "ML"
	case CSS:
		return "CSS"
	}
	return "Method(" + strconv.Itoa(int(m)) + ")"
}

// ParseMethod parses R's method names ("CSS-ML", "ML", "CSS"), case-insensitively.
func ParseMethod(s string) (Method, error) {
	switch strings.ToUpper(s) {
	case "CSS-ML":
		return CSSML, nil
	case "ML":
		return ML, nil
	case "CSS":
		return CSS, nil
	}
	return 0, fmt.Errorf("arima: unknown method %q (want css-ml, ml or css)", s)
}

// Config holds the fitting settings. The zero value gives R's defaults.
type Config struct {
	// Method is the estimation method; the zero value is CSSML.
	Method Method
	// Kappa is the prior variance of the differencing states in units of σ² (R's kappa);
	// 0 means 1e6.
	Kappa float64
	// NoTransform turns off the partial-autocorrelation transform of the AR parts during ML
	// (R's transform.pars = FALSE).
	NoTransform bool
	// GradTol is the optimiser's stopping threshold on the largest absolute gradient of the
	// mean negative log-likelihood per observation; 0 means 1e-6.
	GradTol float64
	// MaxIter bounds the optimiser's iterations as a safety net; 0 means 1000.
	MaxIter int
	// KappaLikelihood makes the optimiser maximise R's likelihood with the differencing
	// states' prior variance Kappa instead of the exactly diffuse one (the likelihood of the
	// differenced series), which it uses by default when there are no missing values because
	// it is faster. Both report R's large-κ log-likelihood at the estimate; the estimates
	// differ by far less than their standard errors.
	KappaLikelihood bool
	// ranking marks the fits of the automatic search, which only rank models: they use a
	// cheaper Hessian to check that the standard errors exist.
	ranking bool
	// NCond is R's n.cond: the number of initial observations to condition on in CSS, at
	// least p + mP (the default).
	NCond int
}

// validate reports a setting out of its domain: an unknown Method, a Kappa or GradTol that is
// negative or not finite, a negative MaxIter or NCond.
func (c Config) validate() error {
	switch {
	case c.Method < CSSML || c.Method > CSS:
		return fmt.Errorf("arima: unknown Method %d", int(c.Method))
	case !(c.Kappa >= 0) || math.IsInf(c.Kappa, 0):
		return fmt.Errorf("arima: Kappa %v, want a finite positive variance (0 for the default)", c.Kappa)
	case !(c.GradTol >= 0) || math.IsInf(c.GradTol, 0):
		return fmt.Errorf("arima: GradTol %v, want a finite positive tolerance (0 for the default)", c.GradTol)
	case c.MaxIter < 0 || c.NCond < 0:
		return fmt.Errorf("arima: negative MaxIter %d or NCond %d", c.MaxIter, c.NCond)
	}
	return nil
}

func (c Config) kappa() float64 {
	if c.Kappa == 0 {
		return 1e6
	}
	return c.Kappa
}

func (c Config) gradTol() float64 {
	if c.GradTol == 0 {
		return 1e-6
	}
	return c.GradTol
}

func (c Config) maxIter() int {
	if c.MaxIter == 0 {
		return 1000
	}
	return c.MaxIter
}

// layout is the resolved coefficient layout of a Spec: R's order ar, ma, sar, sma, then the
// regressors (intercept, drift, user columns).
type layout struct {
	p, d, q       int
	sp, sd, sq, m int
	mean, drift   bool
	nxreg         int // user regressors
	names         []string
}

func (l layout) narma() int { return l.p + l.q + l.sp + l.sq }
func (l layout) nreg() int  { return btoi(l.mean) + btoi(l.drift) + l.nxreg }
func (l layout) ncoef() int { return l.narma() + l.nreg() }
func (l layout) ndiff() int { return l.d + l.sd*l.m }
func (l layout) fullP() int { return l.p + l.m*l.sp }
func (l layout) fullQ() int { return l.q + l.m*l.sq }

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// resolve validates the spec for a series of length n and returns its layout. Misuse (negative
// orders, wrong regressor lengths) panics.
func (s Spec) resolve(n int) layout {
	o, so := s.Order, s.Seasonal
	if o.P < 0 || o.D < 0 || o.Q < 0 || so.P < 0 || so.D < 0 || so.Q < 0 || so.Period < 0 {
		panic(fmt.Sprintf("arima: negative order (%d,%d,%d)(%d,%d,%d)[%d]", o.P, o.D, o.Q, so.P, so.D, so.Q, so.Period))
	}
	m := so.Period
	if so.P+so.D+so.Q > 0 && m < 1 {
		panic("arima: a seasonal order needs a period m ≥ 1")
	}
	if so.P+so.D+so.Q == 0 {
		m = max(m, 1)
	}
	l := layout{p: o.P, d: o.D, q: o.Q, sp: so.P, sd: so.D, sq: so.Q, m: m, nxreg: len(s.Xreg)}
	nd := o.D + so.D
	l.mean = s.Mean && nd == 0
	l.drift = s.Drift && nd <= 1
	for j, col := range s.Xreg {
		if len(col) != n {
			panic(fmt.Sprintf("arima: Xreg column %d has length %d, y has %d", j, len(col), n))
		}
	}
	if nc := l.ncoef(); nc > 0 {
		l.names = make([]string, 0, nc)
	}
	for i := 1; i <= l.p; i++ {
		l.names = append(l.names, "ar"+strconv.Itoa(i))
	}
	for i := 1; i <= l.q; i++ {
		l.names = append(l.names, "ma"+strconv.Itoa(i))
	}
	for i := 1; i <= l.sp; i++ {
		l.names = append(l.names, "sar"+strconv.Itoa(i))
	}
	for i := 1; i <= l.sq; i++ {
		l.names = append(l.names, "sma"+strconv.Itoa(i))
	}
	if l.mean {
		l.names = append(l.names, "intercept")
	}
	if l.drift {
		l.names = append(l.names, "drift")
	}
	for j := range s.Xreg {
		name := "xreg" + strconv.Itoa(j+1)
		if j < len(s.XregNames) && s.XregNames[j] != "" {
			name = s.XregNames[j]
		}
		l.names = append(l.names, name)
	}
	if s.Fixed != nil && len(s.Fixed) != l.ncoef() {
		panic(fmt.Sprintf("arima: Fixed has %d values, the model has %d coefficients %v", len(s.Fixed), l.ncoef(), l.names))
	}
	return l
}

// regressors returns the regression columns (intercept, drift, user) for time steps
// start+1 … start+n.
func (l layout) regressors(s Spec, n, start int) [][]float64 {
	var cols [][]float64
	if l.mean {
		c := make([]float64, n)
		for i := range c {
			c[i] = 1
		}
		cols = append(cols, c)
	}
	if l.drift {
		c := make([]float64, n)
		for i := range c {
			c[i] = float64(start + i + 1)
		}
		cols = append(cols, c)
	}
	cols = append(cols, s.Xreg...)
	return cols
}

func anyNaN(x []float64) bool {
	for _, v := range x {
		if math.IsNaN(v) {
			return true
		}
	}
	return false
}
