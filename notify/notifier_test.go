package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stacklens/omen"
)

// resultsOf returns results with k critical anomalies and k pending alerts, of services s0…,
// and records that must not be delivered: a low, a medium and a high anomaly, a resolved
// critical one, a materialized, an expired and an already sent alert.
func resultsOf(k int) omen.Results {
	var r omen.Results
	for i := range k {
		svc := fmt.Sprintf("s%d", i)
		r.Anomalies = append(r.Anomalies, anomalyOf(svc, omen.Critical))
		r.Alerts = append(r.Alerts, alertOf(svc))
	}
	for _, s := range []omen.Severity{omen.Low, omen.Medium, omen.High} {
		r.Anomalies = append(r.Anomalies, anomalyOf("quiet", s))
	}
	resolved := anomalyOf("resolved", omen.Critical)
	resolved.Resolved = true
	r.Anomalies = append(r.Anomalies, resolved)
	for _, st := range []omen.AlertStatus{omen.Materialized, omen.Expired} {
		a := alertOf("closed-" + string(st))
		a.Status = st
		r.Alerts = append(r.Alerts, a)
	}
	sent := alertOf("sent")
	sentAt := issued
	sent.Sent, sent.SentAt = true, &sentAt
	r.Alerts = append(r.Alerts, sent)
	r.Metrics = []omen.Metrics{{Service: "s0", Timestamp: issued}}
	return r
}

// idsOf returns the IDs of the records of r that Notify delivers with the default minimum
// severity, sorted.
func idsOf(k int) []string {
	var ids []string
	for i := range k {
		svc := fmt.Sprintf("s%d", i)
		ids = append(ids, anomalyOf(svc, omen.Critical).ID, alertOf(svc).ID)
	}
	slices.Sort(ids)
	return ids
}

func sorted(s []string) []string { slices.Sort(s); return s }

// TestNotifySelection checks which records Notify delivers for each minimum severity.
func TestNotifySelection(t *testing.T) {
	r := resultsOf(2)
	cases := []struct {
		min  omen.Severity
		want []string
	}{
		{omen.Critical, idsOf(2)},
		{omen.High, sorted(append(idsOf(2), anomalyOf("quiet", omen.High).ID))},
		{omen.Low, sorted(append(idsOf(2), anomalyOf("quiet", omen.High).ID, anomalyOf("quiet", omen.Medium).ID,
			anomalyOf("quiet", omen.Low).ID))},
	}
	for _, c := range cases {
		t.Run(string(c.min), func(t *testing.T) {
			srv := newServer(t)
			n, _ := newTest(t, []Target{Webhook{URL: srv.URL}}, WithMinSeverity(c.min))
			if err := n.Notify(context.Background(), r); err != nil {
				t.Fatalf("Notify: %v", err)
			}
			if got := sorted(srv.ids(t)); !slices.Equal(got, c.want) {
				t.Errorf("delivered %v, want %v", got, c.want)
			}
		})
	}
}

// TestNotifyEmpty checks that results with nothing to deliver make no request.
func TestNotifyEmpty(t *testing.T) {
	srv := newServer(t)
	n, _ := newTest(t, []Target{Webhook{URL: srv.URL}})
	r := resultsOf(0)
	for _, res := range []omen.Results{{}, r} {
		if err := n.Notify(context.Background(), res); err != nil {
			t.Fatalf("Notify: %v", err)
		}
	}
	if got := len(srv.received()); got != 0 {
		t.Errorf("%d requests, want 0", got)
	}
}

// TestDedupAndMarks delivers the same results three times to two targets: each record reaches
// each target once, is marked once with the clock's time, and the counters add up.
func TestDedupAndMarks(t *testing.T) {
	slack, pd := newServer(t), newServer(t, reply{status: 202})
	m := &marker{}
	at := time.Date(2026, 11, 26, 1, 5, 0, 0, time.UTC)
	n, _ := newTest(t, []Target{Slack{WebhookURL: slack.URL}, PagerDuty{RoutingKey: "k", EventsURL: pd.URL}},
		WithMarker(m), WithClock(func() time.Time { return at }))
	r := resultsOf(3)
	for i := range 3 {
		if err := n.Notify(context.Background(), r); err != nil {
			t.Fatalf("Notify %d: %v", i, err)
		}
	}
	// A record delivered on its own after Notify is deduplicated too.
	if err := n.NotifyAlert(context.Background(), r.Alerts[0]); err != nil {
		t.Fatal(err)
	}
	want := idsOf(3)
	if got := sorted(pd.ids(t)); !slices.Equal(got, want) {
		t.Errorf("PagerDuty received %v, want %v", got, want)
	}
	if got := len(slack.received()); got != len(want) {
		t.Errorf("Slack received %d messages, want %d", got, len(want))
	}
	calls := m.recorded()
	var marked []string
	for _, c := range calls {
		marked = append(marked, c.ID)
		if !c.At.Equal(at) {
			t.Errorf("marked %s at %v, want %v", c.ID, c.At, at)
		}
		wantKind := KindAnomaly
		if strings.HasPrefix(c.ID, "") && slices.ContainsFunc(r.Alerts, func(a omen.PredictiveAlert) bool { return a.ID == c.ID }) {
			wantKind = KindAlert
		}
		if c.Kind != wantKind {
			t.Errorf("marked %s as %s, want %s", c.ID, c.Kind, wantKind)
		}
	}
	if got := sorted(marked); !slices.Equal(got, want) {
		t.Errorf("marked %v, want %v", got, want)
	}
	st := n.Stats()
	deliveries := uint64(2 * len(want))
	wantStats := Stats{Counts: Counts{Sent: deliveries, Deduplicated: 2*deliveries + 2}, Targets: map[string]Counts{
		"slack":     {Sent: deliveries / 2, Deduplicated: deliveries + 1},
		"pagerduty": {Sent: deliveries / 2, Deduplicated: deliveries + 1},
	}}
	if fmt.Sprint(st) != fmt.Sprint(wantStats) {
		t.Errorf("Stats %+v, want %+v", st, wantStats)
	}
}

// TestPartialFailure lets PagerDuty fail while Slack succeeds: the record is not marked, and the
// next Notify sends it to PagerDuty only, then marks it.
func TestPartialFailure(t *testing.T) {
	slack := newServer(t)
	pd := newServer(t, reply{status: 500}, reply{status: 500}, reply{status: 202})
	m := &marker{}
	n, _ := newTest(t, []Target{Slack{WebhookURL: slack.URL}, PagerDuty{RoutingKey: "k", EventsURL: pd.URL}},
		WithMarker(m), WithAttempts(2))
	a := testAnomaly()
	err := n.NotifyAnomaly(context.Background(), a)
	var de *DeliveryError
	if !errors.As(err, &de) || de.Target != "pagerduty" || de.Permanent {
		t.Fatalf("error %v, want a temporary DeliveryError of pagerduty", err)
	}
	if calls := m.recorded(); len(calls) != 0 {
		t.Fatalf("marked %v after a failed delivery", calls)
	}
	if err := n.NotifyAnomaly(context.Background(), a); err != nil {
		t.Fatalf("second NotifyAnomaly: %v", err)
	}
	if got, want := len(slack.received()), 1; got != want {
		t.Errorf("Slack received %d messages, want %d", got, want)
	}
	if got, want := len(pd.received()), 3; got != want {
		t.Errorf("PagerDuty received %d requests, want %d", got, want)
	}
	if calls := m.recorded(); len(calls) != 1 || calls[0] != (markCall{KindAnomaly, a.ID, calls[0].At}) {
		t.Errorf("marks %v, want one of anomaly %s", calls, a.ID)
	}
	st := n.Stats().Targets
	if st["slack"] != (Counts{Sent: 1, Deduplicated: 1}) || st["pagerduty"] != (Counts{Sent: 1, Failed: 1, Retried: 1}) {
		t.Errorf("per-target Stats %+v", st)
	}
}

// TestMarkRetried: a Marker that fails twice is tried again after the deliveries' backoff, and
// the record is marked within the Notify.
func TestMarkRetried(t *testing.T) {
	srv := newServer(t)
	m := &marker{failures: 2}
	n, sl := newTest(t, []Target{Slack{WebhookURL: srv.URL}}, WithMarker(m), WithRetryBackoff(time.Second, time.Minute))
	if err := n.NotifyAlert(context.Background(), testAlert()); err != nil {
		t.Fatalf("NotifyAlert: %v", err)
	}
	if got := len(m.recorded()); got != 3 {
		t.Errorf("%d Marker calls, want 3 (two failures, then the mark)", got)
	}
	waits := sl.recorded()
	if len(waits) != 2 || waits[0] < 500*time.Millisecond || waits[0] > time.Second || waits[1] < time.Second || waits[1] > 2*time.Second {
		t.Errorf("waits %v, want the backoff of retries 1 and 2", waits)
	}
	if st := n.Stats(); st.MarkFailed != 0 || st.Sent != 1 {
		t.Errorf("Stats %+v, want no mark failed, 1 sent", st)
	}
}

// TestMarkFailure lets the Marker fail on every try of a Notify: the error is returned and
// counted, the record is not sent again, and the next Notify of it retries only the mark.
func TestMarkFailure(t *testing.T) {
	srv := newServer(t)
	m := &marker{failures: 3}
	n, _ := newTest(t, []Target{Slack{WebhookURL: srv.URL}}, WithMarker(m), WithAttempts(3))
	a := testAlert()
	err := n.NotifyAlert(context.Background(), a)
	if err == nil || !strings.Contains(err.Error(), "database unreachable") {
		t.Fatalf("error %v, want the Marker's", err)
	}
	var de *DeliveryError
	if errors.As(err, &de) {
		t.Errorf("a Marker failure reported as a DeliveryError: %v", err)
	}
	if err := n.NotifyAlert(context.Background(), a); err != nil {
		t.Fatalf("second NotifyAlert: %v", err)
	}
	if err := n.NotifyAlert(context.Background(), a); err != nil {
		t.Fatalf("third NotifyAlert: %v", err)
	}
	if got := len(srv.received()); got != 1 {
		t.Errorf("%d messages, want 1", got)
	}
	if got := len(m.recorded()); got != 4 {
		t.Errorf("%d Marker calls, want 4 (three failed tries and the retry)", got)
	}
	if st := n.Stats(); st.MarkFailed != 1 || st.Sent != 1 || st.Deduplicated != 2 {
		t.Errorf("Stats %+v, want 1 mark failed, 1 sent, 2 deduplicated", st)
	}
}

// TestMarkOutlivesCancellation cancels the context as the server answers: the page went out,
// so it is marked anyway.
func TestMarkOutlivesCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	m := &marker{}
	cancelling := &cancelMarker{marker: m, cancel: cancel}
	srv := newServer(t)
	n, _ := newTest(t, []Target{Slack{WebhookURL: srv.URL}}, WithMarker(cancelling))
	if err := n.NotifyAnomaly(ctx, testAnomaly()); err != nil {
		t.Fatalf("NotifyAnomaly: %v", err)
	}
	if calls := m.recorded(); len(calls) != 1 {
		t.Errorf("%d marks, want 1", len(calls))
	}
	if cancelling.ctxErr != nil {
		t.Errorf("the Marker's context ended with the caller's: %v", cancelling.ctxErr)
	}
}

// cancelMarker cancels the caller's context before it marks, and records its own context's error.
type cancelMarker struct {
	*marker
	cancel func()
	ctxErr error
}

func (c *cancelMarker) MarkAnomalyNotified(ctx context.Context, id string, at time.Time) error {
	c.cancel()
	c.ctxErr = ctx.Err()
	return c.marker.MarkAnomalyNotified(ctx, id, at)
}

// TestConcurrentNotify delivers the same results from many goroutines at once: each record
// reaches the target exactly once and is marked exactly once.
func TestConcurrentNotify(t *testing.T) {
	srv := newServer(t)
	m := &marker{}
	n, _ := newTest(t, []Target{Webhook{URL: srv.URL}}, WithMarker(m), WithParallelism(3))
	r := resultsOf(5)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if err := n.Notify(context.Background(), r); err != nil {
				t.Errorf("Notify: %v", err)
			}
		})
	}
	wg.Wait()
	want := idsOf(5)
	if got := sorted(srv.ids(t)); !slices.Equal(got, want) {
		t.Errorf("delivered %v, want each of %v once", got, want)
	}
	if got := len(m.recorded()); got != len(want) {
		t.Errorf("%d marks, want %d", got, len(want))
	}
	if st := n.Stats(); st.Sent != uint64(len(want)) || st.Deduplicated != uint64(7*len(want)) {
		t.Errorf("Stats %+v, want %d sent and %d deduplicated", st, len(want), 7*len(want))
	}
}

// TestDedupCapacity checks that the oldest records are forgotten first and the memory stays
// bounded.
func TestDedupCapacity(t *testing.T) {
	srv := newServer(t)
	n, _ := newTest(t, []Target{Webhook{URL: srv.URL}}, WithDedupCapacity(2))
	a, b, c := anomalyOf("a", omen.Critical), anomalyOf("b", omen.Critical), anomalyOf("c", omen.Critical)
	for _, x := range []omen.Anomaly{a, b, c, c, b, a} {
		if err := n.NotifyAnomaly(context.Background(), x); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{a.ID, b.ID, c.ID, a.ID} // a was forgotten when c came
	if got := srv.ids(t); !slices.Equal(got, want) {
		t.Errorf("delivered %v, want %v", got, want)
	}
	if got := n.ledger.len(); got != 2 {
		t.Errorf("ledger holds %d records, want 2", got)
	}
}

// TestFailuresNotRemembered checks that failed records do not take room in the ledger.
func TestFailuresNotRemembered(t *testing.T) {
	srv := newServer(t, reply{status: 400})
	n, _ := newTest(t, []Target{Webhook{URL: srv.URL}})
	if err := n.Notify(context.Background(), resultsOf(4)); err == nil {
		t.Fatal("Notify to a server that answers 400: no error")
	}
	if got := n.ledger.len(); got != 0 {
		t.Errorf("ledger holds %d records after failures only, want 0", got)
	}
	if st := n.Stats(); st.Failed != 8 || st.Retried != 0 {
		t.Errorf("Stats %+v, want 8 failed, none retried", st)
	}
}

// TestNotifyJoinsErrors lets one of three records fail permanently: the others are delivered and
// the error names the failed one only.
func TestNotifyJoinsErrors(t *testing.T) {
	srv := newServer(t)
	bad := newServer(t, reply{status: 410, body: "channel_is_archived"})
	n, _ := newTest(t, []Target{Webhook{URL: srv.URL}, Slack{WebhookURL: bad.URL}})
	r := omen.Results{Anomalies: []omen.Anomaly{anomalyOf("a", omen.Critical), anomalyOf("b", omen.Critical)}}
	err := n.Notify(context.Background(), r)
	var de *DeliveryError
	if !errors.As(err, &de) || de.Target != "slack" || !de.Permanent {
		t.Fatalf("error %v, want a permanent DeliveryError of slack", err)
	}
	if got := strings.Count(err.Error(), "channel_is_archived"); got != 2 {
		t.Errorf("error names %d failures, want 2:\n%v", got, err)
	}
	if got := len(srv.received()); got != 2 {
		t.Errorf("webhook received %d records, want 2", got)
	}
}

// TestInvalidEvents checks that records that cannot be delivered are refused before any request.
func TestInvalidEvents(t *testing.T) {
	srv := newServer(t)
	n, _ := newTest(t, []Target{Slack{WebhookURL: srv.URL}})
	noID, noService := testAlert(), testAnomaly()
	noID.ID, noService.Service = "", ""
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"alert without ID", n.NotifyAlert(context.Background(), noID), "notify: alert without an ID"},
		{"anomaly without service", n.NotifyAnomaly(context.Background(), noService), `notify: anomaly "` + noService.ID + `" without a service`},
		{"alert event without alert", n.Deliver(context.Background(), Event{Kind: KindAlert}), "notify: alert event without its record"},
		{"unknown kind", n.Deliver(context.Background(), Event{Kind: "pattern"}), `notify: unknown event kind "pattern"`},
	}
	for _, c := range cases {
		if c.err == nil || c.err.Error() != c.want {
			t.Errorf("%s: error %v, want %q", c.name, c.err, c.want)
		}
	}
	if got := len(srv.received()); got != 0 {
		t.Errorf("%d requests, want 0", got)
	}
}

// TestWebhookNonFinite checks that a record the webhook cannot encode fails as permanent,
// without a request, while PagerDuty delivers it with null.
func TestWebhookNonFinite(t *testing.T) {
	srv := newServer(t)
	n, _ := newTest(t, []Target{Webhook{URL: srv.URL}})
	a := testAnomaly()
	a.Baseline = math.Inf(1)
	err := n.NotifyAnomaly(context.Background(), a)
	var de *DeliveryError
	if !errors.As(err, &de) || !de.Permanent || de.Attempts != 1 || !strings.Contains(err.Error(), "unsupported value") {
		t.Errorf("error %v, want a permanent DeliveryError of an unsupported value", err)
	}
	if got := len(srv.received()); got != 0 {
		t.Errorf("%d requests, want 0", got)
	}
}

// TestWebhookHeaders checks that extra headers are sent and Content-Type cannot be replaced.
func TestWebhookHeaders(t *testing.T) {
	srv := newServer(t)
	h := map[string][]string{"authorization": {"Bearer t0ken"}, "Content-Type": {"text/plain"}, "X-Team": {"sre", "oncall"}}
	n, _ := newTest(t, []Target{Webhook{URL: srv.URL, Header: h}})
	if err := n.NotifyAlert(context.Background(), testAlert()); err != nil {
		t.Fatal(err)
	}
	got := srv.received()[0].Header
	if got.Get("Authorization") != "Bearer t0ken" || got.Get("Content-Type") != "application/json" ||
		!slices.Equal(got.Values("X-Team"), []string{"sre", "oncall"}) || got.Get("User-Agent") != userAgent {
		t.Errorf("headers %v", got)
	}
}

// TestNew checks that New refuses every invalid setting with a clear error that keeps secrets.
func TestNew(t *testing.T) {
	ok := Slack{WebhookURL: "https://hooks.slack.com/services/T/B/S3CR3T"}
	cases := []struct {
		name    string
		targets []Target
		opts    []Option
		want    string
	}{
		{"no targets", nil, nil, "notify: no targets"},
		{"nil target", []Target{nil}, nil, "notify: target 0 is nil"},
		{"duplicate names", []Target{ok, Slack{WebhookURL: "https://hooks.slack.com/x"}}, nil, `notify: target 1: name "slack" is empty or not unique`},
		{"empty URL", []Target{Slack{}}, nil, "notify: slack: empty webhook URL"},
		{"relative URL", []Target{Webhook{URL: "/hooks/S3CR3T"}}, nil, `notify: webhook: URL "/hooks/…" is not an absolute http(s) URL`},
		{"bad scheme", []Target{Slack{WebhookURL: "ftp://hooks.slack.com/S3CR3T"}}, nil, `notify: slack: webhook URL "ftp://hooks.slack.com/…" is not an absolute http(s) URL`},
		{"unparsable URL", []Target{Slack{WebhookURL: "https://hooks.slack.com/S3CR3T\x7f"}}, nil, "notify: slack: webhook URL is not a valid URL: net/url: invalid control character in URL"},
		{"no routing key", []Target{PagerDuty{}}, nil, "notify: pagerduty: empty routing key"},
		{"bad events URL", []Target{PagerDuty{RoutingKey: "k", EventsURL: "events"}}, nil, `notify: pagerduty: events URL "events" is not an absolute http(s) URL`},
		{"minimum severity", []Target{ok}, []Option{WithMinSeverity("urgent")}, `notify: unknown minimum severity "urgent"`},
		{"attempts", []Target{ok}, []Option{WithAttempts(0)}, "notify: 0 attempts, want at least 1"},
		{"backoff", []Target{ok}, []Option{WithRetryBackoff(time.Second, time.Millisecond)}, "notify: retry backoff [1s, 1ms], want 0 < min ≤ max"},
		{"timeout", []Target{ok}, []Option{WithTimeout(0)}, "notify: request timeout 0s, want a positive duration"},
		{"capacity", []Target{ok}, []Option{WithDedupCapacity(0)}, "notify: de-duplication capacity 0, want at least 1"},
		{"parallelism", []Target{ok}, []Option{WithParallelism(-1)}, "notify: parallelism -1, want at least 1"},
		{"client", []Target{ok}, []Option{WithHTTPClient(nil)}, "notify: nil HTTP client"},
		{"clock", []Target{ok}, []Option{WithClock(nil)}, "notify: nil clock"},
	}
	for _, c := range cases {
		n, err := New(c.targets, c.opts...)
		if err == nil || err.Error() != c.want || n != nil {
			t.Errorf("%s: New = %v, %v; want error %q", c.name, n, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "S3CR3T") {
			t.Errorf("%s: error reveals a secret: %v", c.name, err)
		}
	}
	many := make([]Target, 65)
	for i := range many {
		many[i] = Webhook{URL: "http://example.com", Label: fmt.Sprint(i)}
	}
	if _, err := New(many); err == nil || err.Error() != "notify: 65 targets, at most 64" {
		t.Errorf("65 targets: %v", err)
	}
	if _, err := New(many[:64]); err != nil {
		t.Errorf("64 targets: %v", err)
	}
	if _, err := New([]Target{ok, Slack{WebhookURL: "https://hooks.slack.com/y", Label: "slack-sre"}}); err != nil {
		t.Errorf("two labelled Slack targets: %v", err)
	}
}

// TestLogs checks the structured records of a retried delivery.
func TestLogs(t *testing.T) {
	srv := newServer(t, reply{status: 500}, reply{status: 200})
	var buf strings.Builder
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{&buf, &mu}, &slog.HandlerOptions{Level: slog.LevelDebug,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}}))
	n, _ := newTest(t, []Target{Slack{WebhookURL: srv.URL + "/S3CR3T"}}, WithLogger(logger),
		WithRetryBackoff(time.Second, time.Second))
	a := testAlert()
	if err := n.NotifyAlert(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	if err := n.NotifyAlert(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	got := buf.String()
	mu.Unlock()
	for _, want := range []string{
		`level=WARN msg="notification attempt failed; retrying" kind=alert id=` + a.ID + ` service=checkout target=slack attempt=1 delay=`,
		`error="HTTP 500 Internal Server Error"`,
		`level=DEBUG msg="notification delivered" kind=alert id=` + a.ID + ` service=checkout target=slack attempts=2`,
		`level=DEBUG msg="notification already delivered" kind=alert id=` + a.ID + ` service=checkout`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("logs lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "S3CR3T") {
		t.Errorf("logs reveal the secret:\n%s", got)
	}
}

type lockedWriter struct {
	b  *strings.Builder
	mu *sync.Mutex
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// checkingMarker is a marker that is also a Checker: it knows the records in done, and fails
// its lookups with err.
type checkingMarker struct {
	*marker
	done map[string]bool
	err  error
	asks int
}

func (c *checkingMarker) check(id string) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.asks++
	return c.done[id], c.err
}

func (c *checkingMarker) AlertSent(_ context.Context, id string) (bool, error) { return c.check(id) }

func (c *checkingMarker) AnomalyNotified(_ context.Context, id string) (bool, error) {
	return c.check(id)
}

// TestChecker restarts a service: records an earlier run delivered are skipped, the others are
// sent and marked, and the Checker is asked once per record.
func TestChecker(t *testing.T) {
	srv := newServer(t)
	r := resultsOf(2)
	earlier := r.Anomalies[0].ID
	m := &checkingMarker{marker: &marker{}, done: map[string]bool{earlier: true}}
	n, _ := newTest(t, []Target{Webhook{URL: srv.URL}}, WithMarker(m))
	for range 2 {
		if err := n.Notify(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	want := slices.DeleteFunc(idsOf(2), func(id string) bool { return id == earlier })
	if got := sorted(srv.ids(t)); !slices.Equal(got, want) {
		t.Errorf("delivered %v, want %v", got, want)
	}
	var marked []string
	for _, c := range m.recorded() {
		marked = append(marked, c.ID)
	}
	if got := sorted(marked); !slices.Equal(got, want) {
		t.Errorf("marked %v, want %v", got, want)
	}
	if m.asks != 4 {
		t.Errorf("Checker asked %d times, want 4 (once per record)", m.asks)
	}
	if st := n.Stats(); st.Sent != 3 || st.Deduplicated != 5 {
		t.Errorf("Stats %+v, want 3 sent, 5 deduplicated", st.Counts)
	}
}

// TestCheckerFailure checks that a record is sent when the Checker cannot tell.
func TestCheckerFailure(t *testing.T) {
	srv := newServer(t)
	a := testAnomaly()
	m := &checkingMarker{marker: &marker{}, done: map[string]bool{a.ID: true}, err: errors.New("database unreachable")}
	var logs strings.Builder
	var mu sync.Mutex
	n, _ := newTest(t, []Target{Webhook{URL: srv.URL}}, WithMarker(m),
		WithLogger(slog.New(slog.NewTextHandler(&lockedWriter{&logs, &mu}, nil))))
	if err := n.NotifyAnomaly(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	if got := len(srv.received()); got != 1 {
		t.Errorf("%d requests, want 1", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logs.String(), `level=WARN msg="cannot tell whether the record was delivered before; sending it"`) ||
		!strings.Contains(logs.String(), "database unreachable") {
		t.Errorf("logs lack the Checker's failure:\n%s", logs.String())
	}
}
