package kafkaadapter_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/stacklens/omen"
	"github.com/stacklens/omen/kafkaadapter"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// thresholdProcessor reports an anomaly when a window's error rate exceeds 5 %. The engine's
// Detector plays this part in the real services.
type thresholdProcessor struct{}

func (thresholdProcessor) Process(_ context.Context, m omen.Metrics) (omen.Results, error) {
	r := omen.Results{Metrics: []omen.Metrics{m}}
	if m.ErrorRate > 5 {
		r.Anomalies = append(r.Anomalies, omen.Anomaly{
			ID:      omen.RecordID(m.Service, "spike", "error_rate", m.Timestamp),
			Service: m.Service, Type: omen.Spike, Severity: omen.High, Score: 70,
			Timestamp: m.Timestamp, Metric: "error_rate", Value: m.ErrorRate, Baseline: 5,
		})
	}
	return r, nil
}

func (thresholdProcessor) Release(context.Context, []string) error { return nil }

func Example() {
	// An in-process broker; a real deployment passes its brokers' addresses instead.
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "analytics-alerts"))
	if err != nil {
		log.Fatal(err)
	}
	defer cluster.Close()
	producer, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...))
	if err != nil {
		log.Fatal(err)
	}
	defer producer.Close()
	ctx := context.Background()
	for _, msg := range []string{
		`{"service":"api","timestamp":"2024-01-15T10:00:00Z","error_rate":0.5,"total_requests":1000}`,
		`{"service":"checkout","triggered_at":"2024-01-15T10:30:00","details":{"timestamp":"2024-01-15T10:00:00","error_rate":30.0,"total_requests":100}}`,
		`{"service":"api","timestamp":"2024-01-15T11:00:00Z","total_requests":-3}`,
	} {
		if err := producer.ProduceSync(ctx, &kgo.Record{Topic: "analytics-alerts", Value: []byte(msg)}).FirstErr(); err != nil {
			log.Fatal(err)
		}
	}

	store := omen.NewMemoryStore()
	consumer, err := kafkaadapter.NewConsumer(cluster.ListenAddrs(), thresholdProcessor{}, store)
	if err != nil {
		log.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- consumer.Run(runCtx) }()
	for s := consumer.Stats(); s.Messages < 3 || s.Commits < 1; s = consumer.Stats() {
		time.Sleep(10 * time.Millisecond)
	}
	stop() // the poll in flight is finished and committed before Run returns
	if err := <-done; err != nil {
		log.Fatal(err)
	}

	s := consumer.Stats()
	fmt.Println("messages:", s.Messages, "processed:", s.Processed, "dead letters:", s.DeadLetters)
	fmt.Println("published on ml-anomalies:", s.Published["ml-anomalies"])
	for _, a := range store.Anomalies() {
		fmt.Println(a.Service, a.Type, a.Severity, a.Timestamp.Format(time.RFC3339))
	}
	// Output:
	// messages: 3 processed: 2 dead letters: map[invalid:1]
	// published on ml-anomalies: 1
	// checkout spike high 2024-01-15T10:00:00Z
}

func ExamplePublisher_Publish() {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "ml-anomalies"))
	if err != nil {
		log.Fatal(err)
	}
	defer cluster.Close()
	client, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...),
		kgo.ConsumeTopics("ml-anomalies"), kgo.RecordDeliveryTimeout(10*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	pub, err := kafkaadapter.NewPublisher(client)
	if err != nil {
		log.Fatal(err)
	}
	ts := time.Date(2024, 1, 15, 11, 30, 0, 0, time.FixedZone("CET", 3600))
	err = pub.Publish(context.Background(), omen.Results{Anomalies: []omen.Anomaly{{
		ID: omen.RecordID("api", "dip", "latency_p99_ms", ts), Service: "api", Type: omen.Dip,
		Severity: omen.Medium, Score: 40, Timestamp: ts, Metric: "latency_p99_ms", Value: 20,
		Baseline: 150, DeviationPercent: -86.7, Confidence: 0.8, Description: "p99 latency collapsed",
	}}})
	if err != nil {
		log.Fatal(err)
	}
	rec := client.PollFetches(context.Background()).Records()[0]
	fmt.Printf("%s: %s\n", rec.Key, rec.Value)
	// Output:
	// api: {"anomaly_id":"e6d9031b9b1b94d29c0b752e05b04563","service":"api","anomaly_type":"dip","severity":"medium","anomaly_score":40,"timestamp":"2024-01-15T10:30:00Z","metric_name":"latency_p99_ms","metric_value":20,"baseline_value":150,"deviation_percent":-86.7,"confidence_score":0.8,"description":"p99 latency collapsed","resolved":false}
}

func ExampleEnsureTopics() {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		log.Fatal(err)
	}
	defer cluster.Close()
	client, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	topics := kafkaadapter.DefaultTopics()
	if err := kafkaadapter.EnsureTopics(context.Background(), client, 3, 1, topics.All()...); err != nil {
		log.Fatal(err)
	}
	fmt.Println("created", topics.All())
	// Output:
	// created [analytics-alerts ml-anomalies ml-patterns predictive-alerts ml-dead-letter]
}

func ExampleDecodeDeadLetter() {
	// A record as the consumer writes it to ml-dead-letter: the original key and value, the
	// original headers, then the dlq-* headers.
	rec := &kgo.Record{Topic: "ml-dead-letter", Key: []byte("api"), Value: []byte(`{"service":"api"}`),
		Headers: []kgo.RecordHeader{
			{Key: kafkaadapter.HeaderReason, Value: []byte("incomplete")},
			{Key: kafkaadapter.HeaderError, Value: []byte("invalid metrics: no timestamp")},
			{Key: kafkaadapter.HeaderSourceTopic, Value: []byte("analytics-alerts")},
			{Key: kafkaadapter.HeaderSourcePartition, Value: []byte("2")},
			{Key: kafkaadapter.HeaderSourceOffset, Value: []byte("1041")},
			{Key: kafkaadapter.HeaderSourceTimestamp, Value: []byte("2024-01-15T10:30:00.551Z")},
		}}
	d, err := kafkaadapter.DecodeDeadLetter(rec)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s at %s/%d@%d: %s\n%s\n", d.Reason, d.Topic, d.Partition, d.Offset, d.Error, d.Value)
	// Output:
	// incomplete at analytics-alerts/2@1041: invalid metrics: no timestamp
	// {"service":"api"}
}

func ExampleStats_WritePrometheus() {
	s := kafkaadapter.Stats{
		Messages: 1200, Processed: 1195, Commits: 4,
		Published:   map[string]int64{"ml-anomalies": 31, "ml-dead-letter": 5},
		DeadLetters: map[kafkaadapter.Reason]int64{kafkaadapter.Undecodable: 2, kafkaadapter.Invalid: 3},
		Lag:         []kafkaadapter.PartitionLag{{Topic: "analytics-alerts", Partition: 0, Lag: 17}},
		Latency:     kafkaadapter.Histogram{Bounds: []float64{0.1, 1}, Counts: []uint64{1100, 1200}, Count: 1200, Sum: 42.5},
	}
	if err := s.WritePrometheus(os.Stdout, "omen_ml"); err != nil {
		log.Fatal(err)
	}
	// Output:
	// # HELP omen_ml_messages_total Input records read, dead letters included.
	// # TYPE omen_ml_messages_total counter
	// omen_ml_messages_total 1200
	// # HELP omen_ml_windows_processed_total Windows turned into results.
	// # TYPE omen_ml_windows_processed_total counter
	// omen_ml_windows_processed_total 1195
	// # HELP omen_ml_published_total Records delivered, by topic.
	// # TYPE omen_ml_published_total counter
	// omen_ml_published_total{topic="ml-anomalies"} 31
	// omen_ml_published_total{topic="ml-dead-letter"} 5
	// # HELP omen_ml_dead_letters_total Input records dead-lettered, by reason.
	// # TYPE omen_ml_dead_letters_total counter
	// omen_ml_dead_letters_total{reason="oversized"} 0
	// omen_ml_dead_letters_total{reason="undecodable"} 2
	// omen_ml_dead_letters_total{reason="incomplete"} 0
	// omen_ml_dead_letters_total{reason="invalid"} 3
	// omen_ml_dead_letters_total{reason="unprocessable"} 0
	// omen_ml_dead_letters_total{reason="unstorable"} 0
	// # HELP omen_ml_retries_total Retries after errors, by stage.
	// # TYPE omen_ml_retries_total counter
	// omen_ml_retries_total{stage="process"} 0
	// omen_ml_retries_total{stage="sink"} 0
	// omen_ml_retries_total{stage="publish"} 0
	// # HELP omen_ml_commits_total Successful offset commits.
	// # TYPE omen_ml_commits_total counter
	// omen_ml_commits_total 4
	// # HELP omen_ml_commit_failures_total Failed offset commits.
	// # TYPE omen_ml_commit_failures_total counter
	// omen_ml_commit_failures_total 0
	// # HELP omen_ml_services_released_total Services released after their partitions were revoked.
	// # TYPE omen_ml_services_released_total counter
	// omen_ml_services_released_total 0
	// # HELP omen_ml_unkeyed_windows_total Windows whose record key is not their service.
	// # TYPE omen_ml_unkeyed_windows_total counter
	// omen_ml_unkeyed_windows_total 0
	// # HELP omen_ml_consumer_lag Records waiting after the last one polled, by input partition.
	// # TYPE omen_ml_consumer_lag gauge
	// omen_ml_consumer_lag{topic="analytics-alerts",partition="0"} 17
	// # HELP omen_ml_processing_latency_seconds Time from a record's poll to the commit of its offset.
	// # TYPE omen_ml_processing_latency_seconds histogram
	// omen_ml_processing_latency_seconds_bucket{le="0.1"} 1100
	// omen_ml_processing_latency_seconds_bucket{le="1"} 1200
	// omen_ml_processing_latency_seconds_bucket{le="+Inf"} 1200
	// omen_ml_processing_latency_seconds_sum 42.5
	// omen_ml_processing_latency_seconds_count 1200
}
