package pgadapter

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// MarkAlertSent records that a notifier delivered the predictive alert: alert_sent becomes true
// and alert_sent_at the time at, unless the alert was already marked, whose first time stays. The
// error wraps ErrNotFound when there is no such alert.
func (s *Store) MarkAlertSent(ctx context.Context, id string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `
		UPDATE ml_predictive_alerts
		SET alert_sent = TRUE, alert_sent_at = COALESCE(alert_sent_at, $2)
		WHERE alert_id = $1`, id, at)
	if err != nil {
		return fmt.Errorf("pgadapter: mark alert %q sent: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: predictive alert %q", ErrNotFound, id)
	}
	return nil
}

// MarkAnomalyNotified records that a notifier delivered the anomaly (notified_at = at, unless
// already set). The error wraps ErrNotFound when there is no such anomaly.
func (s *Store) MarkAnomalyNotified(ctx context.Context, id string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `
		UPDATE ml_anomalies SET notified_at = $2
		WHERE anomaly_id = $1 AND notified_at IS NULL`, id, at)
	if err != nil {
		return fmt.Errorf("pgadapter: mark anomaly %q notified: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return s.mustExist(ctx, "ml_anomalies", "anomaly_id", id)
	}
	return nil
}

// AlertSent reports whether the predictive alert was marked sent (alert_sent); an unknown alert
// reports false. With AnomalyNotified it makes a Store a notify.Checker, so that a restarted
// service that processes a window again does not page twice.
func (s *Store) AlertSent(ctx context.Context, id string) (bool, error) {
	var sent bool
	err := s.pool.QueryRow(ctx, `
		SELECT EXISTS (SELECT 1 FROM ml_predictive_alerts WHERE alert_id = $1 AND alert_sent)`, id).Scan(&sent)
	if err != nil {
		return false, fmt.Errorf("pgadapter: alert %q sent: %w", id, err)
	}
	return sent, nil
}

// AnomalyNotified reports whether the anomaly was marked notified (notified_at set); an unknown
// anomaly reports false.
func (s *Store) AnomalyNotified(ctx context.Context, id string) (bool, error) {
	var notified bool
	err := s.pool.QueryRow(ctx, `
		SELECT EXISTS (SELECT 1 FROM ml_anomalies WHERE anomaly_id = $1 AND notified_at IS NOT NULL)`, id).Scan(&notified)
	if err != nil {
		return false, fmt.Errorf("pgadapter: anomaly %q notified: %w", id, err)
	}
	return notified, nil
}

// MarkAlertDelivered records that the notification target named target has the predictive
// alert (delivered_to; a second mark of the same target changes nothing). With AlertDeliveredTo
// it makes a Store a notify.TargetMarker: a restarted service, or another instance retrying the
// alert, sends it only to the targets that lack it. The error wraps ErrNotFound when there is no
// such alert.
func (s *Store) MarkAlertDelivered(ctx context.Context, id, target string) error {
	return s.markDelivered(ctx, "ml_predictive_alerts", "alert_id", "alert", id, target)
}

// MarkAnomalyDelivered is MarkAlertDelivered for an anomaly.
func (s *Store) MarkAnomalyDelivered(ctx context.Context, id, target string) error {
	return s.markDelivered(ctx, "ml_anomalies", "anomaly_id", "anomaly", id, target)
}

// AlertDeliveredTo returns the names of the targets that have the predictive alert, in the
// order of their marks; nil for an unknown alert.
func (s *Store) AlertDeliveredTo(ctx context.Context, id string) ([]string, error) {
	return s.deliveredTo(ctx, "ml_predictive_alerts", "alert_id", "alert", id)
}

// AnomalyDeliveredTo is AlertDeliveredTo for an anomaly.
func (s *Store) AnomalyDeliveredTo(ctx context.Context, id string) ([]string, error) {
	return s.deliveredTo(ctx, "ml_anomalies", "anomaly_id", "anomaly", id)
}

// markDelivered adds target to delivered_to of the row key of table; table, column and kind
// are constants of this package.
func (s *Store) markDelivered(ctx context.Context, table, column, kind, key, target string) error {
	tag, err := s.pool.Exec(ctx, "UPDATE "+table+" SET delivered_to = array_append(delivered_to, $2) WHERE "+
		column+" = $1 AND NOT ($2 = ANY (delivered_to))", key, target)
	if err != nil {
		return fmt.Errorf("pgadapter: mark %s %q delivered to %s: %w", kind, key, target, err)
	}
	if tag.RowsAffected() == 0 {
		return s.mustExist(ctx, table, column, key)
	}
	return nil
}

// deliveredTo reads delivered_to of the row key of table; table and column are constants of
// this package.
func (s *Store) deliveredTo(ctx context.Context, table, column, kind, key string) ([]string, error) {
	var targets []string
	err := s.pool.QueryRow(ctx, "SELECT delivered_to FROM "+table+" WHERE "+column+" = $1", key).Scan(&targets)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("pgadapter: targets of %s %q: %w", kind, key, err)
	}
	return targets, nil
}

// resolveAnomaly resolves an open anomaly and reports whether the anomaly exists at all.
const resolveAnomaly = `
WITH target AS (
    SELECT anomaly_id FROM ml_anomalies WHERE anomaly_id = $1
), resolved AS (
    UPDATE ml_anomalies
    SET resolved = TRUE, resolved_at = CURRENT_TIMESTAMP,
        resolution_reason = NULLIF($2, ''), resolved_by = NULLIF($3, '')
    WHERE anomaly_id = $1 AND NOT COALESCE(resolved, FALSE)
)
SELECT EXISTS (SELECT 1 FROM target)`

// ResolveAnomaly marks an open anomaly resolved now, for the reason given, by the named person
// or system. The history trigger records the change in ml_anomaly_history with that reason and
// changed_by (the database user when by is empty). Resolving a resolved anomaly changes nothing
// and is not an error; the error wraps ErrNotFound when there is no such anomaly.
func (s *Store) ResolveAnomaly(ctx context.Context, id, reason, by string) error {
	c := newChecker("anomaly", id)
	c.text("resolution_reason", reason, 0)
	c.text("resolved_by", by, idWidth)
	if c.err != nil {
		return c.err
	}
	var exists bool
	if err := s.pool.QueryRow(ctx, resolveAnomaly, id, reason, by).Scan(&exists); err != nil {
		return fmt.Errorf("pgadapter: resolve anomaly %q: %w", id, err)
	}
	if !exists {
		return fmt.Errorf("%w: anomaly %q", ErrNotFound, id)
	}
	return nil
}

// ArchiveResult is what one retention run moved.
type ArchiveResult struct {
	Archived int64     // anomalies moved to ml_anomalies_archive
	Earliest time.Time // the earliest and latest timestamps among them; zero when none moved
	Latest   time.Time
}

// Archive runs ml_archive_old_anomalies(days): it moves the anomalies whose timestamp is more
// than days days old, with their history, into ml_anomalies_archive and
// ml_anomaly_history_archive, in one transaction. Nothing is lost: every moved row is in an
// archive table. days must be 0 or more.
func (s *Store) Archive(ctx context.Context, days int) (ArchiveResult, error) {
	if days < 0 || days > 1<<31-1 {
		return ArchiveResult{}, fmt.Errorf("pgadapter: archive: days = %d, want 0 to 2³¹−1", days)
	}
	var (
		res              ArchiveResult
		earliest, latest *time.Time
	)
	err := s.pool.QueryRow(ctx,
		"SELECT anomalies_archived, earliest_archived, latest_archived FROM ml_archive_old_anomalies($1)",
		int32(days)).Scan(&res.Archived, &earliest, &latest)
	if err != nil {
		return ArchiveResult{}, fmt.Errorf("pgadapter: archive anomalies older than %d days: %w", days, err)
	}
	if earliest != nil {
		res.Earliest = earliest.UTC()
	}
	if latest != nil {
		res.Latest = latest.UTC()
	}
	return res, nil
}

// mustExist returns nil when the table has a row with the key, an error wrapping ErrNotFound
// otherwise. table and column are constants of this package.
func (s *Store) mustExist(ctx context.Context, table, column, key string) error {
	var exists bool
	err := s.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+table+" WHERE "+column+" = $1)", key).Scan(&exists)
	if err != nil {
		return fmt.Errorf("pgadapter: look up %s %q: %w", table, key, err)
	}
	if !exists {
		return fmt.Errorf("%w: %s %q", ErrNotFound, table, key)
	}
	return nil
}
