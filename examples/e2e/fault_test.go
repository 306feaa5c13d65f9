package e2e

import (
	"bytes"
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/stacklens/omen"
	"github.com/stacklens/omen/examples/internal/pipeline"
	"github.com/stacklens/omen/examples/internal/pipeline/pipelinetest"
	"github.com/stacklens/omen/internal/servicegen"
	"github.com/stacklens/omen/kafkaadapter"
	"github.com/stacklens/omen/pgadapter"
)

// faultStream is 4 services × 6 days of hourly windows (576), with incidents after two days, so
// that both engines have results before and after a fault in the middle.
var faultStream = servicegen.Config{Seed: 3, Services: 4, Days: 6, WarmUp: 48 * time.Hour, IncidentsPerWeek: 2}

// smallPolls makes a poll return about 40 windows, so that the stream takes many polls and
// commits and a fault can fall between them.
var smallPolls = []kgo.Opt{kgo.FetchMaxBytes(12 << 10), kgo.FetchMaxPartitionBytes(12 << 10)}

// TestPostgresOutage makes PostgreSQL unreachable mid-stream, through a proxy that drops the
// open connections and refuses new ones: the services keep running but consumption pauses —
// their writes fail and are retried, no offset is committed, the health check reports the store
// down — and resumes when the database is back. Afterwards the database and the topics hold
// exactly the results of an uninterrupted run: none missing, none twice.
func TestPostgresOutage(t *testing.T) {
	dsn, direct := pipelinetest.Postgres(t)
	pool, proxy := proxiedPool(t, dsn)
	topics := kafkaadapter.DefaultTopics()
	cluster := pipelinetest.Cluster(t, topics.Input, 3)
	msgs := pipelinetest.Stream(t, faultStream)
	want := reference(t, msgs)
	wantAnomalies, wantAlerts := anomalyIDs(want), alertIDs(want)
	half := len(msgs) / 2

	svc := startServices(t, pipeline.Config{Brokers: cluster.ListenAddrs(), Pool: pool, KafkaOptions: fastKafka(smallPolls...)})
	pipelinetest.Produce(t, cluster, topics.Input, msgs[:half])
	waitCommitted(t, cluster)
	groups := []string{pipeline.DefaultMLServiceGroup, pipeline.DefaultPredictiveAlerterGroup}
	before := map[string]map[int32]int64{}
	for _, g := range groups {
		before[g] = pipelinetest.Committed(t, cluster, g, topics.Input)
	}
	failures := func(s *pipeline.Service) int64 { return s.Stats().SinkFailures }
	f0 := [2]int64{failures(svc.ml), failures(svc.alerter)}

	proxy.cut()
	pipelinetest.Produce(t, cluster, topics.Input, msgs[half:])
	// Both services fail to write several times in a row, …
	pipelinetest.Eventually(t, "repeated write failures of both services", func() bool {
		return failures(svc.ml) >= f0[0]+3 && failures(svc.alerter) >= f0[1]+3
	})
	// … report the store down, and have committed nothing meanwhile.
	for _, s := range []*pipeline.Service{svc.ml, svc.alerter} {
		if rep := s.Health(context.Background()); rep.Checks[pipeline.CheckStore].OK || rep.Healthy() {
			t.Errorf("%s reports a healthy store while PostgreSQL is unreachable: %+v", s.Role(), rep)
		}
	}
	for _, g := range groups {
		if got := pipelinetest.Committed(t, cluster, g, topics.Input); !maps.Equal(got, before[g]) {
			t.Errorf("group %s committed %v during the outage, having committed %v before it", g, got, before[g])
		}
	}
	proxy.restore()
	waitCommitted(t, cluster)
	svc.stop(t)

	if got := dbIDs(t, direct, "ml_anomalies", "anomaly_id"); !slices.Equal(got, wantAnomalies) {
		t.Errorf("ml_anomalies after the outage: %s", diff(got, wantAnomalies))
	}
	if got := dbIDs(t, direct, "ml_predictive_alerts", "alert_id"); !slices.Equal(got, wantAlerts) {
		t.Errorf("ml_predictive_alerts after the outage: %s", diff(got, wantAlerts))
	}
	got, published := topicIDs(t, cluster, topics.Anomalies, "anomaly_id")
	if !slices.Equal(got, wantAnomalies) {
		t.Errorf("%s after the outage: %s", topics.Anomalies, diff(got, wantAnomalies))
	}
	for id, n := range published {
		if n != 1 {
			t.Errorf("%s: anomaly %s published %d times", topics.Anomalies, id, n)
		}
	}
	if got, _ := topicIDs(t, cluster, topics.Alerts, "alert_id"); !slices.Equal(got, wantAlerts) {
		t.Errorf("%s after the outage: %s", topics.Alerts, diff(got, wantAlerts))
	}
	if n := pipelinetest.Count(t, direct, "SELECT COUNT(*) FROM analytics_metrics_1hour"); n != len(msgs) {
		t.Errorf("analytics_metrics_1hour holds %d windows, want %d", n, len(msgs))
	}
}

// TestKillAndRestart stops both services abruptly mid-stream — PostgreSQL cut under a write in
// flight, then a stop without shutdown grace, so that neither the poll in hand nor any state is
// saved, as when the process is killed — and starts new ones: the final database content equals,
// row for row, that of an uninterrupted run of the same stream.
//
// The new services resume from the committed offsets, so this holds only if the engines' state
// as of those offsets can be rebuilt. Here the services checkpoint it at every poll boundary
// (CheckpointInterval 1 ns), when every window processed is committed, so the saved state is
// exactly that; TestKillAndRestartCatchesUp kills them with an older state.
func TestKillAndRestart(t *testing.T) {
	killAndRestart(t, time.Nanosecond, func(t *testing.T, k *killRun) int {
		cut := len(k.msgs) * 2 / 5
		k.produce(0, cut)
		k.waitCheckpointed()
		return cut
	})
}

// TestKillAndRestartCatchesUp is TestKillAndRestart with the state saved every 3 s, as
// STATE_CHECKPOINT_INTERVAL does every minute by default: when the services are killed, the
// saved state is older than the committed offsets, and the new services catch each restored
// service up from the windows stored since (pgadapter's History) before they go on. The final
// database content still equals that of an uninterrupted run.
//
// The choreography makes the state stale by construction: a checkpoint is taken at the start of
// a poll once the interval has passed since the last one. After the first part and a pause longer
// than the interval, a few windows are produced; the poll that starts after them saves every
// service's state. The rest of the second part is then committed well within the interval, so
// no checkpoint follows. The test checks that the saved state is behind: restored into fresh
// engines, each takes the last committed window of every service as a new one (its snapshot
// changes), not as a redelivery. With either engine's catch-up disabled, the final contents
// differ.
func TestKillAndRestartCatchesUp(t *testing.T) {
	const interval = 3 * time.Second
	killAndRestart(t, interval, func(t *testing.T, k *killRun) int {
		first, cut := len(k.msgs)/5, len(k.msgs)*2/5
		k.produce(0, first)
		time.Sleep(interval + 200*time.Millisecond)
		// The poll after these few windows starts past the interval: it checkpoints, and the
		// rest of the second part is committed within the interval after it.
		k.produce(first, first+8)
		k.waitCheckpointed()
		k.produce(first+8, cut)

		ctx := context.Background()
		store := pgadapter.New(k.direct)
		last := map[string]omen.Metrics{} // each service's last committed window
		for _, m := range k.msgs[:cut] {
			last[m.Metrics.Service] = m.Metrics
		}
		behind := map[string]int{}
		for svc, m := range last {
			det, err := omen.NewDetector(omen.DetectorConfig{})
			if err != nil {
				t.Fatal(err)
			}
			al := omen.NewAlerter(alerterConfig)
			for _, e := range []struct {
				component string
				engine    interface {
					Restore(string, []byte) error
					Snapshot(string) ([]byte, error)
					Process(context.Context, omen.Metrics) (omen.Results, error)
				}
			}{{omen.StateDetector, det}, {omen.StateAlerter, al}} {
				data, err := store.LoadState(ctx, e.component, svc)
				if err != nil || len(data) == 0 {
					t.Fatalf("%s state of %s: %d bytes, %v", e.component, svc, len(data), err)
				}
				if err := e.engine.Restore(svc, data); err != nil {
					t.Fatalf("restoring the %s state of %s: %v", e.component, svc, err)
				}
				restored, err := e.engine.Snapshot(svc)
				if err != nil {
					t.Fatal(err)
				}
				// A state that holds m takes it as a redelivery and stays as it was.
				if _, err := e.engine.Process(ctx, m); err != nil {
					t.Fatalf("%s of %s: processing the last committed window: %v", e.component, svc, err)
				}
				after, err := e.engine.Snapshot(svc)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(after, restored) {
					behind[e.component]++
				}
			}
		}
		if behind[omen.StateDetector] == 0 || behind[omen.StateAlerter] == 0 {
			t.Fatalf("services whose saved state is behind the committed offsets: %v; the test needs some of each engine", behind)
		}
		t.Logf("services whose saved state is behind the committed offsets, by engine: %v", behind)
		return cut
	})
}

// killRun is one run of killAndRestart: the stream, the broker, the database behind the
// services' proxy, and the services.
type killRun struct {
	t       *testing.T
	msgs    []pipelinetest.Message
	cluster *kfake.Cluster
	direct  *pgxpool.Pool // the database, not through the proxy
	svc     services
}

// produce writes msgs[from:to] to the input topic and waits until both groups committed them.
func (k *killRun) produce(from, to int) {
	k.t.Helper()
	pipelinetest.Produce(k.t, k.cluster, kafkaadapter.DefaultTopics().Input, k.msgs[from:to])
	waitCommitted(k.t, k.cluster)
}

// waitCheckpointed waits until every service's state is saved by both engines.
func (k *killRun) waitCheckpointed() {
	k.t.Helper()
	pipelinetest.Eventually(k.t, "every service's state checkpointed by both engines", func() bool {
		return pipelinetest.Count(k.t, k.direct, "SELECT COUNT(*) FROM ml_models WHERE model_type = 'omen_state'") == 2*faultStream.Services
	})
}

// killAndRestart runs the fault stream through both services, checkpointing their state every
// interval; prepare produces and commits a first part of the stream and returns where it ends.
// The rest is produced with PostgreSQL cut, the services are killed once a write of each has
// failed, and new services with the same settings finish the stream: the database must then hold
// what an uninterrupted run leaves.
func killAndRestart(t *testing.T, interval time.Duration, prepare func(*testing.T, *killRun) int) {
	msgs := pipelinetest.Stream(t, faultStream)
	input := kafkaadapter.DefaultTopics().Input
	want := uninterrupted(t, msgs)

	dsn, direct := pipelinetest.Postgres(t)
	pool, proxy := proxiedPool(t, dsn)
	cluster := pipelinetest.Cluster(t, input, 3)
	killed := pipeline.Config{Brokers: cluster.ListenAddrs(), Pool: pool, ShutdownGrace: time.Nanosecond,
		CheckpointInterval: interval, KafkaOptions: fastKafka(smallPolls...)}
	k := &killRun{t: t, msgs: msgs, cluster: cluster, direct: direct, svc: startServices(t, killed)}
	cut := prepare(t, k)

	// The rest is processed but cannot be written.
	proxy.cut()
	pipelinetest.Produce(t, cluster, input, msgs[cut:])
	pipelinetest.Eventually(t, "a write of each service failing", func() bool {
		return k.svc.ml.Stats().SinkFailures >= 1 && k.svc.alerter.Stats().SinkFailures >= 1
	})
	for _, s := range []*pipeline.Service{k.svc.ml, k.svc.alerter} {
		err := s.Stop()
		t.Logf("%s killed with %d of %d windows committed: %v", s.Role(), committedTotal(t, cluster, s), len(msgs), err)
	}
	proxy.restore()

	restarted := killed
	restarted.ShutdownGrace = 0
	svc := startServices(t, restarted)
	waitCommitted(t, cluster)
	svc.stop(t)
	sameContents(t, tableContents(t, direct), want)
}

// committedTotal returns the number of input records committed by the group of s's role.
func committedTotal(t *testing.T, c *kfake.Cluster, s *pipeline.Service) int64 {
	t.Helper()
	group := pipeline.DefaultMLServiceGroup
	if s.Role() == pipeline.PredictiveAlerter {
		group = pipeline.DefaultPredictiveAlerterGroup
	}
	var n int64
	for _, o := range pipelinetest.Committed(t, c, group, kafkaadapter.DefaultTopics().Input) {
		n += o
	}
	return n
}

// uninterrupted runs msgs through both services on a fresh schema and returns the content of its
// tables.
func uninterrupted(t *testing.T, msgs []pipelinetest.Message) map[string][]string {
	t.Helper()
	input := kafkaadapter.DefaultTopics().Input
	dsn, pool := pipelinetest.Postgres(t)
	cluster := pipelinetest.Cluster(t, input, 3)
	svc := startServices(t, pipeline.Config{Brokers: cluster.ListenAddrs(), PostgresDSN: dsn, KafkaOptions: fastKafka(smallPolls...)})
	pipelinetest.Produce(t, cluster, input, msgs)
	waitCommitted(t, cluster)
	svc.stop(t)
	return tableContents(t, pool)
}

// TestGracefulRestart stops both services cleanly mid-stream — they finish the poll in hand,
// commit, and save every service's state — and starts new ones, which resume from the committed
// offsets and the saved state: the final database content equals, row for row, that of an
// uninterrupted run, the engines' saved state included.
func TestGracefulRestart(t *testing.T) {
	msgs := pipelinetest.Stream(t, faultStream)
	input := kafkaadapter.DefaultTopics().Input
	want := uninterrupted(t, msgs)

	dsn, pool := pipelinetest.Postgres(t)
	cluster := pipelinetest.Cluster(t, input, 3)
	cfg := pipeline.Config{Brokers: cluster.ListenAddrs(), PostgresDSN: dsn, KafkaOptions: fastKafka(smallPolls...)}
	svc := startServices(t, cfg)
	cut := len(msgs) * 2 / 5
	pipelinetest.Produce(t, cluster, input, msgs[:cut])
	waitCommitted(t, cluster)
	svc.stop(t)
	if n := pipelinetest.Count(t, pool, "SELECT COUNT(*) FROM ml_models WHERE model_type = 'omen_state'"); n != 2*faultStream.Services {
		t.Fatalf("%d engine states saved by the stop, want one per service and engine (%d)", n, 2*faultStream.Services)
	}
	svc = startServices(t, cfg)
	pipelinetest.Produce(t, cluster, input, msgs[cut:])
	waitCommitted(t, cluster)
	svc.stop(t)
	sameContents(t, tableContents(t, pool), want)
}
