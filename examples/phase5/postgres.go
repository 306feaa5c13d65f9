package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stacklens/omen/pgadapter"
)

// postgres is the PostgreSQL store of a run with -postgres.
type postgres struct {
	pool  *pgxpool.Pool
	store *pgadapter.Store
}

// openPostgres connects to dsn and migrates the schema.
func openPostgres(ctx context.Context, dsn string) (*postgres, error) {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("-postgres: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("-postgres: connecting: %w", err)
	}
	if err := pgadapter.Migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("-postgres: %w", err)
	}
	return &postgres{pool: pool, store: pgadapter.New(pool)}, nil
}

func (p *postgres) close() { p.pool.Close() }

// quickStartQueries are the dashboard queries of the Phase 5 quick start
// (../shared/seed/PHASE_5_QUICKSTART.md, "Monitoring Dashboard" and "Verify"), run unchanged.
var quickStartQueries = []struct{ title, sql string }{
	{"Recent anomalies", `SELECT anomaly_id, service, anomaly_type, severity, confidence_score, timestamp
FROM ml_anomalies
ORDER BY timestamp DESC
LIMIT 10;`},
	{"Predictive alerts", `SELECT alert_id, service, predicted_event, prediction_confidence, predicted_time_start
FROM ml_predictive_alerts
ORDER BY created_at DESC
LIMIT 5;`},
	{"Overview: Last hour anomalies by service", `SELECT 
    service,
    COUNT(*) as total_anomalies,
    COUNT(CASE WHEN severity = 'critical' THEN 1 END) as critical,
    COUNT(CASE WHEN severity = 'high' THEN 1 END) as high,
    ROUND(AVG(confidence_score)::numeric, 3) as avg_confidence,
    COUNT(CASE WHEN resolved THEN 1 END) as resolved
FROM ml_anomalies
WHERE timestamp > NOW() - INTERVAL '1 hour'
GROUP BY service
ORDER BY total_anomalies DESC;`},
	{"Predictive alerts status", `SELECT 
    COUNT(*) as total_predicted,
    COUNT(CASE WHEN alert_sent THEN 1 END) as alerts_sent,
    COUNT(CASE WHEN materialized THEN 1 END) as materialized,
    ROUND(100.0 * COUNT(CASE WHEN materialized THEN 1 END) / COUNT(*)::numeric, 1) as materialization_rate
FROM ml_predictive_alerts
WHERE created_at > NOW() - INTERVAL '24 hours';`},
	{"Top anomalies today", `SELECT 
    service, 
    anomaly_type, 
    COUNT(*) as count,
    ROUND(AVG(confidence_score)::numeric, 3) as avg_confidence
FROM ml_anomalies
WHERE DATE(timestamp) = DATE(NOW())
GROUP BY service, anomaly_type
ORDER BY count DESC;`},
	{"Metrics windows stored in the last 24 hours", `SELECT COUNT(*) FROM analytics_metrics_1hour WHERE created_at > NOW() - INTERVAL '24 hours';`},
}

// printQuickStart runs the quick start's queries and prints their rows, as psql would show
// them, so that the run shows what an operator's dashboard now holds.
func (p *postgres) printQuickStart(ctx context.Context, w io.Writer) error {
	fmt.Fprintln(w, "\n== PostgreSQL: the quick start's queries")
	for _, q := range quickStartQueries {
		fmt.Fprintf(w, "\n-- %s\n", q.title)
		rows, err := p.pool.Query(ctx, q.sql, pgx.QueryExecModeSimpleProtocol)
		if err != nil {
			return fmt.Errorf("quick start query %q: %w", q.title, err)
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		var names []string
		for _, f := range rows.FieldDescriptions() {
			names = append(names, f.Name)
		}
		fmt.Fprintln(tw, strings.Join(names, "\t"))
		n := 0
		for rows.Next() {
			var cells []string
			for _, v := range rows.RawValues() {
				cell := "NULL"
				if v != nil {
					cell = string(v)
				}
				cells = append(cells, cell)
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t"))
			n++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("quick start query %q: %w", q.title, err)
		}
		tw.Flush()
		fmt.Fprintf(w, "(%d rows)\n", n)
	}
	return nil
}

// moveToHour returns msgs with their timestamps moved by a whole number of hours, so that the
// latest window starts at the hour of now: the quick start's queries look at the last hour, the
// last day and today. The lines are encoded anew in the flat shape.
func moveToHour(msgs []message, now time.Time) ([]message, error) {
	var latest time.Time
	for _, m := range msgs {
		if m.metrics.Timestamp.After(latest) {
			latest = m.metrics.Timestamp
		}
	}
	shift := now.UTC().Truncate(time.Hour).Sub(latest).Truncate(time.Hour)
	out := make([]message, len(msgs))
	for i, m := range msgs {
		m.metrics.Timestamp = m.metrics.Timestamp.Add(shift)
		raw, err := json.Marshal(m.metrics)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", m.line, err)
		}
		m.raw = raw
		out[i] = m
	}
	return out, nil
}
