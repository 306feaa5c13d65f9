package pipeline

import (
	"context"
	"encoding/json"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/stacklens/omen/examples/internal/pipeline/pipelinetest"
	"github.com/stacklens/omen/kafkaadapter"
)

// closedAddr returns a local address where nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func report(t *testing.T, body string) HealthReport {
	t.Helper()
	var r HealthReport
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("health body %q: %v", body, err)
	}
	return r
}

// TestHealthWithoutKafka: a service whose brokers do not answer reports 503 with the failing
// checks named, serves its metrics, restarts its consumer, and recovers when the broker comes
// up.
func TestHealthWithoutKafka(t *testing.T) {
	broker := closedAddr(t)
	s, err := Start(pipelinetest.Context(t), Config{Role: MLService, Brokers: []string{broker}, HTTPAddr: "127.0.0.1:0", KafkaOptions: fastKafka()})
	if err != nil {
		t.Fatal(err)
	}
	code, body := pipelinetest.Get(t, "http://"+s.Addr()+"/healthz")
	r := report(t, body)
	if code != 503 || r.Status != "unavailable" || r.Role != MLService || r.Group != DefaultMLServiceGroup {
		t.Errorf("/healthz: %d %s", code, body)
	}
	if r.Checks[CheckKafka].OK || r.Checks[CheckGroup].OK || !r.Checks[CheckStore].OK || r.Checks[CheckStore].Detail != "in memory" {
		t.Errorf("checks %+v: want kafka and group failing, the memory store fine", r.Checks)
	}
	if code, _ := pipelinetest.Get(t, "http://"+s.Addr()+"/readyz"); code != 503 {
		t.Errorf("/readyz: %d, want 503 before joining the group", code)
	}
	code, exposition := pipelinetest.Get(t, "http://"+s.Addr()+"/metrics")
	if code != 200 || pipelinetest.Metric(t, exposition, "omen_mlservice_messages_total") != 0 ||
		!strings.Contains(exposition, "# TYPE omen_mlservice_engine_seconds histogram") {
		t.Errorf("/metrics: %d\n%s", code, exposition)
	}
	pipelinetest.Eventually(t, "a restart of the consumer", func() bool {
		return s.Stats().Restarts > 0 && strings.HasPrefix(s.Health(t.Context()).Checks[CheckConsumer].Detail, "restarting after a failure: ")
	})

	_, port, _ := net.SplitHostPort(broker)
	p, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(p))
	if err != nil {
		t.Fatalf("listening on %s again: %v", broker, err)
	}
	defer cluster.Close()
	pipelinetest.Eventually(t, "healthy once the broker is up", func() bool { return healthy(t, s) })
	if err := s.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	select {
	case <-s.Done():
	default:
		t.Error("Done not closed after Stop")
	}
}

// TestHealthStoreDown: /healthz turns 503 when PostgreSQL stops answering, naming the store.
func TestHealthStoreDown(t *testing.T) {
	_, pool := pipelinetest.Postgres(t)
	cluster := pipelinetest.Cluster(t, kafkaadapter.DefaultTopics().Input, 1)
	s := start(t, Config{Role: PredictiveAlerter, Brokers: cluster.ListenAddrs(), Pool: pool, HTTPAddr: "127.0.0.1:0", KafkaOptions: fastKafka()})
	pipelinetest.Eventually(t, "healthy", func() bool { return healthy(t, s) })
	if code, body := pipelinetest.Get(t, "http://"+s.Addr()+"/readyz"); code != 200 {
		t.Errorf("/readyz: %d %s", code, body)
	}
	pool.Close() // the caller's pool: the Service never closes it, but it depends on it
	code, body := pipelinetest.Get(t, "http://"+s.Addr()+"/healthz")
	if r := report(t, body); code != 503 || r.Checks[CheckStore].OK || !strings.HasPrefix(r.Checks[CheckStore].Detail, "PostgreSQL: ") {
		t.Errorf("/healthz with the pool closed: %d %s", code, body)
	}
}

// TestStartContext: the end of Start's context stops the Service cleanly, and Run returns nil
// after its context ends.
func TestStartContext(t *testing.T) {
	cluster := pipelinetest.Cluster(t, kafkaadapter.DefaultTopics().Input, 1)
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Start(ctx, Config{Role: MLService, Brokers: cluster.ListenAddrs(), KafkaOptions: fastKafka()})
	if err != nil {
		t.Fatal(err)
	}
	pipelinetest.Eventually(t, "the consumer joining its group", func() bool { return s.Health(ctx).Checks[CheckGroup].OK })
	cancel()
	if err := s.Wait(); err != nil {
		t.Errorf("Wait after the context ended: %v", err)
	}

	ctx, cancel = context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Config{Role: PredictiveAlerter, Brokers: cluster.ListenAddrs(), KafkaOptions: fastKafka()})
	}()
	pipelinetest.Eventually(t, "the alerter's group to have a member", func() bool {
		return pipelinetest.Balanced(t, cluster, DefaultPredictiveAlerterGroup, 1)
	})
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run after the context ended: %v", err)
	}
}

// The predictive alerter's capacity plans are served at /capacity: one per service with a
// configured capacity that the instance has forecast, the others listed as missing with the
// reason; /capacity/{service} serves one plan or 404. The ML service has no such endpoint.
func TestCapacityEndpoint(t *testing.T) {
	topics := kafkaadapter.DefaultTopics()
	cluster := pipelinetest.Cluster(t, topics.Input, 3)
	msgs := pipelinetest.Stream(t, testStream)
	svc := msgs[0].Metrics.Service
	alerter := testAlerter
	alerter.Capacity = map[string]float64{svc: 1e6, "ghost": 100}
	brokers := cluster.ListenAddrs()
	al := start(t, Config{Role: PredictiveAlerter, Brokers: brokers, Alerter: alerter, HTTPAddr: "127.0.0.1:0", KafkaOptions: fastKafka()})
	ml := start(t, Config{Role: MLService, Brokers: brokers, HTTPAddr: "127.0.0.1:0", KafkaOptions: fastKafka()})
	pipelinetest.Produce(t, cluster, topics.Input, msgs)
	pipelinetest.Eventually(t, "every offset committed", func() bool {
		return pipelinetest.FullyCommitted(t, cluster, DefaultPredictiveAlerterGroup, topics.Input)
	})

	code, body := pipelinetest.Get(t, "http://"+al.Addr()+"/capacity")
	var all struct {
		Plans []struct {
			Service         string  `json:"service"`
			CapacityPerHour float64 `json:"capacity_per_hour"`
			Forecast        []any   `json:"forecast"`
			Recommendation  string  `json:"recommendation"`
		} `json:"plans"`
		Missing []struct{ Service, Reason string } `json:"missing"`
	}
	if err := json.Unmarshal([]byte(body), &all); code != 200 || err != nil {
		t.Fatalf("/capacity: status %d, %v: %s", code, err, body)
	}
	if len(all.Plans) != 1 || all.Plans[0].Service != svc || all.Plans[0].CapacityPerHour != 1e6 ||
		len(all.Plans[0].Forecast) != 24 || !strings.HasPrefix(all.Plans[0].Recommendation, "OK") {
		t.Errorf("/capacity plans: %s", body)
	}
	if len(all.Missing) != 1 || all.Missing[0].Service != "ghost" || !strings.Contains(all.Missing[0].Reason, "no window") {
		t.Errorf("/capacity missing: %s", body)
	}
	if code, body := pipelinetest.Get(t, "http://"+al.Addr()+"/capacity/"+svc); code != 200 || !strings.Contains(body, `"service": "`+svc+`"`) {
		t.Errorf("/capacity/%s: status %d, %s", svc, code, body)
	}
	if code, body := pipelinetest.Get(t, "http://"+al.Addr()+"/capacity/ghost"); code != 404 || !strings.Contains(body, `"error"`) {
		t.Errorf("/capacity/ghost: status %d, %s", code, body)
	}
	if code, _ := pipelinetest.Get(t, "http://"+ml.Addr()+"/capacity"); code != 404 {
		t.Errorf("the ML service's /capacity: status %d, want 404", code)
	}
}
