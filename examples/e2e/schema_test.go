package e2e

import (
	"cmp"
	"context"
	"encoding/json"
	"maps"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stacklens/omen"
	"github.com/stacklens/omen/examples/internal/pipeline"
	"github.com/stacklens/omen/examples/internal/pipeline/pipelinetest"
	"github.com/stacklens/omen/internal/servicegen"
	"github.com/stacklens/omen/kafkaadapter"
	"github.com/stacklens/omen/pgadapter"
)

// TestViewsAndFunctions runs a stream that ends at the current hour (the views look at the last
// day, week and month) through both services, which each migrate the schema on start, migrates
// it once more, and then checks every view, function and trigger against what the services
// published on ml-anomalies: the database's reports agree with the records the pipeline sent.
func TestViewsAndFunctions(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Hour)
	const days = 5
	stream := servicegen.Config{Seed: 5, Services: 4, Days: days, WarmUp: 48 * time.Hour, IncidentsPerWeek: 2}
	dsn, pool := pipelinetest.Postgres(t)
	topics := kafkaadapter.DefaultTopics()
	cluster := pipelinetest.Cluster(t, topics.Input, 3)
	msgs := pipelinetest.StreamEndingAt(t, stream, now)
	ctx := pipelinetest.Context(t)

	svc := startServices(t, pipeline.Config{Brokers: cluster.ListenAddrs(), PostgresDSN: dsn, KafkaOptions: fastKafka()})
	pipelinetest.Produce(t, cluster, topics.Input, msgs)
	waitCommitted(t, cluster)
	svc.stop(t)

	// Migrations: applied by each service, and once more here, they change nothing.
	rows := tableContents(t, pool)
	if err := pgadapter.Migrate(ctx, pool); err != nil {
		t.Fatalf("Migrate a third time: %v", err)
	}
	last := pgadapter.Migrations()[len(pgadapter.Migrations())-1].Version
	if v, err := pgadapter.SchemaVersion(ctx, pool); err != nil || v != last {
		t.Errorf("SchemaVersion = %d, %v; want %d", v, err, last)
	}
	if n := pipelinetest.Count(t, pool, "SELECT COUNT(*) FROM omen_schema_migrations"); n != len(pgadapter.Migrations()) {
		t.Errorf("%d migrations recorded, want each of the %d once", n, len(pgadapter.Migrations()))
	}
	sameContents(t, tableContents(t, pool), rows)

	// What the ML service published, each anomaly's last version.
	latest := map[string]omen.Anomaly{}
	for _, r := range pipelinetest.ReadTopic(t, cluster, topics.Anomalies) {
		var a omen.Anomaly
		if err := json.Unmarshal(r.Value, &a); err != nil {
			t.Fatal(err)
		}
		latest[a.ID] = a
	}
	published := slices.SortedFunc(func(yield func(omen.Anomaly) bool) {
		for _, a := range latest {
			if !yield(a) {
				return
			}
		}
	}, func(a, b omen.Anomaly) int { return cmp.Compare(a.ID, b.ID) })
	if len(published) == 0 {
		t.Fatal("no anomaly published")
	}

	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	var dbNow time.Time // CURRENT_TIMESTAMP, fixed for the transaction
	if err := tx.QueryRow(ctx, "SELECT CURRENT_TIMESTAMP").Scan(&dbNow); err != nil {
		t.Fatal(err)
	}
	since := func(d time.Duration) []omen.Anomaly {
		var out []omen.Anomaly
		for _, a := range published {
			if a.Timestamp.After(dbNow.Add(-d)) {
				out = append(out, a)
			}
		}
		return out
	}

	t.Run("ml_v_recent_anomalies", func(t *testing.T) {
		type group struct {
			service, typ, severity string
		}
		type stats struct {
			count  int
			latest time.Time
			conf   float64
		}
		want := map[group]stats{}
		for _, a := range since(24 * time.Hour) {
			g := group{a.Service, string(a.Type), string(a.Severity)}
			s := want[g]
			s.count++
			s.latest = maxTime(s.latest, a.Timestamp)
			s.conf += a.Confidence
			want[g] = s
		}
		if len(want) == 0 {
			t.Fatal("no anomaly in the last 24 hours of the stream")
		}
		rows, _ := tx.Query(ctx, "SELECT service, anomaly_type, severity, count, latest, avg_confidence, resolution_rate FROM ml_v_recent_anomalies")
		got := 0
		for rows.Next() {
			var g group
			var s stats
			var avg, rate float64
			if err := rows.Scan(&g.service, &g.typ, &g.severity, &s.count, &s.latest, &avg, &rate); err != nil {
				t.Fatal(err)
			}
			got++
			w, ok := want[g]
			switch {
			case !ok:
				t.Errorf("unexpected group %+v", g)
			case s.count != w.count || !s.latest.Equal(w.latest) || math.Abs(avg-w.conf/float64(w.count)) > 1e-9 || rate != 0:
				t.Errorf("%+v: count %d, latest %s, avg confidence %g, resolution rate %g; want %d, %s, %g, 0",
					g, s.count, s.latest, avg, rate, w.count, w.latest, w.conf/float64(w.count))
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if got != len(want) {
			t.Errorf("%d groups, want %d", got, len(want))
		}
	})

	t.Run("ml_v_critical_anomalies", func(t *testing.T) {
		var want []string
		for _, a := range since(7 * 24 * time.Hour) {
			if a.Severity == omen.Critical && !a.Resolved {
				want = append(want, a.ID)
			}
		}
		slices.Sort(want)
		got := queryStrings(t, tx, "SELECT anomaly_id FROM ml_v_critical_anomalies ORDER BY anomaly_id")
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("%s", diff(got, want))
		}
	})

	t.Run("ml_v_anomaly_trends", func(t *testing.T) {
		type day struct {
			service string
			date    string
		}
		want := map[day][3]int{} // total, critical, high
		for _, a := range since(30 * 24 * time.Hour) {
			d := day{a.Service, a.Timestamp.UTC().Format(time.DateOnly)}
			c := want[d]
			c[0]++
			if a.Severity == omen.Critical {
				c[1]++
			}
			if a.Severity == omen.High {
				c[2]++
			}
			want[d] = c
		}
		// DATE(timestamp) is the date in the session's time zone: ask for UTC.
		if _, err := tx.Exec(ctx, "SET LOCAL TIME ZONE 'UTC'"); err != nil {
			t.Fatal(err)
		}
		rows, _ := tx.Query(ctx, "SELECT service, date::text, total_anomalies, critical_count, high_count FROM ml_v_anomaly_trends")
		got := map[day][3]int{}
		for rows.Next() {
			var d day
			var c [3]int
			if err := rows.Scan(&d.service, &d.date, &c[0], &c[1], &c[2]); err != nil {
				t.Fatal(err)
			}
			got[d] = c
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(got, want) {
			t.Errorf("daily counts %v, want %v", got, want)
		}
	})

	t.Run("ml_v_model_health", func(t *testing.T) {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM ml_v_model_health
			WHERE model_type = 'omen_state' AND usage_status = 'active'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if want := 2 * stream.Services; n != want {
			t.Errorf("%d active engine states, want %d (both engines, every service)", n, want)
		}
	})

	t.Run("ml_calculate_anomaly_stats", func(t *testing.T) {
		start, end := msgs[0].Metrics.Timestamp, now
		// Phase 4's rule breaches of one service, the denominator of its detection rate.
		service := published[0].Service
		for i := range 3 {
			if _, err := tx.Exec(ctx, `INSERT INTO analytics_alerts (alert_id, rule_id, service, metric, value, threshold, severity, triggered_at)
				VALUES ($1, 'rule_error_rate_high', $2, 'error_rate', 7, 5, 'warning', $3)`,
				"e2e-"+string(rune('a'+i)), service, start.Add(time.Duration(i)*time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		for _, s := range []string{"api", "web", "auth", "payments"} {
			var want [5]int64 // total, critical, high, medium, low
			var conf float64
			for _, a := range published {
				if a.Service != s {
					continue
				}
				want[0]++
				want[1+slices.Index([]omen.Severity{omen.Critical, omen.High, omen.Medium, omen.Low}, a.Severity)]++
				conf += a.Confidence
			}
			var got [5]int64
			var avg, resolution, detection *float64
			if err := tx.QueryRow(ctx, "SELECT * FROM ml_calculate_anomaly_stats($1, $2, $3)", s, start, end).
				Scan(&got[0], &got[1], &got[2], &got[3], &got[4], &avg, &resolution, &detection); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("%s: counts %v, want %v", s, got, want)
			}
			if want[0] == 0 {
				continue
			}
			if avg == nil || math.Abs(*avg-conf/float64(want[0])) > 1e-9 || resolution == nil || *resolution != 0 {
				t.Errorf("%s: avg confidence %v, resolution rate %v; want %g, 0", s, deref(avg), deref(resolution), conf/float64(want[0]))
			}
			switch {
			case s == service && (detection == nil || math.Abs(*detection-float64(want[0])/3) > 1e-9):
				t.Errorf("%s: detection rate %v, want %d anomalies / 3 breaches", s, deref(detection), want[0])
			case s != service && detection != nil:
				t.Errorf("%s: detection rate %v without any Phase 4 breach, want NULL", s, *detection)
			}
		}
	})

	t.Run("ml_get_top_anomalies", func(t *testing.T) {
		for _, s := range []string{"api", "web", "auth", "payments"} {
			var want []omen.Anomaly
			for _, a := range published {
				if a.Service == s {
					want = append(want, a)
				}
			}
			slices.SortFunc(want, func(a, b omen.Anomaly) int {
				return cmp.Or(cmp.Compare(b.Confidence, a.Confidence), b.Timestamp.Compare(a.Timestamp))
			})
			want = want[:min(5, len(want))]
			rows, _ := tx.Query(ctx, "SELECT anomaly_id, timestamp, confidence_score FROM ml_get_top_anomalies($1, 5)", s)
			var got []omen.Anomaly
			for rows.Next() {
				var a omen.Anomaly
				if err := rows.Scan(&a.ID, &a.Timestamp, &a.Confidence); err != nil {
					t.Fatal(err)
				}
				got = append(got, a)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%s: %d top anomalies, want %d", s, len(got), len(want))
			}
			for i := range got {
				// Among anomalies of equal confidence and time the order is free: compare the keys,
				// and that the ID is one of the service's.
				if math.Abs(got[i].Confidence-want[i].Confidence) > 1e-12 || !got[i].Timestamp.Equal(want[i].Timestamp) || latest[got[i].ID].Service != s {
					t.Errorf("%s: top %d is %s (%g at %s), want %g at %s", s, i+1, got[i].ID, got[i].Confidence, got[i].Timestamp,
						want[i].Confidence, want[i].Timestamp)
				}
			}
		}
	})
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}

	t.Run("triggers", func(t *testing.T) {
		store := pgadapter.New(pool)
		// The oldest critical anomaly: resolving it records the change in ml_anomaly_history.
		var target omen.Anomaly
		for _, a := range published {
			if a.Severity == omen.Critical && (target.ID == "" || a.Timestamp.Before(target.Timestamp)) {
				target = a
			}
		}
		if target.ID == "" {
			t.Fatal("no critical anomaly")
		}
		if err := store.ResolveAnomaly(ctx, target.ID, "e2e: fixed", "e2e"); err != nil {
			t.Fatal(err)
		}
		var oldStatus, newStatus, by string
		if err := pool.QueryRow(ctx, `SELECT old_status, new_status, changed_by FROM ml_anomaly_history WHERE anomaly_id = $1`,
			target.ID).Scan(&oldStatus, &newStatus, &by); err != nil {
			t.Fatalf("history of the resolved anomaly: %v", err)
		}
		if oldStatus != "open" || newStatus != "resolved" || by != "e2e" {
			t.Errorf("history %s → %s by %s, want open → resolved by e2e", oldStatus, newStatus, by)
		}
		if n := pipelinetest.Count(t, pool, "SELECT COUNT(*) FROM ml_v_critical_anomalies WHERE anomaly_id = $1", target.ID); n != 0 {
			t.Error("a resolved anomaly is still listed as critical")
		}
		// Saving a state again moves ml_models.updated_at forward.
		var before, after time.Time
		query := "SELECT updated_at FROM ml_models WHERE model_type = 'omen_state' AND service = $1 AND parameters->>'component' = $2"
		if err := pool.QueryRow(ctx, query, target.Service, omen.StateDetector).Scan(&before); err != nil {
			t.Fatal(err)
		}
		state, err := store.LoadState(ctx, omen.StateDetector, target.Service)
		if err != nil || len(state) == 0 {
			t.Fatalf("LoadState: %d bytes, %v", len(state), err)
		}
		if err := store.SaveState(ctx, omen.StateDetector, target.Service, state); err != nil {
			t.Fatal(err)
		}
		if err := pool.QueryRow(ctx, query, target.Service, omen.StateDetector).Scan(&after); err != nil {
			t.Fatal(err)
		}
		if !after.After(before) {
			t.Errorf("updated_at %s after a save, was %s", after, before)
		}

		t.Run("ml_archive_old_anomalies", func(t *testing.T) {
			tx, err := pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(context.Background())
			var dbNow time.Time
			if err := tx.QueryRow(ctx, "SELECT CURRENT_TIMESTAMP").Scan(&dbNow); err != nil {
				t.Fatal(err)
			}
			cutoff := dbNow.Add(-24 * time.Hour)
			var old []omen.Anomaly
			for _, a := range published {
				if a.Timestamp.Before(cutoff) {
					old = append(old, a)
				}
			}
			if !target.Timestamp.Before(cutoff) || len(old) == len(published) {
				t.Fatalf("the stream has no anomaly on both sides of the cutoff %s (or the resolved one is recent)", cutoff)
			}
			var n int64
			var earliest, latestTS time.Time
			if err := tx.QueryRow(ctx, "SELECT * FROM ml_archive_old_anomalies(1)").Scan(&n, &earliest, &latestTS); err != nil {
				t.Fatal(err)
			}
			wantEarliest := slices.MinFunc(old, func(a, b omen.Anomaly) int { return a.Timestamp.Compare(b.Timestamp) }).Timestamp
			wantLatest := slices.MaxFunc(old, func(a, b omen.Anomaly) int { return a.Timestamp.Compare(b.Timestamp) }).Timestamp
			if n != int64(len(old)) || !earliest.Equal(wantEarliest) || !latestTS.Equal(wantLatest) {
				t.Errorf("archived %d from %s to %s, want %d from %s to %s", n, earliest, latestTS, len(old), wantEarliest, wantLatest)
			}
			for _, c := range []struct {
				query string
				args  []any
				want  int
			}{
				{"SELECT COUNT(*) FROM ml_anomalies", nil, len(published) - len(old)},
				{"SELECT COUNT(*) FROM ml_anomalies_archive", nil, len(old)},
				{"SELECT COUNT(*) FROM ml_anomalies WHERE timestamp < $1", []any{cutoff}, 0},
				{"SELECT COUNT(*) FROM ml_anomaly_history", nil, 0},
				{"SELECT COUNT(*) FROM ml_anomaly_history_archive WHERE anomaly_id = $1", []any{target.ID}, 1},
			} {
				var got int
				if err := tx.QueryRow(ctx, c.query, c.args...).Scan(&got); err != nil {
					t.Fatal(err)
				}
				if got != c.want {
					t.Errorf("%s = %d, want %d", c.query, got, c.want)
				}
			}
		})
	})
}

func queryStrings(t *testing.T, tx pgx.Tx, query string, args ...any) []string {
	t.Helper()
	rows, _ := tx.Query(context.Background(), query, args...)
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func deref(p *float64) any {
	if p == nil {
		return "NULL"
	}
	return *p
}
