package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
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

// dashboardQueries are the titles of the quick start's queries (pgadapter.QuickStartQueries) that
// a run prints: its "Monitoring Dashboard" and "Verify" queries.
var dashboardQueries = []string{
	"Recent anomalies", "Predictive alerts", "Overview: Last hour anomalies by service",
	"Predictive alerts status", "Top anomalies today", "Metrics windows stored in the last 24 hours",
}

// printQuickStart runs the quick start's queries and prints their rows, as psql would show
// them, so that the run shows what an operator's dashboard now holds. A query that PostgreSQL
// refuses is shown with its error, as psql would show it, and the others still run: the quick
// start's "Predictive alerts status" divides by the number of alerts of the last 24 hours, and
// fails when there are none. Any other error (the connection, ctx) ends the run.
func (p *postgres) printQuickStart(ctx context.Context, w io.Writer) error {
	fmt.Fprintln(w, "\n== PostgreSQL: the quick start's queries")
	all := pgadapter.QuickStartQueries()
	for _, title := range dashboardQueries {
		q := all[slices.IndexFunc(all, func(q pgadapter.QuickStartQuery) bool { return q.Title == title })]
		fmt.Fprintf(w, "\n-- %s\n", q.Title)
		if err := p.printQuery(ctx, w, q.SQL); err != nil {
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) {
				return fmt.Errorf("quick start query %q: %w", q.Title, err)
			}
			fmt.Fprintf(w, "ERROR: %s\n", pgErr.Message)
		}
	}
	return nil
}

// printQuery runs one query and prints its rows.
func (p *postgres) printQuery(ctx context.Context, w io.Writer, sql string) error {
	rows, err := p.pool.Query(ctx, sql, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		return err
	}
	defer rows.Close()
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
		return err
	}
	tw.Flush()
	fmt.Fprintf(w, "(%d rows)\n", n)
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
	// In whole hours counted on Unix seconds: a time.Duration spans only ±292 years, and a stream
	// from 1700 once moved by that much and no more.
	hours := (now.UTC().Truncate(time.Hour).Unix() - latest.Truncate(time.Hour).Unix()) / 3600
	out := make([]message, len(msgs))
	for i, m := range msgs {
		m.metrics.Timestamp = addHours(m.metrics.Timestamp, hours)
		raw, err := json.Marshal(m.metrics)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", m.line, err)
		}
		m.raw = raw
		out[i] = m
	}
	return out, nil
}

// addHours returns t moved by h hours, in steps that a time.Duration holds.
func addHours(t time.Time, h int64) time.Time {
	const step = 100 * 365 * 24 // hours: a century
	for ; h > step; h -= step {
		t = t.Add(step * time.Hour)
	}
	for ; h < -step; h += step {
		t = t.Add(-step * time.Hour)
	}
	return t.Add(time.Duration(h) * time.Hour)
}
