package notify

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestRetries scripts a server's answers and checks how many requests one delivery makes, the
// waits between them, the counters and the error.
func TestRetries(t *testing.T) {
	now := time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC)
	cases := []struct {
		name      string
		script    []reply
		requests  int
		waits     []time.Duration // exact waits; nil: each within the backoff's bounds
		ok        bool
		permanent bool
		status    int // of the StatusError, when not ok; 0 for none
	}{
		{name: "success", script: []reply{{status: 200}}, requests: 1, waits: []time.Duration{}, ok: true},
		{name: "202 accepted", script: []reply{{status: 202, body: `{"status":"success"}`}}, requests: 1, waits: []time.Duration{}, ok: true},
		{name: "500 then success", script: []reply{{status: 500}, {status: 502}, {status: 200}}, requests: 3, ok: true},
		{name: "500 always", script: []reply{{status: 500, body: "boom"}}, requests: 4, status: 500},
		{name: "429 with Retry-After seconds",
			script:   []reply{{status: 429, header: map[string]string{"Retry-After": "7"}}, {status: 200}},
			requests: 2, waits: []time.Duration{7 * time.Second}, ok: true},
		{name: "503 with Retry-After date",
			script:   []reply{{status: 503, header: map[string]string{"Retry-After": now.Add(45 * time.Second).Format(http.TimeFormat)}}, {status: 200}},
			requests: 2, waits: []time.Duration{45 * time.Second}, ok: true},
		{name: "429 with Retry-After beyond the longest backoff",
			script:   []reply{{status: 429, header: map[string]string{"Retry-After": "3600"}}},
			requests: 1, waits: []time.Duration{}, status: 429},
		{name: "429 with invalid Retry-After", script: []reply{{status: 429, header: map[string]string{"Retry-After": "soon"}}, {status: 200}}, requests: 2, ok: true},
		{name: "400 not retried", script: []reply{{status: 400, body: "invalid_payload\n"}}, requests: 1, waits: []time.Duration{}, permanent: true, status: 400},
		{name: "404 not retried", script: []reply{{status: 404, body: "no_service"}}, requests: 1, waits: []time.Duration{}, permanent: true, status: 404},
		{name: "Retry-After of a 400 ignored", script: []reply{{status: 400, header: map[string]string{"Retry-After": "1"}}}, requests: 1, waits: []time.Duration{}, permanent: true, status: 400},
	}
	const attempts = 4
	backoffMin, backoffMax := 100*time.Millisecond, time.Minute
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := newServer(t, c.script...)
			n, sl := newTest(t, []Target{Slack{WebhookURL: srv.URL}}, WithAttempts(attempts),
				WithRetryBackoff(backoffMin, backoffMax), WithClock(func() time.Time { return now }))
			err := n.NotifyAlert(context.Background(), testAlert())
			if got := len(srv.received()); got != c.requests {
				t.Errorf("%d requests, want %d", got, c.requests)
			}
			waits := sl.recorded()
			if c.waits != nil {
				if !slices.Equal(waits, c.waits) && !(len(waits) == 0 && len(c.waits) == 0) {
					t.Errorf("waits %v, want %v", waits, c.waits)
				}
			} else {
				for k, w := range waits {
					d := min(backoffMax, backoffMin<<k)
					if w < d/2 || w > d {
						t.Errorf("wait %d is %v, want within [%v, %v]", k+1, w, d/2, d)
					}
				}
			}
			st := n.Stats()
			if st.Retried != uint64(len(waits)) {
				t.Errorf("Stats.Retried %d, want %d", st.Retried, len(waits))
			}
			if c.ok {
				if err != nil {
					t.Fatalf("NotifyAlert: %v", err)
				}
				if st.Sent != 1 || st.Failed != 0 {
					t.Errorf("Stats %+v, want 1 sent, 0 failed", st)
				}
				return
			}
			var de *DeliveryError
			if !errors.As(err, &de) {
				t.Fatalf("error %v (%T), want a *DeliveryError", err, err)
			}
			if de.Permanent != c.permanent || de.Attempts != c.requests || de.Target != "slack" ||
				de.Kind != KindAlert || de.ID != testAlert().ID {
				t.Errorf("DeliveryError %+v, want permanent %v after %d attempts to slack of alert %s",
					de, c.permanent, c.requests, testAlert().ID)
			}
			var se *StatusError
			if !errors.As(err, &se) || se.StatusCode != c.status {
				t.Errorf("error %v, want a StatusError %d", err, c.status)
			}
			if st.Sent != 0 || st.Failed != 1 {
				t.Errorf("Stats %+v, want 0 sent, 1 failed", st)
			}
		})
	}
}

// TestStatusErrorText checks that the error names the status and the body's diagnosis.
func TestStatusErrorText(t *testing.T) {
	srv := newServer(t, reply{status: 400, body: `{"status":"invalid event","errors":["'routing_key' is invalid"]}`})
	n, _ := newTest(t, []Target{PagerDuty{RoutingKey: "k", EventsURL: srv.URL}})
	err := n.NotifyAnomaly(context.Background(), testAnomaly())
	want := `notify: deliver anomaly "` + testAnomaly().ID + `" to pagerduty (1 attempts): HTTP 400 Bad Request: {"status":"invalid event","errors":["'routing_key' is invalid"]}`
	if err == nil || err.Error() != want {
		t.Errorf("error\n %v\nwant\n %s", err, want)
	}
}

// TestNetworkErrors delivers to a closed server: every attempt fails, is retried, and the error
// does not reveal the webhook's secret path.
func TestNetworkErrors(t *testing.T) {
	srv := newServer(t)
	url := srv.URL + "/services/T000/B000/S3CR3T"
	srv.Close()
	n, sl := newTest(t, []Target{Slack{WebhookURL: url}}, WithAttempts(3), WithRetryBackoff(time.Millisecond, time.Millisecond))
	err := n.NotifyAlert(context.Background(), testAlert())
	var de *DeliveryError
	if !errors.As(err, &de) || de.Attempts != 3 || de.Permanent {
		t.Fatalf("error %v, want a temporary DeliveryError after 3 attempts", err)
	}
	if strings.Contains(err.Error(), "S3CR3T") {
		t.Errorf("error reveals the webhook's secret: %v", err)
	}
	if !strings.Contains(err.Error(), "POST http://127.0.0.1") {
		t.Errorf("error %v does not name the host", err)
	}
	if got := len(sl.recorded()); got != 2 {
		t.Errorf("%d waits, want 2", got)
	}
}

// TestRequestTimeout lets a server hang: each attempt ends at the request timeout, is retried,
// and the error wraps context.DeadlineExceeded.
func TestRequestTimeout(t *testing.T) {
	srv := newServer(t, reply{hang: true})
	n, _ := newTest(t, []Target{Webhook{URL: srv.URL}}, WithAttempts(2), WithTimeout(20*time.Millisecond))
	err := n.NotifyAnomaly(context.Background(), testAnomaly())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v, want one wrapping context.DeadlineExceeded", err)
	}
	if got := len(srv.received()); got != 2 {
		t.Errorf("%d requests, want 2", got)
	}
}

// TestCancelDuringRequest cancels the context while the server holds the request.
func TestCancelDuringRequest(t *testing.T) {
	srv := newServer(t, reply{hang: true}, reply{status: 200})
	m := &marker{}
	n, _ := newTest(t, []Target{Slack{WebhookURL: srv.URL}}, WithMarker(m))
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for len(srv.received()) == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	err := n.NotifyAlert(ctx, testAlert())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want one wrapping context.Canceled", err)
	}
	if got := len(srv.received()); got != 1 {
		t.Errorf("%d requests, want 1", got)
	}
	if calls := m.recorded(); len(calls) != 0 {
		t.Errorf("marked %v after a cancelled delivery", calls)
	}
	// The record was not delivered, so it is not remembered: a later call sends it.
	if err := n.NotifyAlert(context.Background(), testAlert()); err != nil {
		t.Fatalf("NotifyAlert after the cancellation: %v", err)
	}
	if got := len(srv.received()); got != 2 {
		t.Errorf("%d requests, want 2", got)
	}
	if calls := m.recorded(); len(calls) != 1 {
		t.Errorf("%d marks, want 1", len(calls))
	}
}

// TestCancelDuringBackoff cancels the context while a delivery waits (for real, an hour) to
// retry.
func TestCancelDuringBackoff(t *testing.T) {
	srv := newServer(t, reply{status: 503})
	n, err := New([]Target{Slack{WebhookURL: srv.URL}}, WithRetryBackoff(time.Hour, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n.sleep = func(ctx context.Context, d time.Duration) error {
		cancel() // the first attempt has failed: cancel while waiting
		return sleep(ctx, d)
	}
	err = n.NotifyAlert(ctx, testAlert())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want one wrapping context.Canceled", err)
	}
	if !strings.Contains(err.Error(), "HTTP 503") {
		t.Errorf("error %v does not report the last attempt", err)
	}
	if got := len(srv.received()); got != 1 {
		t.Errorf("%d requests, want 1", got)
	}
}

func TestSleep(t *testing.T) {
	if err := sleep(context.Background(), time.Microsecond); err != nil {
		t.Errorf("sleep: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("sleep with an ended context: %v", err)
	}
}

// TestCancelledBeforeNotify hands Notify a context that has already ended: nothing is sent and
// the error says how many records were left.
func TestCancelledBeforeNotify(t *testing.T) {
	srv := newServer(t)
	n, _ := newTest(t, []Target{Slack{WebhookURL: srv.URL}}, WithParallelism(1))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := n.Notify(ctx, resultsOf(3))
	if !errors.Is(err, context.Canceled) || err.Error() != "notify: 6 records not attempted: context canceled" {
		t.Fatalf("error %v, want 6 records not attempted, wrapping context.Canceled", err)
	}
	if got := len(srv.received()); got != 0 {
		t.Errorf("%d requests after cancellation, want 0", got)
	}
}

func TestBackoffBounds(t *testing.T) {
	n, _ := newTest(t, []Target{Slack{WebhookURL: "https://hooks.slack.com/services/x"}},
		WithRetryBackoff(100*time.Millisecond, time.Second))
	for k, d := range []time.Duration{100, 200, 400, 800, 1000, 1000, 1000} {
		d *= time.Millisecond
		for range 200 {
			if w := n.backoff(k + 1); w < d/2 || w > d {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", k+1, w, d/2, d)
			}
		}
	}
	// A huge retry count neither overflows nor exceeds the maximum.
	if w := n.backoff(1 << 20); w < 500*time.Millisecond || w > time.Second {
		t.Errorf("backoff(2^20) = %v", w)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC)
	cases := []struct {
		header string
		want   time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"-5", 0},
		{" 12 ", 12 * time.Second},
		{"1.5", 0},
		{"later", 0},
		{"99999999999999999999", 0}, // out of int64: invalid
		{"9223372036", 9223372036 * time.Second},
		{now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second},
		{now.Add(-30 * time.Second).Format(http.TimeFormat), 0},
		{"Thursday, 26-Nov-26 02:01:00 GMT", time.Minute}, // RFC 850
	}
	for _, c := range cases {
		if got := retryAfter(c.header, now); got != c.want {
			t.Errorf("retryAfter(%q) = %v, want %v", c.header, got, c.want)
		}
	}
}

// TestRedirectsNotFollowed: a redirect is a failed delivery, not retried — followed, a 302 turned
// the POST into a GET whose 200 counted as delivered, and a 307 re-sent the body (a PagerDuty
// routing key in it) to another host. A client given with WithHTTPClient does not follow either.
func TestRedirectsNotFollowed(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	for _, code := range []int{http.StatusFound, http.StatusTemporaryRedirect} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+"/moved", code)
		}))
		for _, opts := range [][]Option{nil, {WithHTTPClient(&http.Client{})}} {
			n, _ := newTest(t, []Target{Slack{WebhookURL: srv.URL + "/hook"}}, append(opts, WithAttempts(3))...)
			err := n.NotifyAlert(context.Background(), testAlert())
			var se *StatusError
			var de *DeliveryError
			if !errors.As(err, &se) || se.StatusCode != code || !errors.As(err, &de) || !de.Permanent || de.Attempts != 1 {
				t.Errorf("redirect %d: %v, want a permanent StatusError %d after one attempt", code, err, code)
			}
		}
		srv.Close()
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the redirect target got %d requests", n)
	}
}

// TestRetryCutShortIsNotCounted: a retry that ctx ends during its backoff was never made, and
// Stats.Retried ("attempts after the first") does not count it (it once did).
func TestRetryCutShortIsNotCounted(t *testing.T) {
	srv := newServer(t, reply{status: 503})
	n, sl := newTest(t, []Target{Slack{WebhookURL: srv.URL}}, WithAttempts(4))
	ctx, cancel := context.WithCancel(context.Background())
	n.sleep = func(ctx context.Context, d time.Duration) error {
		cancel() // the context ends while the retry waits
		return sl.sleep(ctx, d)
	}
	if err := n.NotifyAlert(ctx, testAlert()); err == nil {
		t.Fatal("delivered")
	}
	if st := n.Stats(); len(srv.received()) != 1 || st.Retried != 0 || st.Failed != 1 {
		t.Errorf("%d requests, stats %+v; want 1 request, no retry, 1 failure", len(srv.received()), st)
	}
}
