package pgadapter

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stacklens/omen"
)

// Write makes r durable in one transaction: all of it or, on error, none of it. It implements
// omen.Sink and is idempotent: every record is upserted by its key, so writing the same results
// twice leaves the same rows.
//
// What a second write of a key changes:
//   - metrics (analytics_metrics_1hour, keyed by service and timestamp): every measure. The
//     table's failed_requests and successful_requests are derived as
//     round(total_requests·error_rate/100) and the rest; its latency_min, latency_max and
//     high_risk_count, which omen.Metrics lacks, are left as they are.
//   - anomalies: nothing, except that an anomaly written as resolved resolves a stored open one
//     (which fires the history trigger). A resolved anomaly is never reopened by a write, and an
//     archived one (ml_archive_old_anomalies) is not written again: it stays in the archive.
//   - patterns: every field, from a write at least as recent (by last_seen) as the stored row;
//     first_seen keeps the earliest time. An older write (a redelivery) changes nothing: it once
//     left a row mixing its fields with the newer last_seen.
//   - forecasts: every field, except that a known actual value and prediction error are never
//     erased by a write without them. A forecast with an actual value and no error gets
//     prediction_error = actual − predicted.
//   - predictive alerts: every field, except that a final status (materialized, expired) stays
//     final with its materialized and materialized_at (an expired alert never becomes
//     materialized), and alert_sent, alert_sent_at, materialized and materialized_at only move
//     forward (a notifier's MarkAlertSent survives the engine's later writes).
//
// Within one call, the last record of a key wins. Concurrent Writes of the same keys are safe:
// rows are locked in key order, so they serialize rather than deadlock. Records are checked
// before anything is sent (see ErrInvalidRecord). Rows are sent as arrays, one statement per
// table, in one pipelined batch that is also the transaction. Metrics go to
// analytics_metrics_1hour whatever their Window.
func (s *Store) Write(ctx context.Context, r omen.Results) error {
	if err := checkResults(r); err != nil {
		return err
	}
	if r.Empty() {
		return nil
	}
	var w batchWriter
	w.metrics(uniqueBy(r.Metrics, byMetricsKey))
	w.anomalies(uniqueBy(r.Anomalies, byID(func(a *omen.Anomaly) string { return a.ID })), s.author)
	w.patterns(uniqueBy(r.Patterns, byID(func(p *omen.Pattern) string { return p.ID })))
	w.forecasts(uniqueBy(r.Forecasts, byID(func(f *omen.Forecast) string { return f.ID })))
	w.alerts(uniqueBy(r.Alerts, byID(func(a *omen.PredictiveAlert) string { return a.ID })))
	return w.send(ctx, s.pool)
}

// batchWriter queues one Write's statements, each with a label for its errors.
type batchWriter struct {
	batch  pgx.Batch
	labels []string
}

func (w *batchWriter) queue(label, sql string, args ...any) {
	w.batch.Queue(sql, args...)
	w.labels = append(w.labels, label)
}

// send runs the queued statements as one pipelined batch, which PostgreSQL executes as one
// implicit transaction: the batch ends with a single Sync, at which the server commits, or rolls
// everything back if any statement failed. It returns once the commit is acknowledged.
func (w *batchWriter) send(ctx context.Context, pool *pgxpool.Pool) error {
	results := pool.SendBatch(ctx, &w.batch)
	for _, label := range w.labels {
		if _, err := results.Exec(); err != nil {
			results.Close()
			if refusedData(err) {
				return fmt.Errorf("pgadapter: write %s: %w: %w", label, omen.ErrRejectedRecord, err)
			}
			return fmt.Errorf("pgadapter: write %s: %w", label, err)
		}
	}
	if err := results.Close(); err != nil {
		return fmt.Errorf("pgadapter: write: %w", err)
	}
	return nil
}

// refusedData reports whether err is PostgreSQL refusing the data itself, which no retry of the
// same write can change: a data exception (SQLSTATE class 22: a number out of its column's range,
// a string too long, …) or a not-null, foreign-key or check violation (23502, 23503, 23514) —
// as an older Phase 4 table with narrower columns raises for values omen's own schema takes.
func refusedData(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch {
	case strings.HasPrefix(pe.Code, "22"):
		return true
	case pe.Code == "23502", pe.Code == "23503", pe.Code == "23514":
		return true
	}
	return false
}

// uniqueBy returns items without earlier duplicates of a key (an INSERT … ON CONFLICT DO UPDATE
// cannot touch one row twice), sorted by key; compare orders two items by their keys. Every Write
// thus locks the rows of a table in the same order, so concurrent Writes of overlapping keys wait
// for each other instead of deadlocking.
func uniqueBy[T any](items []T, compare func(a, b *T) int) []T {
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	// Ties are broken by position, so the last of each run of equal keys is the latest item.
	slices.SortFunc(order, func(i, j int) int {
		if c := compare(&items[i], &items[j]); c != 0 {
			return c
		}
		return i - j
	})
	out := make([]T, 0, len(items))
	for k, i := range order {
		if k+1 < len(order) && compare(&items[i], &items[order[k+1]]) == 0 {
			continue
		}
		out = append(out, items[i])
	}
	return out
}

// byMetricsKey orders windows by service and time; PostgreSQL keeps microseconds, so times
// within the same microsecond are one row.
func byMetricsKey(a, b *omen.Metrics) int {
	return cmp.Or(strings.Compare(a.Service, b.Service), cmp.Compare(a.Timestamp.UnixMicro(), b.Timestamp.UnixMicro()))
}

// byID orders records by their ID.
func byID[T any](id func(*T) string) func(a, b *T) int {
	return func(a, b *T) int { return strings.Compare(id(a), id(b)) }
}

const upsertMetrics = `
INSERT INTO analytics_metrics_1hour
    (service, timestamp, total_requests, successful_requests, failed_requests, error_rate,
     latency_p50, latency_p95, latency_p99, latency_mean, unique_users, unique_ips, avg_risk_score)
SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::int8[], $4::int8[], $5::int8[],
     $6::text[]::numeric[], $7::text[]::numeric[], $8::text[]::numeric[], $9::text[]::numeric[],
     $10::text[]::numeric[], $11::int8[], $12::int8[], $13::text[]::numeric[])
ON CONFLICT (service, timestamp) DO UPDATE SET
    total_requests = EXCLUDED.total_requests,
    successful_requests = EXCLUDED.successful_requests,
    failed_requests = EXCLUDED.failed_requests,
    error_rate = EXCLUDED.error_rate,
    latency_p50 = EXCLUDED.latency_p50,
    latency_p95 = EXCLUDED.latency_p95,
    latency_p99 = EXCLUDED.latency_p99,
    latency_mean = EXCLUDED.latency_mean,
    unique_users = EXCLUDED.unique_users,
    unique_ips = EXCLUDED.unique_ips,
    avg_risk_score = EXCLUDED.avg_risk_score`

func (w *batchWriter) metrics(ms []omen.Metrics) {
	if len(ms) == 0 {
		return
	}
	type m = omen.Metrics
	failed := func(m m) int64 { return int64(math.Round(float64(m.TotalRequests) * m.ErrorRate / 100)) }
	w.queue("metrics", upsertMetrics,
		column(ms, func(m m) string { return m.Service }),
		column(ms, func(m m) time.Time { return m.Timestamp }),
		column(ms, func(m m) int64 { return m.TotalRequests }),
		column(ms, func(m m) int64 { return m.TotalRequests - failed(m) }),
		column(ms, failed),
		column(ms, func(m m) string { return decimal(m.ErrorRate) }),
		column(ms, func(m m) string { return decimal(m.LatencyP50) }),
		column(ms, func(m m) string { return decimal(m.LatencyP95) }),
		column(ms, func(m m) string { return decimal(m.LatencyP99) }),
		column(ms, func(m m) string { return decimal(m.LatencyMean) }),
		column(ms, func(m m) int64 { return m.UniqueUsers }),
		column(ms, func(m m) int64 { return m.UniqueIPs }),
		column(ms, func(m m) string { return decimal(m.RiskScore) }))
}

// lockArchiveShared waits for an archiving run (ml_archive_old_anomalies, which holds the lock
// exclusively) to commit, and keeps the next one from starting until this transaction ends. Its
// own statement, so that the anomalies' statement, whose snapshot comes after it, sees the rows
// the run archived: without it a write racing with the run waited for the row lock and then put
// an archived anomaly back, open and unnotified.
const lockArchiveShared = `SELECT pg_advisory_xact_lock_shared(hashtextextended('omen.pgadapter.archive:' || current_schema(), 0))`

const upsertAnomalies = `
INSERT INTO ml_anomalies
    (anomaly_id, service, anomaly_type, severity, timestamp, metric_name, metric_value, baseline_value,
     deviation_percent, confidence_score, description, resolved, resolved_at, resolved_by, anomaly_score,
     contributions)
SELECT t.id, t.service, t.type, t.severity, t.ts, t.metric, t.value, t.baseline, t.deviation, t.confidence,
       t.description, t.resolved, CASE WHEN t.resolved THEN CURRENT_TIMESTAMP END,
       CASE WHEN t.resolved THEN $15::text END, t.score, t.contributions::jsonb
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[],
     $7::text[]::numeric[], $8::text[]::numeric[], $9::text[]::numeric[], $10::text[]::numeric[],
     $11::text[], $12::bool[], $13::text[]::numeric[], $14::text[])
     AS t(id, service, type, severity, ts, metric, value, baseline, deviation, confidence, description,
          resolved, score, contributions)
WHERE NOT EXISTS (SELECT 1 FROM ml_anomalies_archive arc WHERE arc.anomaly_id = t.id)
ON CONFLICT (anomaly_id) DO UPDATE SET
    resolved = TRUE,
    resolved_at = CURRENT_TIMESTAMP,
    resolved_by = EXCLUDED.resolved_by
WHERE EXCLUDED.resolved AND NOT COALESCE(ml_anomalies.resolved, FALSE)`

func (w *batchWriter) anomalies(as []omen.Anomaly, author string) {
	if len(as) == 0 {
		return
	}
	type a = omen.Anomaly
	w.queue("anomalies: wait for archiving", lockArchiveShared)
	w.queue("anomalies", upsertAnomalies,
		column(as, func(a a) string { return a.ID }),
		column(as, func(a a) string { return a.Service }),
		column(as, func(a a) string { return string(a.Type) }),
		column(as, func(a a) string { return string(a.Severity) }),
		column(as, func(a a) time.Time { return a.Timestamp }),
		column(as, func(a a) string { return a.Metric }),
		column(as, func(a a) string { return decimal(a.Value) }),
		column(as, func(a a) string { return decimal(a.Baseline) }),
		column(as, func(a a) string { return decimal(a.DeviationPercent) }),
		column(as, func(a a) string { return decimal(a.Confidence) }),
		column(as, func(a a) string { return a.Description }),
		column(as, func(a a) bool { return a.Resolved }),
		column(as, func(a a) string { return decimal(a.Score) }),
		column(as, func(a a) *string { return contributionsJSON(a.Contributions) }),
		author)
}

// contributionsJSON encodes an outlier's contributions, or returns nil (SQL NULL) when there are
// none. Finite numbers under string keys always encode.
func contributionsJSON(c map[string]float64) *string {
	if c == nil {
		return nil
	}
	js, _ := json.Marshal(c)
	s := string(js)
	return &s
}

const upsertPattern = `
INSERT INTO ml_patterns
    (pattern_id, service, pattern_name, pattern_type, window_size, confidence, feature_vector, feature_names,
     occurrences, first_seen, last_seen, is_active)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT (pattern_id) DO UPDATE SET
    service = EXCLUDED.service,
    pattern_name = EXCLUDED.pattern_name,
    pattern_type = EXCLUDED.pattern_type,
    window_size = EXCLUDED.window_size,
    confidence = EXCLUDED.confidence,
    feature_vector = EXCLUDED.feature_vector,
    feature_names = EXCLUDED.feature_names,
    occurrences = EXCLUDED.occurrences,
    first_seen = LEAST(ml_patterns.first_seen, EXCLUDED.first_seen),
    last_seen = GREATEST(ml_patterns.last_seen, EXCLUDED.last_seen),
    is_active = EXCLUDED.is_active
WHERE ml_patterns.last_seen IS NULL OR EXCLUDED.last_seen IS NULL OR EXCLUDED.last_seen >= ml_patterns.last_seen`

// patterns queues one statement per pattern: their feature vectors are arrays, which one
// unnest would flatten. Patterns are few.
func (w *batchWriter) patterns(ps []omen.Pattern) {
	for _, p := range ps {
		w.queue("pattern "+p.ID, upsertPattern, p.ID, p.Service, p.Name, p.Type, int32(p.WindowSize),
			p.Confidence, p.Vector, p.Features, int32(p.Occurrences), nullTime(p.FirstSeen),
			nullTime(p.LastSeen), p.Active)
	}
}

const upsertForecasts = `
INSERT INTO ml_forecasts
    (forecast_id, service, metric_name, issued_at, forecast_timestamp, predicted_value, prediction_lower_bound,
     prediction_upper_bound, confidence_interval, actual_value, prediction_error, model_type, model_order,
     updated_at)
SELECT t.*, CURRENT_TIMESTAMP
FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[],
     $6::text[]::numeric[], $7::text[]::numeric[], $8::text[]::numeric[], $9::text[]::numeric[],
     $10::text[]::numeric[], $11::text[]::numeric[], $12::text[], $13::text[]) AS t
ON CONFLICT (forecast_id) DO UPDATE SET
    service = EXCLUDED.service,
    metric_name = EXCLUDED.metric_name,
    issued_at = EXCLUDED.issued_at,
    forecast_timestamp = EXCLUDED.forecast_timestamp,
    predicted_value = EXCLUDED.predicted_value,
    prediction_lower_bound = EXCLUDED.prediction_lower_bound,
    prediction_upper_bound = EXCLUDED.prediction_upper_bound,
    confidence_interval = EXCLUDED.confidence_interval,
    actual_value = COALESCE(EXCLUDED.actual_value, ml_forecasts.actual_value),
    prediction_error = COALESCE(EXCLUDED.prediction_error, ml_forecasts.prediction_error),
    model_type = EXCLUDED.model_type,
    model_order = EXCLUDED.model_order,
    updated_at = CURRENT_TIMESTAMP`

func (w *batchWriter) forecasts(fs []omen.Forecast) {
	if len(fs) == 0 {
		return
	}
	type f = omen.Forecast
	predictionError := func(f f) *string {
		if f.Error == nil && f.Actual != nil {
			return nullDecimal(ptrTo(*f.Actual - f.Predicted))
		}
		return nullDecimal(f.Error)
	}
	w.queue("forecasts", upsertForecasts,
		column(fs, func(f f) string { return f.ID }),
		column(fs, func(f f) string { return f.Service }),
		column(fs, func(f f) string { return f.Metric }),
		column(fs, func(f f) *time.Time { return nullTime(f.IssuedAt) }),
		column(fs, func(f f) *time.Time { return nullTime(f.Timestamp) }),
		column(fs, func(f f) string { return decimal(f.Predicted) }),
		column(fs, func(f f) string { return decimal(f.Lower) }),
		column(fs, func(f f) string { return decimal(f.Upper) }),
		column(fs, func(f f) string { return decimal(f.Level) }),
		column(fs, func(f f) *string { return nullDecimal(f.Actual) }),
		column(fs, predictionError),
		column(fs, func(f f) string { return f.Model }),
		column(fs, func(f f) string { return f.ModelOrder }))
}

const upsertAlerts = `
INSERT INTO ml_predictive_alerts
    (alert_id, service, metric_name, prediction_type, predicted_event, prediction_confidence, issued_at,
     predicted_time_start, predicted_time_end, expected_breach_at, breach_range_start, breach_range_end,
     current_value, predicted_value, baseline_value, threshold_value, recommended_action, priority, severity,
     alert_score, status, alert_sent, alert_sent_at, materialized, materialized_at)
SELECT t.id, t.service, t.metric, t.prediction_type, t.event, t.confidence, t.issued, t.window_start,
       t.window_end, t.breach, t.breach_earliest, t.breach_latest, t.current_value, t.predicted_value,
       t.baseline_value, t.threshold, t.action, t.priority, t.severity, t.score, t.status, t.sent, t.sent_at,
       t.status = 'materialized',
       CASE WHEN t.status = 'materialized' THEN COALESCE(t.materialized_at, CURRENT_TIMESTAMP) END
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]::numeric[],
     $7::timestamptz[], $8::timestamptz[], $9::timestamptz[], $10::timestamptz[], $11::timestamptz[],
     $12::timestamptz[], $13::text[]::numeric[], $14::text[]::numeric[], $15::text[]::numeric[],
     $16::text[]::numeric[], $17::text[], $18::text[], $19::text[], $20::text[]::numeric[], $21::text[],
     $22::bool[], $23::timestamptz[], $24::timestamptz[])
     AS t(id, service, metric, prediction_type, event, confidence, issued, window_start, window_end, breach,
          breach_earliest, breach_latest, current_value, predicted_value, baseline_value, threshold, action,
          priority, severity, score, status, sent, sent_at, materialized_at)
ON CONFLICT (alert_id) DO UPDATE SET
    service = EXCLUDED.service,
    metric_name = EXCLUDED.metric_name,
    prediction_type = EXCLUDED.prediction_type,
    predicted_event = EXCLUDED.predicted_event,
    prediction_confidence = EXCLUDED.prediction_confidence,
    issued_at = EXCLUDED.issued_at,
    predicted_time_start = EXCLUDED.predicted_time_start,
    predicted_time_end = EXCLUDED.predicted_time_end,
    expected_breach_at = EXCLUDED.expected_breach_at,
    breach_range_start = EXCLUDED.breach_range_start,
    breach_range_end = EXCLUDED.breach_range_end,
    current_value = EXCLUDED.current_value,
    predicted_value = EXCLUDED.predicted_value,
    baseline_value = EXCLUDED.baseline_value,
    threshold_value = EXCLUDED.threshold_value,
    recommended_action = EXCLUDED.recommended_action,
    priority = EXCLUDED.priority,
    severity = EXCLUDED.severity,
    alert_score = EXCLUDED.alert_score,
    status = CASE WHEN ml_predictive_alerts.status IN ('materialized', 'expired')
                  THEN ml_predictive_alerts.status ELSE EXCLUDED.status END,
    alert_sent = COALESCE(ml_predictive_alerts.alert_sent, FALSE) OR EXCLUDED.alert_sent,
    alert_sent_at = COALESCE(ml_predictive_alerts.alert_sent_at, EXCLUDED.alert_sent_at),
    materialized = CASE WHEN ml_predictive_alerts.status IN ('materialized', 'expired')
                        THEN ml_predictive_alerts.materialized
                        ELSE COALESCE(ml_predictive_alerts.materialized, FALSE) OR EXCLUDED.materialized END,
    materialized_at = CASE WHEN ml_predictive_alerts.status IN ('materialized', 'expired')
                           THEN ml_predictive_alerts.materialized_at
                           ELSE COALESCE(ml_predictive_alerts.materialized_at, EXCLUDED.materialized_at) END`

func (w *batchWriter) alerts(as []omen.PredictiveAlert) {
	if len(as) == 0 {
		return
	}
	type a = omen.PredictiveAlert
	w.queue("predictive alerts", upsertAlerts,
		column(as, func(a a) string { return a.ID }),
		column(as, func(a a) string { return a.Service }),
		column(as, func(a a) string { return a.Metric }),
		column(as, func(a a) string { return a.PredictionType }),
		column(as, func(a a) string { return a.PredictedEvent }),
		column(as, func(a a) string { return decimal(a.Confidence) }),
		column(as, func(a a) *time.Time { return nullTime(a.IssuedAt) }),
		column(as, func(a a) *time.Time { return nullTime(a.WindowStart) }),
		column(as, func(a a) *time.Time { return nullTime(a.WindowEnd) }),
		column(as, func(a a) *time.Time { return nullTime(a.ExpectedBreach) }),
		column(as, func(a a) *time.Time { return nullTime(a.BreachEarliest) }),
		column(as, func(a a) *time.Time { return nullTime(a.BreachLatest) }),
		column(as, func(a a) string { return decimal(a.CurrentValue) }),
		column(as, func(a a) string { return decimal(a.PredictedValue) }),
		column(as, func(a a) string { return decimal(a.BaselineValue) }),
		column(as, func(a a) string { return decimal(a.Threshold) }),
		column(as, func(a a) string { return a.RecommendedAction }),
		column(as, func(a a) string { return string(a.Priority) }),
		column(as, func(a a) string { return string(a.Severity) }),
		column(as, func(a a) string { return decimal(a.Score) }),
		column(as, func(a a) string { return string(a.Status) }),
		column(as, func(a a) bool { return a.Sent }),
		column(as, func(a a) *time.Time { return a.SentAt }),
		column(as, func(a a) *time.Time { return a.MaterializedAt }))
}

// column extracts one column of rows, the array bound to one parameter of an unnest.
func column[R, T any](rows []R, value func(R) T) []T {
	out := make([]T, len(rows))
	for i, r := range rows {
		out[i] = value(r)
	}
	return out
}

func ptrTo[T any](v T) *T { return &v }

// decimal returns the shortest decimal that reads back as v, which PostgreSQL's NUMERIC input
// stores exactly. (Sending float8 and casting would round to 15 digits; pgx's own NUMERIC
// encoding of a float64 is exact too but costs a big.Int per value.)
func decimal(v float64) string {
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func nullDecimal(v *float64) *string {
	if v == nil {
		return nil
	}
	s := decimal(*v)
	return &s
}

// nullTime maps the zero time, meaning unknown, to SQL NULL.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
