package kafkaadapter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stacklens/omen"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// testTimeout bounds every wait of a test; the tests finish far sooner.
const testTimeout = 60 * time.Second

var t0 = time.Date(2024, 1, 15, 10, 0, 0, 0, time.UTC)

// newCluster starts an in-process broker with the input topic seeded with partitions.
func newCluster(t testing.TB, partitions int32) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, DefaultTopics().Input))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// newClient returns a plain client of the cluster, closed with the test.
func newClient(t testing.TB, c *kfake.Cluster, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// flatMessage is a window in the documented flat shape.
func flatMessage(service string, ts time.Time, errorRate float64) []byte {
	return fmt.Appendf(nil, `{"service":%q,"timestamp":%q,"window":"3600s","total_requests":1000,"error_rate":%g,`+
		`"latency_p99_ms":150,"latency_p95_ms":100,"latency_mean_ms":50,"unique_users":100,"unique_ips":50,"risk_score":0.3}`,
		service, ts.Format(time.RFC3339), errorRate)
}

// phase4Message is a window in the shape of a real Phase 4 alert (naive timestamps).
func phase4Message(service string, ts time.Time, errorRate float64) []byte {
	naive := ts.Format("2006-01-02T15:04:05.000000")
	return fmt.Appendf(nil, `{"alert_id":"rule_error_rate_high_%s","rule_id":"rule_error_rate_high","service":%q,`+
		`"severity":"warning","metric":"error_rate","value":%g,"threshold":5.0,"triggered_at":%q,"status":"active",`+
		`"details":{"service":%q,"timestamp":%q,"window":"1hour","total_requests":100,"error_rate":%g,"latency_p50":350,`+
		`"latency_p95":575,"latency_p99":595,"latency_mean":347.5,"unique_users":7,"unique_ips":5,"avg_risk_score":0.35}}`,
		service, service, errorRate, naive, service, naive, errorRate)
}

// produce writes messages keyed by their service to topic.
func produce(t testing.TB, cl *kgo.Client, topic string, msgs ...message) {
	t.Helper()
	recs := make([]*kgo.Record, len(msgs))
	for i, m := range msgs {
		recs[i] = &kgo.Record{Topic: topic, Key: []byte(m.key), Value: m.value}
	}
	if err := cl.ProduceSync(testContext(t), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

type message struct {
	key   string
	value []byte
}

// windows returns n hourly flat windows for each service, interleaved.
func windows(services []string, n int) []message {
	var out []message
	for i := range n {
		for _, s := range services {
			out = append(out, message{s, flatMessage(s, t0.Add(time.Duration(i)*time.Hour), float64(i%7))})
		}
	}
	return out
}

func serviceNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("svc-%02d", i)
	}
	return out
}

// readTopic reads the first n records of topic, failing the test if they do not arrive.
func readTopic(t testing.TB, c *kfake.Cluster, topic string, n int) []*kgo.Record {
	t.Helper()
	cl := newClient(t, c, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ctx := testContext(t)
	var out []*kgo.Record
	for len(out) < n {
		f := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("%s: read %d of %d records: %v", topic, len(out), n, err)
		}
		out = append(out, f.Records()...)
	}
	return out
}

// withAdmin calls fn with an admin client of the cluster that is closed right after.
func withAdmin(t testing.TB, c *kfake.Cluster, fn func(context.Context, *kadm.Client)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	fn(ctx, kadm.NewClient(cl))
}

// topicSize returns the number of records in topic (the sum of its end offsets).
func topicSize(t testing.TB, c *kfake.Cluster, topic string) int64 {
	t.Helper()
	var ends kadm.ListedOffsets
	var err error
	withAdmin(t, c, func(ctx context.Context, adm *kadm.Client) { ends, err = adm.ListEndOffsets(ctx, topic) })
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	ends.Each(func(o kadm.ListedOffset) { n += o.Offset })
	return n
}

// committed returns the group's committed offsets of topic by partition.
func committed(t testing.TB, c *kfake.Cluster, group, topic string) map[int32]int64 {
	t.Helper()
	var offs kadm.OffsetResponses
	var err error
	withAdmin(t, c, func(ctx context.Context, adm *kadm.Client) { offs, err = adm.FetchOffsets(ctx, group) })
	if errors.Is(err, kerr.GroupIDNotFound) {
		return map[int32]int64{}
	}
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	offs.Each(func(o kadm.OffsetResponse) {
		if o.Topic == topic && o.Err == nil && o.At >= 0 {
			out[o.Partition] = o.At
		}
	})
	return out
}

// endOffsets returns the end offsets of topic by partition, leaving out empty partitions.
func endOffsets(t testing.TB, c *kfake.Cluster, topic string) map[int32]int64 {
	t.Helper()
	var ends kadm.ListedOffsets
	var err error
	withAdmin(t, c, func(ctx context.Context, adm *kadm.Client) { ends, err = adm.ListEndOffsets(ctx, topic) })
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			out[o.Partition] = o.Offset
		}
	})
	return out
}

// eventually waits until cond holds, failing the test after testTimeout.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitCommitted waits until the group has committed every record of the input topic.
func waitCommitted(t testing.TB, c *kfake.Cluster, group string) {
	t.Helper()
	want := endOffsets(t, c, DefaultTopics().Input)
	eventually(t, "the offsets to be committed", func() bool {
		got := committed(t, c, group, DefaultTopics().Input)
		for p, end := range want {
			if got[p] != end {
				return false
			}
		}
		return true
	})
}

// start runs the consumer until the returned stop is called; stop returns Run's error.
func start(t testing.TB, c *Consumer) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(testTimeout):
				err = errors.New("Run did not return")
			}
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

// fakeProcessor emits, for each window, one anomaly, one pattern and one predictive alert, with
// deterministic IDs; fail decides an error for a window. It records its calls.
type fakeProcessor struct {
	fail       func(m omen.Metrics, attempt int) error
	releaseErr error // returned by Release, which then saves nothing

	mu        sync.Mutex
	calls     map[string]int // by service and timestamp
	windows   []omen.Metrics
	released  []string
	discarded []string
}

func newFakeProcessor() *fakeProcessor { return &fakeProcessor{calls: map[string]int{}} }

func (p *fakeProcessor) Process(ctx context.Context, m omen.Metrics) (omen.Results, error) {
	key := m.Service + "@" + m.Timestamp.Format(time.RFC3339)
	p.mu.Lock()
	p.calls[key]++
	attempt := p.calls[key]
	fail := p.fail
	p.mu.Unlock()
	if fail != nil {
		if err := fail(m, attempt); err != nil {
			return omen.Results{}, err
		}
	}
	p.mu.Lock()
	p.windows = append(p.windows, m)
	p.mu.Unlock()
	return fakeResults(m, true), nil
}

// fakeResults is what fakeProcessor emits for m; with all, a pattern and an alert too.
func fakeResults(m omen.Metrics, all bool) omen.Results {
	local := m.Timestamp.In(time.FixedZone("CET", 3600)) // encoded in UTC nevertheless
	r := omen.Results{
		Metrics: []omen.Metrics{m},
		Anomalies: []omen.Anomaly{{
			ID: omen.RecordID(m.Service, "anomaly", "error_rate", m.Timestamp), Service: m.Service,
			Type: omen.Spike, Severity: omen.High, Score: 60, Timestamp: local, Metric: "error_rate",
			Value: m.ErrorRate, Baseline: 1, Confidence: 0.9, Description: "error rate spike",
		}},
	}
	if all {
		r.Patterns = []omen.Pattern{{
			ID: omen.RecordID(m.Service, "pattern", "", m.Timestamp), Service: m.Service, Name: "steady",
			Type: "cluster", WindowSize: 3, Confidence: 0.8, Vector: []float64{1, 2}, Features: []string{"a", "b"},
			Occurrences: 1, FirstSeen: local, LastSeen: local, Active: true,
		}}
		r.Alerts = []omen.PredictiveAlert{{
			ID: omen.RecordID(m.Service, "alert", "error_rate", m.Timestamp), Service: m.Service,
			Metric: "error_rate", PredictionType: "threshold_breach", IssuedAt: local,
			WindowStart: local, WindowEnd: local.Add(time.Hour), Priority: omen.Warning,
			Severity: omen.Medium, Status: omen.Pending,
		}}
	}
	return r
}

func (p *fakeProcessor) Release(ctx context.Context, services []string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.releaseErr != nil {
		return p.releaseErr
	}
	p.released = append(p.released, services...)
	return nil
}

func (p *fakeProcessor) Discard(services []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.discarded = append(p.discarded, services...)
}

// processed returns the windows processed successfully so far.
func (p *fakeProcessor) processed() []omen.Metrics {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.windows)
}

func (p *fakeProcessor) discardedServices() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := slices.Clone(p.discarded)
	slices.Sort(out)
	return out
}

func (p *fakeProcessor) releasedServices() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := slices.Clone(p.released)
	slices.Sort(out)
	return out
}

// testSink is a MemoryStore whose writes can fail or block.
type testSink struct {
	*omen.MemoryStore
	mu       sync.Mutex
	failures int           // writes still to fail
	rejects  string        // a service whose results every write rejects for good
	gate     chan struct{} // when non-nil, writes wait until it is closed
	entered  chan struct{} // closed at the first write
	writes   int
}

func newTestSink() *testSink {
	return &testSink{MemoryStore: omen.NewMemoryStore(), entered: make(chan struct{})}
}

func (s *testSink) Write(ctx context.Context, r omen.Results) error {
	s.mu.Lock()
	if s.writes == 0 {
		close(s.entered)
	}
	s.writes++
	gate := s.gate
	fail := s.failures > 0
	if fail {
		s.failures--
	}
	s.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if fail {
		return errors.New("sink unavailable")
	}
	for _, m := range r.Metrics {
		if s.rejects != "" && m.Service == s.rejects {
			return fmt.Errorf("the %s window of %s: %w", m.Timestamp, m.Service, omen.ErrRejectedRecord)
		}
	}
	return s.MemoryStore.Write(ctx, r)
}

// decodeAll decodes the JSON values of records into T.
func decodeAll[T any](t testing.TB, recs []*kgo.Record) []T {
	t.Helper()
	out := make([]T, len(recs))
	for i, r := range recs {
		if err := json.Unmarshal(r.Value, &out[i]); err != nil {
			t.Fatalf("record %d of %s: %v: %s", i, r.Topic, err, r.Value)
		}
	}
	return out
}

// testOptions are the options of a test's consumer: fast retries, a quick shutdown.
func testOptions(extra ...Option) []Option {
	return append([]Option{WithRetryBackoff(5*time.Millisecond, 50*time.Millisecond), WithShutdownGrace(10 * time.Second)}, extra...)
}

func kadmClient(cl *kgo.Client) *kadm.Client { return kadm.NewClient(cl) }

// consumeAll runs a consumer of proc and sink with testOptions(opts...) on cluster until its
// group has committed every input record, stops it and returns it; an error fails t.
func consumeAll(t *testing.T, cluster *kfake.Cluster, proc Processor, sink omen.Sink, opts ...Option) *Consumer {
	t.Helper()
	c, err := NewConsumer(cluster.ListenAddrs(), proc, sink, testOptions(opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, c)
	waitCommitted(t, cluster, DefaultGroup)
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	return c
}
