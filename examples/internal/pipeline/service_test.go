package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/stacklens/omen"
	"github.com/stacklens/omen/examples/internal/pipeline/pipelinetest"
	"github.com/stacklens/omen/internal/servicegen"
	"github.com/stacklens/omen/kafkaadapter"
)

// testStream is 4 services × 5 days of hourly windows (480) with incidents after two days: the
// Detector finds anomalies (critical ones among them) and the Alerter predictive alerts.
var testStream = servicegen.Config{Seed: 1, Services: 4, Days: 5, WarmUp: 48 * time.Hour, IncidentsPerWeek: 2}

// testAlerter emits one forecast per metric and window, which keeps the store small.
var testAlerter = omen.AlerterConfig{ForecastRecords: 1}

// malformed are messages that every service dead-letters.
var malformed = []pipelinetest.Message{
	{Key: []byte("api"), Value: []byte(`{"service":"api","timestamp":`)},                                            // undecodable
	{Key: []byte("api"), Value: []byte(`{"timestamp":"2024-01-02T00:00:00Z","total_requests":5}`)},                  // incomplete
	{Key: []byte("web"), Value: []byte(`{"service":"web","timestamp":"2024-01-02T00:00:00Z","total_requests":-3}`)}, // invalid
	// Unprocessable: stamped decades ahead of the clock. Were it accepted, every later window of
	// api would be older than its last and taken for a redelivery.
	{Key: []byte("api"), Value: []byte(`{"service":"api","timestamp":"2099-01-02T00:00:00Z","total_requests":5}`)},
}

// fastKafka makes members join, heartbeat and take partitions over quickly.
func fastKafka() []kafkaadapter.Option {
	return []kafkaadapter.Option{
		kafkaadapter.WithClientOptions(kgo.HeartbeatInterval(100*time.Millisecond), kgo.FetchMaxWait(200*time.Millisecond)),
		kafkaadapter.WithRetryBackoff(20*time.Millisecond, 200*time.Millisecond),
	}
}

// start starts a Service and stops it at the end of the test if it is still running.
func start(t *testing.T, cfg Config) *Service {
	t.Helper()
	s, err := Start(pipelinetest.Context(t), cfg)
	if err != nil {
		t.Fatalf("Start(%s): %v", cfg.Role, err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("Stop(%s): %v", cfg.Role, err)
		}
	})
	return s
}

// ref holds the IDs, sorted, of what an uninterrupted run of the engines produces.
type ref struct {
	anomalies, critical, alerts []string
}

// reference runs the engines over msgs in order, as one uninterrupted process would.
func reference(t *testing.T, msgs []pipelinetest.Message) ref {
	t.Helper()
	det, err := omen.NewDetector(omen.DetectorConfig{})
	if err != nil {
		t.Fatal(err)
	}
	al := omen.NewAlerter(testAlerter)
	ctx := context.Background()
	an, crit, ar := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, m := range msgs {
		r, err := det.Process(ctx, m.Metrics)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range r.Anomalies {
			an[a.ID] = true
			if a.Severity == omen.Critical {
				crit[a.ID] = true
			}
		}
		if r, err = al.Process(ctx, m.Metrics); err != nil {
			t.Fatal(err)
		}
		for _, a := range r.Alerts {
			ar[a.ID] = true
		}
	}
	return ref{sortedKeys(an), sortedKeys(crit), sortedKeys(ar)}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// topicIDs returns the distinct values of the JSON field of the records of topic, sorted, and the
// number of records.
func topicIDs(t *testing.T, c *kfake.Cluster, topic, field string) ([]string, int) {
	t.Helper()
	recs := pipelinetest.ReadTopic(t, c, topic)
	ids := map[string]bool{}
	for _, r := range recs {
		var v map[string]any
		if err := json.Unmarshal(r.Value, &v); err != nil {
			t.Fatalf("%s: %v", topic, err)
		}
		id, _ := v[field].(string)
		if id == "" {
			t.Fatalf("%s: record without %s: %s", topic, field, r.Value)
		}
		if string(r.Key) != v["service"] {
			t.Errorf("%s: record key %q, want its service %q", topic, r.Key, v["service"])
		}
		ids[id] = true
	}
	return sortedKeys(ids), len(recs)
}

// diff describes how got differs from want, two sorted ID lists.
func diff(got, want []string) string {
	g, w := map[string]bool{}, map[string]bool{}
	for _, id := range got {
		g[id] = true
	}
	for _, id := range want {
		w[id] = true
	}
	var missing, extra []string
	for _, id := range want {
		if !g[id] {
			missing = append(missing, id)
		}
	}
	for _, id := range got {
		if !w[id] {
			extra = append(extra, id)
		}
	}
	return fmt.Sprintf("%d missing %v, %d unexpected %v", len(missing), missing, len(extra), extra)
}

func healthy(t *testing.T, s *Service) bool {
	t.Helper()
	code, body := pipelinetest.Get(t, "http://"+s.Addr()+"/healthz")
	return code == 200 && strings.Contains(body, `"status": "ok"`)
}

// TestPipelineInMemory runs both roles in one process on one broker and one MemoryStore: the
// store and the output topics hold exactly the records of an uninterrupted run of the engines,
// every malformed message is dead-lettered once per role, the endpoints report it, and both
// services stop cleanly with every offset committed.
func TestPipelineInMemory(t *testing.T) {
	topics := kafkaadapter.DefaultTopics()
	cluster := pipelinetest.Cluster(t, topics.Input, 3)
	msgs := pipelinetest.Stream(t, testStream)
	want := reference(t, msgs)
	wantAnomalies, wantAlerts := want.anomalies, want.alerts
	if len(wantAnomalies) == 0 || len(wantAlerts) == 0 || len(want.critical) == 0 {
		t.Fatalf("the test stream gives %d anomalies and %d alerts; it must give both, and critical anomalies", len(wantAnomalies), len(wantAlerts))
	}

	mem := omen.NewMemoryStore()
	brokers := cluster.ListenAddrs()
	ml := start(t, Config{Role: MLService, Brokers: brokers, Memory: mem, HTTPAddr: "127.0.0.1:0", KafkaOptions: fastKafka()})
	al := start(t, Config{Role: PredictiveAlerter, Brokers: brokers, Memory: mem, Alerter: testAlerter,
		HTTPAddr: "127.0.0.1:0", KafkaOptions: fastKafka()})
	pipelinetest.Eventually(t, "both services healthy", func() bool { return healthy(t, ml) && healthy(t, al) })

	pipelinetest.Produce(t, cluster, topics.Input, slices.Concat(msgs[:100], malformed, msgs[100:]))
	pipelinetest.Eventually(t, "every offset committed by both groups", func() bool {
		return pipelinetest.FullyCommitted(t, cluster, DefaultMLServiceGroup, topics.Input) &&
			pipelinetest.FullyCommitted(t, cluster, DefaultPredictiveAlerterGroup, topics.Input)
	})

	var gotAnomalies, gotAlerts []string
	for _, a := range mem.Anomalies() {
		gotAnomalies = append(gotAnomalies, a.ID)
	}
	for _, a := range mem.Alerts() {
		gotAlerts = append(gotAlerts, a.ID)
	}
	slices.Sort(gotAnomalies)
	slices.Sort(gotAlerts)
	if !slices.Equal(gotAnomalies, wantAnomalies) {
		t.Errorf("stored anomalies: %s", diff(gotAnomalies, wantAnomalies))
	}
	if !slices.Equal(gotAlerts, wantAlerts) {
		t.Errorf("stored alerts: %s", diff(gotAlerts, wantAlerts))
	}
	if ids, n := topicIDs(t, cluster, topics.Anomalies, "anomaly_id"); !slices.Equal(ids, wantAnomalies) || n != len(wantAnomalies) {
		t.Errorf("%s: %d records; %s", topics.Anomalies, n, diff(ids, wantAnomalies))
	}
	if ids, _ := topicIDs(t, cluster, topics.Alerts, "alert_id"); !slices.Equal(ids, wantAlerts) {
		t.Errorf("%s: %s", topics.Alerts, diff(ids, wantAlerts))
	}
	for _, dlq := range []string{topics.DeadLetter, DefaultAlerterDeadLetterTopic} {
		if n := len(pipelinetest.ReadTopic(t, cluster, dlq)); n != len(malformed) {
			t.Errorf("%s holds %d dead letters, want %d", dlq, n, len(malformed))
		}
	}

	code, exposition := pipelinetest.Get(t, "http://"+ml.Addr()+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics: status %d", code)
	}
	total := float64(len(msgs) + len(malformed))
	for name, want := range map[string]float64{
		"omen_mlservice_messages_total":                             total,
		"omen_mlservice_engine_windows_total":                       float64(len(msgs)),
		`omen_mlservice_dead_letters_total{reason="undecodable"}`:   1,
		`omen_mlservice_dead_letters_total{reason="incomplete"}`:    1,
		`omen_mlservice_dead_letters_total{reason="invalid"}`:       1,
		`omen_mlservice_dead_letters_total{reason="unprocessable"}`: 1,
		`omen_mlservice_published_total{topic="ml-anomalies"}`:      float64(len(wantAnomalies)),
		"omen_mlservice_consumer_lag_total":                         0,
		"omen_mlservice_unkeyed_windows_total":                      0,
		"omen_mlservice_engine_stale_windows_total":                 0,
		"omen_mlservice_engine_seconds_count":                       float64(len(msgs)),
		`omen_mlservice_predictive_alerts_total{status="pending"}`:  0,
	} {
		if got := pipelinetest.Metric(t, exposition, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	var byType float64
	for _, typ := range omen.AnomalyTypes {
		byType += pipelinetest.Metric(t, exposition, fmt.Sprintf("omen_mlservice_anomalies_total{type=%q}", typ))
	}
	if byType != float64(len(wantAnomalies)) {
		t.Errorf("anomalies by type sum to %v, want %d", byType, len(wantAnomalies))
	}
	_, exposition = pipelinetest.Get(t, "http://"+al.Addr()+"/metrics")
	if got := pipelinetest.Metric(t, exposition, `omen_predictivealerter_predictive_alerts_total{status="pending"}`); got != float64(len(wantAlerts)) {
		t.Errorf("alerter: %v pending alerts written, want %d", got, len(wantAlerts))
	}

	both := httptest.NewServer(Handler(ml, al))
	defer both.Close()
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, body := pipelinetest.Get(t, both.URL+path); code != 200 || strings.Count(body, `"status": "ok"`) != 3 {
			t.Errorf("combined %s: %d %s", path, code, body)
		}
	}
	_, combined := pipelinetest.Get(t, both.URL+"/metrics")
	if pipelinetest.Metric(t, combined, "omen_mlservice_engine_windows_total") != float64(len(msgs)) ||
		pipelinetest.Metric(t, combined, "omen_predictivealerter_engine_windows_total") != float64(len(msgs)) {
		t.Errorf("combined /metrics lacks a service's windows:\n%s", combined)
	}

	for _, s := range []*Service{ml, al} {
		if err := s.Stop(); err != nil {
			t.Errorf("%s: Stop: %v", s.Role(), err)
		}
		if rep := s.Health(context.Background()); rep.Healthy() || rep.Checks[CheckConsumer].OK {
			t.Errorf("%s: healthy after Stop: %+v", s.Role(), rep)
		}
	}
	if code, _ := pipelinetest.Get(t, both.URL+"/healthz"); code != 503 {
		t.Errorf("combined /healthz after Stop: %d, want 503", code)
	}
	for _, group := range []string{DefaultMLServiceGroup, DefaultPredictiveAlerterGroup} {
		if !pipelinetest.FullyCommitted(t, cluster, group, topics.Input) {
			t.Errorf("%s: offsets not all committed after Stop", group)
		}
	}
	// Stopping released every service's state to the store.
	for _, svc := range []string{"api", "web", "auth", "payments"} {
		for _, component := range []string{omen.StateDetector, omen.StateAlerter} {
			if st, err := mem.LoadState(context.Background(), component, svc); err != nil || len(st) == 0 {
				t.Errorf("state of %s/%s after Stop: %d bytes, %v", component, svc, len(st), err)
			}
		}
	}
}

// Input not keyed by service (the original Phase 4 producer sets no key) spreads a service's
// windows over partitions, and a window that arrives after a newer one of its service is not
// analysed: the Service counts both, so that the operator sees it.
func TestUnkeyedInputIsCounted(t *testing.T) {
	topics := kafkaadapter.DefaultTopics()
	cluster := pipelinetest.Cluster(t, topics.Input, 3)
	msgs := pipelinetest.Stream(t, testStream)
	for i := range msgs {
		msgs[i].Key = nil
	}
	ml := start(t, Config{Role: MLService, Brokers: cluster.ListenAddrs(), HTTPAddr: "127.0.0.1:0", KafkaOptions: fastKafka()})
	pipelinetest.Produce(t, cluster, topics.Input, msgs)
	pipelinetest.Eventually(t, "every offset committed", func() bool {
		return pipelinetest.FullyCommitted(t, cluster, DefaultMLServiceGroup, topics.Input)
	})
	_, exposition := pipelinetest.Get(t, "http://"+ml.Addr()+"/metrics")
	if got := pipelinetest.Metric(t, exposition, "omen_mlservice_unkeyed_windows_total"); got != float64(len(msgs)) {
		t.Errorf("unkeyed_windows_total = %v, want %d", got, len(msgs))
	}
	if got := pipelinetest.Metric(t, exposition, "omen_mlservice_engine_stale_windows_total"); got == 0 {
		t.Error("engine_stale_windows_total = 0: the windows that arrived late were not counted")
	}
}

// TestUnrestorableStateStartsAfresh: after a restart with another Detector History, every stored
// state fails to decode; the services start afresh from their stored windows, the rejections are
// counted, and consumption goes on. The stored states once failed every window, for ever.
func TestUnrestorableStateStartsAfresh(t *testing.T) {
	topics := kafkaadapter.DefaultTopics()
	cluster := pipelinetest.Cluster(t, topics.Input, 1)
	msgs := pipelinetest.Stream(t, testStream)
	mem := omen.NewMemoryStore()
	brokers := cluster.ListenAddrs()

	pipelinetest.Produce(t, cluster, topics.Input, msgs[:200])
	first := start(t, Config{Role: MLService, Brokers: brokers, Memory: mem, KafkaOptions: fastKafka()})
	pipelinetest.Eventually(t, "first run committed", func() bool {
		return pipelinetest.FullyCommitted(t, cluster, DefaultMLServiceGroup, topics.Input)
	})
	if err := first.Stop(); err != nil {
		t.Fatal(err)
	}
	second := start(t, Config{Role: MLService, Brokers: brokers, Memory: mem, KafkaOptions: fastKafka(),
		Detector: omen.DetectorConfig{History: 336}, HTTPAddr: "127.0.0.1:0"})
	pipelinetest.Produce(t, cluster, topics.Input, msgs[200:])
	pipelinetest.Eventually(t, "second run committed", func() bool {
		return pipelinetest.FullyCommitted(t, cluster, DefaultMLServiceGroup, topics.Input)
	})
	st := second.Stats()
	if st.StatesRejected == 0 || st.Consumer.DeadLetters[kafkaadapter.Unprocessable] != 0 {
		t.Errorf("states rejected %d, unprocessable dead letters %d", st.StatesRejected, st.Consumer.DeadLetters[kafkaadapter.Unprocessable])
	}
	_, expo := pipelinetest.Get(t, "http://"+second.Addr()+"/metrics")
	if v := pipelinetest.Metric(t, expo, "omen_mlservice_state_rejected_total"); v != float64(st.StatesRejected) {
		t.Errorf("state_rejected_total %v, stats %d", v, st.StatesRejected)
	}
	if err := second.Stop(); err != nil {
		t.Fatal(err)
	}
}
