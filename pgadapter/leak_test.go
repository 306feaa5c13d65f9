package pgadapter

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stacklens/omen"
)

// TestNoConnectionLeak fails writes and reads in every way a pool can be drained (errors inside
// PostgreSQL, deadlines expiring mid-statement, cancelled contexts) on a pool of two connections,
// then checks that the pool still serves and that no connection stays acquired. The original
// service leaked one pooled connection per failed query.
func TestNoConnectionLeak(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, pool := newTestStore(t, func(c *pgxpool.Config) { c.MaxConns = 2 })
	for _, sql := range []string{
		// A constraint the records do not know of, so that the writes fail inside PostgreSQL.
		"ALTER TABLE ml_anomalies ADD CONSTRAINT test_rejects CHECK (service <> 'rejected')",
		// A slow insert, so that a deadline expires during the statement.
		`CREATE FUNCTION test_slow() RETURNS trigger LANGUAGE plpgsql AS $$
		 BEGIN IF NEW.service = 'slow' THEN PERFORM pg_sleep(0.3); END IF; RETURN NEW; END $$`,
		"CREATE TRIGGER test_slow BEFORE INSERT ON ml_patterns FOR EACH ROW EXECUTE FUNCTION test_slow()",
	} {
		if _, err := pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	now := testNow()

	for i := range 100 {
		bad := testAnomaly("rejected", now.Add(time.Duration(i)*time.Minute), omen.Spike, omen.High, 0.5)
		err := store.Write(ctx, omen.Results{Anomalies: []omen.Anomaly{bad}, Metrics: []omen.Metrics{testMetrics("ok", now, i)}})
		if err == nil || !strings.Contains(err.Error(), "test_rejects") {
			t.Fatalf("write %d violating a constraint: %v, want the constraint's error", i, err)
		}
	}
	for i := range 5 {
		deadline, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		err := store.Write(deadline, omen.Results{Patterns: []omen.Pattern{testPattern("slow", now.Add(time.Duration(i)*time.Hour))}})
		cancel()
		if err == nil {
			t.Fatalf("write %d past its deadline succeeded", i)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for i := range 20 {
		if err := store.Write(cancelled, testResults(now)); err == nil {
			t.Fatalf("write %d with a cancelled context succeeded", i)
		}
		if _, err := store.Recent(cancelled, "api", now, 10); err == nil {
			t.Fatalf("read %d with a cancelled context succeeded", i)
		}
		if err := store.ResolveAnomaly(ctx, "missing", "x", "y"); err == nil {
			t.Fatalf("resolve %d of a missing anomaly succeeded", i)
		}
	}

	if n := count(t, pool, "SELECT COUNT(*) FROM analytics_metrics_1hour"); n != 0 {
		t.Errorf("failed writes left %d metrics rows; each write is one transaction", n)
	}
	deadline, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := store.Write(deadline, testResults(now)); err != nil {
		t.Fatalf("a good write after the failures: %v", err)
	}
	if got, err := store.Recent(deadline, "api", now.Add(time.Hour), 10); err != nil || len(got) != 3 {
		t.Errorf("a read after the failures: %d windows, %v", len(got), err)
	}
	if n := pool.Stat().AcquiredConns(); n != 0 {
		t.Errorf("%d connections still acquired", n)
	}
}
