package pgadapter_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"math"
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
	if err := store.SaveState(ctx, omen.StateDetector, "api", []byte("serialized models")); err != nil {
		log.Fatal(err)
	}
	state, err := store.LoadState(ctx, omen.StateDetector, "api")
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

// The embedded migrations, in the order Migrate applies them.
func ExampleMigrations() {
	for _, m := range pgadapter.Migrations() {
		fmt.Println(m.Version, m.Name)
	}
	// Output:
	// 1 original_schema
	// 2 omen_columns
	// 3 views_functions_triggers
	// 4 notification_delivery
	// 5 archive_delivery
}

// Records that cannot be stored are rejected before any SQL is sent, so this example needs no
// database: the pool never connects.
func ExampleStore_Write_invalid() {
	pool, err := pgxpool.New(context.Background(), "postgres://nobody@127.0.0.1:1/none")
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	at := time.Date(2024, 1, 15, 10, 0, 0, 0, time.UTC)
	err = pgadapter.New(pool).Write(context.Background(), omen.Results{
		Anomalies: []omen.Anomaly{{ID: "a1", Service: "api", Type: omen.Spike, Severity: omen.High,
			Timestamp: at, Value: math.NaN()}},
	})
	fmt.Println(errors.Is(err, pgadapter.ErrInvalidRecord))
	fmt.Println(err)
	// Output:
	// true
	// pgadapter: invalid record: anomaly "a1": metric_value is NaN, want a finite number
}

// The services with hourly history, for warm starts.
func ExampleStore_Services() {
	ctx := context.Background()
	pool := connect(ctx)
	defer pool.Close()
	services, err := pgadapter.New(pool).Services(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(services)
}

// A notifier records each anomaly it delivered.
func ExampleStore_MarkAnomalyNotified() {
	ctx := context.Background()
	pool := connect(ctx)
	defer pool.Close()
	if err := pgadapter.New(pool).MarkAnomalyNotified(ctx, "48a1561ceb7c94d0", time.Now()); err != nil {
		log.Fatal(err)
	}
}
