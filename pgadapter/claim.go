package pgadapter

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stacklens/omen"
)

// The claims of ClaimUnsentAlerts and ClaimUnnotifiedAnomalies: the due rows, oldest first, are
// locked (rows another transaction holds are skipped, so concurrent claims are disjoint), their
// next retry is scheduled, and they are returned oldest first. Only rows that omen wrote are
// candidates (the original system's rows lack metric_name or anomaly_score). Numbers are read
// as text, which holds every stored NUMERIC exactly (NaN included) and parses back to the
// float64 that was written; a NULL reads as NaN, a NULL text as empty.
//
// $1, $2: the rows' least and greatest age; $3: the limit; $4, $5: the backoff and its cap. All
// durations are in seconds, computed in floating point (an interval's microseconds overflow).
const (
	claimUnsentAlerts = `
WITH due AS (
    SELECT alert_id FROM ml_predictive_alerts
    WHERE NOT alert_sent AND status = 'pending' AND NOT COALESCE(materialized, FALSE)
      AND metric_name IS NOT NULL
      AND created_at <= CURRENT_TIMESTAMP - make_interval(secs => $1)
      AND created_at >= CURRENT_TIMESTAMP - make_interval(secs => $2)
      AND (notify_next_at IS NULL OR notify_next_at <= CURRENT_TIMESTAMP)
    ORDER BY created_at, alert_id
    LIMIT $3
    FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE ml_predictive_alerts a
    SET notify_attempts = a.notify_attempts + 1,
        notify_next_at = CURRENT_TIMESTAMP + make_interval(secs => LEAST($4 * power(2, LEAST(a.notify_attempts, 30)), $5))
    FROM due
    WHERE a.alert_id = due.alert_id
    RETURNING a.*
)
SELECT alert_id, service, COALESCE(metric_name, ''), COALESCE(prediction_type, ''),
       COALESCE(predicted_event, ''), COALESCE(prediction_confidence::text, 'NaN'), issued_at,
       predicted_time_start, predicted_time_end, expected_breach_at, breach_range_start,
       breach_range_end, COALESCE(current_value::text, 'NaN'), COALESCE(predicted_value::text, 'NaN'),
       COALESCE(baseline_value::text, 'NaN'), COALESCE(threshold_value::text, 'NaN'),
       COALESCE(recommended_action, ''), COALESCE(priority, ''), COALESCE(severity, ''),
       COALESCE(alert_score::text, 'NaN')
FROM claimed
ORDER BY created_at, alert_id`
	claimUnnotifiedAnomalies = `
WITH due AS (
    SELECT anomaly_id FROM ml_anomalies
    WHERE severity = 'critical' AND NOT COALESCE(resolved, FALSE) AND notified_at IS NULL
      AND anomaly_score IS NOT NULL
      AND created_at <= CURRENT_TIMESTAMP - make_interval(secs => $1)
      AND created_at >= CURRENT_TIMESTAMP - make_interval(secs => $2)
      AND (notify_next_at IS NULL OR notify_next_at <= CURRENT_TIMESTAMP)
    ORDER BY created_at, anomaly_id
    LIMIT $3
    FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE ml_anomalies a
    SET notify_attempts = a.notify_attempts + 1,
        notify_next_at = CURRENT_TIMESTAMP + make_interval(secs => LEAST($4 * power(2, LEAST(a.notify_attempts, 30)), $5))
    FROM due
    WHERE a.anomaly_id = due.anomaly_id
    RETURNING a.*
)
SELECT anomaly_id, service, anomaly_type, severity, timestamp, COALESCE(metric_name, ''),
       COALESCE(metric_value::text, 'NaN'), COALESCE(baseline_value::text, 'NaN'),
       COALESCE(deviation_percent::text, 'NaN'), COALESCE(confidence_score::text, 'NaN'),
       COALESCE(description, ''), COALESCE(anomaly_score::text, 'NaN'), contributions::text
FROM claimed
ORDER BY created_at, anomaly_id`
)

// Claim selects the records that ClaimUnsentAlerts and ClaimUnnotifiedAnomalies take for a
// retry, and schedules their next one. Ages are measured on the database's clock, from the time
// a row was stored (created_at).
type Claim struct {
	// MinAge and MaxAge bound the age of the rows claimed: stored at least MinAge and at most
	// MaxAge ago. MaxAge must exceed MinAge.
	MinAge, MaxAge time.Duration
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

// claim runs query, one of the claims above, with the parameters of c.
func claim[T any](ctx context.Context, s *Store, what, query string, c Claim, scan pgx.RowToFunc[T]) ([]T, error) {
	switch {
	case c.Limit < 1:
		return nil, fmt.Errorf("pgadapter: claim %s: limit %d, want at least 1", what, c.Limit)
	case c.MinAge < 0 || c.MaxAge <= c.MinAge:
		return nil, fmt.Errorf("pgadapter: claim %s: ages %v to %v, want 0 ≤ least < greatest", what, c.MinAge, c.MaxAge)
	case c.Backoff <= 0 || c.MaxBackoff < c.Backoff:
		return nil, fmt.Errorf("pgadapter: claim %s: backoff %v up to %v, want 0 < backoff ≤ maximum", what, c.Backoff, c.MaxBackoff)
	}
	rows, err := s.pool.Query(ctx, query, c.MinAge.Seconds(), c.MaxAge.Seconds(), c.Limit, c.Backoff.Seconds(), c.MaxBackoff.Seconds())
	if err != nil {
		return nil, fmt.Errorf("pgadapter: claim %s: %w", what, err)
	}
	out, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return nil, fmt.Errorf("pgadapter: claim %s: %w", what, err)
	}
	return out, nil
}

// LeaseAlerts sets notify_next_at to now + lease on those of the predictive alerts ids whose
// notify_next_at is unset or past, and returns their IDs: no claim takes them until the lease
// ends. A notifier about to deliver new alerts leases them first and sends only those it leased,
// so that no other instance retries an alert while it is being delivered. Unknown IDs are left
// out; lease must be positive.
func (s *Store) LeaseAlerts(ctx context.Context, ids []string, lease time.Duration) ([]string, error) {
	return s.leaseRows(ctx, "ml_predictive_alerts", "alert_id", "alerts", ids, lease)
}

// LeaseAnomalies is LeaseAlerts for anomalies.
func (s *Store) LeaseAnomalies(ctx context.Context, ids []string, lease time.Duration) ([]string, error) {
	return s.leaseRows(ctx, "ml_anomalies", "anomaly_id", "anomalies", ids, lease)
}

// leaseRows runs the lease of LeaseAlerts on table; table and column are constants of this
// package.
func (s *Store) leaseRows(ctx context.Context, table, column, what string, ids []string, lease time.Duration) ([]string, error) {
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

// numbers parses the text of NUMERIC columns into their fields; the first failure is kept.
type numbers struct{ err error }

func (n *numbers) parse(column, text string, to *float64) {
	v, err := strconv.ParseFloat(text, 64)
	if err != nil && n.err == nil {
		n.err = fmt.Errorf("column %s: %w", column, err)
	}
	*to = v
}

func scanAlert(row pgx.CollectableRow) (omen.PredictiveAlert, error) {
	var (
		a                                                    omen.PredictiveAlert
		confidence, current, predicted, baseline, thr, score string
		times                                                [6]*time.Time
	)
	err := row.Scan(&a.ID, &a.Service, &a.Metric, &a.PredictionType, &a.PredictedEvent, &confidence,
		&times[0], &times[1], &times[2], &times[3], &times[4], &times[5],
		&current, &predicted, &baseline, &thr, &a.RecommendedAction, &a.Priority, &a.Severity, &score)
	if err != nil {
		return a, err
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
	return a, n.err
}

func scanAnomaly(row pgx.CollectableRow) (omen.Anomaly, error) {
	var (
		a                                             omen.Anomaly
		value, baseline, deviation, confidence, score string
		contributions                                 *string
	)
	err := row.Scan(&a.ID, &a.Service, &a.Type, &a.Severity, &a.Timestamp, &a.Metric, &value, &baseline,
		&deviation, &confidence, &a.Description, &score, &contributions)
	if err != nil {
		return a, err
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
	return a, n.err
}
