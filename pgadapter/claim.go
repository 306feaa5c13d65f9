package pgadapter

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stacklens/omen"
)

// The claims of ClaimUnsentAlerts and ClaimUnnotifiedAnomalies: the due rows, oldest first, are
// locked (rows another transaction holds are skipped, so concurrent claims are disjoint), their
// next retry is scheduled, and they are returned. Only rows that omen wrote are candidates (the
// original system's rows lack metric_name or anomaly_score). Numbers are read as text, which
// holds every stored NUMERIC exactly (NaN included) and parses back to the float64 that was
// written; a NULL reads as NaN, a NULL text as empty.
//
// $1, $2: the created_at range; $3: the limit; $4, $5: the backoff and its cap, in seconds
// (computed in floating point: an interval's microseconds would overflow).
const (
	claimUnsentAlerts = `
WITH due AS (
    SELECT alert_id FROM ml_predictive_alerts
    WHERE NOT alert_sent AND status = 'pending' AND NOT COALESCE(materialized, FALSE)
      AND metric_name IS NOT NULL
      AND created_at >= $1 AND created_at < $2
      AND (notify_next_at IS NULL OR notify_next_at <= CURRENT_TIMESTAMP)
    ORDER BY created_at, alert_id
    LIMIT $3
    FOR UPDATE SKIP LOCKED
)
UPDATE ml_predictive_alerts a
SET notify_attempts = a.notify_attempts + 1,
    notify_next_at = CURRENT_TIMESTAMP + make_interval(secs => LEAST($4 * power(2, LEAST(a.notify_attempts, 30)), $5))
FROM due
WHERE a.alert_id = due.alert_id
RETURNING a.alert_id, a.service, COALESCE(a.metric_name, ''), COALESCE(a.prediction_type, ''),
       COALESCE(a.predicted_event, ''), COALESCE(a.prediction_confidence::text, 'NaN'), a.issued_at,
       a.predicted_time_start, a.predicted_time_end, a.expected_breach_at, a.breach_range_start,
       a.breach_range_end, COALESCE(a.current_value::text, 'NaN'), COALESCE(a.predicted_value::text, 'NaN'),
       COALESCE(a.baseline_value::text, 'NaN'), COALESCE(a.threshold_value::text, 'NaN'),
       COALESCE(a.recommended_action, ''), COALESCE(a.priority, ''), COALESCE(a.severity, ''),
       COALESCE(a.alert_score::text, 'NaN'), a.created_at`
	claimUnnotifiedAnomalies = `
WITH due AS (
    SELECT anomaly_id FROM ml_anomalies
    WHERE severity = 'critical' AND NOT COALESCE(resolved, FALSE) AND notified_at IS NULL
      AND anomaly_score IS NOT NULL
      AND created_at >= $1 AND created_at < $2
      AND (notify_next_at IS NULL OR notify_next_at <= CURRENT_TIMESTAMP)
    ORDER BY created_at, anomaly_id
    LIMIT $3
    FOR UPDATE SKIP LOCKED
)
UPDATE ml_anomalies a
SET notify_attempts = a.notify_attempts + 1,
    notify_next_at = CURRENT_TIMESTAMP + make_interval(secs => LEAST($4 * power(2, LEAST(a.notify_attempts, 30)), $5))
FROM due
WHERE a.anomaly_id = due.anomaly_id
RETURNING a.anomaly_id, a.service, a.anomaly_type, a.severity, a.timestamp, COALESCE(a.metric_name, ''),
       COALESCE(a.metric_value::text, 'NaN'), COALESCE(a.baseline_value::text, 'NaN'),
       COALESCE(a.deviation_percent::text, 'NaN'), COALESCE(a.confidence_score::text, 'NaN'),
       COALESCE(a.description, ''), COALESCE(a.anomaly_score::text, 'NaN'), a.contributions::text, a.created_at`
)

// Claim selects the records that ClaimUnsentAlerts and ClaimUnnotifiedAnomalies take for a
// retry, and schedules their next one.
type Claim struct {
	// StoredFrom and StoredBefore bound the time the rows were stored (created_at, by the
	// database's clock) to [StoredFrom, StoredBefore); a zero bound is open.
	StoredFrom, StoredBefore time.Time
	// Limit is the number of records claimed at most, the oldest first; it must be positive.
	Limit int
	// Backoff is the wait after a record's first claim before it can be claimed again; it
	// doubles with each further claim of the record, up to MaxBackoff. Both must be positive.
	Backoff, MaxBackoff time.Duration
}

// ClaimUnsentAlerts claims the predictive alerts that a notifier was to deliver and has not
// marked sent (alert_sent false), still pending, and due for a retry, as c selects them; each
// is then not due again for c's backoff. A pipeline hands them to its notifier again, so that a
// delivery that failed (a webhook down for longer than its retries, a notification queue that
// overflowed, a crash before the delivery) is made later; concurrent claims (several instances)
// never take the same alert, a record that keeps failing backs off, and the newer ones are not
// held up behind it. Which targets already have an alert is in delivered_to
// (MarkAlertDelivered), so that only the others get it.
//
// The alerts come back oldest first, as they were written, with Status pending, except that
// their timestamps have PostgreSQL's microsecond precision.
func (s *Store) ClaimUnsentAlerts(ctx context.Context, c Claim) ([]omen.PredictiveAlert, error) {
	return claim(ctx, s, "unsent alerts", claimUnsentAlerts, c, scanAlert)
}

// ClaimUnnotifiedAnomalies claims the open critical anomalies that a notifier was to deliver and
// has not marked notified (notified_at NULL), as c selects them; see ClaimUnsentAlerts.
func (s *Store) ClaimUnnotifiedAnomalies(ctx context.Context, c Claim) ([]omen.Anomaly, error) {
	return claim(ctx, s, "unnotified anomalies", claimUnnotifiedAnomalies, c, scanAnomaly)
}

// LeaseAlerts takes the notification of each of the predictive alerts ids that no retry holds
// (notify_next_at unset or past) for lease, and returns the IDs it took: a notifier about to
// deliver new alerts sends only those, so that a concurrent claim (ClaimUnsentAlerts, by
// another instance) cannot take the same alert until the lease ends. Unknown IDs are left out.
// lease must be positive.
func (s *Store) LeaseAlerts(ctx context.Context, ids []string, lease time.Duration) ([]string, error) {
	return s.lease(ctx, "ml_predictive_alerts", "alert_id", "alerts", ids, lease)
}

// LeaseAnomalies is LeaseAlerts for anomalies.
func (s *Store) LeaseAnomalies(ctx context.Context, ids []string, lease time.Duration) ([]string, error) {
	return s.lease(ctx, "ml_anomalies", "anomaly_id", "anomalies", ids, lease)
}

// lease runs the lease of LeaseAlerts on table; table and column are constants of this package.
func (s *Store) lease(ctx context.Context, table, column, what string, ids []string, lease time.Duration) ([]string, error) {
	if lease <= 0 {
		return nil, fmt.Errorf("pgadapter: lease %s: lease %v, want a positive duration", what, lease)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, "UPDATE "+table+" SET notify_next_at = CURRENT_TIMESTAMP + make_interval(secs => $2) WHERE "+
		column+" = ANY ($1) AND (notify_next_at IS NULL OR notify_next_at <= CURRENT_TIMESTAMP) RETURNING "+column, ids, lease.Seconds())
	if err != nil {
		return nil, fmt.Errorf("pgadapter: lease %s: %w", what, err)
	}
	taken, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("pgadapter: lease %s: %w", what, err)
	}
	return taken, nil
}

// claimed is a claimed record with the time its row was stored and its ID, the claim's order.
type claimed[T any] struct {
	record T
	stored time.Time
	id     string
}

// claim runs query, one of the claims above, with the parameters of c, and returns the records
// oldest first.
func claim[T any](ctx context.Context, s *Store, what, query string, c Claim, scan func(pgx.CollectableRow) (claimed[T], error)) ([]T, error) {
	switch {
	case c.Limit < 1:
		return nil, fmt.Errorf("pgadapter: claim %s: limit %d, want at least 1", what, c.Limit)
	case c.Backoff <= 0 || c.MaxBackoff < c.Backoff:
		return nil, fmt.Errorf("pgadapter: claim %s: backoff %v up to %v, want 0 < backoff ≤ maximum", what, c.Backoff, c.MaxBackoff)
	}
	from, before := "-infinity", "infinity"
	if !c.StoredFrom.IsZero() {
		from = c.StoredFrom.UTC().Format(time.RFC3339Nano)
	}
	if !c.StoredBefore.IsZero() {
		before = c.StoredBefore.UTC().Format(time.RFC3339Nano)
	}
	rows, err := s.pool.Query(ctx, query, from, before, c.Limit, c.Backoff.Seconds(), c.MaxBackoff.Seconds())
	if err != nil {
		return nil, fmt.Errorf("pgadapter: claim %s: %w", what, err)
	}
	got, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return nil, fmt.Errorf("pgadapter: claim %s: %w", what, err)
	}
	slices.SortFunc(got, func(a, b claimed[T]) int {
		if c := a.stored.Compare(b.stored); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	out := make([]T, len(got))
	for i, g := range got {
		out[i] = g.record
	}
	return out, nil
}

// numbers parses the text of NUMERIC columns into their fields; the first failure is kept.
type numbers struct{ err error }

func (n *numbers) parse(column, text string, to *float64) {
	v, err := strconv.ParseFloat(text, 64)
	if err != nil && n.err == nil {
		n.err = fmt.Errorf("column %s: %w", column, err)
	}
	*to = v
}

func scanAlert(row pgx.CollectableRow) (claimed[omen.PredictiveAlert], error) {
	var (
		a                                                    omen.PredictiveAlert
		confidence, current, predicted, baseline, thr, score string
		times                                                [6]*time.Time
		stored                                               time.Time
	)
	err := row.Scan(&a.ID, &a.Service, &a.Metric, &a.PredictionType, &a.PredictedEvent, &confidence,
		&times[0], &times[1], &times[2], &times[3], &times[4], &times[5],
		&current, &predicted, &baseline, &thr, &a.RecommendedAction, &a.Priority, &a.Severity, &score, &stored)
	if err != nil {
		return claimed[omen.PredictiveAlert]{}, err
	}
	for i, to := range []*time.Time{&a.IssuedAt, &a.WindowStart, &a.WindowEnd, &a.ExpectedBreach, &a.BreachEarliest, &a.BreachLatest} {
		if times[i] != nil {
			*to = times[i].UTC()
		}
	}
	var n numbers
	n.parse("prediction_confidence", confidence, &a.Confidence)
	n.parse("current_value", current, &a.CurrentValue)
	n.parse("predicted_value", predicted, &a.PredictedValue)
	n.parse("baseline_value", baseline, &a.BaselineValue)
	n.parse("threshold_value", thr, &a.Threshold)
	n.parse("alert_score", score, &a.Score)
	a.Status = omen.Pending
	return claimed[omen.PredictiveAlert]{a, stored, a.ID}, n.err
}

func scanAnomaly(row pgx.CollectableRow) (claimed[omen.Anomaly], error) {
	var (
		a                                             omen.Anomaly
		value, baseline, deviation, confidence, score string
		contributions                                 *string
		stored                                        time.Time
	)
	err := row.Scan(&a.ID, &a.Service, &a.Type, &a.Severity, &a.Timestamp, &a.Metric, &value, &baseline,
		&deviation, &confidence, &a.Description, &score, &contributions, &stored)
	if err != nil {
		return claimed[omen.Anomaly]{}, err
	}
	a.Timestamp = a.Timestamp.UTC()
	var n numbers
	n.parse("metric_value", value, &a.Value)
	n.parse("baseline_value", baseline, &a.Baseline)
	n.parse("deviation_percent", deviation, &a.DeviationPercent)
	n.parse("confidence_score", confidence, &a.Confidence)
	n.parse("anomaly_score", score, &a.Score)
	if contributions != nil && n.err == nil {
		if err := json.Unmarshal([]byte(*contributions), &a.Contributions); err != nil {
			n.err = fmt.Errorf("column contributions: %w", err)
		}
	}
	return claimed[omen.Anomaly]{a, stored, a.ID}, n.err
}
