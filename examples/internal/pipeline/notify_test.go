package pipeline

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stacklens/omen"
	"github.com/stacklens/omen/examples/internal/pipeline/pipelinetest"
	"github.com/stacklens/omen/kafkaadapter"
	"github.com/stacklens/omen/notify"
)

// webhookServer plays Slack (/slack) and PagerDuty (/pagerduty). It records the IDs of the
// records each receives and checks, as each request arrives, that the record is already in
// PostgreSQL: a notification must never precede durability.
type webhookServer struct {
	t    *testing.T
	pool *pgxpool.Pool

	mu        sync.Mutex
	status    map[string]int      // response status by path; 202 when absent
	received  map[string][]string // IDs by path, in arrival order
	delivered map[string][]string // the IDs answered with a 2xx status, by path
}

var recordID = regexp.MustCompile(`\b[0-9a-f]{32}\b`)

func newWebhookServer(t *testing.T, pool *pgxpool.Pool, status map[string]int) (*webhookServer, *httptest.Server) {
	w := &webhookServer{t: t, pool: pool, status: status, received: map[string][]string{}, delivered: map[string][]string{}}
	srv := httptest.NewServer(w)
	t.Cleanup(srv.Close)
	return w, srv
}

func (w *webhookServer) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	var id string
	switch r.URL.Path {
	case "/pagerduty":
		var ev struct {
			RoutingKey string `json:"routing_key"`
			Payload    struct {
				Details struct {
					AlertID   string `json:"alert_id"`
					AnomalyID string `json:"anomaly_id"`
				} `json:"custom_details"`
			} `json:"payload"`
		}
		if err := json.Unmarshal(body, &ev); err != nil || ev.RoutingKey != "test-key" {
			w.t.Errorf("PagerDuty event %s: %v", body, err)
		}
		id = ev.Payload.Details.AlertID + ev.Payload.Details.AnomalyID
	case "/slack":
		id = recordID.FindString(string(body))
	}
	if id == "" {
		w.t.Errorf("%s: no record ID in %s", r.URL.Path, body)
	}
	var stored int
	// The check outlives a client that gives up on the request: the record must be stored all
	// the same.
	if err := w.pool.QueryRow(context.WithoutCancel(r.Context()), `SELECT (SELECT COUNT(*) FROM ml_anomalies WHERE anomaly_id = $1) +
		(SELECT COUNT(*) FROM ml_predictive_alerts WHERE alert_id = $1)`, id).Scan(&stored); err != nil || stored != 1 {
		w.t.Errorf("%s: record %s notified before it was stored (%d rows, %v)", r.URL.Path, id, stored, err)
	}
	w.mu.Lock()
	w.received[r.URL.Path] = append(w.received[r.URL.Path], id)
	status := http.StatusAccepted
	if s, ok := w.status[r.URL.Path]; ok {
		status = s
	}
	if status/100 == 2 {
		w.delivered[r.URL.Path] = append(w.delivered[r.URL.Path], id)
	}
	w.mu.Unlock()
	rw.WriteHeader(status)
}

func (w *webhookServer) ids(path string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.received[path])
}

// deliveredIDs returns the IDs that path answered with a 2xx status, in arrival order.
func (w *webhookServer) deliveredIDs(path string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.delivered[path])
}

// setStatus makes path answer with status from now on.
func (w *webhookServer) setStatus(path string, status int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.status == nil {
		w.status = map[string]int{}
	}
	w.status[path] = status
}

// fastRetries keeps a failing webhook from slowing the tests down.
var fastRetries = []notify.Option{notify.WithRetryBackoff(time.Millisecond, 5*time.Millisecond), notify.WithAttempts(2)}

// TestNotifications runs both roles with Slack and PagerDuty webhooks: every critical anomaly and
// every predictive alert reaches both targets once, only after it is stored, and the store
// records each delivery (alert_sent, alert_sent_at; notified_at).
func TestNotifications(t *testing.T) {
	dsn, pool := pipelinetest.Postgres(t)
	hooks, srv := newWebhookServer(t, pool, nil)
	topics := kafkaadapter.DefaultTopics()
	cluster := pipelinetest.Cluster(t, topics.Input, 3)
	msgs := pipelinetest.Stream(t, testStream)
	want := reference(t, msgs)

	webhooks := Webhooks{SlackURL: srv.URL + "/slack", PagerDutyRoutingKey: "test-key", PagerDutyEventsURL: srv.URL + "/pagerduty", Options: fastRetries}
	brokers := cluster.ListenAddrs()
	ml := start(t, Config{Role: MLService, Brokers: brokers, PostgresDSN: dsn, Webhooks: webhooks, KafkaOptions: fastKafka()})
	al := start(t, Config{Role: PredictiveAlerter, Brokers: brokers, PostgresDSN: dsn, Alerter: testAlerter, Webhooks: webhooks, KafkaOptions: fastKafka()})
	pipelinetest.Produce(t, cluster, topics.Input, msgs)
	pipelinetest.Eventually(t, "every offset committed by both groups", func() bool {
		return pipelinetest.FullyCommitted(t, cluster, DefaultMLServiceGroup, topics.Input) &&
			pipelinetest.FullyCommitted(t, cluster, DefaultPredictiveAlerterGroup, topics.Input)
	})
	for _, s := range []*Service{ml, al} {
		if err := s.Stop(); err != nil { // delivers what is still queued
			t.Fatalf("%s: Stop: %v", s.Role(), err)
		}
	}

	wantIDs := slices.Sorted(slices.Values(slices.Concat(want.critical, want.alerts)))
	for _, path := range []string{"/slack", "/pagerduty"} {
		got := hooks.ids(path)
		n := len(got)
		slices.Sort(got)
		if !slices.Equal(got, wantIDs) || n != len(wantIDs) {
			t.Errorf("%s received %d notifications; %s", path, n, diff(got, wantIDs))
		}
	}
	if n := pipelinetest.Count(t, pool, "SELECT COUNT(*) FROM ml_predictive_alerts WHERE alert_sent AND alert_sent_at IS NOT NULL"); n != len(want.alerts) {
		t.Errorf("%d alerts marked sent, want all %d", n, len(want.alerts))
	}
	if got := pipelinetest.IDs(t, pool, "SELECT anomaly_id FROM ml_anomalies WHERE notified_at IS NOT NULL ORDER BY anomaly_id"); !slices.Equal(got, want.critical) {
		t.Errorf("anomalies marked notified: %s", diff(got, want.critical))
	}
	st := ml.Stats()
	if st.Notifier.Targets["slack"].Sent != uint64(len(want.critical)) || st.Notifier.Failed != 0 {
		t.Errorf("ML service notifier stats %+v, want %d sent to each target", st.Notifier, len(want.critical))
	}
	if st.Notifications.Dropped != 0 || st.Notifications.Failed != 0 || st.Notifications.Batches == 0 {
		t.Errorf("ML service notification batches %+v", st.Notifications)
	}
	var exposition strings.Builder
	if err := al.Stats().WritePrometheus(&exposition, "x"); err != nil {
		t.Fatal(err)
	}
	if got := pipelinetest.Metric(t, exposition.String(), `x_notifications_total{target="pagerduty",outcome="sent"}`); got != float64(len(want.alerts)) {
		t.Errorf("alerter metrics: %v sent to PagerDuty, want %d", got, len(want.alerts))
	}
}

// TestFailingWebhookNeverHoldsBackCommits: with a Slack webhook that always fails, consumption
// and commits go on, the failures are counted, and no alert is marked sent (a record is marked
// only once every target has it).
func TestFailingWebhookNeverHoldsBackCommits(t *testing.T) {
	dsn, pool := pipelinetest.Postgres(t)
	hooks, srv := newWebhookServer(t, pool, map[string]int{"/slack": http.StatusInternalServerError})
	topics := kafkaadapter.DefaultTopics()
	cluster := pipelinetest.Cluster(t, topics.Input, 3)
	msgs := pipelinetest.Stream(t, testStream)
	want := reference(t, msgs)

	webhooks := Webhooks{SlackURL: srv.URL + "/slack", PagerDutyRoutingKey: "test-key", PagerDutyEventsURL: srv.URL + "/pagerduty", Options: fastRetries}
	al := start(t, Config{Role: PredictiveAlerter, Brokers: cluster.ListenAddrs(), PostgresDSN: dsn, Alerter: testAlerter, Webhooks: webhooks, KafkaOptions: fastKafka()})
	pipelinetest.Produce(t, cluster, topics.Input, msgs)
	pipelinetest.Eventually(t, "every offset committed", func() bool {
		return pipelinetest.FullyCommitted(t, cluster, DefaultPredictiveAlerterGroup, topics.Input)
	})
	if err := al.Stop(); err != nil {
		t.Fatal(err)
	}
	if n := pipelinetest.Count(t, pool, "SELECT COUNT(*) FROM ml_predictive_alerts WHERE alert_sent"); n != 0 {
		t.Errorf("%d alerts marked sent although Slack refused them all", n)
	}
	if n := pipelinetest.Count(t, pool, "SELECT COUNT(*) FROM ml_predictive_alerts"); n != len(want.alerts) {
		t.Errorf("%d alerts stored, want %d", n, len(want.alerts))
	}
	st := al.Stats()
	if st.Notifications.Failed == 0 || st.Notifier.Targets["slack"].Failed != uint64(len(want.alerts)) {
		t.Errorf("notification stats %+v / %+v, want every Slack delivery failed", st.Notifications, st.Notifier)
	}
	if got := len(hooks.ids("/pagerduty")); got != len(want.alerts) {
		t.Errorf("PagerDuty received %d alerts, want %d: one target's failure must not stop the other", got, len(want.alerts))
	}
}

// TestUndeliveredNotificationsRetried: Slack is down while both roles process the stream, so no
// record reaches every target and none is marked, however often the retries try. The services
// stop; two instances of each role start with Slack back and no new input, and their retries
// deliver to Slack, exactly once each, every critical anomaly and every alert still pending (a
// predictive alert that has materialized or expired is no longer news), while PagerDuty, which
// had them all before the restart, gets none again; the store marks them delivered.
func TestUndeliveredNotificationsRetried(t *testing.T) {
	dsn, pool := pipelinetest.Postgres(t)
	hooks, srv := newWebhookServer(t, pool, map[string]int{"/slack": http.StatusServiceUnavailable})
	topics := kafkaadapter.DefaultTopics()
	cluster := pipelinetest.Cluster(t, topics.Input, 3)
	msgs := untilAlert(t, pipelinetest.Stream(t, testStream))
	want := reference(t, msgs)
	all := slices.Sorted(slices.Values(slices.Concat(want.critical, want.alerts)))

	webhooks := Webhooks{SlackURL: srv.URL + "/slack", PagerDutyRoutingKey: "test-key", PagerDutyEventsURL: srv.URL + "/pagerduty", Options: fastRetries}
	// Retries look every 100 ms; a record is retried again 500 ms after a claim, doubling up to
	// 3 s (far longer than a delivery to the local server with fastRetries takes).
	const interval, backoff = 100 * time.Millisecond, 500 * time.Millisecond
	startRole := func(role Role) *Service {
		return start(t, Config{Role: role, Brokers: cluster.ListenAddrs(), PostgresDSN: dsn, Alerter: testAlerter, Webhooks: webhooks,
			KafkaOptions: fastKafka(), NotifyRetryInterval: interval, NotifyRetryBackoff: backoff})
	}
	ml, al := startRole(MLService), startRole(PredictiveAlerter)
	pipelinetest.Produce(t, cluster, topics.Input, msgs)
	pipelinetest.Eventually(t, "every offset committed by both groups", func() bool {
		return pipelinetest.FullyCommitted(t, cluster, DefaultMLServiceGroup, topics.Input) &&
			pipelinetest.FullyCommitted(t, cluster, DefaultPredictiveAlerterGroup, topics.Input)
	})
	pipelinetest.Eventually(t, "PagerDuty has every record", func() bool { return len(hooks.deliveredIDs("/pagerduty")) >= len(all) })
	pending := pipelinetest.IDs(t, pool, "SELECT alert_id FROM ml_predictive_alerts WHERE status = 'pending' ORDER BY alert_id")
	if len(pending) == 0 || len(want.critical) == 0 {
		t.Fatalf("%d pending alerts and %d critical anomalies at the end of the stream: the test needs both", len(pending), len(want.critical))
	}
	retried := slices.Sorted(slices.Values(slices.Concat(want.critical, pending)))
	for _, s := range []*Service{ml, al} {
		pipelinetest.Eventually(t, string(s.Role())+" retrying", func() bool { return s.Stats().Notifications.Redelivered > 0 })
	}
	marked := `SELECT (SELECT COUNT(*) FROM ml_predictive_alerts WHERE alert_sent) + (SELECT COUNT(*) FROM ml_anomalies WHERE notified_at IS NOT NULL)`
	if n := pipelinetest.Count(t, pool, marked); n != 0 {
		t.Fatalf("%d records marked delivered while Slack refused them all", n)
	}
	for _, s := range []*Service{ml, al} {
		if err := s.Stop(); err != nil {
			t.Fatalf("%s: Stop: %v", s.Role(), err)
		}
	}

	hooks.setStatus("/slack", http.StatusOK)
	restarted := []*Service{startRole(MLService), startRole(MLService), startRole(PredictiveAlerter), startRole(PredictiveAlerter)}
	pipelinetest.Eventually(t, "every record retried marked delivered", func() bool { return pipelinetest.Count(t, pool, marked) == len(retried) })
	time.Sleep(5 * interval) // retries that must find nothing more to do: every record is marked
	for _, s := range restarted {
		if err := s.Stop(); err != nil {
			t.Fatalf("%s: Stop: %v", s.Role(), err)
		}
	}
	for _, c := range []struct {
		path string
		want []string
	}{{"/slack", retried}, {"/pagerduty", all}} {
		got := hooks.deliveredIDs(c.path)
		n := len(got)
		slices.Sort(got)
		if !slices.Equal(got, c.want) || n != len(c.want) {
			t.Errorf("%s accepted %d notifications, want each of %d records once; %s", c.path, n, len(c.want), diff(got, c.want))
		}
	}
	if got := pipelinetest.IDs(t, pool, "SELECT alert_id FROM ml_predictive_alerts WHERE alert_sent AND alert_sent_at IS NOT NULL ORDER BY alert_id"); !slices.Equal(got, pending) {
		t.Errorf("alerts marked sent: %s", diff(got, pending))
	}
	if got := pipelinetest.IDs(t, pool, "SELECT anomaly_id FROM ml_anomalies WHERE notified_at IS NOT NULL ORDER BY anomaly_id"); !slices.Equal(got, want.critical) {
		t.Errorf("anomalies marked notified: %s", diff(got, want.critical))
	}
	var redelivered int64
	for _, s := range restarted {
		redelivered += s.Stats().Notifications.Redelivered
	}
	if redelivered != int64(len(retried)) {
		t.Errorf("the restarted services claimed %d records, want each of the %d once", redelivered, len(retried))
	}
	var exposition strings.Builder
	if err := restarted[0].Stats().WritePrometheus(&exposition, "x"); err != nil {
		t.Fatal(err)
	}
	got := pipelinetest.Metric(t, exposition.String(), "x_notification_redelivered_total")
	if want := restarted[0].Stats().Notifications.Redelivered; got != float64(want) {
		t.Errorf("ML service metrics: %v records redelivered, its Stats %d", got, want)
	}
}

// untilAlert returns the messages up to the one at which the last predictive alert of the stream
// is issued: the stream then ends with an alert pending.
func untilAlert(t *testing.T, msgs []pipelinetest.Message) []pipelinetest.Message {
	t.Helper()
	al := omen.NewAlerter(testAlerter)
	end := 0
	for i, m := range msgs {
		r, err := al.Process(context.Background(), m.Metrics)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range r.Alerts {
			if a.Status == omen.Pending {
				end = i + 1
			}
		}
	}
	if end == 0 {
		t.Fatal("the stream has no predictive alert")
	}
	return msgs[:end]
}

// blockingNotifier blocks every call until release is closed.
type blockingNotifier struct {
	release chan struct{}
	mu      sync.Mutex
	calls   int
}

func (b *blockingNotifier) Notify(ctx context.Context, r omen.Results) error {
	b.mu.Lock()
	b.calls++
	b.mu.Unlock()
	select {
	case <-b.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestStuckNotifierNeverHoldsBackCommits: a Notifier that never returns fills the queue; later
// batches are dropped from notification and counted, and every offset is committed regardless.
func TestStuckNotifierNeverHoldsBackCommits(t *testing.T) {
	topics := kafkaadapter.DefaultTopics()
	cluster := pipelinetest.Cluster(t, topics.Input, 3)
	msgs := pipelinetest.Stream(t, testStream)
	n := &blockingNotifier{release: make(chan struct{})}
	ml := start(t, Config{Role: MLService, Brokers: cluster.ListenAddrs(), Notifier: n, NotifyQueue: 1,
		ShutdownGrace: time.Second, KafkaOptions: slices.Concat(fastKafka(), []kafkaadapter.Option{kafkaadapter.WithMaxBatchRecords(10)})})
	pipelinetest.Produce(t, cluster, topics.Input, msgs)
	pipelinetest.Eventually(t, "every offset committed", func() bool {
		return pipelinetest.FullyCommitted(t, cluster, DefaultMLServiceGroup, topics.Input)
	})
	st := ml.Stats()
	if st.Notifications.Dropped == 0 || st.Notifications.Batches == 0 {
		t.Errorf("notification batches %+v: want some queued and, the queue being full, some dropped", st.Notifications)
	}
	// Stop gives the stuck notifier the shutdown grace, then cancels it.
	if err := ml.Stop(); err != nil {
		t.Fatal(err)
	}
	after := ml.Stats().Notifications
	if after.Batches != 2 || after.Failed != 1 || after.Dropped != st.Notifications.Dropped+1 {
		t.Errorf("after Stop: %+v (before: %+v), want two batches queued (the stuck one, failed when the grace ran out, and one waiting, then dropped)",
			after, st.Notifications)
	}
	close(n.release)
}
