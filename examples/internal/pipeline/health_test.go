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
