package arima

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestReferenceAuto checks every automatic selection of expected.json (forecast::auto.arima
// with defaults, plus the exhaustive search of extra.WWWusage_auto_full): Auto must choose R's
// model or one whose AICc is no worse than R's, and when it chooses R's model the fit must
// match R's as the fixed-order fits do.
func TestReferenceAuto(t *testing.T) {
	ref := loadReference(t)
	cases := map[string]refFit{}
	for name, want := range ref.Auto {
		cases[name] = want
	}
	for name, want := range ref.Extra {
		if want.Label != "" {
			cases[name] = want
		}
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			series := ref.Series[want.Series]
			y := loadSeries(t, series.File)
			cfg := AutoConfig{Period: series.Frequency}
			if strings.Contains(want.RCall, "stepwise = FALSE") {
				cfg.Exhaustive = true
				cfg.Approximation = ApproxOff
			}
			m, err := Auto(y, cfg)
			if err != nil {
				t.Fatalf("%s: %v", want.RCall, err)
			}
			same := m.Order() == Order{want.Order[0], want.Order[1], want.Order[2]} &&
				(want.Seasonal[3] == 1 || m.Seasonal() == Seasonal{want.Seasonal[0], want.Seasonal[1], want.Seasonal[2], want.Seasonal[3]})
			if !same {
				if m.AICc() > *want.AICc+1e-6 {
					t.Fatalf("%s: chose %v%v with AICc %.4f, R chose %s with AICc %.4f", want.RCall, m.Order(), m.Seasonal(), m.AICc(), want.Label, *want.AICc)
				}
				t.Logf("%s: chose %v%v with AICc %.4f ≤ R's %s (%.4f)", want.RCall, m.Order(), m.Seasonal(), m.AICc(), want.Label, *want.AICc)
				return
			}
			checkFit(t, m, want)
			checkForecast(t, m.Forecast(5, 95), want.Forecast, want.RCall)
		})
	}
}

// TestReferenceDiffs checks the unit-root tests against every ndiffs and nsdiffs entry of
// expected.json: forecast's ndiffs (KPSS) and nsdiffs with the seasonal-strength heuristic,
// OCSB and Canova–Hansen tests.
func TestReferenceDiffs(t *testing.T) {
	ref := loadReference(t)
	for key, want := range ref.Ndiffs {
		name := key[:strings.Index(key, "_")]
		var series refSeries
		for sname, s := range ref.Series {
			if sname == name {
				series = s
			}
		}
		y := loadSeries(t, series.File)
		var got int
		switch {
		case strings.HasSuffix(key, "_kpss"):
			got = NDiffs(y, 2)
		case strings.HasSuffix(key, "_nsdiffs_seas"):
			got = NSDiffs(y, series.Frequency, 1)
		case strings.HasSuffix(key, "_nsdiffs_ocsb"):
			got = NSDiffsOCSB(y, series.Frequency, 1)
		case strings.HasSuffix(key, "_nsdiffs_ch"):
			got = NSDiffsCH(y, series.Frequency, 1)
		default:
			t.Fatalf("%s (%s): no test for this entry", key, want.RCall)
		}
		if got != want.Value {
			t.Errorf("%s: got %d, R %d", want.RCall, got, want.Value)
		}
	}
}

// TestOCSBStatistic compares the statistic with forecast 8.20:
// forecast:::ocsb.test(x, maxlag = 3, lag.method = "AIC")$statistics and calcOCSBCritVal(12).
func TestOCSBStatistic(t *testing.T) {
	for _, c := range []struct {
		file string
		log  bool
		want float64
	}{
		{"USAccDeaths.csv", false, -2.227109},
		{"AirPassengers.csv", false, 1.518762},
		{"AirPassengers.csv", true, -1.95083},
	} {
		y := loadSeries(t, c.file)
		if c.log {
			for i := range y {
				y[i] = math.Log(y[i])
			}
		}
		stat, crit, err := OCSB(y, 12)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(stat-c.want) > 1e-5 || math.Abs(crit+1.802963) > 1e-6 {
			t.Errorf("%s (log %v): OCSB %.6f (critical %.6f), forecast %.6f (-1.802963)", c.file, c.log, stat, crit, c.want)
		}
	}
}

// TestCHStatistic compares the Canova–Hansen joint statistic and its p-value with uroot 2.1-2:
// r <- uroot::ch.test(x, type = "trigonometric"); r$statistics["joint"]; r$pvalues["joint"]
// for x = AirPassengers, log(AirPassengers) and USAccDeaths.
func TestCHStatistic(t *testing.T) {
	for _, c := range []struct {
		file         string
		log          bool
		stat, pvalue float64
	}{
		{"AirPassengers.csv", false, 1.36551305, 0.8573165808},
		{"AirPassengers.csv", true, 0.9603085348, 0.9968221374},
		{"USAccDeaths.csv", false, 1.645778077, 0.3470294585},
	} {
		y := loadSeries(t, c.file)
		if c.log {
			for i := range y {
				y[i] = math.Log(y[i])
			}
		}
		stat, p, err := CH(y, 12)
		if err != nil {
			t.Fatal(err)
		}
		if !within(stat, c.stat, 0, 1e-8) || !within(p, c.pvalue, 1e-9, 0) {
			t.Errorf("%s (log %v): CH %.10g (p %.10g), uroot %.10g (p %.10g)", c.file, c.log, stat, p, c.stat, c.pvalue)
		}
	}
}

// TestAutoTraceWWWusage: the stepwise search fits the same candidates in the same order as
// forecast 8.20, with the same criteria, as printed by auto.arima(WWWusage, trace = TRUE).
func TestAutoTraceWWWusage(t *testing.T) {
	want := []struct {
		label string
		aicc  float64
	}{
		{"ARIMA(2,1,2) with drift", 519.4483}, {"ARIMA(0,1,0) with drift", 627.7442},
		{"ARIMA(1,1,0) with drift", 531.1079}, {"ARIMA(0,1,1) with drift", 548.4164},
		{"ARIMA(0,1,0)", 631.0362}, {"ARIMA(1,1,2) with drift", 518.2245},
		{"ARIMA(0,1,2) with drift", 520.4047}, {"ARIMA(1,1,1) with drift", 516.0048},
		{"ARIMA(2,1,1) with drift", 518.2245}, {"ARIMA(2,1,0) with drift", 523.7396},
		{"ARIMA(1,1,1)", 514.5521}, {"ARIMA(0,1,1)", 549.9305},
		{"ARIMA(1,1,0)", 529.3628}, {"ARIMA(2,1,1)", 516.717},
		{"ARIMA(1,1,2)", 516.6774}, {"ARIMA(0,1,2)", 520.1275},
		{"ARIMA(2,1,0)", 522.4308}, {"ARIMA(2,1,2)", 518.0056},
	}
	var trace strings.Builder
	if _, err := Auto(loadSeries(t, "WWWusage.csv"), AutoConfig{Trace: &trace}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(trace.String()), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d candidates, R fitted %d:\n%s", len(lines), len(want), trace.String())
	}
	for i, line := range lines {
		label, value, _ := strings.Cut(line, ":")
		aicc, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if strings.TrimSpace(label) != want[i].label || err != nil || !within(aicc, want[i].aicc, 0.01, 0) {
			t.Errorf("candidate %d: %q, R %s: %.4f", i+1, line, want[i].label, want[i].aicc)
		}
	}
}

// Auto chooses the same model for a series at any magnitude: R's standard-error check, whose
// Hessian step is 10⁻³ in the coefficients' units, rejected every ARMA candidate of an AR(1)
// near 10⁹ or 10⁻⁶ and returned white noise; the scaled search does not.
func TestAutoScaleInvariant(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	base := make([]float64, 200)
	v := 0.0
	for i := range base {
		v = 0.7*v + r.NormFloat64()
		base[i] = 10 + v
	}
	ref, err := Auto(base, AutoConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for _, scale := range []float64{1e9, 1e-6} {
		y := make([]float64, len(base))
		for i, v := range base {
			y[i] = v * scale
		}
		m, err := Auto(y, AutoConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if m.Order() != ref.Order() || !slices.Equal(m.Names(), ref.Names()) {
			t.Fatalf("scale %g: %v %v, want %v %v", scale, m.Order(), m.Names(), ref.Order(), ref.Names())
		}
		for i, c := range m.Coef() {
			want := ref.Coef()[i]
			if m.Names()[i] == "intercept" {
				want *= scale
			}
			if math.Abs(c-want) > 1e-4*math.Abs(want) {
				t.Errorf("scale %g: %s = %v, want %v", scale, m.Names()[i], c, want)
			}
		}
	}
}

// TestAutoTraceExhaustiveDeterministic: the exhaustive search fits in parallel but writes its
// trace in candidate order, the same with one worker or eight (the workers once wrote it
// concurrently, a data race under -race).
func TestAutoTraceExhaustiveDeterministic(t *testing.T) {
	y := loadSeries(t, "WWWusage.csv")
	traces := make([]string, 2)
	for i, workers := range []int{1, 8} {
		var trace strings.Builder
		if _, err := Auto(y, AutoConfig{Exhaustive: true, Workers: workers, Trace: &trace}); err != nil {
			t.Fatal(err)
		}
		traces[i] = trace.String()
	}
	if traces[0] != traces[1] || strings.Count(traces[0], "\n") < 10 {
		t.Errorf("one worker:\n%s\neight workers:\n%s", traces[0], traces[1])
	}
}
