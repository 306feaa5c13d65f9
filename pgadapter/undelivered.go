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

// The rows UnsentAlerts and UnnotifiedAnomalies read. Numbers are read as text, which holds
// every stored NUMERIC exactly (NaN included) and parses back to the float64 that was written;
// a NULL (a row another writer left incomplete) reads as NaN, a NULL text as empty.
const (
	unsentAlerts = `
SELECT alert_id, service, COALESCE(metric_name, ''), COALESCE(prediction_type, ''),
       COALESCE(predicted_event, ''), COALESCE(prediction_confidence::text, 'NaN'), issued_at,
       predicted_time_start, predicted_time_end, expected_breach_at, breach_range_start, breach_range_end,
       COALESCE(current_value::text, 'NaN'), COALESCE(predicted_value::text, 'NaN'),
       COALESCE(baseline_value::text, 'NaN'), COALESCE(threshold_value::text, 'NaN'),
       COALESCE(recommended_action, ''), COALESCE(priority, ''), COALESCE(severity, ''),
       COALESCE(alert_score::text, 'NaN')
FROM ml_predictive_alerts
WHERE NOT alert_sent AND status = 'pending'
  AND ($1::text[] IS NULL OR service = ANY ($1))
  AND ($2::timestamptz IS NULL OR created_at >= $2) AND ($3::timestamptz IS NULL OR created_at < $3)
ORDER BY created_at, alert_id
LIMIT $4`
	unnotifiedAnomalies = `
SELECT anomaly_id, service, anomaly_type, severity, timestamp, COALESCE(metric_name, ''),
       COALESCE(metric_value::text, 'NaN'), COALESCE(baseline_value::text, 'NaN'),
       COALESCE(deviation_percent::text, 'NaN'), COALESCE(confidence_score::text, 'NaN'),
       COALESCE(description, ''), COALESCE(anomaly_score::text, 'NaN'), contributions::text
FROM ml_anomalies
WHERE severity = 'critical' AND NOT COALESCE(resolved, FALSE) AND notified_at IS NULL
  AND ($1::text[] IS NULL OR service = ANY ($1))
  AND ($2::timestamptz IS NULL OR created_at >= $2) AND ($3::timestamptz IS NULL OR created_at < $3)
ORDER BY created_at, anomaly_id
LIMIT $4`
)

// Undelivered selects the records that UnsentAlerts and UnnotifiedAnomalies return.
type Undelivered struct {
	// Services restricts the records to these services; nil means every service. A pipeline
	// instance passes the services it owns, so that two instances never hand the same record to
	// their notifiers.
	Services []string
	// StoredFrom and StoredBefore bound the time the rows were stored (created_at, by the
	// database's clock) to [StoredFrom, StoredBefore); a zero bound is open.
	StoredFrom, StoredBefore time.Time
	// Limit is the number of records returned at most, the oldest first; it must be positive.
	Limit int
}

// UnsentAlerts returns the predictive alerts that a notifier was to deliver and has not marked
// sent (alert_sent false) and that are still pending, as u selects them. A pipeline hands them
// to its notifier again, so that a delivery that failed (a webhook down for longer than its
// retries, a notification queue that overflowed, a crash before the delivery) is made later;
// the notifier's de-duplication keeps a target that has an alert from getting it twice.
//
// The alerts come back as they were written, with Status pending, except that their
// timestamps have PostgreSQL's microsecond precision. A row another writer left incomplete
// reads with NaN for a NULL number and "" for a NULL text.
func (s *Store) UnsentAlerts(ctx context.Context, u Undelivered) ([]omen.PredictiveAlert, error) {
	return queryUndelivered(ctx, s, "unsent alerts", unsentAlerts, u, scanAlert)
}

// UnnotifiedAnomalies returns the open critical anomalies that a notifier was to deliver and has
// not marked notified (notified_at NULL), as u selects them; see UnsentAlerts.
func (s *Store) UnnotifiedAnomalies(ctx context.Context, u Undelivered) ([]omen.Anomaly, error) {
	return queryUndelivered(ctx, s, "unnotified anomalies", unnotifiedAnomalies, u, scanAnomaly)
}

// queryUndelivered runs query, one of the statements above, with the parameters of u.
func queryUndelivered[T any](ctx context.Context, s *Store, what, query string, u Undelivered, scan pgx.RowToFunc[T]) ([]T, error) {
	if u.Limit < 1 {
		return nil, fmt.Errorf("pgadapter: %s: limit %d, want at least 1", what, u.Limit)
	}
	rows, err := s.pool.Query(ctx, query, u.Services, nullTime(u.StoredFrom), nullTime(u.StoredBefore), u.Limit)
	if err != nil {
		return nil, fmt.Errorf("pgadapter: %s: %w", what, err)
	}
	out, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return nil, fmt.Errorf("pgadapter: %s: %w", what, err)
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
