package pipeline

import (
	"context"
	"slices"
	"testing"

	"github.com/stacklens/omen"
	"github.com/stacklens/omen/examples/internal/pipeline/pipelinetest"
	"github.com/stacklens/omen/kafkaadapter"
	"github.com/stacklens/omen/pgadapter"
)

// TestPipelinePostgres runs both roles against one broker and one PostgreSQL schema, which each
// service migrates: the tables hold exactly the records of an uninterrupted run, the anomaly
// topic the same IDs, and stopping saves every service's state in ml_models.
func TestPipelinePostgres(t *testing.T) {
	dsn, pool := pipelinetest.Postgres(t)
	topics := kafkaadapter.DefaultTopics()
	cluster := pipelinetest.Cluster(t, topics.Input, 3)
	msgs := pipelinetest.Stream(t, testStream)
	want := reference(t, msgs)
	wantAnomalies, wantAlerts := want.anomalies, want.alerts

	brokers := cluster.ListenAddrs()
	ml := start(t, Config{Role: MLService, Brokers: brokers, PostgresDSN: dsn, HTTPAddr: "127.0.0.1:0", KafkaOptions: fastKafka()})
	al := start(t, Config{Role: PredictiveAlerter, Brokers: brokers, PostgresDSN: dsn, Alerter: testAlerter, KafkaOptions: fastKafka()})
	pipelinetest.Eventually(t, "the ML service healthy", func() bool { return healthy(t, ml) })
	if rep := ml.Health(context.Background()); rep.Checks[CheckStore].Detail != "PostgreSQL" {
		t.Errorf("store check %+v, want PostgreSQL", rep.Checks[CheckStore])
	}

	pipelinetest.Produce(t, cluster, topics.Input, slices.Concat(malformed, msgs))
	pipelinetest.Eventually(t, "every offset committed by both groups", func() bool {
		return pipelinetest.FullyCommitted(t, cluster, DefaultMLServiceGroup, topics.Input) &&
			pipelinetest.FullyCommitted(t, cluster, DefaultPredictiveAlerterGroup, topics.Input)
	})
	for _, s := range []*Service{ml, al} {
		if err := s.Stop(); err != nil {
			t.Fatalf("%s: Stop: %v", s.Role(), err)
		}
	}

	if got := pipelinetest.IDs(t, pool, "SELECT anomaly_id FROM ml_anomalies ORDER BY anomaly_id"); !slices.Equal(got, wantAnomalies) {
		t.Errorf("ml_anomalies: %s", diff(got, wantAnomalies))
	}
	if got := pipelinetest.IDs(t, pool, "SELECT alert_id FROM ml_predictive_alerts ORDER BY alert_id"); !slices.Equal(got, wantAlerts) {
		t.Errorf("ml_predictive_alerts: %s", diff(got, wantAlerts))
	}
	if ids, n := topicIDs(t, cluster, topics.Anomalies, "anomaly_id"); !slices.Equal(ids, wantAnomalies) || n != len(wantAnomalies) {
		t.Errorf("%s: %d records; %s", topics.Anomalies, n, diff(ids, wantAnomalies))
	}
	if n := pipelinetest.Count(t, pool, "SELECT COUNT(*) FROM analytics_metrics_1hour"); n != len(msgs) {
		t.Errorf("analytics_metrics_1hour holds %d windows, want %d", n, len(msgs))
	}
	if n := pipelinetest.Count(t, pool, "SELECT COUNT(*) FROM ml_forecasts"); n == 0 {
		t.Error("no forecast stored")
	}
	services := map[string]bool{}
	for _, m := range msgs {
		services[m.Metrics.Service] = true
	}
	for _, component := range []string{omen.StateDetector, omen.StateAlerter} {
		if n := pipelinetest.Count(t, pool, "SELECT COUNT(*) FROM ml_models WHERE model_type = 'omen_state' AND parameters->>'component' = $1", component); n != len(services) {
			t.Errorf("%d %s states in ml_models after Stop, want one per service (%d)", n, component, len(services))
		}
	}
	if n := pipelinetest.Count(t, pool, "SELECT COUNT(*) FROM omen_schema_migrations"); n != len(pgadapter.Migrations()) {
		t.Errorf("%d migrations recorded, want %d", n, len(pgadapter.Migrations()))
	}
}

// TestTwoMLServicesTakeOver runs two ML service instances in one consumer group on one
// PostgreSQL schema: they share the partitions; when one stops it commits and saves its
// services' state to ml_models, and the other resumes them from the committed offsets and the
// stored state, so the final ml_anomalies hold exactly the IDs of an uninterrupted run, none
// missing and none twice, and the topic carries each once.
func TestTwoMLServicesTakeOver(t *testing.T) {
	dsn, pool := pipelinetest.Postgres(t)
	topics := kafkaadapter.DefaultTopics()
	// Keyed by service, api goes to partition 0, web and auth to 1, payments to 2 (kgo's murmur2):
	// whichever partitions an instance owns, it has services.
	cluster := pipelinetest.Cluster(t, topics.Input, 3)
	msgs := pipelinetest.Stream(t, testStream)
	wantAnomalies := reference(t, msgs).anomalies
	half := len(msgs) / 2
	split := msgs[half].Metrics.Timestamp

	brokers := cluster.ListenAddrs()
	a := start(t, Config{Role: MLService, Brokers: brokers, PostgresDSN: dsn, KafkaOptions: fastKafka()})
	b := start(t, Config{Role: MLService, Brokers: brokers, PostgresDSN: dsn, KafkaOptions: fastKafka()})
	pipelinetest.Eventually(t, "both instances owning partitions", func() bool {
		return pipelinetest.Balanced(t, cluster, DefaultMLServiceGroup, 2)
	})

	pipelinetest.Produce(t, cluster, topics.Input, msgs[:half])
	pipelinetest.Eventually(t, "the first half committed", func() bool {
		return pipelinetest.FullyCommitted(t, cluster, DefaultMLServiceGroup, topics.Input)
	})
	wa, wb := a.Stats().Windows, b.Stats().Windows
	if wa == 0 || wb == 0 || wa+wb != int64(half) {
		t.Fatalf("instances processed %d and %d windows, want a share each of %d", wa, wb, half)
	}
	if n := pipelinetest.Count(t, pool, "SELECT COUNT(*) FROM ml_models WHERE model_type = 'omen_state'"); n != 0 {
		t.Errorf("%d states saved while both instances run, want none before a release", n)
	}

	if err := b.Stop(); err != nil {
		t.Fatalf("stopping instance B: %v", err)
	}
	handed := pipelinetest.IDs(t, pool, "SELECT service FROM ml_models WHERE model_type = 'omen_state' ORDER BY service")
	if len(handed) == 0 {
		t.Fatal("instance B saved no state when it stopped")
	}
	later := 0
	for _, m := range msgs[half:] {
		if slices.Contains(handed, m.Metrics.Service) {
			later++
		}
	}
	if later == 0 {
		t.Fatalf("no window of B's services %v after the split at %s", handed, split)
	}

	pipelinetest.Produce(t, cluster, topics.Input, msgs[half:])
	pipelinetest.Eventually(t, "the second half committed", func() bool {
		return pipelinetest.FullyCommitted(t, cluster, DefaultMLServiceGroup, topics.Input)
	})
	if got := a.Stats().Windows; got != wa+int64(len(msgs)-half) {
		t.Errorf("instance A processed %d windows in all, want its %d and every window after the split (%d)", got, wa, len(msgs)-half)
	}
	restored := pipelinetest.Count(t, pool, "SELECT COUNT(*) FROM ml_models WHERE model_type = 'omen_state' AND last_used_at > trained_at")
	if restored != len(handed) {
		t.Errorf("instance A restored %d of the %d states B saved", restored, len(handed))
	}
	if err := a.Stop(); err != nil {
		t.Fatalf("stopping instance A: %v", err)
	}

	got := pipelinetest.IDs(t, pool, "SELECT anomaly_id FROM ml_anomalies ORDER BY anomaly_id")
	if !slices.Equal(got, wantAnomalies) {
		t.Errorf("ml_anomalies after the takeover: %s", diff(got, wantAnomalies))
	}
	if ids, n := topicIDs(t, cluster, topics.Anomalies, "anomaly_id"); !slices.Equal(ids, wantAnomalies) || n != len(wantAnomalies) {
		t.Errorf("%s: %d records; %s", topics.Anomalies, n, diff(ids, wantAnomalies))
	}
}

// TestPipelinePostgresRejectedWindow runs the ML service on a database whose Phase 4 table
// analytics_metrics_1hour predates omen with a narrower column (INTEGER counts): the window that
// overflows it is dead-lettered as unstorable, and every other window is stored and committed
// instead of the partition retrying that batch for ever.
func TestPipelinePostgresRejectedWindow(t *testing.T) {
	dsn, pool := pipelinetest.Postgres(t)
	ctx := context.Background()
	if err := pgadapter.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "ALTER TABLE analytics_metrics_1hour ALTER COLUMN total_requests TYPE INTEGER"); err != nil {
		t.Fatal(err)
	}
	topics := kafkaadapter.DefaultTopics()
	cluster := pipelinetest.Cluster(t, topics.Input, 1)
	msgs := pipelinetest.Stream(t, testStream)[:200]
	huge := msgs[100]
	huge.Metrics.TotalRequests = 3_000_000_000
	b, err := huge.Metrics.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	huge.Value = b
	msgs[100] = huge
	ml := start(t, Config{Role: MLService, Brokers: cluster.ListenAddrs(), PostgresDSN: dsn, HTTPAddr: "127.0.0.1:0", KafkaOptions: fastKafka()})
	pipelinetest.Produce(t, cluster, topics.Input, msgs)
	pipelinetest.Eventually(t, "every offset committed", func() bool {
		return pipelinetest.FullyCommitted(t, cluster, DefaultMLServiceGroup, topics.Input)
	})
	if n := pipelinetest.Count(t, pool, "SELECT COUNT(*) FROM analytics_metrics_1hour"); n != len(msgs)-1 {
		t.Errorf("analytics_metrics_1hour holds %d windows, want %d", n, len(msgs)-1)
	}
	dead := pipelinetest.ReadTopic(t, cluster, topics.DeadLetter)
	if len(dead) != 1 {
		t.Fatalf("%d dead letters, want 1", len(dead))
	}
	dl, err := kafkaadapter.DecodeDeadLetter(dead[0])
	if err != nil || dl.Reason != kafkaadapter.Unstorable || dl.Offset != 100 {
		t.Errorf("dead letter %+v (%v), want the window at offset 100, unstorable", dl, err)
	}
	_, exposition := pipelinetest.Get(t, "http://"+ml.Addr()+"/metrics")
	if got := pipelinetest.Metric(t, exposition, `omen_mlservice_dead_letters_total{reason="unstorable"}`); got != 1 {
		t.Errorf("unstorable dead letters = %v, want 1", got)
	}
}
