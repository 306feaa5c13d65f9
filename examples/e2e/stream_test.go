package e2e

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stacklens/omen/examples/internal/pipeline"
	"github.com/stacklens/omen/examples/internal/pipeline/pipelinetest"
	"github.com/stacklens/omen/internal/servicegen"
	"github.com/stacklens/omen/kafkaadapter"
)

// maxMessageBytes is the services' largest input message in these tests; the oversized
// malformed message exceeds it.
const maxMessageBytes = 64 << 10

// malformedMessage is an input message that every service must dead-letter, with the reason.
type malformedMessage struct {
	key, value string
	reason     kafkaadapter.Reason
}

// malformed covers every reason a message is refused before it reaches the engine, in both
// shapes.
var malformed = []malformedMessage{
	{"api", `{"service":"api","timestamp":`, kafkaadapter.Undecodable},
	{"api", `[1,2,3]`, kafkaadapter.Undecodable},
	{"web", `{"service":"web","timestamp":"2024-01-05T00:00:00Z","error_rate":"high"}`, kafkaadapter.Undecodable},
	{"", `{"timestamp":"2024-01-05T00:00:00Z","total_requests":5}`, kafkaadapter.Incomplete},
	{"web", `{"service":"web","total_requests":5}`, kafkaadapter.Incomplete},
	{"web", `{"service":"web","timestamp":"2024-01-05T00:00:00Z","total_requests":-3}`, kafkaadapter.Invalid},
	{"web", `{"service":"web","timestamp":"2024-01-05T00:00:00Z","total_requests":1.5}`, kafkaadapter.Invalid},
	{"db", `{"service":"db","timestamp":"2024-01-05T00:00:00Z","error_rate":150}`, kafkaadapter.Invalid},
	{"db", `{"service":"db","timestamp":"the fifth of January"}`, kafkaadapter.Invalid},
	{"db", `{"service":"d\u0000b","timestamp":"2024-01-05T00:00:00Z"}`, kafkaadapter.Invalid},
	{"auth", `{"alert_id":"x","service":"auth","triggered_at":"2024-01-05T01:00:00","details":{"timestamp":"2024-01-05T00:00:00",` +
		`"window":"1hour","total_requests":-100,"error_rate":1}}`, kafkaadapter.Invalid},
	{"auth", `{"service":"auth","timestamp":"2024-01-05T00:00:00Z","padding":"` + strings.Repeat("x", maxMessageBytes) + `"}`, kafkaadapter.Oversized},
}

// withMalformed returns msgs with the malformed messages inserted at random places (seeded).
func withMalformed(msgs []pipelinetest.Message) []pipelinetest.Message {
	out := slices.Clone(msgs)
	rng := rand.New(rand.NewPCG(7, 7))
	for _, m := range malformed {
		var key []byte
		if m.key != "" {
			key = []byte(m.key)
		}
		out = slices.Insert(out, rng.IntN(len(out)+1), pipelinetest.Message{Key: key, Value: []byte(m.value)})
	}
	return out
}

// TestBundledStream runs the bundled stream with malformed messages mixed in through both
// services on PostgreSQL: the database and the output topics hold the same anomaly and alert
// IDs, those of the engines run over the stream in-process; every malformed message is on each
// service's dead-letter topic with its reason and original bytes; every offset is committed.
func TestBundledStream(t *testing.T) {
	dsn, pool := pipelinetest.Postgres(t)
	topics := kafkaadapter.DefaultTopics()
	cluster := pipelinetest.Cluster(t, topics.Input, 3)
	msgs := pipelinetest.Stream(t, servicegen.Config{Seed: 1})
	if len(msgs) != 8*14*24 {
		t.Fatalf("the bundled stream has %d windows, want 8 services × 14 days × 24 hours", len(msgs))
	}
	want := reference(t, msgs)
	wantAnomalies, wantAlerts := anomalyIDs(want), alertIDs(want)
	if len(wantAnomalies) == 0 || len(wantAlerts) == 0 {
		t.Fatalf("the engines produce %d anomalies and %d alerts on the bundled stream, want some of each", len(wantAnomalies), len(wantAlerts))
	}

	svc := startServices(t, pipeline.Config{Brokers: cluster.ListenAddrs(), PostgresDSN: dsn,
		KafkaOptions: append(fastKafka(), kafkaadapter.WithMaxMessageBytes(maxMessageBytes))})
	pipelinetest.Produce(t, cluster, topics.Input, withMalformed(msgs))
	waitCommitted(t, cluster)
	svc.stop(t)

	// The database and the output topics.
	if got := dbIDs(t, pool, "ml_anomalies", "anomaly_id"); !slices.Equal(got, wantAnomalies) {
		t.Errorf("ml_anomalies: %s", diff(got, wantAnomalies))
	}
	if got, n := topicIDs(t, cluster, topics.Anomalies, "anomaly_id"); !slices.Equal(got, wantAnomalies) {
		t.Errorf("%s: %s", topics.Anomalies, diff(got, wantAnomalies))
	} else {
		for id, k := range n {
			if k != 1 {
				t.Errorf("%s: anomaly %s published %d times in a run without failure", topics.Anomalies, id, k)
			}
		}
	}
	if got := dbIDs(t, pool, "ml_predictive_alerts", "alert_id"); !slices.Equal(got, wantAlerts) {
		t.Errorf("ml_predictive_alerts: %s", diff(got, wantAlerts))
	}
	if got, _ := topicIDs(t, cluster, topics.Alerts, "alert_id"); !slices.Equal(got, wantAlerts) {
		t.Errorf("%s: %s", topics.Alerts, diff(got, wantAlerts))
	}
	dbPatterns := dbIDs(t, pool, "ml_patterns", "pattern_id")
	if got, _ := topicIDs(t, cluster, topics.Patterns, "pattern_id"); len(got) == 0 || !slices.Equal(got, dbPatterns) {
		t.Errorf("%s: %s", topics.Patterns, diff(got, dbPatterns))
	}
	if n := pipelinetest.Count(t, pool, "SELECT COUNT(*) FROM analytics_metrics_1hour"); n != len(msgs) {
		t.Errorf("analytics_metrics_1hour holds %d windows, want %d", n, len(msgs))
	}

	// The dead letters: each malformed message once on each service's topic, nothing else.
	for _, c := range []struct {
		svc   *pipeline.Service
		topic string
	}{
		{svc.ml, topics.DeadLetter},
		{svc.alerter, pipeline.DefaultAlerterDeadLetterTopic},
	} {
		got := map[string]kafkaadapter.DeadLetter{}
		for _, r := range pipelinetest.ReadTopic(t, cluster, c.topic) {
			dl, err := kafkaadapter.DecodeDeadLetter(r)
			if err != nil {
				t.Fatalf("%s: %v", c.topic, err)
			}
			if _, dup := got[string(dl.Value)]; dup {
				t.Errorf("%s: %.60s… dead-lettered twice", c.topic, dl.Value)
			}
			got[string(dl.Value)] = dl
		}
		if len(got) != len(malformed) {
			t.Errorf("%s holds %d distinct messages, want the %d malformed ones", c.topic, len(got), len(malformed))
		}
		for _, m := range malformed {
			dl, ok := got[m.value]
			switch {
			case !ok:
				t.Errorf("%s: missing %.60s…", c.topic, m.value)
			case dl.Reason != m.reason:
				t.Errorf("%s: %.60s… has reason %s (%s), want %s", c.topic, m.value, dl.Reason, dl.Error, m.reason)
			case dl.Topic != topics.Input || !bytes.Equal(dl.Key, []byte(m.key)) || dl.Error == "" || dl.Truncated():
				t.Errorf("%s: %.60s… has source %s, key %q, error %q, truncated %v", c.topic, m.value, dl.Topic, dl.Key, dl.Error, dl.Truncated())
			}
		}
		st := c.svc.Stats()
		if n := st.Consumer.DeadLettersTotal(); n != int64(len(malformed)) {
			t.Errorf("%s counted %d dead letters, want %d", c.svc.Role(), n, len(malformed))
		}
		if st.Windows != int64(len(msgs)) {
			t.Errorf("%s processed %d windows, want %d", c.svc.Role(), st.Windows, len(msgs))
		}
	}
}
