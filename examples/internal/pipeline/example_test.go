package pipeline_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/stacklens/omen"
	"github.com/stacklens/omen/examples/internal/pipeline"
	"github.com/stacklens/omen/internal/servicegen"
)

// Both roles of the pipeline in one process, on an in-process Kafka broker and one in-memory
// store: the ML service and the predictive alerter each read the analytics windows in their own
// consumer group.
func ExampleStart() {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "analytics-alerts"))
	if err != nil {
		log.Fatal(err)
	}
	defer cluster.Close()

	ctx := context.Background()
	store := omen.NewMemoryStore()
	ml, err := pipeline.Start(ctx, pipeline.Config{Role: pipeline.MLService, Brokers: cluster.ListenAddrs(), Memory: store})
	if err != nil {
		log.Fatal(err)
	}
	alerter, err := pipeline.Start(ctx, pipeline.Config{Role: pipeline.PredictiveAlerter, Brokers: cluster.ListenAddrs(), Memory: store,
		Alerter: omen.AlerterConfig{ForecastRecords: 1}})
	if err != nil {
		log.Fatal(err)
	}

	// Four services, five days of hourly windows, incidents after two days.
	stream, err := servicegen.Generate(servicegen.Config{Seed: 1, Services: 4, Days: 5, WarmUp: 48 * time.Hour, IncidentsPerWeek: 2})
	if err != nil {
		log.Fatal(err)
	}
	var buf bytes.Buffer
	if err := servicegen.WriteJSONLines(&buf, stream, servicegen.Flat); err != nil {
		log.Fatal(err)
	}
	producer, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...))
	if err != nil {
		log.Fatal(err)
	}
	defer producer.Close()
	var records []*kgo.Record
	lines := bufio.NewScanner(&buf)
	for i := 0; lines.Scan(); i++ {
		records = append(records, &kgo.Record{Topic: "analytics-alerts", Key: []byte(stream.Windows[i].Service), Value: bytes.Clone(lines.Bytes())})
	}
	if err := producer.ProduceSync(ctx, records...).FirstErr(); err != nil {
		log.Fatal(err)
	}

	for ml.Stats().Windows < int64(len(records)) || alerter.Stats().Windows < int64(len(records)) {
		time.Sleep(10 * time.Millisecond)
	}
	// Stop makes the last results durable, commits, and saves every service's state.
	if err := ml.Stop(); err != nil {
		log.Fatal(err)
	}
	if err := alerter.Stop(); err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(records), "windows")
	fmt.Println(len(store.Anomalies()), "anomalies")
	fmt.Println(len(store.Alerts()), "predictive alerts")
	// Output:
	// 480 windows
	// 87 anomalies
	// 10 predictive alerts
}

// The configuration of the standalone ML service, from the original's environment variables.
func ExampleParseServiceConfig() {
	env := map[string]string{
		"KAFKA_BOOTSTRAP_SERVERS": "kafka-1:9092,kafka-2:9092",
		"KAFKA_CONSUMER_GROUP":    "ml-service-group",
		"ML_CONTAMINATION":        "0.001",
		"POSTGRES_HOST":           "postgres", // the compose file's variable, read when DB_HOST is unset
	}
	var logs bytes.Buffer
	cfg, err := pipeline.ParseServiceConfig(pipeline.MLService, "mlservice", []string{"-http", ":9105"},
		func(k string) string { return env[k] }, &logs)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cfg.Brokers, cfg.Group, cfg.HTTPAddr)
	fmt.Println(cfg.Topics.Input, "→", cfg.Topics.Anomalies, cfg.Topics.Patterns)
	fmt.Printf("outlier score ≥ %.0f\n", cfg.Detector.OutlierScore)
	fmt.Println(cfg.PostgresDSN)
	// Output:
	// [kafka-1:9092 kafka-2:9092] ml-service-group :9105
	// analytics-alerts → ml-anomalies ml-patterns
	// outlier score ≥ 50
	// postgres://stacklens_user:stacklens_password@postgres:5432/stacklens
}
