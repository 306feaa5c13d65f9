package pgadapter

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// defaultTestDSN is the database the tests use when OMEN_TEST_POSTGRES is unset (DESIGN.md).
const defaultTestDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func testDSN() string {
	if dsn := os.Getenv("OMEN_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	return defaultTestDSN
}

// adminConn connects to the test database, skipping the test when it is unreachable, or failing
// it when the CI variable is set.
func adminConn(tb testing.TB) *pgx.Conn {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, testDSN())
	if err != nil {
		msg := fmt.Sprintf("PostgreSQL at %s is unreachable (%v); set OMEN_TEST_POSTGRES to a reachable database", testDSN(), err)
		if os.Getenv("CI") != "" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	return conn
}

// newTestPool returns a pool whose search_path is a fresh schema of its own, dropped at cleanup,
// so that tests are isolated and can run in parallel.
func newTestPool(tb testing.TB, configure ...func(*pgxpool.Config)) *pgxpool.Pool {
	tb.Helper()
	schema := fmt.Sprintf("omen_test_%d_%016x", os.Getpid(), rand.Uint64())
	ctx := context.Background()
	admin := adminConn(tb)
	_, err := admin.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize())
	admin.Close(ctx)
	if err != nil {
		tb.Fatalf("create schema %s: %v", schema, err)
	}
	tb.Cleanup(func() {
		admin := adminConn(tb)
		defer admin.Close(ctx)
		if _, err := admin.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	cfg, err := pgxpool.ParseConfig(testDSN())
	if err != nil {
		tb.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	cfg.MaxConns = 4
	for _, f := range configure {
		f(cfg)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

// newTestStore returns a Store on a migrated fresh schema, and its pool.
func newTestStore(tb testing.TB, configure ...func(*pgxpool.Config)) (*Store, *pgxpool.Pool) {
	tb.Helper()
	pool := newTestPool(tb, configure...)
	if err := Migrate(context.Background(), pool); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return New(pool), pool
}

// count returns the number of rows of a query of the form SELECT COUNT(*) ….
func count(tb testing.TB, pool *pgxpool.Pool, sql string, args ...any) int64 {
	tb.Helper()
	var n int64
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
	return n
}
