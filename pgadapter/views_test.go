package pgadapter

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stacklens/omen"
)

// seededAnomalies are the rows the view and function tests query, relative to now.
type seededAnomaly struct {
	service    string
	age        time.Duration
	typ        omen.AnomalyType
	severity   omen.Severity
	confidence float64
	deviation  float64
	resolved   bool
}

var seeded = []seededAnomaly{
	{"api", 1 * time.Hour, omen.Outlier, omen.Critical, 0.9, 300, false},
	{"api", 2 * time.Hour, omen.Spike, omen.High, 0.7, 120, false},
	{"api", 3 * time.Hour, omen.Spike, omen.High, 0.5, 80, true},
	{"api", 3 * 24 * time.Hour, omen.Dip, omen.Critical, 0.7, 95, false},
	{"api", 10 * 24 * time.Hour, omen.Outlier, omen.Critical, 0.6, 400, false},
	{"api", 40 * 24 * time.Hour, omen.TrendChange, omen.Medium, 0.4, 20, false},
	{"web", 30 * time.Minute, omen.Outlier, omen.Critical, 0.8, 250, true},
}

func (s seededAnomaly) anomaly(now time.Time) omen.Anomaly {
	a := testAnomaly(s.service, now.Add(-s.age), s.typ, s.severity, s.confidence)
	a.DeviationPercent = s.deviation
	return a
}

// seedAnomalies writes the seeded anomalies and resolves those marked resolved.
func seedAnomalies(t *testing.T, store *Store, now time.Time) []omen.Anomaly {
	t.Helper()
	ctx := context.Background()
	var as []omen.Anomaly
	for _, s := range seeded {
		as = append(as, s.anomaly(now))
	}
	if err := store.Write(ctx, omen.Results{Anomalies: as}); err != nil {
		t.Fatal(err)
	}
	for i, s := range seeded {
		if s.resolved {
			if err := store.ResolveAnomaly(ctx, as[i].ID, "fixed", "test"); err != nil {
				t.Fatal(err)
			}
		}
	}
	return as
}

func utcSession(c *pgxpool.Config) { c.ConnConfig.RuntimeParams["timezone"] = "UTC" }

func TestViewRecentAnomalies(t *testing.T) {
	t.Parallel()
	store, pool := newTestStore(t)
	now := testNow()
	seedAnomalies(t, store, now)
	type row struct {
		Service, Type, Severity string
		Count                   int64
		Latest                  time.Time
		AvgConfidence           float64
		ResolutionRate          float64
	}
	rows, err := pool.Query(context.Background(), "SELECT * FROM ml_v_recent_anomalies")
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		err := r.Scan(&x.Service, &x.Type, &x.Severity, &x.Count, &x.Latest, &x.AvgConfidence, &x.ResolutionRate)
		x.Latest = x.Latest.UTC()
		return x, err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []row{
		{"api", "spike", "high", 2, now.Add(-2 * time.Hour), 0.6, 0.5},
		{"web", "outlier", "critical", 1, now.Add(-30 * time.Minute), 0.8, 1},
		{"api", "outlier", "critical", 1, now.Add(-time.Hour), 0.9, 0},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ml_v_recent_anomalies =\n%+v\nwant\n%+v", got, want)
	}
}

func TestViewCriticalAnomalies(t *testing.T) {
	t.Parallel()
	store, pool := newTestStore(t)
	now := testNow()
	as := seedAnomalies(t, store, now)
	rows, err := pool.Query(context.Background(), "SELECT anomaly_id, service, resolved FROM ml_v_critical_anomalies")
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		ID, Service string
		Resolved    bool
	}
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[row])
	if err != nil {
		t.Fatal(err)
	}
	want := []row{{as[0].ID, "api", false}, {as[3].ID, "api", false}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ml_v_critical_anomalies = %+v, want %+v", got, want)
	}
}

func TestViewAnomalyTrends(t *testing.T) {
	t.Parallel()
	store, pool := newTestStore(t, utcSession)
	now := testNow()
	seedAnomalies(t, store, now)
	type key struct {
		Service string
		Date    string
	}
	type agg struct {
		Total, Critical, High int64
		MaxDeviation          float64
		confSum               float64
	}
	want := map[key]*agg{}
	for _, s := range seeded {
		if s.age >= 30*24*time.Hour {
			continue
		}
		k := key{s.service, now.Add(-s.age).Format(time.DateOnly)}
		if want[k] == nil {
			want[k] = &agg{}
		}
		a := want[k]
		a.Total++
		a.Critical += map[bool]int64{true: 1}[s.severity == omen.Critical]
		a.High += map[bool]int64{true: 1}[s.severity == omen.High]
		a.MaxDeviation = math.Max(a.MaxDeviation, s.deviation)
		a.confSum += s.confidence
	}
	rows, err := pool.Query(context.Background(), "SELECT * FROM ml_v_anomaly_trends")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var k key
		var date time.Time
		var g agg
		var avg float64
		if err := rows.Scan(&k.Service, &date, &g.Total, &g.Critical, &g.High, &avg, &g.MaxDeviation); err != nil {
			t.Fatal(err)
		}
		k.Date = date.Format(time.DateOnly)
		n++
		w := want[k]
		if w == nil {
			t.Errorf("unexpected ml_v_anomaly_trends row %+v %+v", k, g)
			continue
		}
		if g.Total != w.Total || g.Critical != w.Critical || g.High != w.High || g.MaxDeviation != w.MaxDeviation ||
			math.Abs(avg-w.confSum/float64(w.Total)) > 1e-12 {
			t.Errorf("ml_v_anomaly_trends %+v = %+v avg %v, want %+v avg %v", k, g, avg, *w, w.confSum/float64(w.Total))
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != len(want) {
		t.Errorf("ml_v_anomaly_trends has %d rows, want %d", n, len(want))
	}
}

func TestViewModelHealth(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, pool := newTestStore(t)
	if err := store.SaveState(ctx, omen.StateDetector, "api", []byte("state")); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO ml_models (model_id, model_name, model_type, service, last_used_at, trained_at)
		VALUES ('m-stale', 'forest', 'isolation_forest', 'web', now() - interval '3 days', now()),
		       ('m-idle', 'forest', 'isolation_forest', 'zeta', NULL, now())`); err != nil {
		t.Fatal(err)
	}
	rows, err := pool.Query(ctx, "SELECT service, usage_status FROM ml_v_model_health")
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ Service, Usage string }
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[row])
	if err != nil {
		t.Fatal(err)
	}
	want := []row{{"api", "active"}, {"web", "stale"}, {"zeta", "inactive"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ml_v_model_health = %+v, want %+v", got, want)
	}
}

func TestFunctionCalculateAnomalyStats(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, pool := newTestStore(t)
	now := testNow()
	seedAnomalies(t, store, now)
	// Six Phase 4 breaches of api in the last day, one older, one of another service.
	for i, at := range []time.Duration{1, 2, 3, 4, 5, 6, 48, 1} {
		service := "api"
		if i == 7 {
			service = "web"
		}
		if _, err := pool.Exec(ctx, `INSERT INTO analytics_alerts
			(alert_id, rule_id, service, metric, value, threshold, severity, triggered_at)
			VALUES ($1, 'rule_error_rate_high', $2, 'error_rate', 30, 5, 'warning', $3)`,
			fmt.Sprint("breach-", i), service, now.Add(-at*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	type stats struct {
		Total, Critical, High, Medium, Low int64
		AvgConfidence, Resolution, Rate    *float64
	}
	read := func(service string, from, to time.Time) stats {
		t.Helper()
		var s stats
		if err := pool.QueryRow(ctx, "SELECT * FROM ml_calculate_anomaly_stats($1, $2, $3)", service, from, to).Scan(
			&s.Total, &s.Critical, &s.High, &s.Medium, &s.Low, &s.AvgConfidence, &s.Resolution, &s.Rate); err != nil {
			t.Fatal(err)
		}
		return s
	}
	got := read("api", now.Add(-24*time.Hour), now)
	// api's anomalies in the last day: 0.9 critical, 0.7 high, 0.5 high (resolved); 6 breaches.
	want := stats{3, 1, 2, 0, 0, ptr(0.7), ptr(1.0 / 3), ptr(0.5)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ml_calculate_anomaly_stats(api, last day) = %+v, want %+v", fmtStats(got), fmtStats(want))
	}
	// No breaches and no anomalies: the rates are NULL, not a division by zero.
	got = read("nobody", now.Add(-24*time.Hour), now)
	if want := (stats{}); !reflect.DeepEqual(got, want) {
		t.Errorf("ml_calculate_anomaly_stats(nobody) = %+v, want zeros and NULLs", fmtStats(got))
	}
}

func fmtStats(s any) any {
	v := reflect.ValueOf(s)
	out := []any{}
	for i := range v.NumField() {
		f := v.Field(i)
		if f.Kind() == reflect.Pointer {
			if f.IsNil() {
				out = append(out, "NULL")
			} else {
				out = append(out, f.Elem().Interface())
			}
			continue
		}
		out = append(out, f.Interface())
	}
	return out
}

func TestFunctionGetTopAnomalies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, pool := newTestStore(t)
	now := testNow()
	as := seedAnomalies(t, store, now)
	ids := func(sql string, args ...any) ([]string, []string) {
		t.Helper()
		rows, err := pool.Query(ctx, sql, args...)
		if err != nil {
			t.Fatal(err)
		}
		var columns []string
		for _, f := range rows.FieldDescriptions() {
			columns = append(columns, f.Name)
		}
		out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
			vals, err := r.Values()
			if err != nil {
				return "", err
			}
			return vals[0].(string), nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out, columns
	}
	// By confidence, then most recent first: 0.9, 0.7 (2 h) before 0.7 (3 days), 0.6, 0.5, 0.4.
	got, columns := ids("SELECT * FROM ml_get_top_anomalies('api')")
	want := []string{as[0].ID, as[1].ID, as[3].ID, as[4].ID, as[2].ID, as[5].ID}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ml_get_top_anomalies('api') = %v, want %v", got, want)
	}
	wantColumns := []string{"anomaly_id", "anomaly_type", "severity", "timestamp", "confidence_score", "deviation_percent"}
	if !reflect.DeepEqual(columns, wantColumns) {
		t.Errorf("columns %v, want %v", columns, wantColumns)
	}
	if got, _ := ids("SELECT * FROM ml_get_top_anomalies($1, $2)", "api", 2); !reflect.DeepEqual(got, want[:2]) {
		t.Errorf("ml_get_top_anomalies('api', 2) = %v, want %v", got, want[:2])
	}
}
