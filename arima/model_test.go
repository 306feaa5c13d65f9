package arima

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func approxEqual(a, b, tol float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b))
}

// TestUpdateMatchesRefilter: a model fitted on the first part of a series and updated with
// the rest forecasts exactly as the same coefficients filtered over the whole series, and
// keeps the fit's statistics and residuals.
func TestUpdateMatchesRefilter(t *testing.T) {
	specs := []Spec{
		{Order: Order{1, 1, 1}},
		{Order: Order{1, 0, 1}, Mean: true},
		{Order: Order{0, 1, 1}, Drift: true},
		{Order: Order{0, 1, 1}, Seasonal: Seasonal{0, 1, 1, 12}},
	}
	for i, spec := range specs {
		y := Simulate(Spec{Order: spec.Order, Seasonal: spec.Seasonal}, coefFor(spec), 1, 240, rand.New(rand.NewPCG(uint64(i), 7)))
		y[200] = math.NaN() // a missing value among the new observations
		head, tail := y[:180], y[180:]
		m, err := Fit(head, spec, Config{})
		if err != nil {
			t.Fatalf("%v: %v", spec, err)
		}
		up, err := m.Update(tail...)
		if err != nil {
			t.Fatal(err)
		}
		fixedSpec := spec
		fixedSpec.Fixed = m.Coef()
		ref, err := Fit(y, fixedSpec, Config{})
		if err != nil {
			t.Fatal(err)
		}
		got, want := up.Forecast(6, 90), ref.Forecast(6, 90)
		for h := range got.Mean {
			if !approxEqual(got.Mean[h], want.Mean[h], 1e-8) || !approxEqual(got.SE[h]/math.Sqrt(m.Sigma2()), want.SE[h]/math.Sqrt(ref.Sigma2()), 1e-8) {
				t.Errorf("%v h=%d: update %v ± %v, refilter %v ± %v", spec.Order, h, got.Mean[h], got.SE[h], want.Mean[h], want.SE[h])
			}
		}
		if up.Len() != len(y) || m.Len() != len(head) {
			t.Errorf("Len: %d, %d", up.Len(), m.Len())
		}
		if up.Sigma2() != m.Sigma2() || up.Sigma2Adjusted() != m.Sigma2Adjusted() || up.AICc() != m.AICc() ||
			!slices.Equal(up.Residuals(), m.Residuals()) {
			t.Errorf("%v: the update changed the fit: σ² %v → %v, adjusted %v → %v, %d → %d residuals",
				spec.Order, m.Sigma2(), up.Sigma2(), m.Sigma2Adjusted(), up.Sigma2Adjusted(), len(m.Residuals()), len(up.Residuals()))
		}
	}
}

func coefFor(spec Spec) []float64 {
	var c []float64
	for range spec.Order.P {
		c = append(c, 0.5/float64(len(c)+1))
	}
	for range spec.Order.Q {
		c = append(c, 0.3)
	}
	for range spec.Seasonal.P {
		c = append(c, 0.4)
	}
	for range spec.Seasonal.Q {
		c = append(c, -0.5)
	}
	return c
}

func TestMarshalRoundTrip(t *testing.T) {
	y := loadSeries(t, "USAccDeaths.csv")
	m, err := Fit(y, Spec{Order: Order{0, 1, 1}, Seasonal: Seasonal{0, 1, 1, 12}}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var back Model
	if err := back.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.Coef(), m.Coef()) || !slices.Equal(back.SE(), m.SE()) || back.LogLik() != m.LogLik() || back.AICc() != m.AICc() || back.Order() != m.Order() || back.Seasonal() != m.Seasonal() {
		t.Fatalf("round trip changed the model")
	}
	f1, f2 := m.Forecast(24, 95), back.Forecast(24, 95)
	if !slices.Equal(f1.Mean, f2.Mean) || !slices.Equal(f1.SE, f2.SE) {
		t.Fatal("round trip changed the forecasts")
	}
	for _, bad := range [][]byte{nil, []byte("ARMA"), append([]byte("ARMA\x02"), b[5:]...), b[:len(b)-3], append(slices.Clone(b), 0)} {
		if err := back.UnmarshalBinary(bad); !errors.Is(err, ErrEncoding) {
			t.Errorf("UnmarshalBinary(%d bytes) = %v, want ErrEncoding", len(bad), err)
		}
	}
	// Well-formed encodings of impossible models: rejected, not decoded into NaN forecasts.
	for name, tamper := range map[string]func(*Model){
		"negative σ²":          func(m *Model) { m.sigma2 = -4 },
		"infinite σ²":          func(m *Model) { m.sigma2 = math.Inf(1) },
		"NaN state":            func(m *Model) { m.a[0] = math.NaN() },
		"duplicate free index": func(m *Model) { m.free = []int{0, 0}; m.vcov = make([]float64, 4) },
		"mean flag 2":          func(*Model) {}, // the byte is set below
	} {
		c := *m
		c.a, c.free, c.vcov = slices.Clone(m.a), slices.Clone(m.free), slices.Clone(m.vcov)
		tamper(&c)
		enc, err := c.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if name == "mean flag 2" {
			// Magic, version, then one-byte varints: p, d, q, P, D, Q, m, and the mean flag.
			if enc[12] != 0 {
				t.Fatalf("mean flag byte %d, want 0 (no mean)", enc[12])
			}
			enc[12] = 4 // zigzag 2
		}
		if err := back.UnmarshalBinary(enc); !errors.Is(err, ErrEncoding) {
			t.Errorf("%s: UnmarshalBinary = %v, want ErrEncoding", name, err)
		}
	}
}

// TestSimulatedRecovery fits simulated processes of length 5,000 and checks that every
// estimate lies within 3 standard errors of the true value.
func TestSimulatedRecovery(t *testing.T) {
	cases := []struct {
		spec Spec
		coef []float64
	}{
		{Spec{Order: Order{2, 0, 1}, Mean: true}, []float64{0.6, -0.3, 0.4, 10}},
		{Spec{Order: Order{1, 1, 1}}, []float64{0.7, -0.4}},
		{Spec{Order: Order{0, 1, 1}, Seasonal: Seasonal{1, 0, 1, 7}}, []float64{-0.5, 0.6, -0.3}},
		{Spec{Order: Order{1, 0, 0}, Drift: true, Mean: true}, []float64{0.5, 2, 0.01}},
	}
	for i, c := range cases {
		y := Simulate(c.spec, c.coef, 4, 5000, rand.New(rand.NewPCG(uint64(100+i), 3)))
		m, err := Fit(y, c.spec, Config{})
		if err != nil {
			t.Fatalf("%v: %v", c.spec.Order, err)
		}
		se := m.SE()
		for j, v := range m.Coef() {
			if math.Abs(v-c.coef[j]) > 3*se[j] {
				t.Errorf("%v %s: estimate %.4f, truth %.4f, se %.4f", c.spec.Order, m.Names()[j], v, c.coef[j], se[j])
			}
		}
		if math.Abs(m.Sigma2()-4) > 3*4*math.Sqrt(2.0/5000) {
			t.Errorf("%v: sigma2 %.4f, truth 4", c.spec.Order, m.Sigma2())
		}
	}
}

func TestSpecialCases(t *testing.T) {
	var short *TooShortError
	if _, err := Fit(nil, Spec{Order: Order{1, 0, 0}}, Config{}); !errors.As(err, &short) || short.Need != 2 {
		t.Errorf("empty series: %v", err)
	}
	if _, err := Fit([]float64{1, 2, 3}, Spec{Order: Order{1, 1, 1}}, Config{}); !errors.As(err, &short) || short.Have != 3 || short.Need != 4 {
		t.Errorf("short series: %v", err)
	}
	if _, err := Fit([]float64{1, math.Inf(1), 3, 4, 5}, Spec{}, Config{}); !errors.Is(err, ErrNonFinite) {
		t.Errorf("Inf: %v", err)
	}
	constant := make([]float64, 50)
	for i := range constant {
		constant[i] = 5
	}
	// R: arima(rep(5, 50), order = c(1,0,0)) stops with "initial value in 'vmmin' is not finite".
	if _, err := Fit(constant, Spec{Order: Order{1, 0, 0}, Mean: true}, Config{}); !errors.Is(err, ErrDegenerate) {
		t.Errorf("constant series with free coefficients: %v", err)
	}
	// Without a mean, a free AR coefficient once ran to φ = 1 with σ² ≈ 1e-26 and a standard
	// error of 0, under every method.
	for _, method := range []Method{CSSML, ML, CSS} {
		if _, err := Fit(constant, Spec{Order: Order{1, 0, 0}}, Config{Method: method}); !errors.Is(err, ErrDegenerate) {
			t.Errorf("%v: constant series with a free AR coefficient: %v", method, err)
		}
	}
	// A line has constant differences: ARIMA(1,1,0) ran to a unit root with σ² ≈ 1e-19.
	line := make([]float64, 40)
	for i := range line {
		line[i] = 100 + 2*float64(i)
	}
	if _, err := Fit(line, Spec{Order: Order{1, 1, 0}}, Config{}); !errors.Is(err, ErrDegenerate) {
		t.Errorf("a line with a free AR coefficient on its differences: %v", err)
	}
	// Its differences equal to rounding (a slope of 0.1) are constant too.
	for i := range line {
		line[i] = 3 + 0.1*float64(i)
	}
	if _, err := Fit(line, Spec{Order: Order{1, 1, 0}}, Config{Method: CSS}); !errors.Is(err, ErrDegenerate) {
		t.Errorf("a line of slope 0.1: %v", err)
	}
	// An MA term cannot fit a non-zero constant exactly: R's arima(100 + 2i, c(0,1,1)) gives
	// ma1 ≈ 1 with σ² ≈ 1.03, and so must Fit.
	for i := range line {
		line[i] = 100 + 2*float64(i)
	}
	if m, err := Fit(line, Spec{Order: Order{0, 1, 1}}, Config{}); err != nil || !(m.Sigma2() > 0.5) {
		t.Errorf("MA(1) on a line's differences: %v", err)
	}
	// Missing values leave no two consecutive observations: no difference to call constant.
	gappy := loadSeries(t, "lh.csv")
	for i := 1; i < len(gappy); i += 2 {
		gappy[i] = math.NaN()
	}
	if _, err := Fit(gappy, Spec{Order: Order{1, 1, 0}}, Config{}); err != nil {
		t.Errorf("every other value missing: %v", err)
	}
	// R: auto.arima(ts(rep(5, 50))) is ARIMA(0,0,0) with the mean fixed at 5, sigma^2 = 0,
	// log likelihood = Inf, AICc = -Inf, and predict() gives 5 with se 0.
	m, err := Auto(constant, AutoConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Coef()[0] != 5 || m.Sigma2() != 0 || !math.IsInf(m.LogLik(), 1) || !math.IsInf(m.AICc(), -1) {
		t.Errorf("constant: coef %v sigma2 %v loglik %v aicc %v", m.Coef(), m.Sigma2(), m.LogLik(), m.AICc())
	}
	f := m.Forecast(3, 95)
	if f.Mean[2] != 5 || f.SE[2] != 0 {
		t.Errorf("constant forecast %v ± %v", f.Mean, f.SE)
	}
}

func TestFixedCoefficients(t *testing.T) {
	y := loadSeries(t, "lh.csv")
	// arima(lh, order = c(1,0,0), fixed = c(NA, 2.4)) gives ar1 = 0.5742 (se 0.1161)
	// (R 4.2.2).
	m, err := Fit(y, Spec{Order: Order{1, 0, 0}, Mean: true, Fixed: []float64{math.NaN(), 2.4}}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if c := m.Coef(); c[1] != 2.4 || math.Abs(c[0]-0.5742) > 0.001 {
		t.Errorf("coef %v", c)
	}
	if se := m.SE(); se[1] != 0 || math.Abs(se[0]-0.1161) > 0.001 {
		t.Errorf("se %v", se)
	}
}

func TestMissingValuesByFilter(t *testing.T) {
	// A missing value is skipped by the Kalman filter: the model uses one observation fewer
	// and CSS-ML becomes ML, as in R.
	y := loadSeries(t, "LakeHuron.csv")
	y[40] = math.NaN()
	m, err := Fit(y, Spec{Order: Order{2, 0, 0}, Mean: true}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if m.NObs() != 97 || m.Method() != ML || !math.IsNaN(m.Residuals()[40]) {
		t.Errorf("nobs %d method %v", m.NObs(), m.Method())
	}
}

// TestExhaustiveDeterministic: the parallel exhaustive search chooses the same model for any
// number of workers.
func TestExhaustiveDeterministic(t *testing.T) {
	y := loadSeries(t, "WWWusage.csv")
	var first *Model
	for _, workers := range []int{1, 3} {
		m, err := Auto(y, AutoConfig{Exhaustive: true, Workers: workers, MaxOrder: 3})
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = m
			continue
		}
		if m.Order() != first.Order() || !slices.Equal(m.Coef(), first.Coef()) || m.AICc() != first.AICc() {
			t.Errorf("workers %d chose %v %v, workers 1 chose %v %v", workers, m.Order(), m.Coef(), first.Order(), first.Coef())
		}
	}
}

// Settings out of their domain are errors, not panics or silent garbage (a NaN Kappa gave σ² = 0
// and a log-likelihood of −∞; an unknown Method a model no decoder reads back).
func TestConfigValidated(t *testing.T) {
	y := loadSeries(t, "USAccDeaths.csv")
	spec := Spec{Order: Order{0, 1, 1}}
	for name, cfg := range map[string]Config{
		"unknown method": {Method: Method(7)},
		"NaN kappa":      {Kappa: math.NaN()},
		"negative kappa": {Kappa: -1},
		"infinite kappa": {Kappa: math.Inf(1)},
		"NaN tolerance":  {GradTol: math.NaN()},
		"negative iter":  {MaxIter: -1},
		"negative ncond": {NCond: -2},
	} {
		if m, err := Fit(y, spec, cfg); err == nil {
			t.Errorf("%s: Fit succeeded (σ² %v)", name, m.Sigma2())
		}
	}
	if _, err := Fit(y, spec, Config{Kappa: 1e4, GradTol: 1e-5, MaxIter: 50}); err != nil {
		t.Errorf("valid settings: %v", err)
	}
	for name, cfg := range map[string]AutoConfig{
		"fixed d = -1": {FixD: true, D: -1},
		"fixed D = -1": {FixSD: true, SD: -1, Period: 12},
		"bad method":   {Method: Method(9)},
	} {
		if _, err := Auto(y, cfg); err == nil {
			t.Errorf("Auto with %s succeeded", name)
		}
	}
}

// A zero Model panics with a message saying so, not a nil dereference.
func TestZeroModelPanics(t *testing.T) {
	for name, f := range map[string]func(m *Model){
		"Forecast": func(m *Model) { m.Forecast(1, 95) },
		"Update":   func(m *Model) { _, _ = m.Update(1) },
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "not made by Fit") {
					t.Errorf("%s on a zero Model: recovered %v", name, r)
				}
			}()
			f(new(Model))
		}()
	}
}

// Spec returns what Fit was given, regressors aside (a non-seasonal model's period reads 1):
// fitting it again gives the same model.
func TestModelSpec(t *testing.T) {
	y := loadSeries(t, "USAccDeaths.csv")
	for _, spec := range []Spec{
		{Order: Order{1, 0, 1}, Seasonal: Seasonal{Period: 1}, Mean: true},
		{Order: Order{0, 1, 1}, Seasonal: Seasonal{Period: 1}, Drift: true},
		{Order: Order{0, 1, 1}, Seasonal: Seasonal{0, 1, 1, 12}},
	} {
		m, err := Fit(y, spec, Config{})
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Spec(); !reflect.DeepEqual(got, spec) {
			t.Errorf("Spec() = %+v, want %+v", got, spec)
		}
		again, err := Fit(y, m.Spec(), Config{})
		if err != nil || again.LogLik() != m.LogLik() {
			t.Errorf("%+v fitted again: loglik %v (%v), want %v", spec, again.LogLik(), err, m.LogLik())
		}
	}
}

// TestUpdateRejectsInfiniteRegressor: an infinite regressor value is ErrNonFinite, as an
// infinite observation is (it once went through and left the state NaN).
func TestUpdateRejectsInfiniteRegressor(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	y, x := make([]float64, 60), make([]float64, 60)
	for i := range y {
		x[i] = float64(i % 7)
		y[i] = 2*x[i] + r.NormFloat64()
	}
	m, err := Fit(y, Spec{Order: Order{P: 1}, Xreg: [][]float64{x}}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.UpdateX([]float64{1, 2}, [][]float64{{math.Inf(1), 0}}); !errors.Is(err, ErrNonFinite) {
		t.Errorf("UpdateX with an infinite regressor: %v, want ErrNonFinite", err)
	}
}

// TestParseMethodAnyCase: method names parse in any case, as documented.
func TestParseMethodAnyCase(t *testing.T) {
	for s, want := range map[string]Method{"CSS-ML": CSSML, "Css-Ml": CSSML, "ml": ML, "Ml": ML, "cSS": CSS} {
		if got, err := ParseMethod(s); err != nil || got != want {
			t.Errorf("ParseMethod(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	if _, err := ParseMethod("mle"); err == nil {
		t.Error(`ParseMethod("mle") accepted`)
	}
}

// TestLagsBeyondTheSeries: a model whose lags reach beyond the series is a *TooShortError
// naming the length needed, at once: huge orders or periods once exhausted memory or panicked
// while the model was being laid out, and Auto with a huge fixed D never returned.
func TestLagsBeyondTheSeries(t *testing.T) {
	y := make([]float64, 50)
	for i := range y {
		y[i] = math.Sin(float64(i)) + float64(i%3)
	}
	for _, c := range []struct {
		spec Spec
		need int
	}{
		{Spec{Order: Order{P: 1 << 40}}, 1<<40 + 1},
		{Spec{Order: Order{Q: 50}}, 51},
		{Spec{Seasonal: Seasonal{Q: 1, Period: 1 << 23}}, 1<<23 + 1},
		{Spec{Order: Order{P: 2}, Seasonal: Seasonal{P: 2, Period: 24}}, 51},
		{Spec{Order: Order{D: 1}, Seasonal: Seasonal{D: 2, Period: 25}}, 52},
	} {
		var short *TooShortError
		if _, err := Fit(y, c.spec, Config{}); !errors.As(err, &short) || short.Have != 50 || short.Need != c.need {
			t.Errorf("%+v: %v, want a TooShortError needing %d", c.spec, err, c.need)
		}
	}
	for _, c := range []struct {
		cfg  AutoConfig
		need int
	}{
		{AutoConfig{FixD: true, D: 1 << 40}, 1<<40 + 1},
		{AutoConfig{FixD: true, D: 100}, 101},
		{AutoConfig{Period: 12, FixSD: true, SD: 5}, 61},
	} {
		var short *TooShortError
		if _, err := Auto(y, c.cfg); !errors.As(err, &short) || short.Need != c.need {
			t.Errorf("Auto(%+v): %v, want a TooShortError needing %d", c.cfg, err, c.need)
		}
	}
}

// TestCSSPerfectFit: a series that an AR(1) fits exactly (y_t = 2·y_{t−1}) has a CSS minimum
// at φ = 2, where the objective is log 0 = −∞; the search must approach it, not stop at its
// starting point φ = 0 (a line search that accepted −∞ once returned φ = 0 and σ² = 508,400).
func TestCSSPerfectFit(t *testing.T) {
	y := make([]float64, 12)
	for i := range y {
		y[i] = math.Pow(2, float64(i))
	}
	m, err := Fit(y, Spec{Order: Order{P: 1}}, Config{Method: CSS})
	if err != nil {
		t.Fatal(err)
	}
	if phi := m.Coef()[0]; math.Abs(phi-2) > 0.01 {
		t.Errorf("φ = %v, want about 2", phi)
	}
}

// TestSpecKeepsFixed: a model's Spec carries the coefficients it held fixed, so Auto's fit at the
// series' own scale of a series whose differences are constant (a drift fixed at their mean)
// works at any magnitude; it once failed for a series ×10⁷.
func TestSpecKeepsFixed(t *testing.T) {
	for _, scale := range []float64{1, 1e7, 1e-4} {
		y := make([]float64, 40)
		for i := range y {
			y[i] = scale * 2 * float64(i+1)
		}
		m, err := Auto(y, AutoConfig{})
		if err != nil {
			t.Errorf("scale %g: %v", scale, err)
			continue
		}
		spec := m.Spec()
		if !spec.Drift || len(spec.Fixed) != 1 || math.Abs(spec.Fixed[0]-2*scale) > 1e-9*scale {
			t.Errorf("scale %g: spec %+v, want a drift fixed at %g", scale, spec, 2*scale)
		}
		if _, err := Fit(y, spec, Config{}); err != nil {
			t.Errorf("scale %g: refitting the spec: %v", scale, err)
		}
	}
}

// TestMisuseIsReported: settings and models that cannot work give a clear error or panic, not
// a silent default, a raw runtime panic or an encoding that cannot be read back.
func TestMisuseIsReported(t *testing.T) {
	y := loadSeries(t, "lh.csv")
	for _, cfg := range []AutoConfig{{IC: 7}, {SeasonalTest: -1}, {Approximation: 9}} {
		if _, err := Auto(y, cfg); err == nil {
			t.Errorf("Auto(%+v) accepted", cfg)
		}
	}
	if _, err := new(Model).MarshalBinary(); err == nil {
		t.Error("MarshalBinary of a zero Model succeeded")
	}
	for name, f := range map[string]func(){
		"negative n":      func() { Simulate(Spec{}, nil, 1, -3, rand.New(rand.NewPCG(1, 1))) },
		"negative sigma2": func() { Simulate(Spec{}, nil, -1, 10, rand.New(rand.NewPCG(1, 1))) },
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.HasPrefix(fmt.Sprint(r), "arima: Simulate") {
					t.Errorf("Simulate with %s: panic %v", name, r)
				}
			}()
			f()
		}()
	}
}

// TestMagnitudeLimits: series whose squares overflow or underflow are ErrMagnitude for Fit and
// Auto (Auto once reported σ² = Inf, or 0 with zero-width intervals, as a success); at the
// limits they fit.
func TestMagnitudeLimits(t *testing.T) {
	base := loadSeries(t, "lh.csv")
	scaled := func(k float64) []float64 {
		y := make([]float64, len(base))
		for i, v := range base {
			y[i] = k * v
		}
		return y
	}
	for _, k := range []float64{1e200, 1e-200} {
		if _, err := Fit(scaled(k), Spec{Order: Order{P: 1}, Mean: true}, Config{}); !errors.Is(err, ErrMagnitude) {
			t.Errorf("Fit ×%g: %v", k, err)
		}
		if _, err := Auto(scaled(k), AutoConfig{}); !errors.Is(err, ErrMagnitude) {
			t.Errorf("Auto ×%g: %v", k, err)
		}
		x := [][]float64{scaled(k)}
		if _, err := Fit(base, Spec{Order: Order{P: 1}, Xreg: x}, Config{}); !errors.Is(err, ErrMagnitude) {
			t.Errorf("Fit with a regressor ×%g: %v", k, err)
		}
	}
	for _, k := range []float64{1e140 / 4, 1e-140} {
		m, err := Auto(scaled(k), AutoConfig{})
		if err != nil || !(m.Sigma2() > 0) || math.IsInf(m.Sigma2(), 0) {
			t.Errorf("Auto ×%g: σ² %v, %v", k, m.Sigma2(), err)
		}
	}
}
