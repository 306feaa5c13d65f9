package omen_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stacklens/omen"
	"github.com/stacklens/omen/internal/servicegen"
	"github.com/stacklens/omen/severity"
)

// alerterStreamOnce generates the default stream of testdata/stream
// (servicegen.Generate(servicegen.Config{Seed: 1})) once for all tests.
var alerterStreamOnce = sync.OnceValues(func() (servicegen.Stream, error) {
	return servicegen.Generate(servicegen.Config{Seed: 1})
})

func alerterStream(t testing.TB) servicegen.Stream {
	t.Helper()
	s, err := alerterStreamOnce()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// alerterMetrics converts generated windows to Metrics, keeping those of the given services
// (all when none is given).
func alerterMetrics(s servicegen.Stream, services ...string) []omen.Metrics {
	var out []omen.Metrics
	for _, w := range s.Windows {
		if len(services) > 0 && !slices.Contains(services, w.Service) {
			continue
		}
		out = append(out, omen.Metrics{
			Service: w.Service, Timestamp: w.Time, Window: w.Step,
			TotalRequests: w.TotalRequests, ErrorRate: w.ErrorRate,
			LatencyP50: w.LatencyP50, LatencyP95: w.LatencyP95, LatencyP99: w.LatencyP99, LatencyMean: w.LatencyMean,
			UniqueUsers: w.UniqueUsers, UniqueIPs: w.UniqueIPs, RiskScore: w.RiskScore,
		})
	}
	return out
}

// alerterReplay runs windows through a in order and returns every window's results; on an
// error it reports it and returns the results so far. It may run on any goroutine.
func alerterReplay(t testing.TB, a *omen.Alerter, windows []omen.Metrics) []omen.Results {
	t.Helper()
	out := make([]omen.Results, 0, len(windows))
	for _, m := range windows {
		r, err := a.Process(context.Background(), m)
		if err != nil {
			t.Errorf("Process(%s at %s): %v", m.Service, m.Timestamp.Format(time.RFC3339), err)
			return out
		}
		out = append(out, r)
	}
	return out
}

// alerterFinal returns the last version of every alert in results, by issue time and ID.
func alerterFinal(results []omen.Results) []omen.PredictiveAlert {
	byID := map[string]omen.PredictiveAlert{}
	for _, r := range results {
		for _, a := range r.Alerts {
			byID[a.ID] = a
		}
	}
	out := make([]omen.PredictiveAlert, 0, len(byID))
	for _, a := range byID {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b omen.PredictiveAlert) int {
		if c := a.IssuedAt.Compare(b.IssuedAt); c != 0 {
			return c
		}
		return cmpString(a.ID, b.ID)
	})
	return out
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// rampMetric is the metric a ramp incident drives towards its threshold.
func rampMetric(in servicegen.Incident) string {
	if in.Affects(servicegen.ErrorRate) {
		return "error_rate"
	}
	return "latency_p99_ms"
}

// alerterReplayServices replays every service of s through a, one goroutine per service (services
// are independent, and this runs on every core), and returns the final state of every alert.
func alerterReplayServices(t *testing.T, a *omen.Alerter, s servicegen.Stream) []omen.PredictiveAlert {
	results := make([][]omen.Results, len(s.Services))
	var wg sync.WaitGroup
	for i, name := range s.Services {
		windows := alerterMetrics(s, name)
		wg.Go(func() { results[i] = alerterReplay(t, a, windows) })
	}
	wg.Wait()
	return alerterFinal(slices.Concat(results...))
}

// precedes reports whether alert al precedes the threshold crossing of ramp in: an alert of its
// service, metric and threshold issued before the crossing, whose window covers it.
func precedes(al omen.PredictiveAlert, in servicegen.Incident) bool {
	return al.Service == in.Service && al.Metric == rampMetric(in) && al.Threshold == in.Threshold &&
		al.IssuedAt.Before(*in.Cross) && !in.Cross.Before(al.WindowStart) && !in.Cross.After(al.WindowEnd)
}

// TestAlerterRampAlerts replays the default generated stream (8 services, 14 days of hourly
// windows, 3 slow ramps towards a threshold) and checks that predictive alerts precede the
// ramps' threshold crossings — issued before the labelled crossing, with a window that covers
// it — for at least 60 % of the ramps, and that fewer than 20 % of the alerts expire without a
// breach.
func TestAlerterRampAlerts(t *testing.T) {
	s := alerterStream(t)
	a := omen.NewAlerter(omen.AlerterConfig{ForecastRecords: -1})
	alerts := alerterReplayServices(t, a, s)

	ramps, preceded := 0, 0
	for _, in := range s.Incidents {
		if in.Kind != servicegen.Ramp {
			continue
		}
		ramps++
		metric := rampMetric(in)
		found := false
		for _, al := range alerts {
			if precedes(al, in) {
				t.Logf("ramp of %s %s crossing %s: alert issued %s, lead %v, p = %.2f, %q",
					in.Service, metric, in.Cross.Format(time.RFC3339), al.IssuedAt.Format(time.RFC3339),
					in.Cross.Sub(al.IssuedAt), al.Confidence, al.PredictedEvent)
				found = true
				break
			}
		}
		if found {
			preceded++
		} else {
			t.Logf("ramp of %s %s crossing %s: no alert before it", in.Service, metric, in.Cross.Format(time.RFC3339))
		}
	}
	if ramps == 0 {
		t.Fatal("the stream has no ramp")
	}
	if 10*preceded < 6*ramps {
		t.Errorf("alerts preceded %d of %d ramp crossings, want at least 60 %%", preceded, ramps)
	}

	var counted omen.AlertOutcomes
	for _, al := range alerts {
		counted.Issued++
		switch al.Status {
		case omen.Pending:
			counted.Pending++
		case omen.Materialized:
			counted.Materialized++
			if al.MaterializedAt == nil || al.MaterializedAt.Before(al.WindowStart) || al.MaterializedAt.After(al.WindowEnd) {
				t.Errorf("alert %s materialized at %v, outside its window [%s, %s]", al.ID, al.MaterializedAt, al.WindowStart, al.WindowEnd)
			}
		case omen.Expired:
			counted.Expired++
			t.Logf("expired: %s %s issued %s, p = %.2f, current %.4g, %q", al.Service, al.Metric,
				al.IssuedAt.Format(time.RFC3339), al.Confidence, al.CurrentValue, al.PredictedEvent)
			if al.MaterializedAt != nil {
				t.Errorf("expired alert %s has MaterializedAt %v", al.ID, al.MaterializedAt)
			}
		}
	}
	got := a.Outcomes()
	if got != counted {
		t.Errorf("Outcomes() = %+v, the records count %+v", got, counted)
	}
	t.Logf("alerts: %+v, materialisation rate %.2f, false-alert rate %.2f", got, got.Rate(), got.FalseAlertRate())
	if got.Materialized == 0 || got.FalseAlertRate() >= 0.2 {
		t.Errorf("%d alerts materialized and %d expired: false-alert rate %.2f, want below 0.2",
			got.Materialized, got.Expired, got.FalseAlertRate())
	}
}

// TestAlerterDeterministicReplay: the same windows give identical results whether the services
// are replayed one after the other on one processor or concurrently on two.
func TestAlerterDeterministicReplay(t *testing.T) {
	s := alerterStream(t)
	services := []string{"cache", "queue"}
	cfg := omen.AlerterConfig{Seed: 7, ForecastRecords: 3}

	prev := runtime.GOMAXPROCS(1)
	sequential := map[string][]omen.Results{}
	a := omen.NewAlerter(cfg)
	for _, name := range services {
		sequential[name] = alerterReplay(t, a, alerterMetrics(s, name)[:200])
	}
	runtime.GOMAXPROCS(2)
	defer runtime.GOMAXPROCS(prev)

	concurrent := map[string][]omen.Results{}
	b := omen.NewAlerter(cfg)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, name := range services {
		windows := alerterMetrics(s, name)[:200]
		wg.Go(func() {
			r := make([]omen.Results, 0, len(windows))
			for _, m := range windows {
				got, err := b.Process(context.Background(), m)
				if err != nil {
					t.Error(err)
					return
				}
				r = append(r, got)
			}
			mu.Lock()
			concurrent[name] = r
			mu.Unlock()
		})
	}
	wg.Wait()
	for _, name := range services {
		if diff := cmp.Diff(sequential[name], concurrent[name]); diff != "" {
			t.Errorf("%s: concurrent replay differs (-sequential +concurrent):\n%s", name, diff)
		}
	}
	if alerts := alerterFinal(sequential["cache"]); len(alerts) == 0 {
		t.Error("the replay of cache raised no alert: the comparison covers no alert")
	}
}

// TestAlerterSnapshotRestore: a snapshot taken mid-stream (during a ramp, with an alert
// pending) and restored into a new Alerter — directly, or through Release and a StateStore —
// gives the same results as an uninterrupted run.
func TestAlerterSnapshotRestore(t *testing.T) {
	s := alerterStream(t)
	windows := alerterMetrics(s, "cache")[:200]
	cut := 146 // 2024-01-07T02:00, inside the first ramp of cache
	cfg := omen.AlerterConfig{ForecastRecords: 2}
	whole := alerterReplay(t, omen.NewAlerter(cfg), windows)

	first := omen.NewAlerter(cfg)
	alerterReplay(t, first, windows[:cut])
	if first.Outcomes().Pending == 0 {
		t.Fatal("no alert pending at the cut: the test does not cover pending alerts")
	}
	data, err := first.Snapshot("cache")
	if err != nil {
		t.Fatal(err)
	}

	restored := omen.NewAlerter(cfg)
	if err := restored.Restore("cache", data); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(whole[cut:], alerterReplay(t, restored, windows[cut:])); diff != "" {
		t.Errorf("after Restore (-uninterrupted +restored):\n%s", diff)
	}

	store := omen.NewMemoryStore()
	if err := first.Release(context.Background(), []string{"cache"}); err != nil {
		t.Fatal(err)
	}
	if got := first.Services(); len(got) != 0 {
		t.Errorf("after Release the Alerter still holds %v", got)
	}
	if err := store.SaveState(context.Background(), omen.StateAlerter, "cache", data); err != nil {
		t.Fatal(err)
	}
	lazy := omen.NewAlerter(cfg, omen.WithAlerterStateStore(store))
	if diff := cmp.Diff(whole[cut:], alerterReplay(t, lazy, windows[cut:])); diff != "" {
		t.Errorf("after a lazy restore from the StateStore (-uninterrupted +restored):\n%s", diff)
	}
}

// TestAlerterReleaseSaves: Release writes the state to the StateStore, from which a new Alerter
// resumes.
func TestAlerterReleaseSaves(t *testing.T) {
	s := alerterStream(t)
	windows := alerterMetrics(s, "api")[:60]
	store := omen.NewMemoryStore()
	cfg := omen.AlerterConfig{ForecastRecords: 1}
	a := omen.NewAlerter(cfg, omen.WithAlerterStateStore(store))
	want := alerterReplay(t, omen.NewAlerter(cfg), windows)
	alerterReplay(t, a, windows[:40])
	if err := a.Release(context.Background(), []string{"api", "unknown"}); err != nil {
		t.Fatal(err)
	}
	saved, err := store.LoadState(context.Background(), omen.StateAlerter, "api")
	if err != nil || len(saved) == 0 {
		t.Fatalf("LoadState after Release = %d bytes, %v", len(saved), err)
	}
	if diff := cmp.Diff(want[40:], alerterReplay(t, a, windows[40:])); diff != "" {
		t.Errorf("after Release and lazy restore (-uninterrupted +resumed):\n%s", diff)
	}
}

// Release racing with Observe: a window that looked its service up just before a concurrent
// Release saved and dropped it is still learned — by the state restored from the store, not by
// the dropped one — so the results are those of an uninterrupted run.
func TestAlerterReleaseDuringObserve(t *testing.T) {
	windows := alerterMetrics(alerterStream(t), "api")[:120]
	cfg := omen.AlerterConfig{ForecastRecords: 1}
	want := alerterReplay(t, omen.NewAlerter(cfg), windows)
	for round := range 3 {
		a := omen.NewAlerter(cfg, omen.WithAlerterStateStore(omen.NewMemoryStore()))
		stop := omen.ReleaseContinually(t, a.Release, "api")
		got := alerterReplay(t, a, windows)
		stop()
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("round %d: with concurrent releases (-uninterrupted +released):\n%s", round, diff)
		}
	}
}

// TestAlerterInvalidInput: invalid windows get an error wrapping ErrInvalidMetrics and leave the
// state untouched; a redelivered window gives nothing and no error.
func TestAlerterInvalidInput(t *testing.T) {
	s := alerterStream(t)
	windows := alerterMetrics(s, "auth")[:40]
	a := omen.NewAlerter(omen.AlerterConfig{})
	alerterReplay(t, a, windows)
	before, err := a.Snapshot("auth")
	if err != nil {
		t.Fatal(err)
	}
	last := windows[len(windows)-1]
	next := last
	next.Timestamp = last.Timestamp.Add(time.Hour)
	tests := []struct {
		name string
		edit func(*omen.Metrics)
	}{
		{"empty service", func(m *omen.Metrics) { m.Service = "" }},
		{"NaN error rate", func(m *omen.Metrics) { m.ErrorRate = math.NaN() }},
		{"infinite latency", func(m *omen.Metrics) { m.LatencyP99 = math.Inf(1) }},
		{"negative requests", func(m *omen.Metrics) { m.TotalRequests = -1 }},
		{"negative users", func(m *omen.Metrics) { m.UniqueUsers = -3 }},
		{"no timestamp", func(m *omen.Metrics) { m.Timestamp = time.Time{} }},
		{"older than the last window", func(m *omen.Metrics) { m.Timestamp = last.Timestamp.Add(-2 * time.Hour) }},
	}
	for _, tt := range tests {
		m := next
		tt.edit(&m)
		r, err := a.Observe(context.Background(), m)
		if !errors.Is(err, omen.ErrInvalidMetrics) {
			t.Errorf("%s: error %v, want one wrapping ErrInvalidMetrics", tt.name, err)
		}
		if !r.Empty() {
			t.Errorf("%s: results %+v with the error", tt.name, r)
		}
	}
	r, err := a.Process(context.Background(), last)
	if err != nil || !r.Empty() {
		t.Errorf("redelivered window: %+v, %v; want no results and no error", r, err)
	}
	// The last window's timestamp with another error rate is not a redelivery: rejected, as the
	// Detector rejects it. Another value of a metric not forecast is no concern of the Alerter.
	changed := last
	changed.ErrorRate += 1
	if _, err := a.Process(context.Background(), changed); !errors.Is(err, omen.ErrInvalidMetrics) || !strings.Contains(err.Error(), "already processed with error_rate") {
		t.Errorf("the last window with another error rate: %v, want an error wrapping ErrInvalidMetrics", err)
	}
	changed = last
	changed.UniqueIPs++
	if r, err := a.Process(context.Background(), changed); err != nil || !r.Empty() {
		t.Errorf("the last window with other unique IPs: %+v, %v; want no results and no error", r, err)
	}
	// Process, the consumer's entry, takes an older window for a redelivery: no results, no
	// error (Observe rejects it with ErrStaleWindow).
	older := last
	older.Timestamp = last.Timestamp.Add(-2 * time.Hour)
	if _, err := a.Observe(context.Background(), older); !errors.Is(err, omen.ErrStaleWindow) {
		t.Errorf("Observe(older window) error %v, want ErrStaleWindow", err)
	}
	if r, err := a.Process(context.Background(), older); err != nil || !r.Empty() {
		t.Errorf("Process(older window) = %+v, %v; want no results and no error", r, err)
	}
	after, err := a.Snapshot("auth")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(before, after) {
		t.Error("rejected windows changed the state")
	}
	if got := a.Services(); !slices.Equal(got, []string{"auth"}) {
		t.Errorf("Services() = %v, want [auth]", got)
	}
}

// TestAlerterWarmStart: an Alerter warm-started from a History forecasts from its first live
// window, with the same model as one that saw the history live.
func TestAlerterWarmStart(t *testing.T) {
	s := alerterStream(t)
	windows := alerterMetrics(s, "web")[:80]
	store := omen.NewMemoryStore()
	if err := store.Write(context.Background(), omen.Results{Metrics: windows[:72]}); err != nil {
		t.Fatal(err)
	}
	a := omen.NewAlerter(omen.AlerterConfig{ForecastRecords: 1}, omen.WithAlerterHistory(store))
	r, err := a.Process(context.Background(), windows[72])
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Forecasts) != 2 {
		t.Fatalf("first live window gave %d forecasts, want one per thresholded metric (2)", len(r.Forecasts))
	}
	for _, f := range r.Forecasts {
		if !f.Timestamp.Equal(windows[72].Timestamp.Add(time.Hour)) || f.Actual != nil {
			t.Errorf("forecast %+v: want the next hour, not yet observed", f)
		}
	}
	cold := omen.NewAlerter(omen.AlerterConfig{ForecastRecords: 1})
	if r, err := cold.Process(context.Background(), windows[72]); err != nil || len(r.Forecasts) != 0 {
		t.Errorf("without history the first window gave %d forecasts (%v), want none", len(r.Forecasts), err)
	}
	for _, f := range r.Forecasts {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, m := range windows[:72] {
			v, _ := m.Value(f.Metric)
			lo, hi = min(lo, v), max(hi, v)
		}
		if f.Predicted < lo || f.Predicted > hi {
			t.Errorf("%s forecast %v outside the history's range [%v, %v]", f.Metric, f.Predicted, lo, hi)
		}
	}
}

// TestAlerterConcurrentServices processes several services at once (run with -race).
func TestAlerterConcurrentServices(t *testing.T) {
	s := alerterStream(t)
	a := omen.NewAlerter(omen.AlerterConfig{HistoryWindows: 48, Paths: 100, ForecastRecords: 1})
	var wg sync.WaitGroup
	for _, name := range []string{"api", "auth", "db", "web"} {
		windows := alerterMetrics(s, name)[:60]
		wg.Go(func() {
			for _, m := range windows {
				if _, err := a.Process(context.Background(), m); err != nil {
					t.Error(err)
					return
				}
				_ = a.Outcomes()
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			_ = a.Services()
			_, _ = a.Snapshot("api")
		}
	})
	wg.Wait()
	if got := a.Services(); len(got) != 4 {
		t.Errorf("Services() = %v, want 4", got)
	}
}

// TestAlerterDiscard: Discard forgets a service without saving it; its next window restores
// the last saved state.
func TestAlerterDiscard(t *testing.T) {
	s := alerterStream(t)
	windows := alerterMetrics(s, "db")[:50]
	store := omen.NewMemoryStore()
	cfg := omen.AlerterConfig{ForecastRecords: 1}
	a := omen.NewAlerter(cfg, omen.WithAlerterStateStore(store))
	alerterReplay(t, a, windows[:30])
	if err := a.Release(context.Background(), []string{"db"}); err != nil {
		t.Fatal(err)
	}
	alerterReplay(t, a, windows[30:40]) // restored, then processed but never made durable
	a.Discard([]string{"db"})
	if got := a.Services(); len(got) != 0 {
		t.Fatalf("after Discard: %v", got)
	}
	want := alerterReplay(t, omen.NewAlerter(cfg), windows)[30:]
	if diff := cmp.Diff(want, alerterReplay(t, a, windows[30:])); diff != "" {
		t.Errorf("redelivered windows after Discard (-want +got):\n%s", diff)
	}
}

// TestAlerterSnapshotSize logs the size of a service's state after a week of windows.
func TestAlerterSnapshotSize(t *testing.T) {
	s := alerterStream(t)
	for _, records := range []int{0, -1} {
		a := omen.NewAlerter(omen.AlerterConfig{ForecastRecords: records})
		alerterReplay(t, a, alerterMetrics(s, "web")[:168])
		data, err := a.Snapshot("web")
		if err != nil {
			t.Fatal(err)
		}
		if len(data) == 0 || len(data) > 1<<20 {
			t.Errorf("ForecastRecords %d: state of %d bytes", records, len(data))
		}
		t.Logf("ForecastRecords %d: state of %d bytes after 168 windows", records, len(data))
	}
}

// Phase 4 stamps its windows with the producer's clock, microseconds and all: windows that
// jitter by up to a minute around the hour complete the same forecasts, and settle the same
// alerts the same way, as windows on the hour.
func TestAlerterJitteredTimestamps(t *testing.T) {
	exact := alerterExampleWindows()
	jittered := slices.Clone(exact)
	r := rand.New(rand.NewPCG(7, 8))
	for i := range jittered {
		jittered[i].Timestamp = jittered[i].Timestamp.Add(time.Duration(r.Int64N(int64(2*time.Minute))) - time.Minute)
	}
	run := func(windows []omen.Metrics) (completed int, alerts []omen.PredictiveAlert, o omen.AlertOutcomes) {
		a := omen.NewAlerter(omen.AlerterConfig{ForecastRecords: 3})
		results := alerterReplay(t, a, windows)
		for _, res := range results {
			for _, f := range res.Forecasts {
				if f.Actual != nil {
					completed++
				}
			}
		}
		return completed, alerterFinal(results), a.Outcomes()
	}
	wantCompleted, wantAlerts, wantOutcomes := run(exact)
	completed, alerts, outcomes := run(jittered)
	if wantCompleted == 0 || completed != wantCompleted {
		t.Errorf("%d forecasts completed with jittered timestamps, %d on the hour", completed, wantCompleted)
	}
	if outcomes != wantOutcomes || wantOutcomes.Materialized == 0 {
		t.Errorf("outcomes %+v with jittered timestamps, %+v on the hour", outcomes, wantOutcomes)
	}
	if len(alerts) != len(wantAlerts) {
		t.Fatalf("%d alerts with jittered timestamps, %d on the hour", len(alerts), len(wantAlerts))
	}
	for i, a := range alerts {
		if a.Status != wantAlerts[i].Status || a.Metric != wantAlerts[i].Metric || a.Threshold != wantAlerts[i].Threshold {
			t.Errorf("alert %d: %s %s %v with jitter, %s %s %v on the hour", i, a.Status, a.Metric, a.Threshold,
				wantAlerts[i].Status, wantAlerts[i].Metric, wantAlerts[i].Threshold)
		}
	}
}

// TestAlerterRampAlertsAcrossSeeds repeats the ramp check of TestAlerterRampAlerts on thirty
// generated streams (seeds 1–30, 90 ramps), so that the alerting rules are not fitted to one
// stream: together, at least 70 % of the ramps' crossings are preceded by an alert (the issue asks
// 60 %), with a median lead (from the first such alert to the crossing) of at least 3 hours, and
// fewer than 20 % of the alerts expire without a breach. Measured: 67 of 90, median lead 4 h
// (quartiles 2 and 6 h), 15 %; on seeds 31–50, held out, 41 of 60 and 15 %.
func TestAlerterRampAlertsAcrossSeeds(t *testing.T) {
	if testing.Short() {
		t.Skip("replays thirty streams")
	}
	var ramps, preceded int
	var leads []time.Duration
	var outcomes omen.AlertOutcomes
	for seed := uint64(1); seed <= 30; seed++ {
		s, err := servicegen.Generate(servicegen.Config{Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		a := omen.NewAlerter(omen.AlerterConfig{ForecastRecords: -1})
		alerts := alerterReplayServices(t, a, s)
		for _, in := range s.Incidents {
			if in.Kind != servicegen.Ramp {
				continue
			}
			ramps++
			var first time.Time
			for _, al := range alerts {
				if precedes(al, in) && (first.IsZero() || al.IssuedAt.Before(first)) {
					first = al.IssuedAt
				}
			}
			if !first.IsZero() {
				preceded++
				leads = append(leads, in.Cross.Sub(first))
			}
		}
		o := a.Outcomes()
		outcomes.Issued += o.Issued
		outcomes.Materialized += o.Materialized
		outcomes.Expired += o.Expired
		outcomes.Pending += o.Pending
	}
	slices.Sort(leads)
	t.Logf("%d of %d ramps preceded, lead median %v (quartiles %v, %v); alerts %+v, false-alert rate %.2f", preceded, ramps,
		leads[len(leads)/2], leads[len(leads)/4], leads[3*len(leads)/4], outcomes, outcomes.FalseAlertRate())
	if 10*preceded < 7*ramps {
		t.Errorf("alerts preceded %d of %d ramp crossings, want at least 70 %%", preceded, ramps)
	}
	if lead := leads[len(leads)/2]; lead < 3*time.Hour {
		t.Errorf("median lead %v, want at least 3 h", lead)
	}
	if outcomes.FalseAlertRate() >= 0.2 {
		t.Errorf("false-alert rate %.2f over the thirty streams, want below 0.2", outcomes.FalseAlertRate())
	}
}

// TestAlerterCatchUpAfterCrash: an Alerter saves a service's state mid-stream (Release), goes on
// writing its results (the windows among them) to the store, and crashes without saving again; a
// new Alerter on the same store restores the state, catches up from the stored windows and
// finishes the stream with exactly the results of an uninterrupted run.
func TestAlerterCatchUpAfterCrash(t *testing.T) {
	windows := alerterMetrics(alerterStream(t), "cache")
	cfg := omen.AlerterConfig{ForecastRecords: 2}
	want := alerterReplay(t, omen.NewAlerter(cfg), windows)

	ctx := context.Background()
	store := omen.NewMemoryStore()
	const saved, crashed = 150, 230
	first := omen.NewAlerter(cfg, omen.WithAlerterStateStore(store), omen.WithAlerterHistory(store))
	for i, m := range windows[:crashed] {
		r, err := first.Process(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.Write(ctx, r); err != nil {
			t.Fatal(err)
		}
		if i == saved-1 {
			if err := first.Release(ctx, []string{"cache"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	second := omen.NewAlerter(cfg, omen.WithAlerterStateStore(store), omen.WithAlerterHistory(store))
	got := alerterReplay(t, second, windows[crashed:])
	if diff := cmp.Diff(want[crashed:], got); diff != "" {
		t.Errorf("after the crash and catch-up (-uninterrupted +restarted):\n%s", diff)
	}
	lagging := alerterReplay(t, omen.NewAlerter(cfg, omen.WithAlerterStateStore(store)), windows[crashed:])
	if cmp.Equal(want[crashed:], lagging) {
		t.Error("a state 80 windows behind gave the uninterrupted results: the test cannot tell catch-up from none")
	}
}

// TestAlerterJitterKeepsDailyProfile: windows stamped a second early or up to three seconds
// late (producers stamp windows with their own clocks) are placed in the daily cycle as exact
// hours are, so a strong daily cycle is forecast as well. Placing them by their timestamp
// divided by the estimated step once scrambled the profile: a mean one-step error of 92 ms
// against 2.6 ms for exact hours.
func TestAlerterJitterKeepsDailyProfile(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = 240
	exact, jittered := make([]omen.Metrics, n), make([]omen.Metrics, n)
	for i := range exact {
		hour := float64(i % 24)
		exact[i] = omen.Metrics{Service: "api", Timestamp: t0.Add(time.Duration(i) * time.Hour), Window: time.Hour,
			TotalRequests: 1000, ErrorRate: 0.5, LatencyP50: 50, LatencyP95: 100, LatencyMean: 60,
			LatencyP99: 300 + 150*math.Sin(2*math.Pi*hour/24) + 3*rng.NormFloat64()}
		jittered[i] = exact[i]
		jittered[i].Timestamp = exact[i].Timestamp.Add(time.Duration(rng.IntN(4000)-1000) * time.Millisecond)
	}
	// meanError is the mean absolute one-step forecast error of p99 latency over the last 5 days.
	meanError := func(windows []omen.Metrics) float64 {
		sum, count := 0.0, 0
		for _, r := range alerterReplay(t, omen.NewAlerter(omen.AlerterConfig{ForecastRecords: 1}), windows) {
			for _, f := range r.Forecasts {
				if f.Metric == "latency_p99_ms" && f.Error != nil && f.Timestamp.Sub(t0) >= 5*24*time.Hour {
					sum, count = sum+math.Abs(*f.Error), count+1
				}
			}
		}
		if count < 100 {
			t.Fatalf("%d completed forecasts", count)
		}
		return sum / float64(count)
	}
	e, j := meanError(exact), meanError(jittered)
	if e > 6 || j > 1.2*e {
		t.Errorf("mean one-step error: exact hours %.2f ms, jittered %.2f ms (noise σ 3 ms)", e, j)
	}
}

// TestAlerterExtremeValues: values at the limits Validate allows (0 and MaxMetricValue in
// turn, or an incident of MaxMetricValue) neither panic nor give non-finite forecasts, and every
// snapshot restores. Values near 1e308 once panicked in the seasonal decomposition, and above
// 1e154 gave infinite intervals and snapshots that could not be restored.
func TestAlerterExtremeValues(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	shapes := map[string]func(i int) float64{
		"alternating": func(i int) float64 { return float64(i%2) * omen.MaxMetricValue },
		"incident": func(i int) float64 {
			if i >= 40 && i < 50 {
				return omen.MaxMetricValue
			}
			return 150 + float64(i%24)
		},
	}
	for name, p99 := range shapes {
		a := omen.NewAlerter(omen.AlerterConfig{ForecastRecords: 1})
		for i := range 120 {
			m := omen.Metrics{Service: "api", Timestamp: t0.Add(time.Duration(i) * time.Hour), Window: time.Hour,
				TotalRequests: 1000, ErrorRate: 1, LatencyP50: 50, LatencyP95: 100, LatencyMean: 60, LatencyP99: p99(i)}
			r, err := a.Process(context.Background(), m)
			if err != nil {
				t.Fatalf("%s window %d: %v", name, i, err)
			}
			for _, f := range r.Forecasts {
				if math.IsInf(f.Predicted, 0) || math.IsNaN(f.Predicted) || math.IsInf(f.Lower, 0) || math.IsInf(f.Upper, 0) || math.IsNaN(f.Lower) || math.IsNaN(f.Upper) {
					t.Fatalf("%s window %d: forecast %+v", name, i, f)
				}
			}
			if i%10 == 9 {
				state, err := a.Snapshot("api")
				if err != nil {
					t.Fatal(err)
				}
				if err := omen.NewAlerter(omen.AlerterConfig{}).Restore("api", state); err != nil {
					t.Fatalf("%s window %d: restore: %v", name, i, err)
				}
			}
		}
	}
}

// TestAlerterLevels: an alert's severity is the level of its score under AlerterConfig.Levels
// (they were always 25, 50 and 75), so that alerts read as anomalies do under the same
// DetectorConfig.Levels.
func TestAlerterLevels(t *testing.T) {
	levels := severity.Levels{Medium: 5, High: 10, Critical: 15}
	a := omen.NewAlerter(omen.AlerterConfig{ForecastRecords: -1, Levels: levels})
	alerts := alerterReplayServices(t, a, alerterStream(t))
	if len(alerts) == 0 {
		t.Fatal("no alerts")
	}
	moved := 0
	for _, al := range alerts {
		if want := omen.Severity(levels.Of(al.Score).String()); al.Severity != want {
			t.Errorf("alert %s: score %.1f, severity %s, want %s", al.ID, al.Score, al.Severity, want)
		}
		if (severity.Levels{}).Of(al.Score) != levels.Of(al.Score) {
			moved++
		}
	}
	if moved == 0 {
		t.Error("no alert's level differs from the default levels': the test shows nothing")
	}
	defer func() {
		if recover() == nil {
			t.Error("decreasing levels accepted")
		}
	}()
	omen.NewAlerter(omen.AlerterConfig{Levels: severity.Levels{Medium: 60, High: 50}})
}

// TestAlerterUnreadableStateStartsAfresh: a service whose stored state cannot be decoded is
// warm-started from the History as a service met for the first time, and the reason reported;
// it once failed every window, for ever.
func TestAlerterUnreadableStateStartsAfresh(t *testing.T) {
	ctx := context.Background()
	windows := alerterMetrics(alerterStream(t), "api")[:120]
	store := omen.NewMemoryStore()
	if err := store.Write(ctx, omen.Results{Metrics: windows[:100]}); err != nil {
		t.Fatal(err)
	}
	if err := store.SaveState(ctx, omen.StateAlerter, "api", []byte("not a state")); err != nil {
		t.Fatal(err)
	}
	var reasons []error
	a := omen.NewAlerter(omen.AlerterConfig{ForecastRecords: 1}, omen.WithAlerterHistory(store), omen.WithAlerterStateStore(store),
		omen.WithAlerterRejectedState(func(service string, err error) { reasons = append(reasons, err) }))
	fresh := omen.NewAlerter(omen.AlerterConfig{ForecastRecords: 1}, omen.WithAlerterHistory(store))
	if diff := cmp.Diff(alerterReplay(t, fresh, windows[100:]), alerterReplay(t, a, windows[100:])); diff != "" {
		t.Errorf("differs from a fresh start (-fresh +got):\n%s", diff)
	}
	if len(reasons) != 1 || !errors.Is(reasons[0], omen.ErrAlerterState) {
		t.Errorf("reported %v, want one ErrAlerterState", reasons)
	}
}

// TestAlerterRestoreCatchesUpAnyGap: as TestRestoreCatchesUpAnyGap for the Alerter: a state
// saved more than HistoryWindows windows before a crash catches up on every window since.
func TestAlerterRestoreCatchesUpAnyGap(t *testing.T) {
	ctx := context.Background()
	windows := alerterMetrics(alerterStream(t), "api")
	cfg := omen.AlerterConfig{ForecastRecords: 1}
	want := alerterReplay(t, omen.NewAlerter(cfg), windows)
	saved := omen.NewAlerter(cfg)
	alerterReplay(t, saved, windows[:60])
	state, err := saved.Snapshot("api")
	if err != nil {
		t.Fatal(err)
	}
	store := omen.NewMemoryStore()
	if err := store.Write(ctx, omen.Results{Metrics: windows[:300]}); err != nil {
		t.Fatal(err)
	}
	if err := store.SaveState(ctx, omen.StateAlerter, "api", state); err != nil {
		t.Fatal(err)
	}
	successor := omen.NewAlerter(cfg, omen.WithAlerterStateStore(store), omen.WithAlerterHistory(store))
	if diff := cmp.Diff(want[300:], alerterReplay(t, successor, windows[300:])); diff != "" {
		t.Errorf("after a gap of 240 windows (-uninterrupted +successor):\n%s", diff)
	}
}
