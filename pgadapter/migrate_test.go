package pgadapter

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stacklens/omen"
)

// The objects of the original ml_schema.sql (ORIGINAL-SYSTEM.md §3.1), the Phase 4 tables and
// omen's additions, each of which Migrate must create.
var (
	wantTables = []string{
		"analytics_alerts", "analytics_metrics_1hour", "ml_anomalies", "ml_anomalies_archive",
		"ml_anomaly_history", "ml_anomaly_history_archive", "ml_anomaly_stats_daily",
		"ml_anomaly_stats_hourly", "ml_forecasts", "ml_model_performance", "ml_models", "ml_patterns",
		"ml_predictive_alerts", "ml_trends", "omen_schema_migrations",
	}
	wantViews = []string{
		"ml_v_anomaly_trends", "ml_v_critical_anomalies", "ml_v_model_health", "ml_v_recent_anomalies",
	}
	wantFunctions = []string{
		"ml_archive_old_anomalies", "ml_calculate_anomaly_stats", "ml_get_top_anomalies",
		"ml_log_anomaly_change", "ml_update_model_timestamp",
	}
	wantTriggers = []string{"tr_ml_anomaly_status_change", "tr_ml_model_update_timestamp"}
	wantIndexes  = []string{
		"idx_ml_anomalies_service_timestamp", "idx_ml_anomalies_severity", "idx_ml_anomalies_anomaly_type",
		"idx_ml_anomaly_history_anomaly_id", "idx_ml_models_service_status", "idx_ml_models_model_type",
		"idx_ml_patterns_service_active", "idx_ml_patterns_pattern_type", "idx_ml_trends_service_metric",
		"idx_ml_anomaly_stats_service_timestamp", "idx_ml_anomaly_stats_daily_service",
		"idx_ml_forecasts_service_metric", "idx_ml_model_performance_model_date",
		"idx_ml_predictive_alerts_service", "idx_ml_predictive_alerts_materialized",
		"idx_metrics_1hour_service_timestamp",
	}
)

// catalog is the schema's objects, for comparing the database before and after a migration.
type catalog struct {
	Tables, Views, Functions, Triggers, Indexes, Columns []string
	Versions                                             []string
}

func readCatalog(t *testing.T, pool *pgxpool.Pool) catalog {
	t.Helper()
	list := func(sql string) []string {
		rows, err := pool.Query(context.Background(), sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		out, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return out
	}
	return catalog{
		Tables:    list("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"),
		Views:     list("SELECT viewname FROM pg_views WHERE schemaname = current_schema() ORDER BY 1"),
		Functions: list("SELECT p.proname FROM pg_proc p WHERE p.pronamespace = current_schema()::regnamespace ORDER BY 1"),
		Triggers:  list("SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal ORDER BY 1"),
		Indexes:   list("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() ORDER BY 1"),
		Columns: list(`SELECT table_name || '.' || column_name || ' ' || data_type || COALESCE('(' || character_maximum_length || ')', '')
			FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY 1`),
		Versions: list("SELECT version || ' ' || name || ' ' || applied_at FROM omen_schema_migrations ORDER BY version"),
	}
}

func TestMigrateTwiceIsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := newTestPool(t)
	if v, err := SchemaVersion(ctx, pool); err != nil || v != 0 {
		t.Fatalf("SchemaVersion before Migrate = %d, %v; want 0, nil", v, err)
	}
	if err := Migrate(ctx, pool); err != nil {
		t.Fatalf("first Migrate: %v", err)
	}
	first := readCatalog(t, pool)
	if err := Migrate(ctx, pool); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	second := readCatalog(t, pool)
	if !reflect.DeepEqual(first, second) {
		t.Errorf("second Migrate changed the schema:\nfirst  %v\nsecond %v", first, second)
	}

	migrations := Migrations()
	if len(first.Versions) != len(migrations) {
		t.Errorf("version table has %d rows, want one per migration (%d): %v", len(first.Versions), len(migrations), first.Versions)
	}
	if v, err := SchemaVersion(ctx, pool); err != nil || v != migrations[len(migrations)-1].Version {
		t.Errorf("SchemaVersion = %d, %v; want %d", v, err, migrations[len(migrations)-1].Version)
	}
	for i, m := range migrations {
		if m.Version != i+1 {
			t.Errorf("migration %d has version %d, want consecutive versions from 1", i, m.Version)
		}
	}

	for _, c := range []struct {
		kind      string
		got, want []string
	}{
		{"table", first.Tables, wantTables},
		{"view", first.Views, wantViews},
		{"function", first.Functions, wantFunctions},
		{"trigger", first.Triggers, wantTriggers},
		{"index", first.Indexes, wantIndexes},
	} {
		for _, name := range c.want {
			if !slices.Contains(c.got, name) {
				t.Errorf("no %s %s after Migrate; have %v", c.kind, name, c.got)
			}
		}
	}
}

// TestMigrationScriptsRerun runs every script again by hand, as an operator might on a database
// where the original schema or an earlier run of the scripts exists: each is idempotent.
func TestMigrationScriptsRerun(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, pool := newTestStore(t)
	before := readCatalog(t, pool)
	for _, m := range Migrations() {
		if _, err := pool.Exec(ctx, m.SQL); err != nil {
			t.Fatalf("rerun of migration %d (%s): %v", m.Version, m.Name, err)
		}
	}
	if after := readCatalog(t, pool); !reflect.DeepEqual(before, after) {
		t.Errorf("rerunning the scripts changed the schema:\nbefore %v\nafter  %v", before, after)
	}
}

// TestMigrateConcurrently starts several Migrate calls on one fresh schema at once: the advisory
// lock serializes them, so all succeed and each migration is recorded once.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := newTestPool(t, func(c *pgxpool.Config) { c.MaxConns = 4 })
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { errs[i] = Migrate(ctx, pool) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate %d: %v", i, err)
		}
	}
	if n := count(t, pool, "SELECT COUNT(*) FROM omen_schema_migrations"); n != int64(len(Migrations())) {
		t.Errorf("version table has %d rows, want %d", n, len(Migrations()))
	}
}

// TestWideValuesFit writes the values that overflowed the original columns (confidence ≥ 10,
// values ≥ 1e8) and reads them back exactly.
func TestWideValuesFit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, pool := newTestStore(t)
	now := testNow()
	a := testAnomaly("api", now, omen.Spike, omen.Critical, 12.5)
	a.Value, a.Baseline, a.DeviationPercent = 3.5e12, 1e8, 1.2345678901234e9
	f := testForecast("api", now, 1)
	f.Predicted, f.Lower, f.Upper = 9.87654321e15, -1e10, 1e300
	if err := store.Write(ctx, omen.Results{Anomalies: []omen.Anomaly{a}, Forecasts: []omen.Forecast{f}}); err != nil {
		t.Fatalf("Write: %v", err)
	}
	var conf, value, base, dev, pred, upper float64
	if err := pool.QueryRow(ctx, `SELECT confidence_score, metric_value, baseline_value, deviation_percent,
		(SELECT predicted_value FROM ml_forecasts), (SELECT prediction_upper_bound FROM ml_forecasts)
		FROM ml_anomalies`).Scan(&conf, &value, &base, &dev, &pred, &upper); err != nil {
		t.Fatal(err)
	}
	got := []float64{conf, value, base, dev, pred, upper}
	want := []float64{a.Confidence, a.Value, a.Baseline, a.DeviationPercent, f.Predicted, f.Upper}
	if !slices.Equal(got, want) {
		t.Errorf("read back %v, want %v", got, want)
	}
}

// TestMigrateUpgradesHandAppliedSchema starts from a schema made by hand the way the original
// script made it — its tables with their narrow columns, views, functions and triggers, no
// version table — with a row in it, and checks that Migrate upgrades it in place.
func TestMigrateUpgradesHandAppliedSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := newTestPool(t)
	ms := Migrations()
	for _, m := range []Migration{ms[0], ms[2]} { // tables, then views, functions and triggers
		if _, err := pool.Exec(ctx, m.SQL); err != nil {
			t.Fatalf("hand-applied migration %d: %v", m.Version, err)
		}
	}
	if _, err := pool.Exec(ctx, `INSERT INTO ml_anomalies
		(anomaly_id, service, anomaly_type, severity, timestamp, metric_value, confidence_score)
		VALUES ('old', 'api', 'spike', 'high', now(), 12345678.1234, 0.9876)`); err != nil {
		t.Fatal(err)
	}
	precision := func() *int32 {
		var p *int32
		if err := pool.QueryRow(ctx, `SELECT numeric_precision FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = 'ml_anomalies' AND column_name = 'confidence_score'`).Scan(&p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if p := precision(); p == nil || *p != 5 {
		t.Fatalf("fixture: confidence_score precision %v, want the original's 5", p)
	}
	if err := Migrate(ctx, pool); err != nil {
		t.Fatalf("Migrate over the hand-applied schema: %v", err)
	}
	if p := precision(); p != nil {
		t.Errorf("confidence_score precision %d after Migrate, want unconstrained", *p)
	}
	var value, confidence float64
	if err := pool.QueryRow(ctx, "SELECT metric_value, confidence_score FROM ml_anomalies WHERE anomaly_id = 'old'").Scan(&value, &confidence); err != nil || value != 12345678.1234 || confidence != 0.9876 {
		t.Errorf("the existing row reads %v, %v, %v after Migrate", value, confidence, err)
	}
	got := readCatalog(t, pool)
	for _, name := range wantViews {
		if !slices.Contains(got.Views, name) {
			t.Errorf("no view %s after the upgrade", name)
		}
	}
	if len(got.Versions) != len(ms) {
		t.Errorf("version table %v, want %d versions", got.Versions, len(ms))
	}
	if err := New(pool).ResolveAnomaly(ctx, "old", "upgrade test", "ops"); err != nil {
		t.Fatal(err)
	}
	if n := count(t, pool, "SELECT COUNT(*) FROM ml_anomaly_history WHERE changed_by = 'ops'"); n != 1 {
		t.Errorf("the upgraded trigger wrote %d history rows, want 1", n)
	}
}

// TestMigrateSchemasAreIndependent: a schema migrated with another, already migrated schema
// further down its search_path (a tenant schema before public) gets its own objects and leaves
// the other's alone; SchemaVersion reports the current schema's version only. Unqualified DROPs
// once removed the other schema's views and functions, and SchemaVersion read its table.
func TestMigrateSchemasAreIndependent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, first := newTestStore(t)
	var firstSchema string
	if err := first.QueryRow(ctx, "SELECT current_schema()").Scan(&firstSchema); err != nil {
		t.Fatal(err)
	}
	objects := func(schema string) int64 {
		return count(t, first, `SELECT (SELECT COUNT(*) FROM pg_views WHERE schemaname = $1) +
			(SELECT COUNT(*) FROM pg_proc WHERE pronamespace = $1::regnamespace)`, schema)
	}
	before := objects(firstSchema)
	if before == 0 {
		t.Fatal("the first schema has no views or functions")
	}
	second := newTestPool(t, func(c *pgxpool.Config) {
		c.ConnConfig.RuntimeParams["search_path"] += ", " + pgx.Identifier{firstSchema}.Sanitize()
	})
	if v, err := SchemaVersion(ctx, second); err != nil || v != 0 {
		t.Errorf("SchemaVersion of a schema never migrated = %d, %v; want 0", v, err)
	}
	if err := Migrate(ctx, second); err != nil {
		t.Fatal(err)
	}
	var secondSchema string
	if err := second.QueryRow(ctx, "SELECT current_schema()").Scan(&secondSchema); err != nil {
		t.Fatal(err)
	}
	if after := objects(firstSchema); after != before {
		t.Errorf("migrating %s left %s with %d views and functions, it had %d", secondSchema, firstSchema, after, before)
	}
	if own := objects(secondSchema); own != before {
		t.Errorf("%s has %d views and functions, want %d", secondSchema, own, before)
	}
	if v, err := SchemaVersion(ctx, second); err != nil || v != len(Migrations()) {
		t.Errorf("SchemaVersion after Migrate = %d, %v; want %d", v, err, len(Migrations()))
	}
}

// TestMigrateAsSchemaOwner: a role that owns its schema but may not create schemas in the
// database migrates it (the original's empty schema ml is then left out); it once failed with
// "permission denied for database".
func TestMigrateAsSchemaOwner(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	role := fmt.Sprintf("omen_test_owner_%d_%08x", os.Getpid(), rand.Uint32())
	admin := adminConn(t)
	defer admin.Close(ctx)
	id := pgx.Identifier{role}.Sanitize()
	for _, sql := range []string{"CREATE ROLE " + id + " LOGIN", "CREATE SCHEMA " + id + " AUTHORIZATION " + id} {
		if _, err := admin.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		admin := adminConn(t)
		defer admin.Close(ctx)
		for _, sql := range []string{"DROP SCHEMA " + id + " CASCADE", "DROP ROLE " + id} {
			if _, err := admin.Exec(ctx, sql); err != nil {
				t.Errorf("%s: %v", sql, err)
			}
		}
	})
	cfg, err := pgxpool.ParseConfig(testDSN())
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.User = role
	cfg.ConnConfig.RuntimeParams["search_path"] = role
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var canCreate bool
	if err := pool.QueryRow(ctx, "SELECT has_database_privilege(current_database(), 'CREATE')").Scan(&canCreate); err != nil || canCreate {
		t.Fatalf("the role may create schemas (%v, %v): the test shows nothing", canCreate, err)
	}
	if err := Migrate(ctx, pool); err != nil {
		t.Fatalf("Migrate as the schema's owner: %v", err)
	}
}
