package pgadapter

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stacklens/omen"
)

func TestHistoryRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, pool := newTestStore(t)
	start := time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC)
	var api []omen.Metrics
	var r omen.Results
	for h := range 30 {
		m := testMetrics("api", start.Add(time.Duration(h)*time.Hour), h)
		api = append(api, m)
		r.Metrics = append(r.Metrics, m, testMetrics("web", m.Timestamp, h+1))
	}
	r.Metrics = append(r.Metrics, testMetrics("auth", start, 0))
	if err := store.Write(ctx, r); err != nil {
		t.Fatal(err)
	}

	until := start.Add(20 * time.Hour) // excludes the window at hour 20
	got, err := store.Recent(ctx, "api", until, 5)
	if err != nil {
		t.Fatalf("Recent: %v", err)
	}
	if want := api[15:20]; !reflect.DeepEqual(got, want) {
		t.Errorf("Recent(api, +20h, 5) =\n%+v\nwant\n%+v", got, want)
	}
	all, err := store.Recent(ctx, "api", until, -1)
	if err != nil || !reflect.DeepEqual(all, api[:20]) {
		t.Errorf("Recent(api, +20h, no limit) = %d windows, %v; want the first 20", len(all), err)
	}
	if none, err := store.Recent(ctx, "api", until, 0); err != nil || len(none) != 0 {
		t.Errorf("Recent with limit 0 = %v, %v; want none", none, err)
	}
	if none, err := store.Recent(ctx, "nobody", until, 10); err != nil || len(none) != 0 {
		t.Errorf("Recent of an unknown service = %v, %v; want none", none, err)
	}
	services, err := store.Services(ctx)
	if want := []string{"api", "auth", "web"}; err != nil || !reflect.DeepEqual(services, want) {
		t.Errorf("Services = %v, %v; want %v", services, err, want)
	}

	// failed_requests is derived from the error rate: 1003 requests at 0.875 % → 9 failed.
	var failed, ok int64
	if err := pool.QueryRow(ctx, `SELECT failed_requests, successful_requests FROM analytics_metrics_1hour
		WHERE service = 'api' AND timestamp = $1`, api[3].Timestamp).Scan(&failed, &ok); err != nil {
		t.Fatal(err)
	}
	if failed != 9 || ok != 994 {
		t.Errorf("failed, successful = %d, %d; want 9, 994", failed, ok)
	}
	// A rewrite of a window replaces its measures.
	changed := api[3]
	changed.LatencyP99 = 999.5
	if err := store.Write(ctx, omen.Results{Metrics: []omen.Metrics{changed}}); err != nil {
		t.Fatal(err)
	}
	got, err = store.Recent(ctx, "api", api[4].Timestamp, 1)
	if err != nil || len(got) != 1 || got[0] != changed {
		t.Errorf("after a rewrite Recent = %+v, %v; want %+v", got, err, changed)
	}
}

func TestStateStoreRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, pool := newTestStore(t)
	if got, err := store.LoadState(ctx, omen.StateDetector, "api"); got != nil || err != nil {
		t.Errorf("LoadState before any save = %v, %v; want nil, nil", got, err)
	}
	first := []byte("model v1 \x00\xff binary")
	second := bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 1<<16)
	if err := store.SaveState(ctx, omen.StateDetector, "api", first); err != nil {
		t.Fatalf("SaveState: %v", err)
	}
	if err := store.SaveState(ctx, omen.StateDetector, "web", second); err != nil {
		t.Fatalf("SaveState: %v", err)
	}
	if got, err := store.LoadState(ctx, omen.StateDetector, "api"); err != nil || !bytes.Equal(got, first) {
		t.Errorf("LoadState(api) = %q, %v; want %q", got, err, first)
	}
	if err := store.SaveState(ctx, omen.StateDetector, "api", second); err != nil {
		t.Fatal(err)
	}
	if got, err := store.LoadState(ctx, omen.StateDetector, "api"); err != nil || !bytes.Equal(got, second) {
		t.Errorf("LoadState(api) after a second save: %d bytes, %v; want %d", len(got), err, len(second))
	}
	if err := store.SaveState(ctx, omen.StateDetector, "empty", nil); err != nil {
		t.Fatal(err)
	}
	if got, err := store.LoadState(ctx, omen.StateDetector, "empty"); err != nil || got == nil || len(got) != 0 {
		t.Errorf("LoadState of an empty saved state = %v, %v; want empty, non-nil", got, err)
	}
	if err := store.SaveState(ctx, omen.StateDetector, "", first); err == nil {
		t.Errorf("SaveState without a service succeeded")
	}
	if err := store.SaveState(ctx, "", "api", first); err == nil {
		t.Errorf("SaveState without a component succeeded")
	}
	// The alerter's state of a service is kept apart from the detector's.
	if err := store.SaveState(ctx, omen.StateAlerter, "api", []byte("alerter")); err != nil {
		t.Fatal(err)
	}
	if got, err := store.LoadState(ctx, omen.StateDetector, "api"); err != nil || !bytes.Equal(got, second) {
		t.Errorf("LoadState(detector, api) after the alerter saved = %q, %v; want %q", got, err, second)
	}
	if got, err := store.LoadState(ctx, omen.StateAlerter, "api"); err != nil || string(got) != "alerter" {
		t.Errorf("LoadState(alerter, api) = %q, %v", got, err)
	}

	var service, modelType string
	var params []byte
	var trained, used *time.Time
	if err := pool.QueryRow(ctx, `SELECT service, model_type, parameters, trained_at, last_used_at FROM ml_models
		WHERE model_id = $1`, stateModelID(omen.StateDetector, "web")).Scan(&service, &modelType, &params, &trained, &used); err != nil {
		t.Fatal(err)
	}
	var meta stateMetadata
	if err := json.Unmarshal(params, &meta); err != nil || meta.Bytes != len(second) || len(meta.SHA256) != 64 || meta.Component != omen.StateDetector {
		t.Errorf("parameters %s (%v); want the state's size and hash", params, err)
	}
	if service != "web" || modelType != stateModelType || trained == nil || used == nil {
		t.Errorf("row (%s, %s, %v, %v)", service, modelType, trained, used)
	}
	if n := count(t, pool, "SELECT COUNT(*) FROM ml_models"); n != 4 {
		t.Errorf("%d ml_models rows, want 4 (detector: api, web, empty; alerter: api)", n)
	}
}

// TestModelUpdatedAtTrigger checks that tr_ml_model_update_timestamp maintains updated_at.
func TestModelUpdatedAtTrigger(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, pool := newTestStore(t)
	if err := store.SaveState(ctx, omen.StateDetector, "api", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "UPDATE ml_models SET updated_at = '2000-01-01', status = 'inactive'"); err != nil {
		t.Fatal(err)
	}
	if n := count(t, pool, "SELECT COUNT(*) FROM ml_models WHERE updated_at > now() - interval '1 hour'"); n != 1 {
		t.Errorf("the trigger did not set updated_at on UPDATE")
	}
	if _, err := pool.Exec(ctx, "ALTER TABLE ml_models DISABLE TRIGGER tr_ml_model_update_timestamp"); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "UPDATE ml_models SET updated_at = '2000-01-01'"); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "ALTER TABLE ml_models ENABLE TRIGGER tr_ml_model_update_timestamp"); err != nil {
		t.Fatal(err)
	}
	if err := store.SaveState(ctx, omen.StateDetector, "api", []byte("y")); err != nil {
		t.Fatal(err)
	}
	if n := count(t, pool, "SELECT COUNT(*) FROM ml_models WHERE updated_at > '2000-01-01'"); n != 1 {
		t.Errorf("SaveState left updated_at at 2000-01-01")
	}
}

// TestSimpleProtocolPool runs the Store on a pool that uses the simple query protocol, as
// behind PgBouncer in transaction mode: writes, reads, state and retention all work.
func TestSimpleProtocolPool(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, pool := newTestStore(t, func(c *pgxpool.Config) {
		c.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	})
	now := testNow()
	r := testResults(now)
	r.Forecasts[0].Actual = ptr(0.1 + 0.2)
	for range 2 {
		if err := store.Write(ctx, r); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	if got, err := store.Recent(ctx, "api", now.Add(time.Hour), 10); err != nil || len(got) != 3 || got[2] != r.Metrics[0] {
		t.Errorf("Recent = %+v, %v", got, err)
	}
	var actual float64
	if err := pool.QueryRow(ctx, "SELECT actual_value FROM ml_forecasts WHERE forecast_id = $1", r.Forecasts[0].ID).Scan(&actual); err != nil || actual != 0.1+0.2 {
		t.Errorf("actual_value = %v, %v; want %v exactly", actual, err, 0.1+0.2)
	}
	if err := store.SaveState(ctx, omen.StateDetector, "api", []byte{0, 1, 2}); err != nil {
		t.Fatal(err)
	}
	if got, err := store.LoadState(ctx, omen.StateDetector, "api"); err != nil || !bytes.Equal(got, []byte{0, 1, 2}) {
		t.Errorf("LoadState = %v, %v", got, err)
	}
	if err := store.ResolveAnomaly(ctx, r.Anomalies[0].ID, "ok", "me"); err != nil {
		t.Fatal(err)
	}
	if res, err := store.Archive(ctx, 0); err != nil || res.Archived != int64(len(r.Anomalies)) {
		t.Errorf("Archive(0) = %+v, %v", res, err)
	}
}

// TestServicesSortedByBytes: Services sorts as Go does (and MemoryStore), whatever the column's
// collation: under ICU's en-US order it once returned [_internal api Billing web].
func TestServicesSortedByBytes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, pool := newTestStore(t)
	if _, err := pool.Exec(ctx, `ALTER TABLE analytics_metrics_1hour ALTER COLUMN service TYPE VARCHAR(255) COLLATE "en-US-x-icu"`); err != nil {
		t.Fatal(err)
	}
	var ms []omen.Metrics
	for _, svc := range []string{"web", "api", "_internal", "Billing"} {
		ms = append(ms, omen.Metrics{Service: svc, Timestamp: testNow(), Window: time.Hour})
	}
	if err := store.Write(ctx, omen.Results{Metrics: ms}); err != nil {
		t.Fatal(err)
	}
	services, err := store.Services(ctx)
	if want := []string{"Billing", "_internal", "api", "web"}; err != nil || !reflect.DeepEqual(services, want) {
		t.Errorf("Services = %v, %v; want %v", services, err, want)
	}
}
