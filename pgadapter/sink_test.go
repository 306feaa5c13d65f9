package pgadapter

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stacklens/omen"
)

var countedTables = []string{
	"analytics_metrics_1hour", "ml_anomalies", "ml_anomaly_history", "ml_patterns", "ml_forecasts",
	"ml_predictive_alerts",
}

func rowCounts(t *testing.T, pool *pgxpool.Pool) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, table := range countedTables {
		out[table] = count(t, pool, "SELECT COUNT(*) FROM "+table)
	}
	return out
}

func TestWriteTwiceKeepsRowCounts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, pool := newTestStore(t)
	r := testResults(testNow())
	if err := store.Write(ctx, r); err != nil {
		t.Fatalf("first Write: %v", err)
	}
	first := rowCounts(t, pool)
	want := map[string]int64{
		"analytics_metrics_1hour": int64(len(r.Metrics)), "ml_anomalies": int64(len(r.Anomalies)),
		"ml_anomaly_history": 0, "ml_patterns": int64(len(r.Patterns)),
		"ml_forecasts": int64(len(r.Forecasts)), "ml_predictive_alerts": int64(len(r.Alerts)),
	}
	if !reflect.DeepEqual(first, want) {
		t.Fatalf("after one Write: rows %v, want %v", first, want)
	}
	if err := store.Write(ctx, r); err != nil {
		t.Fatalf("second Write: %v", err)
	}
	if second := rowCounts(t, pool); !reflect.DeepEqual(second, first) {
		t.Errorf("after the same Write again: rows %v, want %v", second, first)
	}

	// Duplicates within one call: the last record of a key wins and nothing fails.
	dup := r
	dup.Anomalies = append(append([]omen.Anomaly{}, r.Anomalies...), r.Anomalies...)
	dup.Metrics = append(append([]omen.Metrics{}, r.Metrics...), r.Metrics...)
	dup.Alerts = append(append([]omen.PredictiveAlert{}, r.Alerts...), r.Alerts...)
	dup.Forecasts = append(append([]omen.Forecast{}, r.Forecasts...), r.Forecasts...)
	dup.Patterns = append(append([]omen.Pattern{}, r.Patterns...), r.Patterns...)
	if err := store.Write(ctx, dup); err != nil {
		t.Fatalf("Write with duplicate keys: %v", err)
	}
	if third := rowCounts(t, pool); !reflect.DeepEqual(third, first) {
		t.Errorf("after a Write with duplicates: rows %v, want %v", third, first)
	}
	if err := store.Write(ctx, omen.Results{}); err != nil {
		t.Errorf("empty Write: %v", err)
	}
}

func TestWriteRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, pool := newTestStore(t)
	now := testNow()
	a := testAnomaly("api", now, omen.Outlier, omen.Critical, 0.95)
	p := testPattern("api", now)
	f := testForecast("api", now, 1)
	al := testAlert("api", now)
	if err := store.Write(ctx, omen.Results{Anomalies: []omen.Anomaly{a}, Patterns: []omen.Pattern{p},
		Forecasts: []omen.Forecast{f}, Alerts: []omen.PredictiveAlert{al}}); err != nil {
		t.Fatalf("Write: %v", err)
	}

	var got omen.Anomaly
	var contributions []byte
	var typ, severity string
	if err := pool.QueryRow(ctx, `SELECT anomaly_id, service, anomaly_type, severity, anomaly_score, timestamp,
		metric_name, metric_value, baseline_value, deviation_percent, confidence_score, description, resolved,
		contributions FROM ml_anomalies`).Scan(&got.ID, &got.Service, &typ, &severity, &got.Score,
		&got.Timestamp, &got.Metric, &got.Value, &got.Baseline, &got.DeviationPercent, &got.Confidence,
		&got.Description, &got.Resolved, &contributions); err != nil {
		t.Fatal(err)
	}
	got.Type, got.Severity, got.Timestamp = omen.AnomalyType(typ), omen.Severity(severity), got.Timestamp.UTC()
	if err := json.Unmarshal(contributions, &got.Contributions); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, a) {
		t.Errorf("anomaly read back\n%+v\nwant\n%+v", got, a)
	}

	var gp omen.Pattern
	if err := pool.QueryRow(ctx, `SELECT pattern_id, service, pattern_name, pattern_type, window_size, confidence,
		feature_vector, feature_names, occurrences, first_seen, last_seen, is_active FROM ml_patterns`).Scan(
		&gp.ID, &gp.Service, &gp.Name, &gp.Type, &gp.WindowSize, &gp.Confidence, &gp.Vector, &gp.Features,
		&gp.Occurrences, &gp.FirstSeen, &gp.LastSeen, &gp.Active); err != nil {
		t.Fatal(err)
	}
	gp.FirstSeen, gp.LastSeen = gp.FirstSeen.UTC(), gp.LastSeen.UTC()
	if !reflect.DeepEqual(gp, p) {
		t.Errorf("pattern read back\n%+v\nwant\n%+v", gp, p)
	}

	var gf omen.Forecast
	if err := pool.QueryRow(ctx, `SELECT forecast_id, service, metric_name, issued_at, forecast_timestamp,
		predicted_value, prediction_lower_bound, prediction_upper_bound, confidence_interval, actual_value,
		prediction_error, model_type, model_order FROM ml_forecasts`).Scan(&gf.ID, &gf.Service, &gf.Metric,
		&gf.IssuedAt, &gf.Timestamp, &gf.Predicted, &gf.Lower, &gf.Upper, &gf.Level, &gf.Actual, &gf.Error,
		&gf.Model, &gf.ModelOrder); err != nil {
		t.Fatal(err)
	}
	gf.IssuedAt, gf.Timestamp = gf.IssuedAt.UTC(), gf.Timestamp.UTC()
	if !reflect.DeepEqual(gf, f) {
		t.Errorf("forecast read back\n%+v\nwant\n%+v", gf, f)
	}

	var ga omen.PredictiveAlert
	var priority, asev, status string
	if err := pool.QueryRow(ctx, `SELECT alert_id, service, metric_name, prediction_type, predicted_event,
		prediction_confidence, issued_at, predicted_time_start, predicted_time_end, expected_breach_at,
		breach_range_start, breach_range_end, current_value, predicted_value, baseline_value, threshold_value,
		recommended_action, priority, severity, alert_score, status, alert_sent, alert_sent_at, materialized_at
		FROM ml_predictive_alerts`).Scan(&ga.ID, &ga.Service, &ga.Metric, &ga.PredictionType, &ga.PredictedEvent,
		&ga.Confidence, &ga.IssuedAt, &ga.WindowStart, &ga.WindowEnd, &ga.ExpectedBreach, &ga.BreachEarliest,
		&ga.BreachLatest, &ga.CurrentValue, &ga.PredictedValue, &ga.BaselineValue, &ga.Threshold,
		&ga.RecommendedAction, &priority, &asev, &ga.Score, &status, &ga.Sent, &ga.SentAt,
		&ga.MaterializedAt); err != nil {
		t.Fatal(err)
	}
	ga.Priority, ga.Severity, ga.Status = omen.Priority(priority), omen.Severity(asev), omen.AlertStatus(status)
	for _, tm := range []*time.Time{&ga.IssuedAt, &ga.WindowStart, &ga.WindowEnd, &ga.ExpectedBreach, &ga.BreachEarliest, &ga.BreachLatest} {
		*tm = tm.UTC()
	}
	if !reflect.DeepEqual(ga, al) {
		t.Errorf("alert read back\n%+v\nwant\n%+v", ga, al)
	}
}

func TestForecastCompletedWithActual(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, pool := newTestStore(t)
	f := testForecast("api", testNow(), 1)
	if err := store.Write(ctx, omen.Results{Forecasts: []omen.Forecast{f}}); err != nil {
		t.Fatal(err)
	}
	done := f
	done.Actual = ptr(4.0)
	if err := store.Write(ctx, omen.Results{Forecasts: []omen.Forecast{done}}); err != nil {
		t.Fatal(err)
	}
	read := func() (actual, predErr *float64) {
		t.Helper()
		if err := pool.QueryRow(ctx, "SELECT actual_value, prediction_error FROM ml_forecasts WHERE forecast_id = $1",
			f.ID).Scan(&actual, &predErr); err != nil {
			t.Fatal(err)
		}
		return actual, predErr
	}
	actual, predErr := read()
	if actual == nil || *actual != 4 || predErr == nil || *predErr != 4-f.Predicted {
		t.Errorf("after completion: actual %v, error %v; want 4 and %v", actual, predErr, 4-f.Predicted)
	}
	// A later write without the actual (a redelivered issue) does not erase it.
	if err := store.Write(ctx, omen.Results{Forecasts: []omen.Forecast{f}}); err != nil {
		t.Fatal(err)
	}
	if actual2, predErr2 := read(); !reflect.DeepEqual(actual2, actual) || !reflect.DeepEqual(predErr2, predErr) {
		t.Errorf("a write without actual changed it to %v, %v", actual2, predErr2)
	}
	if n := count(t, pool, "SELECT COUNT(*) FROM ml_forecasts WHERE updated_at IS NOT NULL"); n != 1 {
		t.Errorf("updated_at not maintained")
	}
}

func TestAlertLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, pool := newTestStore(t)
	now := testNow()
	a := testAlert("api", now)
	if err := store.Write(ctx, omen.Results{Alerts: []omen.PredictiveAlert{a}}); err != nil {
		t.Fatal(err)
	}
	if sent, err := store.AlertSent(ctx, a.ID); sent || err != nil {
		t.Errorf("AlertSent before the mark = %v, %v; want false", sent, err)
	}
	sentAt := now.Add(time.Minute)
	if err := store.MarkAlertSent(ctx, a.ID, sentAt); err != nil {
		t.Fatalf("MarkAlertSent: %v", err)
	}
	if sent, err := store.AlertSent(ctx, a.ID); !sent || err != nil {
		t.Errorf("AlertSent after the mark = %v, %v; want true", sent, err)
	}
	if sent, err := store.AlertSent(ctx, "no-such-alert"); sent || err != nil {
		t.Errorf("AlertSent of an unknown alert = %v, %v; want false, nil", sent, err)
	}
	if err := store.MarkAlertSent(ctx, a.ID, sentAt.Add(time.Hour)); err != nil {
		t.Fatalf("MarkAlertSent again: %v", err)
	}
	if err := store.MarkAlertSent(ctx, "no-such-alert", sentAt); !errors.Is(err, ErrNotFound) {
		t.Errorf("MarkAlertSent of an unknown alert: %v, want ErrNotFound", err)
	}
	type state struct {
		Status         string
		Sent           bool
		SentAt         *time.Time
		Materialized   bool
		MaterializedAt *time.Time
	}
	read := func() state {
		t.Helper()
		var s state
		if err := pool.QueryRow(ctx, `SELECT status, alert_sent, alert_sent_at, materialized, materialized_at
			FROM ml_predictive_alerts WHERE alert_id = $1`, a.ID).Scan(&s.Status, &s.Sent, &s.SentAt,
			&s.Materialized, &s.MaterializedAt); err != nil {
			t.Fatal(err)
		}
		return s
	}
	check := func(stage string, want state) {
		t.Helper()
		got := read()
		same := got.Status == want.Status && got.Sent == want.Sent && got.Materialized == want.Materialized &&
			equalTimes(got.SentAt, want.SentAt) && equalTimes(got.MaterializedAt, want.MaterializedAt)
		if !same {
			t.Errorf("%s: %+v, want %+v", stage, got, want)
		}
	}
	check("after MarkAlertSent", state{Status: "pending", Sent: true, SentAt: &sentAt})

	// The engine writes the alert again without knowing it was sent: the mark stays.
	if err := store.Write(ctx, omen.Results{Alerts: []omen.PredictiveAlert{a}}); err != nil {
		t.Fatal(err)
	}
	check("after a rewrite", state{Status: "pending", Sent: true, SentAt: &sentAt})

	matAt := now.Add(2 * time.Hour)
	m := a
	m.Status, m.MaterializedAt = omen.Materialized, &matAt
	if err := store.Write(ctx, omen.Results{Alerts: []omen.PredictiveAlert{m}}); err != nil {
		t.Fatal(err)
	}
	check("after materializing", state{Status: "materialized", Sent: true, SentAt: &sentAt, Materialized: true, MaterializedAt: &matAt})

	// A redelivered pending version does not undo a final state.
	if err := store.Write(ctx, omen.Results{Alerts: []omen.PredictiveAlert{a}}); err != nil {
		t.Fatal(err)
	}
	check("after a stale pending write", state{Status: "materialized", Sent: true, SentAt: &sentAt, Materialized: true, MaterializedAt: &matAt})
}

func equalTimes(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func TestResolveAnomalyWritesHistory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, pool := newTestStore(t, func(c *pgxpool.Config) {})
	now := testNow()
	a := testAnomaly("api", now, omen.Spike, omen.High, 0.8)
	b := testAnomaly("api", now.Add(-time.Hour), omen.Dip, omen.Low, 0.6)
	if err := store.Write(ctx, omen.Results{Anomalies: []omen.Anomaly{a, b}}); err != nil {
		t.Fatal(err)
	}
	if err := store.ResolveAnomaly(ctx, a.ID, "deploy rolled back", "alice"); err != nil {
		t.Fatalf("ResolveAnomaly: %v", err)
	}
	var oldStatus, newStatus, reason, by string
	var resolvedAt *time.Time
	if err := pool.QueryRow(ctx, `SELECT old_status, new_status, resolution_reason, changed_by, resolved_at
		FROM ml_anomaly_history WHERE anomaly_id = $1`, a.ID).Scan(&oldStatus, &newStatus, &reason, &by,
		&resolvedAt); err != nil {
		t.Fatalf("history row: %v", err)
	}
	if oldStatus != "open" || newStatus != "resolved" || reason != "deploy rolled back" || by != "alice" || resolvedAt == nil {
		t.Errorf("history row (%s, %s, %q, %q, %v); want (open, resolved, deploy rolled back, alice, a time)",
			oldStatus, newStatus, reason, by, resolvedAt)
	}

	// Resolving again changes nothing; an unknown anomaly is ErrNotFound.
	if err := store.ResolveAnomaly(ctx, a.ID, "again", "bob"); err != nil {
		t.Errorf("second ResolveAnomaly: %v", err)
	}
	if err := store.ResolveAnomaly(ctx, "no-such-anomaly", "x", "y"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ResolveAnomaly of an unknown anomaly: %v, want ErrNotFound", err)
	}
	if n := count(t, pool, "SELECT COUNT(*) FROM ml_anomaly_history"); n != 1 {
		t.Errorf("%d history rows, want 1", n)
	}

	// The engine writing b as resolved resolves it, with the store's author; a resolved anomaly
	// written as open stays resolved.
	b.Resolved = true
	a.Resolved = false
	if err := store.Write(ctx, omen.Results{Anomalies: []omen.Anomaly{a, b}}); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, "SELECT changed_by FROM ml_anomaly_history WHERE anomaly_id = $1", b.ID).Scan(&by); err != nil || by != "omen" {
		t.Errorf("history of the engine's resolution: changed_by %q, %v; want omen", by, err)
	}
	if n := count(t, pool, "SELECT COUNT(*) FROM ml_anomalies WHERE resolved"); n != 2 {
		t.Errorf("%d resolved anomalies, want 2", n)
	}
	if err := store.Write(ctx, omen.Results{Anomalies: []omen.Anomaly{a, b}}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, pool, "SELECT COUNT(*) FROM ml_anomaly_history"); n != 2 {
		t.Errorf("%d history rows after a repeated write, want 2", n)
	}
	// Without an author, the history names the database user.
	c := testAnomaly("api", now.Add(-2*time.Hour), omen.Spike, omen.Low, 0.3)
	if err := store.Write(ctx, omen.Results{Anomalies: []omen.Anomaly{c}}); err != nil {
		t.Fatal(err)
	}
	if err := store.ResolveAnomaly(ctx, c.ID, "", ""); err != nil {
		t.Fatal(err)
	}
	if n := count(t, pool, `SELECT COUNT(*) FROM ml_anomaly_history
		WHERE anomaly_id = $1 AND changed_by = session_user AND resolution_reason IS NULL`, c.ID); n != 1 {
		t.Errorf("history of an anonymous resolution does not name the database user")
	}

	if notified, err := store.AnomalyNotified(ctx, a.ID); notified || err != nil {
		t.Errorf("AnomalyNotified before the mark = %v, %v; want false", notified, err)
	}
	if err := store.MarkAnomalyNotified(ctx, a.ID, now); err != nil {
		t.Errorf("MarkAnomalyNotified: %v", err)
	}
	if notified, err := store.AnomalyNotified(ctx, a.ID); !notified || err != nil {
		t.Errorf("AnomalyNotified after the mark = %v, %v; want true", notified, err)
	}
	if notified, err := store.AnomalyNotified(ctx, "nope"); notified || err != nil {
		t.Errorf("AnomalyNotified of an unknown anomaly = %v, %v; want false, nil", notified, err)
	}
	if err := store.MarkAnomalyNotified(ctx, a.ID, now.Add(time.Hour)); err != nil {
		t.Errorf("MarkAnomalyNotified again: %v", err)
	}
	if err := store.MarkAnomalyNotified(ctx, "nope", now); !errors.Is(err, ErrNotFound) {
		t.Errorf("MarkAnomalyNotified of an unknown anomaly: %v, want ErrNotFound", err)
	}
	var notified time.Time
	if err := pool.QueryRow(ctx, "SELECT notified_at FROM ml_anomalies WHERE anomaly_id = $1", a.ID).Scan(&notified); err != nil || !notified.Equal(now) {
		t.Errorf("notified_at = %v, %v; want the first mark %v", notified, err, now)
	}
}

// TestRejectsInvalidRecordsBeforeSQL uses a pool that cannot connect: a rejected write must fail
// on the record, never on the connection.
func TestRejectsInvalidRecordsBeforeSQL(t *testing.T) {
	t.Parallel()
	cfg, err := pgxpool.ParseConfig("postgres://nobody@127.0.0.1:1/none?connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	store := New(pool)
	now := testNow()
	nan, inf := math.NaN(), math.Inf(1)
	cases := []struct {
		name   string
		mutate func(*omen.Results)
		want   string
	}{
		{"anomaly value NaN", func(r *omen.Results) { r.Anomalies[0].Value = nan }, "metric_value is NaN"},
		{"anomaly confidence +Inf", func(r *omen.Results) { r.Anomalies[0].Confidence = inf }, "confidence_score is +Inf"},
		{"anomaly score -Inf", func(r *omen.Results) { r.Anomalies[0].Score = -inf }, "anomaly_score is -Inf"},
		{"anomaly contribution NaN", func(r *omen.Results) { r.Anomalies[0].Contributions["error_rate"] = nan }, "contributions[error_rate] is NaN"},
		{"anomaly without id", func(r *omen.Results) { r.Anomalies[0].ID = "" }, "no anomaly_id"},
		{"anomaly without timestamp", func(r *omen.Results) { r.Anomalies[0].Timestamp = time.Time{} }, "no timestamp"},
		{"anomaly service too long", func(r *omen.Results) { r.Anomalies[0].Service = strings.Repeat("é", 256) }, "service has 256 characters"},
		{"anomaly description with NUL", func(r *omen.Results) { r.Anomalies[0].Description = "a\x00b" }, "NUL"},
		{"anomaly metric not UTF-8", func(r *omen.Results) { r.Anomalies[0].Metric = "\xff" }, "not valid UTF-8"},
		{"pattern vector NaN", func(r *omen.Results) { r.Patterns[0].Vector[3] = nan }, "feature_vector[3] is NaN"},
		{"forecast actual +Inf", func(r *omen.Results) { r.Forecasts[0].Actual = ptr(inf) }, "actual_value is +Inf"},
		{"forecast lower NaN", func(r *omen.Results) { r.Forecasts[0].Lower = nan }, "prediction_lower_bound is NaN"},
		{"alert threshold NaN", func(r *omen.Results) { r.Alerts[0].Threshold = nan }, "threshold_value is NaN"},
		{"alert score +Inf", func(r *omen.Results) { r.Alerts[0].Score = inf }, "alert_score is +Inf"},
		{"metrics latency NaN", func(r *omen.Results) { r.Metrics[0].LatencyP99 = nan }, "latency_p99_ms"},
		// pgx's encoding wraps beyond the year 9999: 586577 was stored as 2023.
		{"anomaly far in the future", func(r *omen.Results) { r.Anomalies[0].Timestamp = time.Date(586577, 12, 2, 6, 0, 0, 0, time.UTC) },
			"timestamp 586577-12-02T06:00:00Z outside the years 1–9999"},
		{"pattern last seen far away", func(r *omen.Results) { r.Patterns[0].LastSeen = time.Date(-300000, 1, 1, 0, 0, 0, 0, time.UTC) }, "last_seen"},
		{"forecast far in the future", func(r *omen.Results) { r.Forecasts[0].Timestamp = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, "forecast_timestamp"},
		{"alert materialized far away", func(r *omen.Results) {
			at := time.Date(20000, 1, 1, 0, 0, 0, 0, time.UTC)
			r.Alerts[0].MaterializedAt = &at
		}, "materialized_at"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := testResults(now)
			c.mutate(&r)
			err := store.Write(context.Background(), r)
			if !errors.Is(err, ErrInvalidRecord) || !errors.Is(err, omen.ErrRejectedRecord) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Write: %v; want ErrInvalidRecord (and omen.ErrRejectedRecord) naming %q", err, c.want)
			}
		})
	}
	if n := pool.Stat().TotalConns(); n != 0 {
		t.Errorf("rejected writes opened %d connections", n)
	}
}

// TestConcurrentOverlappingWrites runs writers of the same keys in different orders at once, as
// two instances do around a rebalance: none fails (no deadlock) and no row is duplicated.
func TestConcurrentOverlappingWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, pool := newTestStore(t, func(c *pgxpool.Config) { c.MaxConns = 4 })
	r := benchResults(200, 0)
	var wg sync.WaitGroup
	errs := make(chan error, 4*10)
	for w := range 4 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for range 10 {
				mine := r
				mine.Anomalies = slices.Clone(r.Anomalies)
				mine.Alerts = slices.Clone(r.Alerts)
				mine.Metrics = slices.Clone(r.Metrics)
				rng.Shuffle(len(mine.Anomalies), func(i, j int) { mine.Anomalies[i], mine.Anomalies[j] = mine.Anomalies[j], mine.Anomalies[i] })
				rng.Shuffle(len(mine.Alerts), func(i, j int) { mine.Alerts[i], mine.Alerts[j] = mine.Alerts[j], mine.Alerts[i] })
				rng.Shuffle(len(mine.Metrics), func(i, j int) { mine.Metrics[i], mine.Metrics[j] = mine.Metrics[j], mine.Metrics[i] })
				errs <- store.Write(ctx, mine)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent Write: %v", err)
		}
	}
	for table, want := range map[string]int{"ml_anomalies": len(r.Anomalies), "ml_predictive_alerts": len(r.Alerts),
		"analytics_metrics_1hour": len(r.Metrics), "ml_forecasts": len(r.Forecasts)} {
		if n := count(t, pool, "SELECT COUNT(*) FROM "+table); n != int64(want) {
			t.Errorf("%s has %d rows, want %d", table, n, want)
		}
	}
}

// An existing Phase 4 table keeps its narrower columns (Migrate creates analytics_metrics_1hour
// only when it is absent): a value beyond them is refused by PostgreSQL for good, and Write says
// so with omen.ErrRejectedRecord, writing nothing; an error that may pass (a cancelled context)
// does not.
func TestWriteRefusedValueIsRejected(t *testing.T) {
	t.Parallel()
	store, pool := newTestStore(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, "ALTER TABLE analytics_metrics_1hour ALTER COLUMN total_requests TYPE INTEGER"); err != nil {
		t.Fatal(err)
	}
	r := testResults(time.Date(2024, 1, 15, 10, 0, 0, 0, time.UTC))
	r.Metrics[0].TotalRequests = 3_000_000_000
	err := store.Write(ctx, r)
	if !errors.Is(err, omen.ErrRejectedRecord) || errors.Is(err, ErrInvalidRecord) || !strings.Contains(err.Error(), "22003") {
		t.Fatalf("Write of 3·10⁹ requests into an INTEGER column: %v; want omen.ErrRejectedRecord with SQLSTATE 22003", err)
	}
	if n := count(t, pool, "SELECT COUNT(*) FROM ml_anomalies"); n != 0 {
		t.Errorf("%d anomalies written by the refused batch", n)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	r.Metrics[0].TotalRequests = 5
	if err := store.Write(cancelled, r); err == nil || errors.Is(err, omen.ErrRejectedRecord) {
		t.Errorf("Write with a cancelled context: %v; want an error that is not a rejection", err)
	}
}

// TestFinalAlertKeepsMaterialization: an alert written as expired stays expired and not
// materialized when a later write says materialized (the row once read expired and materialized
// at once, and the quick start counted it in the materialization rate).
func TestFinalAlertKeepsMaterialization(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, pool := newTestStore(t)
	a := testAlert("api", testNow())
	a.Status = omen.Expired
	if err := store.Write(ctx, omen.Results{Alerts: []omen.PredictiveAlert{a}}); err != nil {
		t.Fatal(err)
	}
	at := testNow()
	a.Status, a.MaterializedAt = omen.Materialized, &at
	if err := store.Write(ctx, omen.Results{Alerts: []omen.PredictiveAlert{a}}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, pool, "SELECT COUNT(*) FROM ml_predictive_alerts WHERE alert_id = $1 AND status = 'expired' AND NOT materialized AND materialized_at IS NULL", a.ID); n != 1 {
		t.Error("the expired alert changed")
	}
}

// TestStalePatternWriteChangesNothing: a pattern written again with older contents (a
// redelivery after a newer write) leaves the newer row whole; it once mixed the older
// occurrences and vector with the newer last_seen.
func TestStalePatternWriteChangesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, pool := newTestStore(t)
	older := testPattern("api", testNow())
	older.Occurrences = 24
	newer := older
	newer.Occurrences, newer.LastSeen, newer.Vector = 30, older.LastSeen.Add(6*time.Hour), slices.Clone(older.Vector)
	newer.Vector[0]++
	for _, p := range []omen.Pattern{newer, older} {
		if err := store.Write(ctx, omen.Results{Patterns: []omen.Pattern{p}}); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(t, pool, "SELECT COUNT(*) FROM ml_patterns WHERE pattern_id = $1 AND occurrences = 30 AND last_seen = $2 AND feature_vector[1] = $3",
		newer.ID, newer.LastSeen, newer.Vector[0]); n != 1 {
		t.Error("the older write changed the newer row")
	}
}
