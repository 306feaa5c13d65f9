package pgadapter_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stacklens/omen"
	"github.com/stacklens/omen/pgadapter"
)

// These examples need a PostgreSQL database, so they are compiled but not run by go test.

// connect opens a pool on the database named by OMEN_POSTGRES.
func connect(ctx context.Context) *pgxpool.Pool {
	pool, err := pgxpool.New(ctx, os.Getenv("OMEN_POSTGRES"))
	if err != nil {
		log.Fatal(err)
	}
	return pool
}

// Migrate at every start: it applies what is missing and is safe to run from several
// instances at once.
func ExampleMigrate() {
	ctx := context.Background()
	pool := connect(ctx)
	defer pool.Close()
	if err := pgadapter.Migrate(ctx, pool); err != nil {
		log.Fatal(err)
	}
	version, err := pgadapter.SchemaVersion(ctx, pool)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("schema version", version)
}

// A Store is the engine's History, Sink and StateStore.
func ExampleNew() {
	ctx := context.Background()
	pool := connect(ctx)
	defer pool.Close()
	var (
		_ omen.History    = pgadapter.New(pool)
		_ omen.Sink       = pgadapter.New(pool)
		_ omen.StateStore = pgadapter.New(pool, pgadapter.WithAuthor("ml-service-1"))
	)
}

// Write one window's results in one transaction; writing them again changes nothing.
func ExampleStore_Write() {
	ctx := context.Background()
	pool := connect(ctx)
	defer pool.Close()
	store := pgadapter.New(pool)
	at := time.Date(2024, 1, 15, 10, 0, 0, 0, time.UTC)
	err := store.Write(ctx, omen.Results{
		Metrics: []omen.Metrics{{Service: "api", Timestamp: at, Window: time.Hour, TotalRequests: 10000,
			ErrorRate: 0.5, LatencyP99: 150, LatencyP95: 100, LatencyMean: 50, UniqueUsers: 1000, UniqueIPs: 500,
			RiskScore: 0.3}},
		Anomalies: []omen.Anomaly{{ID: omen.RecordID("api", "anomaly", "latency_p99_ms", at), Service: "api",
			Type: omen.Spike, Severity: omen.High, Score: 62, Timestamp: at, Metric: "latency_p99_ms",
			Value: 950, Baseline: 150, DeviationPercent: 533.3, Confidence: 0.93}},
	})
	if err != nil {
		log.Fatal(err)
	}
}

// Read a service's last day of hourly windows, oldest first.
func ExampleStore_Recent() {
	ctx := context.Background()
	pool := connect(ctx)
	defer pool.Close()
	windows, err := pgadapter.New(pool).Recent(ctx, "api", time.Now(), 24)
	if err != nil {
		log.Fatal(err)
	}
	for _, w := range windows {
		fmt.Println(w.Timestamp, w.ErrorRate, w.LatencyP99)
	}
}

// Save and restore a service's engine state, as a rebalance does.
func ExampleStore_SaveState() {
	ctx := context.Background()
	pool := connect(ctx)
	defer pool.Close()
	store := pgadapter.New(pool)
	if err := store.SaveState(ctx, "api", []byte("serialized models")); err != nil {
		log.Fatal(err)
	}
	state, err := store.LoadState(ctx, "api")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", state)
}

// A notifier records each delivery, so that a restarted notifier does not send it again.
func ExampleStore_MarkAlertSent() {
	ctx := context.Background()
	pool := connect(ctx)
	defer pool.Close()
	if err := pgadapter.New(pool).MarkAlertSent(ctx, "56372b4c7cfec93e20b543099dc7ca33", time.Now()); err != nil {
		log.Fatal(err)
	}
}

// Resolving an anomaly writes its ml_anomaly_history row with the reason and the author.
func ExampleStore_ResolveAnomaly() {
	ctx := context.Background()
	pool := connect(ctx)
	defer pool.Close()
	err := pgadapter.New(pool).ResolveAnomaly(ctx, "48a1561ceb7c94d0", "deploy rolled back", "alice")
	if err != nil {
		log.Fatal(err)
	}
}

// Retention moves anomalies older than 90 days, with their history, to the archive tables.
func ExampleStore_Archive() {
	ctx := context.Background()
	pool := connect(ctx)
	defer pool.Close()
	res, err := pgadapter.New(pool).Archive(ctx, 90)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Archived, res.Earliest, res.Latest)
}
