package omen

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stacklens/omen/arima"
)

var alerterT0 = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)

// alerterSynthetic returns n windows of service with the given step whose error rate is
// errorRate(i) plus N(0, 0.05²) noise (clamped at 0), a p99 latency of 120 ± 5 ms and
// requests(i) requests (1000 when nil), from a fixed seed.
func alerterSynthetic(service string, step time.Duration, n int, errorRate func(i int) float64, requests func(i int) float64) []Metrics {
	rng := rand.New(rand.NewPCG(11, 12))
	out := make([]Metrics, n)
	for i := range out {
		req := 1000.0
		if requests != nil {
			req = requests(i)
		}
		out[i] = Metrics{
			Service: service, Timestamp: alerterT0.Add(time.Duration(i) * step), Window: step,
			TotalRequests: int64(math.Round(req)),
			ErrorRate:     max(0, errorRate(i)+0.05*rng.NormFloat64()),
			LatencyP99:    120 + 5*rng.NormFloat64(),
		}
	}
	return out
}

func alerterRun(t *testing.T, a *Alerter, windows []Metrics) []Results {
	t.Helper()
	out := make([]Results, 0, len(windows))
	for _, m := range windows {
		r, err := a.Process(context.Background(), m)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// The original fitted each model once and never again (§7 item 12). Here a model is refitted
// every RefitEvery windows, and at once from the second of consecutive windows that surprise it;
// a lone surprise (a spike) is kept out of the model's state instead.
func TestAlerterRefitCadence(t *testing.T) {
	const every = 10
	windows := alerterSynthetic("svc", time.Hour, 90, func(int) float64 { return 1 }, nil)
	windows[52].ErrorRate = 4 // 60 standard deviations, once: a spike
	for i := 70; i < 90; i++ {
		windows[i].ErrorRate += 3 // from window 70 on: a level shift
	}
	a := NewAlerter(AlerterConfig{RefitEvery: every, ReselectEvery: 3 * every, MinFitWindows: 20, ForecastRecords: -1})
	var fits, selects []int
	var model any
	for i, m := range windows {
		if _, err := a.Process(context.Background(), m); err != nil {
			t.Fatal(err)
		}
		f := a.services["svc"].lookup("error_rate")
		if f.model != nil && f.model != model && f.SinceFit == 0 {
			fits = append(fits, i)
			selects = append(selects, f.SinceSelect)
		}
		model = f.model
		if i == 53 {
			// The spike did not enter the state: the forecast after the window that follows it
			// is back at the series' level.
			if got := f.fc.Mean[0]; math.Abs(got-1) > 0.5 {
				t.Errorf("forecast after the spike %.3f, want about 1", got)
			}
		}
	}
	// The first fit at 20 windows, then every 10, none at the spike, and from the second window
	// of the shift on, as long as the model is surprised (here until the fit at 73 follows the
	// new level), then every 10 again. The orders are chosen by arima.Auto (SinceSelect 0) at
	// the first fit, every 30 windows and after a surprise; the other fits re-estimate them.
	want := []int{19, 29, 39, 49, 59, 69, 71, 72, 73, 83}
	wantSelects := []int{0, 1, 2, 0, 1, 2, 0, 0, 0, 1}
	if !slices.Equal(fits, want) || !slices.Equal(selects, wantSelects) {
		t.Fatalf("fits at windows %v with SinceSelect %v, want %v and %v", fits, selects, want, wantSelects)
	}
}

// The original stamped forecasts 5 minutes apart whatever the data's step (§7 item 12). Here the
// step comes from the windows' timestamps, and missing windows keep their place on the grid.
func TestAlerterRealStep(t *testing.T) {
	for _, step := range []time.Duration{5 * time.Minute, time.Hour, 2 * time.Hour} {
		windows := alerterSynthetic("svc", step, 40, func(int) float64 { return 1 }, nil)
		gapped := append(append([]Metrics{}, windows[:30]...), windows[33:]...) // 3 windows lost
		a := NewAlerter(AlerterConfig{MinFitWindows: 20, ForecastRecords: 0, Horizon: 6})
		results := alerterRun(t, a, gapped)
		last := results[len(results)-1]
		issued := gapped[len(gapped)-1].Timestamp
		if len(last.Forecasts) == 0 {
			t.Fatalf("step %v: no forecasts", step)
		}
		for _, f := range last.Forecasts {
			if f.Actual != nil {
				continue
			}
			h := f.Timestamp.Sub(issued)
			if h <= 0 || h%step != 0 || h > 6*step || !f.IssuedAt.Equal(issued) {
				t.Errorf("step %v: forecast for %s issued %s, want a multiple of the step after %s", step, f.Timestamp, f.IssuedAt, issued)
			}
		}
		s := a.services["svc"]
		if got := s.step(); got != step {
			t.Errorf("step %v: estimated step %v", step, got)
		}
		values := s.lookup("error_rate").Values
		missing := 0
		for _, v := range values {
			if math.IsNaN(v) {
				missing++
			}
		}
		if len(values) != 40 || missing != 3 {
			t.Errorf("step %v: %d values with %d missing, want 40 with 3", step, len(values), missing)
		}
		// Forecasts made before the gap for windows after it are completed at their time.
		completed := 0
		for _, f := range last.Forecasts {
			if f.Actual != nil {
				completed++
				if !f.Timestamp.Equal(issued) || *f.Error != *f.Actual-f.Predicted {
					t.Errorf("step %v: completed forecast %+v", step, f)
				}
			}
		}
		if completed == 0 {
			t.Errorf("step %v: no forecast of the last window was completed", step)
		}
	}
	// Seasonal period: one day of windows, when the history holds two days and it is small.
	cfg := AlerterConfig{}.withDefaults()
	for _, tt := range []struct {
		step time.Duration
		want int
	}{{time.Hour, 24}, {30 * time.Minute, 48}, {5 * time.Minute, 1}, {24 * time.Hour, 1}} {
		s := &alerterService{window: tt.step}
		if got := s.period(&cfg); got != tt.want {
			t.Errorf("period with step %v = %d, want %d", tt.step, got, tt.want)
		}
	}
}

// alerterRamp is an error rate at 0.5 % for 72 windows that then rises by slope per window.
func alerterRamp(slope float64) func(int) float64 {
	return func(i int) float64 {
		if i < 72 {
			return 0.5
		}
		return 0.5 + slope*float64(i-71)
	}
}

// The original's predicted value came from the last forecast step, not the breach step, and
// its confidence was the constant 0.8 (§7 item 12).
func TestAlerterBreachStepAndConfidence(t *testing.T) {
	confidences := map[float64]bool{}
	for _, slope := range []float64{0.1, 0.15, 0.3, 0.6} {
		windows := alerterSynthetic("svc", time.Hour, 130, alerterRamp(slope), nil)
		a := NewAlerter(AlerterConfig{})
		var alert *PredictiveAlert
		var forecasts []Forecast
		for _, r := range alerterRun(t, a, windows) {
			for _, al := range r.Alerts {
				if alert == nil && al.Metric == "error_rate" {
					alert, forecasts = &al, r.Forecasts
				}
			}
		}
		if alert == nil {
			t.Fatalf("slope %v: no alert", slope)
		}
		if alert.Confidence < 0.5 || alert.Confidence > 1 {
			t.Errorf("slope %v: confidence %v outside [MinProbability, 1]", slope, alert.Confidence)
		}
		confidences[alert.Confidence] = true
		var atBreach, atEnd float64
		for _, f := range forecasts {
			if f.Metric != "error_rate" || f.Actual != nil {
				continue
			}
			if f.Timestamp.Equal(alert.ExpectedBreach) {
				atBreach = f.Predicted
			}
			if f.Timestamp.Equal(alert.WindowEnd) {
				atEnd = f.Predicted
			}
		}
		if alert.PredictedValue != atBreach {
			t.Errorf("slope %v: predicted value %v, want the forecast at the expected breach %v", slope, alert.PredictedValue, atBreach)
		}
		if alert.ExpectedBreach.Before(alert.BreachEarliest) || alert.ExpectedBreach.After(alert.BreachLatest) ||
			alert.BreachEarliest.Before(alert.WindowStart) || alert.BreachLatest.After(alert.WindowEnd) {
			t.Errorf("slope %v: breach %s not within [%s, %s] ⊆ [%s, %s]", slope, alert.ExpectedBreach,
				alert.BreachEarliest, alert.BreachLatest, alert.WindowStart, alert.WindowEnd)
		}
		if alert.ExpectedBreach.Before(alert.WindowEnd) && alert.PredictedValue == atEnd {
			t.Errorf("slope %v: the predicted value is the last step's", slope)
		}
		t.Logf("slope %v: issued %s, p = %.3f, %s, %s, score %.1f %s", slope, alert.IssuedAt.Format(time.RFC3339),
			alert.Confidence, alert.PredictedEvent, alert.Priority, alert.Score, alert.Severity)
	}
	if len(confidences) < 2 {
		t.Errorf("confidences %v: constant", confidences)
	}
}

// The original issued a new alert (with a now()-based ID) for every message (§7 item 12). Here
// at most one alert per (service, metric, level) is pending at a time, with deterministic IDs,
// and its status is maintained: materialized with the time of the breach, or expired.
func TestAlerterDedupeAndStatus(t *testing.T) {
	// A ramp that crosses 5 % and stays above, then one that stalls below it and falls back.
	crossing := alerterSynthetic("up", time.Hour, 110, alerterRamp(0.3), nil)
	stalling := alerterSynthetic("stall", time.Hour, 130, func(i int) float64 {
		if i >= 72 && i < 84 {
			return 0.5 + 0.35*float64(i-71)
		}
		return 0.5
	}, nil)
	for _, tt := range []struct {
		windows []Metrics
		want    AlertStatus
	}{{crossing, Materialized}, {stalling, Expired}} {
		a := NewAlerter(AlerterConfig{ForecastRecords: -1})
		type key struct{ metric, level string }
		pending := map[key]string{}
		final := map[string]PredictiveAlert{}
		for _, r := range alerterRun(t, a, tt.windows) {
			for _, al := range r.Alerts {
				k := key{al.Metric, alertLevelName(al)}
				switch al.Status {
				case Pending:
					if id, ok := pending[k]; ok {
						t.Errorf("%s: alert %s issued while %s is pending", al.Service, al.ID, id)
					}
					if want := RecordID(al.Service, "predictive_alert/"+k.level, al.Metric, al.IssuedAt); al.ID != want {
						t.Errorf("alert ID %s, want %s", al.ID, want)
					}
					pending[k] = al.ID
				default:
					delete(pending, k)
				}
				final[al.ID] = al
			}
		}
		warnings := 0
		for _, al := range final {
			if al.Metric != "error_rate" || al.Threshold != 5 {
				continue
			}
			warnings++
			if al.Status != tt.want {
				t.Errorf("%s: alert issued %s is %s, want %s", al.Service, al.IssuedAt, al.Status, tt.want)
			}
			if (al.MaterializedAt != nil) != (tt.want == Materialized) {
				t.Errorf("%s: MaterializedAt %v with status %s", al.Service, al.MaterializedAt, al.Status)
			}
		}
		if warnings != 1 {
			t.Errorf("%s: %d warning alerts of the error rate, want 1", tt.windows[0].Service, warnings)
		}
		o := a.Outcomes()
		if o.Pending != 0 && tt.want == Expired {
			t.Errorf("%s: %+v, want no alert left pending", tt.windows[0].Service, o)
		}
	}
}

// alertLevelName is the level of an alert's threshold in the default configuration.
func alertLevelName(a PredictiveAlert) string {
	switch a.Threshold {
	case 5, 500:
		return "warning"
	case 20:
		return "critical"
	}
	return "capacity"
}

// The breach probability: the union bound prunes, a certain breach has probability 1, and the
// estimate agrees with the exact value for one step.
func TestAlerterBreachProbability(t *testing.T) {
	fc := forecastFixture([]float64{1, 2, 3}, []float64{1, 1, 1})
	psi := newForecastWeights(nil, nil, 3) // independent steps
	if _, ok := forecastBreachOf(&fc, fc.SE, psi, 0, 10, 0.5, 1000, 1, 1); ok {
		t.Error("a threshold 7 standard deviations away gave an alert")
	}
	b, ok := forecastBreachOf(&fc, fc.SE, psi, 0, -5, 0.5, 1000, 1, 1)
	if !ok || b.Probability != 1 || b.Median != 1 || b.Early != 1 || b.Late != 1 {
		t.Errorf("certain breach: %+v, %v", b, ok)
	}
	// Independent steps (ψ = 1, 0, 0): P(max > 3) = 1 − Φ(2)Φ(1)Φ(0).
	phi := func(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }
	want := 1 - phi(2)*phi(1)*phi(0)
	b, ok = forecastBreachOf(&fc, fc.SE, psi, 0, 3, 0.1, 20000, 1, 2)
	if !ok || math.Abs(b.Probability-want) > 4*math.Sqrt(want*(1-want)/20000) {
		t.Errorf("P(breach) = %v, want %v", b.Probability, want)
	}
	// A random walk (ψ = 1, 1, 1) with zero mean: by the reflection principle P(max > c) ≈ 2P(Y_3 > c)
	// for a continuous walk; the discrete walk lies between P(Y_3 > c) and that.
	walk := forecastFixture([]float64{0, 0, 0}, []float64{1, math.Sqrt2, math.Sqrt(3)})
	b, _ = forecastBreachOf(&walk, walk.SE, newForecastWeights([]float64{-1}, nil, 3), 0, 1, 0.01, 20000, 1, 3)
	lo, hi := 1-phi(1/math.Sqrt(3)), 2*(1-phi(1/math.Sqrt(3)))
	if b.Probability < lo || b.Probability > hi {
		t.Errorf("random walk: P(max > 1) = %v, want within [%v, %v]", b.Probability, lo, hi)
	}
}

// The sequential stop of the breach Monte Carlo: it ends the draw only when the crossings so far
// lie more than four standard deviations below minP, so a probability near minP is always
// estimated from every path, and one far below costs a fraction of them.
func TestAlerterBreachEarlyStop(t *testing.T) {
	for _, c := range []struct {
		crossed, n int
		minP       float64
		want       bool
	}{
		// n·minP − 4·√(n·minP·(1−minP)) = 125 − 31.6 = 93.4 at n = 250, minP = ½.
		{93, 250, 0.5, true},
		{94, 250, 0.5, false},
		{0, 250, 0.5, true},
		{125, 250, 0.5, false},
		// 500·0.1 − 4·√45 = 23.2.
		{23, 500, 0.1, true},
		{24, 500, 0.1, false},
		// With minP 0.01 the margin exceeds the expected count: never stopped at 250 paths.
		{0, 250, 0.01, false},
	} {
		if got := breachClearlyBelow(c.crossed, c.n, c.minP); got != c.want {
			t.Errorf("breachClearlyBelow(%d, %d, %v) = %v, want %v", c.crossed, c.n, c.minP, got, c.want)
		}
	}
	// One step with P(Y > T) = Φ(−0.1) ≈ 0.46 against minP ½ is not reported; with
	// P ≈ 0.54 it is, with a probability counted over all 2000 paths (no early stop).
	one := forecastFixture([]float64{0}, []float64{1})
	for _, c := range []struct {
		threshold float64
		wantOK    bool
	}{{0.1, false}, {-0.1, true}} {
		b, ok := forecastBreachOf(&one, one.SE, newForecastWeights(nil, nil, 1), 0, c.threshold, 0.5, 2000, 1, 4)
		if ok != c.wantOK {
			t.Errorf("threshold %v: reported %v, want %v", c.threshold, ok, c.wantOK)
		}
		if ok && b.Probability*2000 != math.Round(b.Probability*2000) {
			t.Errorf("threshold %v: probability %v is not a count over 2000 paths", c.threshold, b.Probability)
		}
	}
	// Three independent steps, mean 0, threshold 0.5: P(max > 0.5) = 1 − Φ(0.5)³ ≈ 0.58, from
	// every path.
	fc := forecastFixture([]float64{0, 0, 0}, []float64{1, 1, 1})
	b, ok := forecastBreachOf(&fc, fc.SE, newForecastWeights(nil, nil, 3), 0, 0.5, 0.5, 2000, 1, 5)
	phi := func(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }
	want := 1 - math.Pow(phi(0.5), 3)
	if !ok || math.Abs(b.Probability-want) > 4*math.Sqrt(want*(1-want)/2000) {
		t.Errorf("P(breach) = %v (%v), want %v", b.Probability, ok, want)
	}
}

// forecastFixture builds a forecast with the given means and standard errors.
func forecastFixture(mean, se []float64) arima.Forecast {
	return arima.Forecast{Mean: mean, SE: se, Lower: mean, Upper: mean, Level: 90}
}

// A version 1 state (forecasts awaiting their actual value kept as whole Forecast records)
// decodes into the current form without them, its history and time grid intact.
func TestAlerterStateVersion1(t *testing.T) {
	type seriesV1 struct {
		Metric   string
		Values   []float64
		SinceFit int
		Pending  []Forecast
	}
	type seriesStateV1 struct{ Series seriesV1 }
	type stateV1 struct {
		Service string
		Started bool
		Last    time.Time
		Window  time.Duration
		Series  []seriesStateV1
	}
	last := time.Date(2024, 1, 2, 3, 0, 0, 0, time.UTC)
	v1 := stateV1{Service: "svc", Started: true, Last: last, Window: time.Hour, Series: []seriesStateV1{{Series: seriesV1{
		Metric: "error_rate", Values: []float64{1, 2, 3}, SinceFit: 2,
		Pending: []Forecast{{ID: "x", Service: "svc", Metric: "error_rate", Timestamp: last.Add(time.Hour), Predicted: 3}},
	}}}}
	var buf bytes.Buffer
	buf.WriteString(alerterStateMagic)
	buf.WriteByte(1)
	if err := gob.NewEncoder(&buf).Encode(&v1); err != nil {
		t.Fatal(err)
	}
	s, err := decodeAlerterState(buf.Bytes(), "svc")
	if err != nil {
		t.Fatal(err)
	}
	f := s.lookup("error_rate")
	if !s.started || !s.last.Equal(last) || f == nil || !slices.Equal(f.Values, []float64{1, 2, 3}) || f.SinceFit != 2 || len(f.Awaiting) != 0 {
		t.Errorf("decoded %+v, series %+v", s, f)
	}
	bad := slices.Clone(buf.Bytes())
	bad[len(alerterStateMagic)] = alerterStateVersion + 1
	if _, err := decodeAlerterState(bad, "svc"); !errors.Is(err, ErrAlerterState) {
		t.Errorf("a future version decoded: %v", err)
	}
}

// TestAlerterConfigPanics: NewAlerter refuses settings it could not run with (a horizon too
// large to allocate once panicked at the first window instead).
func TestAlerterConfigPanics(t *testing.T) {
	for _, cfg := range []AlerterConfig{{Horizon: -1}, {Horizon: math.MaxInt64 / 2}, {Paths: maxConfigWindows + 1},
		{HistoryWindows: maxConfigWindows + 1}, {MinFitWindows: 2}, {IntervalLevel: 1}, {RefitZ: -1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewAlerter(%+v) did not panic", cfg)
				}
			}()
			NewAlerter(cfg)
		}()
	}
}

// The ARMA recursion of the breach paths gives the moving-average sums Σ_{j≤i} ψ_j e_{i−j} of the
// ψ-weights, for models with differences, seasonal terms and orders beyond the horizon.
func TestForecastWeightsRecursion(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct {
		name   string
		ar, ma []float64
		h      int
	}{
		{"white noise", nil, nil, 5},
		{"random walk", []float64{-1}, nil, 24},
		{"ARIMA(1,1,1)", []float64{-1.6, 0.6}, []float64{-0.3}, 24},
		{"ARMA(2,2)", []float64{-0.5, 0.2}, []float64{0.4, -0.25}, 24},
		{"seasonal difference, period 4", []float64{0, 0, 0, -1}, []float64{0.5}, 12},
		{"orders beyond the horizon", []float64{-0.3, 0.1, 0.05, -0.02}, []float64{0.2, 0.1, 0.1}, 3},
	} {
		w := newForecastWeights(c.ar, c.ma, c.h)
		e, x := make([]float64, c.h), make([]float64, c.h)
		for i := range c.h {
			e[i] = rng.NormFloat64()
			x[i] = w.next(e, x, i)
			want := 0.0
			for j := 0; j <= i; j++ {
				want += w.Psi[j] * e[i-j]
			}
			if math.Abs(x[i]-want) > 1e-12*max(1, math.Abs(want)) {
				t.Errorf("%s: x_%d = %v, want Σ ψ_j e_{i−j} = %v", c.name, i, x[i], want)
			}
		}
	}
}

// The union bound Σ_h P(Y_h > T) that gates the breach Monte Carlo, with its shortcuts: it
// stops once minP is reached, and leaves out steps more than forecastFarZ standard errors below
// the threshold.
func TestForecastUnionReaches(t *testing.T) {
	for _, c := range []struct {
		name      string
		mean, se  []float64
		threshold float64
		minP      float64
		want      bool
	}{
		{"far below", []float64{0, 0, 0}, []float64{1, 1, 1}, 20, 0.01, false},
		{"one step at the threshold", []float64{0, 5}, []float64{1, 1}, 5, 0.5, true},
		// Three steps of P(Y > T) = Φ(−1) ≈ 0.159 each: 0.476 < 0.5 but ≥ 0.45.
		{"three steps below minP", []float64{0, 0, 0}, []float64{1, 1, 1}, 1, 0.5, false},
		{"three steps reaching minP", []float64{0, 0, 0}, []float64{1, 1, 1}, 1, 0.45, true},
		// Steps 8.9 standard errors below count (P ≈ 2.8e-19 each), 9.1 do not.
		{"just inside the far bound", []float64{0, 0}, []float64{1, 1}, 8.9, 5e-19, true},
		// Two steps 9.1 standard errors below sum to 9e-20 ≥ minP: only their skipping
		// leaves the bound at 0.
		{"beyond the far bound", []float64{0, 0}, []float64{1, 1}, 9.1, 5e-20, false},
		{"zero standard error above", []float64{6}, []float64{0}, 5, 1, true},
		{"zero standard error below", []float64{4}, []float64{0}, 5, 1e-9, false},
	} {
		fc := forecastFixture(c.mean, c.se)
		if got := forecastUnionReaches(&fc, c.threshold, c.minP); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
