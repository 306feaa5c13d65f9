package pgadapter

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stacklens/omen"
)

// selectRecent reads the newest windows of a service before a time, newest first. NULL measures
// (Phase 4's columns are nullable) read as 0; numerics are converted to float8 by PostgreSQL,
// which rounds correctly.
const selectRecent = `
SELECT service, timestamp,
       COALESCE(total_requests, 0)::int8,
       COALESCE(error_rate, 0)::float8,
       COALESCE(latency_p50, 0)::float8,
       COALESCE(latency_p95, 0)::float8,
       COALESCE(latency_p99, 0)::float8,
       COALESCE(latency_mean, 0)::float8,
       COALESCE(unique_users, 0)::int8,
       COALESCE(unique_ips, 0)::int8,
       COALESCE(avg_risk_score, 0)::float8
FROM analytics_metrics_1hour
WHERE service = $1 AND timestamp < $2
ORDER BY timestamp DESC
LIMIT $3`

// Recent implements omen.History: at most limit of the service's windows in
// analytics_metrics_1hour with a timestamp before until, the most recent ones, oldest first. A
// negative limit means no limit. Phase 4's columns map to omen.Metrics as latency_p99 →
// LatencyP99 (and p95, p50, mean alike), avg_risk_score → RiskScore; Window is one hour and
// timestamps are UTC.
func (s *Store) Recent(ctx context.Context, service string, until time.Time, limit int) ([]omen.Metrics, error) {
	var max *int64
	if limit >= 0 {
		l := int64(limit)
		max = &l
	}
	rows, err := s.pool.Query(ctx, selectRecent, service, until, max)
	if err != nil {
		return nil, fmt.Errorf("pgadapter: recent metrics of %q: %w", service, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (omen.Metrics, error) {
		m := omen.Metrics{Window: time.Hour}
		err := row.Scan(&m.Service, &m.Timestamp, &m.TotalRequests, &m.ErrorRate, &m.LatencyP50,
			&m.LatencyP95, &m.LatencyP99, &m.LatencyMean, &m.UniqueUsers, &m.UniqueIPs, &m.RiskScore)
		m.Timestamp = m.Timestamp.UTC()
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("pgadapter: recent metrics of %q: %w", service, err)
	}
	slices.Reverse(out)
	return out, nil
}

// Services implements omen.History: the services of analytics_metrics_1hour, sorted by bytes as
// Go sorts strings (and MemoryStore does), whatever the database's collation.
func (s *Store) Services(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT service COLLATE "C" FROM analytics_metrics_1hour ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("pgadapter: services: %w", err)
	}
	services, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("pgadapter: services: %w", err)
	}
	return services, nil
}
