package kafkaadapter

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stacklens/omen"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestPublisherPublish(t *testing.T) {
	cluster := newCluster(t, 1)
	cl := newClient(t, cluster)
	topics := Topics{Anomalies: "a", Patterns: "p", Alerts: "x"}
	if err := EnsureTopics(testContext(t), cl, 1, 1, "a", "p", "x"); err != nil {
		t.Fatal(err)
	}
	pub, err := NewPublisher(cl, WithTopics(topics))
	if err != nil {
		t.Fatal(err)
	}
	m := omen.Metrics{Service: "api", Timestamp: t0, Window: time.Hour}
	r := fakeResults(m, true)
	sent := t0.In(time.FixedZone("PST", -8*3600))
	r.Alerts[0].SentAt = &sent
	if err := pub.Publish(testContext(t), r); err != nil {
		t.Fatal(err)
	}
	for topic, want := range map[string]string{
		"a": `"timestamp":"2024-01-15T10:00:00Z"`,
		"p": `"first_seen":"2024-01-15T10:00:00Z","last_seen":"2024-01-15T10:00:00Z"`,
		"x": `"issued_at":"2024-01-15T10:00:00Z","predicted_time_start":"2024-01-15T10:00:00Z","predicted_time_end":"2024-01-15T11:00:00Z"`,
	} {
		rec := readTopic(t, cluster, topic, 1)[0]
		if string(rec.Key) != "api" || !strings.Contains(string(rec.Value), want) {
			t.Errorf("%s: key %q value %s; want key api and %s", topic, rec.Key, rec.Value, want)
		}
	}
	var alert omen.PredictiveAlert
	if err := json.Unmarshal(readTopic(t, cluster, "x", 1)[0].Value, &alert); err != nil {
		t.Fatal(err)
	}
	if alert.SentAt == nil || alert.SentAt.Location() != time.UTC || !alert.SentAt.Equal(sent) {
		t.Errorf("alert_sent_at %v, want %v in UTC", alert.SentAt, sent)
	}
	if s := pub.Stats(); s.Published["a"] != 1 || s.Published["p"] != 1 || s.Published["x"] != 1 {
		t.Errorf("published %v", s.Published)
	}

	r.Anomalies[0].Score = math.NaN()
	if err := pub.Publish(testContext(t), r); err == nil || !strings.Contains(err.Error(), r.Anomalies[0].ID) {
		t.Errorf("publishing a NaN score: %v, want an encoding error naming the record", err)
	}
}

func TestPublisherGivesUpWhenTheContextEnds(t *testing.T) {
	cluster := newCluster(t, 1)
	cl := newClient(t, cluster)
	if err := EnsureTopics(testContext(t), cl, 1, 1, DefaultTopics().Anomalies); err != nil {
		t.Fatal(err)
	}
	fault := cluster.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Err: kerr.PolicyViolation, Count: -1})
	defer fault.Remove()
	pub, err := NewPublisher(cl, WithRetryBackoff(time.Millisecond, 10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(testContext(t))
	go func() {
		_ = fault.Wait(ctx, 3)
		cancel()
	}()
	err = pub.Publish(ctx, fakeResults(omen.Metrics{Service: "api", Timestamp: t0}, false))
	if !errors.Is(err, kerr.PolicyViolation) || !errors.Is(err, context.Canceled) {
		t.Errorf("Publish returned %v, want the delivery error and the context's", err)
	}
	if s := pub.Stats(); s.PublishRetries < 2 || s.Published[DefaultTopics().Anomalies] != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestEnsureTopics(t *testing.T) {
	cluster := newCluster(t, 5) // the input topic exists with 5 partitions
	cl := newClient(t, cluster)
	topics := DefaultTopics().All()
	for range 2 { // idempotent
		if err := EnsureTopics(testContext(t), cl, 2, 1, topics...); err != nil {
			t.Fatal(err)
		}
	}
	var details map[string]int
	withAdmin(t, cluster, func(ctx context.Context, adm *kadm.Client) {
		td, err := adm.ListTopics(ctx, topics...)
		if err != nil {
			t.Fatal(err)
		}
		details = map[string]int{}
		for name, d := range td {
			details[name] = len(d.Partitions)
		}
	})
	for _, topic := range topics {
		want := 2
		if topic == DefaultTopics().Input {
			want = 5
		}
		if details[topic] != want {
			t.Errorf("topic %s has %d partitions, want %d", topic, details[topic], want)
		}
	}
}

func TestOptionsValidated(t *testing.T) {
	for name, opt := range map[string]Option{
		"group":       WithGroup(""),
		"partitions":  WithTopicCreation(0, 1),
		"replication": WithTopicCreation(1, 0),
		"max bytes":   WithMaxMessageBytes(0),
		"batch":       WithMaxBatchRecords(0),
		"parallelism": WithParallelism(0),
		"attempts":    WithProcessAttempts(-1),
		"backoff":     WithRetryBackoff(time.Second, time.Millisecond),
		"grace":       WithShutdownGrace(-time.Second),
		"delivery":    WithDeliveryTimeout(0),
		"loop":        WithTopics(Topics{Input: "x", DeadLetter: "x"}),
	} {
		if _, err := NewConsumer([]string{"localhost:9092"}, anomalyProcessor{}, omen.NewMemoryStore(), opt); err == nil {
			t.Errorf("%s: invalid option accepted", name)
		}
	}
	if _, err := NewConsumer(nil, anomalyProcessor{}, omen.NewMemoryStore()); err == nil {
		t.Error("no brokers accepted")
	}
	if _, err := NewConsumer([]string{"localhost:9092"}, nil, omen.NewMemoryStore()); err == nil {
		t.Error("nil Processor accepted")
	}
}

func TestHistogram(t *testing.T) {
	var h histogram
	h.observe(500*time.Microsecond, 2)
	h.observe(30*time.Millisecond, 1)
	h.observe(2*time.Minute, 1)
	s := h.snapshot()
	if s.Count != 4 || math.Abs(s.Sum-(0.001+0.03+120)) > 1e-9 {
		t.Errorf("count %d sum %v", s.Count, s.Sum)
	}
	if s.Counts[0] != 2 || s.Counts[5] != 3 || s.Counts[len(s.Counts)-1] != 3 {
		t.Errorf("cumulative counts %v", s.Counts)
	}
	if q := s.Quantile(0.5); q != 0.001 {
		t.Errorf("median %v, want the 1 ms bucket", q)
	}
	if q := s.Quantile(1); !math.IsInf(q, 1) {
		t.Errorf("maximum %v, want +Inf", q)
	}
	if q := (Histogram{}).Quantile(0.5); !math.IsNaN(q) {
		t.Errorf("quantile of nothing %v", q)
	}
}

func TestBackoff(t *testing.T) {
	b := backoff{10 * time.Millisecond, 50 * time.Millisecond}
	for failures, want := range []time.Duration{10, 10, 20, 40, 50, 50} {
		if got := b.delay(failures); got != want*time.Millisecond {
			t.Errorf("delay after %d failures: %v, want %v", failures, got, want*time.Millisecond)
		}
	}
}
