package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"time"

	"github.com/stacklens/omen"
	"github.com/stacklens/omen/notify"
)

var window = time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)

// results is what one window produced: a critical anomaly, a medium one, and a predictive alert.
func results() omen.Results {
	critical := omen.Anomaly{
		ID: omen.RecordID("payments", "anomaly/spike", "error_rate", window), Service: "payments",
		Type: omen.Spike, Severity: omen.Critical, Score: 92, Timestamp: window, Metric: "error_rate",
		Value: 7.5, Baseline: 0.8, DeviationPercent: 837.5, Confidence: 0.9,
		Description: "error_rate jumped to 7.5 %",
	}
	medium := critical
	medium.ID, medium.Severity, medium.Metric = omen.RecordID("payments", "anomaly/spike", "latency_p99_ms", window), omen.Medium, "latency_p99_ms"
	alert := omen.PredictiveAlert{
		ID: omen.RecordID("checkout", "predictive_alert/critical", "latency_p99_ms", window), Service: "checkout",
		Metric: "latency_p99_ms", PredictionType: "threshold_breach", Confidence: 0.87, IssuedAt: window,
		ExpectedBreach: window.Add(2 * time.Hour), BreachEarliest: window.Add(time.Hour), BreachLatest: window.Add(3 * time.Hour),
		PredictedValue: 512, Threshold: 500, CurrentValue: 430, Severity: omen.High, Priority: omen.Warning,
		Status: omen.Pending,
	}
	return omen.Results{Anomalies: []omen.Anomaly{critical, medium}, Alerts: []omen.PredictiveAlert{alert}}
}

// receiver is a local stand-in for PagerDuty's Events API: it prints each event it receives.
func receiver() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			EventAction string `json:"event_action"`
			DedupKey    string `json:"dedup_key"`
			Payload     struct {
				Summary, Severity, Source, Component, Class string
			} `json:"payload"`
		}
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &ev); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Printf("%s %s (%s/%s, %s): %s\n", ev.EventAction, ev.Payload.Severity, ev.Payload.Source,
			ev.Payload.Component, ev.Payload.Class, ev.Payload.Summary)
		w.WriteHeader(http.StatusAccepted)
	}))
}

// Notify delivers the critical anomaly and the pending alert of a window's results; delivering
// the same results again sends nothing.
func Example() {
	pd := receiver()
	defer pd.Close()

	n, err := notify.New([]notify.Target{notify.PagerDuty{RoutingKey: "R0UT1NGK3Y", EventsURL: pd.URL}},
		notify.WithParallelism(1)) // one record at a time, for a stable output
	if err != nil {
		panic(err)
	}
	for range 2 { // a redelivery of the same window
		if err := n.Notify(context.Background(), results()); err != nil {
			fmt.Println(err)
		}
	}
	st := n.Stats()
	fmt.Printf("sent %d, deduplicated %d, failed %d\n", st.Sent, st.Deduplicated, st.Failed)
	// Output:
	// trigger critical (payments/error_rate, spike): [critical] payments: spike in error_rate, 7.5 % against a baseline of 0.8 % (+837.5 %): error_rate jumped to 7.5 %
	// trigger error (checkout/latency_p99_ms, threshold_breach): [high] checkout: latency_p99_ms predicted to reach 512 ms (threshold 500 ms) in about 2 h (90 % range 1–3 h), at 2026-11-26 03:00 UTC, 87 % confidence
	// sent 2, deduplicated 2, failed 0
}

// A Slack webhook that rejects the message fails at once, with Slack's reason; one that is
// briefly unavailable is retried.
func ExampleSlack() {
	var calls atomic.Int32
	slack := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1:
			http.Error(w, "service unavailable", http.StatusServiceUnavailable)
		case 2:
			fmt.Fprint(w, "ok")
		default:
			http.Error(w, "channel_is_archived", http.StatusGone)
		}
	}))
	defer slack.Close()

	n, err := notify.New([]notify.Target{notify.Slack{WebhookURL: slack.URL + "/services/T0/B0/SECRET"}},
		notify.WithRetryBackoff(10*time.Millisecond, time.Second))
	if err != nil {
		panic(err)
	}
	r := results()
	fmt.Println("first:", n.NotifyAnomaly(context.Background(), r.Anomalies[0]))
	err = n.NotifyAlert(context.Background(), r.Alerts[0])
	var de *notify.DeliveryError
	if errors.As(err, &de) {
		fmt.Println("second: permanent:", de.Permanent)
		fmt.Println(err)
	}
	fmt.Printf("%d requests, %+v\n", calls.Load(), n.Stats().Counts)
	// Output:
	// first: <nil>
	// second: permanent: true
	// notify: deliver alert "f4d3ae988c59b398b73fe65413ec7ee3" to slack (1 attempts): HTTP 410 Gone: channel_is_archived
	// 3 requests, {Sent:1 Failed:1 Retried:1 Deduplicated:0}
}

// printMarker is a Marker that prints its calls; a *pgadapter.Store sets alert_sent and
// alert_sent_at, or notified_at, instead.
type printMarker struct{}

func (printMarker) MarkAlertSent(_ context.Context, id string, at time.Time) error {
	fmt.Println("alert sent:", id, at.Format(time.RFC3339))
	return nil
}

func (printMarker) MarkAnomalyNotified(_ context.Context, id string, at time.Time) error {
	fmt.Println("anomaly notified:", id, at.Format(time.RFC3339))
	return nil
}

// A Marker records each record once every target has it.
func ExampleWithMarker() {
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer hook.Close()

	clock := func() time.Time { return window.Add(5 * time.Minute) }
	n, err := notify.New([]notify.Target{notify.Webhook{URL: hook.URL}},
		notify.WithMarker(printMarker{}), notify.WithClock(clock), notify.WithParallelism(1))
	if err != nil {
		panic(err)
	}
	if err := n.Notify(context.Background(), results()); err != nil {
		fmt.Println(err)
	}
	// Output:
	// anomaly notified: 94fc4f83e8337b6f8d3ecef6d8823610 2026-11-26T01:05:00Z
	// alert sent: f4d3ae988c59b398b73fe65413ec7ee3 2026-11-26T01:05:00Z
}

// A Webhook posts the record as the pipeline publishes it, with the headers given.
func ExampleWebhook() {
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Kind   string
			Record struct {
				AnomalyID string `json:"anomaly_id"`
				Service   string
				Severity  string
			}
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Println(r.Header.Get("Authorization"), body.Kind, body.Record.AnomalyID, body.Record.Service, body.Record.Severity)
	}))
	defer hook.Close()

	target := notify.Webhook{URL: hook.URL, Header: http.Header{"Authorization": {"Bearer t0ken"}}}
	n, err := notify.New([]notify.Target{target})
	if err != nil {
		panic(err)
	}
	if err := n.NotifyAnomaly(context.Background(), results().Anomalies[0]); err != nil {
		fmt.Println(err)
	}
	// Output:
	// Bearer t0ken anomaly 94fc4f83e8337b6f8d3ecef6d8823610 payments critical
}

// New checks the targets and the options; an error never shows a webhook's secret path.
func ExampleNew() {
	_, err := notify.New([]notify.Target{notify.Slack{WebhookURL: "hooks.slack.com/services/T0/B0/SECRET"}})
	fmt.Println(err, strings.Contains(err.Error(), "SECRET"))
	_, err = notify.New([]notify.Target{notify.PagerDuty{}})
	fmt.Println(err)
	_, err = notify.New([]notify.Target{notify.PagerDuty{RoutingKey: "k"}}, notify.WithMinSeverity("urgent"))
	fmt.Println(err)
	// Output:
	// notify: slack: webhook URL "hooks.slack.com/…" is not an absolute http(s) URL false
	// notify: pagerduty: empty routing key
	// notify: unknown minimum severity "urgent"
}
