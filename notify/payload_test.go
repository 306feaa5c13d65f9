package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stacklens/omen"
)

var update = flag.Bool("update", false, "rewrite the golden payloads in testdata/")

// TestPayloadsGolden delivers each fixture to each target through a local server and compares
// the body received, indented, with testdata/<name>.json. The golden files were written by
// `go test ./notify -run TestPayloadsGolden -update` and checked by hand against the Slack Block
// Kit reference and the PagerDuty Events API v2 reference.
func TestPayloadsGolden(t *testing.T) {
	nanAlert := testAlert()
	nanAlert.BaselineValue = math.NaN()
	nanAlert.PredictedEvent, nanAlert.RecommendedAction = "", ""
	nanAlert.Severity, nanAlert.Priority = omen.Medium, omen.Warning
	hostile := testAnomaly()
	hostile.Service = "<!channel> & co"
	hostile.Type, hostile.Severity, hostile.Contributions = omen.Spike, omen.High, nil
	hostile.Description = "*bold* <https://evil.example|click> & more"

	cases := []struct {
		name   string
		target func(url string) Target
		event  Event
	}{
		{"slack_alert", slackAt, AlertEvent(ptr(testAlert()))},
		{"slack_anomaly", slackAt, AnomalyEvent(ptr(testAnomaly()))},
		{"slack_alert_sparse", slackAt, AlertEvent(&nanAlert)},
		{"slack_anomaly_escaped", slackAt, AnomalyEvent(&hostile)},
		{"pagerduty_alert", pagerDutyAt, AlertEvent(ptr(testAlert()))},
		{"pagerduty_anomaly", pagerDutyAt, AnomalyEvent(ptr(testAnomaly()))},
		{"pagerduty_alert_sparse", pagerDutyAt, AlertEvent(&nanAlert)},
		{"pagerduty_anomaly_high", pagerDutyAt, AnomalyEvent(&hostile)},
		{"webhook_alert", webhookAt, AlertEvent(ptr(testAlert()))},
		{"webhook_anomaly", webhookAt, AnomalyEvent(ptr(testAnomaly()))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := newServer(t)
			n, _ := newTest(t, []Target{c.target(srv.URL + "/hook/SECRET")})
			if err := n.Deliver(context.Background(), c.event); err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			reqs := srv.received()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != "POST" || r.Path != "/hook/SECRET" || r.Header.Get("Content-Type") != "application/json" {
				t.Errorf("request %s %s (Content-Type %q), want POST /hook/SECRET (application/json)",
					r.Method, r.Path, r.Header.Get("Content-Type"))
			}
			var got bytes.Buffer
			if err := json.Indent(&got, r.Body, "", "  "); err != nil {
				t.Fatalf("body is not JSON: %v\n%s", err, r.Body)
			}
			got.WriteByte('\n')
			path := filepath.Join("testdata", c.name+".json")
			if *update {
				if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("payload differs from %s:\n got %s\nwant %s", path, got.Bytes(), want)
			}
		})
	}
}

func slackAt(url string) Target     { return Slack{WebhookURL: url} }
func pagerDutyAt(url string) Target { return PagerDuty{RoutingKey: "R0UT1NGK3Y", EventsURL: url} }
func webhookAt(url string) Target   { return Webhook{URL: url} }

func ptr[T any](v T) *T { return &v }

func TestPagerDutySeverity(t *testing.T) {
	for s, want := range map[omen.Severity]string{
		omen.Critical: "critical", omen.High: "error", omen.Medium: "warning", omen.Low: "info", "": "info",
	} {
		if got := pagerDutySeverity(s); got != want {
			t.Errorf("pagerDutySeverity(%q) = %q, want %q", s, got, want)
		}
	}
}

// TestTargetsRefuseInvalidEvents calls each target directly with events it cannot deliver.
func TestTargetsRefuseInvalidEvents(t *testing.T) {
	targets := []Target{Slack{WebhookURL: "https://hooks.slack.com/x", Label: "sre"},
		PagerDuty{RoutingKey: "k", Label: "pd"}, Webhook{URL: "https://example.com", Label: "hook"}}
	noService := testAnomaly()
	noService.Service = ""
	for _, target := range targets {
		for _, e := range []Event{{Kind: KindAlert}, {Kind: KindAnomaly}, {Kind: "pattern"}, AnomalyEvent(&noService)} {
			req, err := target.NewRequest(context.Background(), e)
			prefix := "notify: " + target.Name() + ": "
			if req != nil || err == nil || !strings.HasPrefix(err.Error(), prefix) || strings.Count(err.Error(), "notify:") != 1 {
				t.Errorf("%s.NewRequest(%+v) = %v, %v; want an error naming the target", target.Name(), e, req, err)
			}
		}
	}
}

// TestSparseRecords checks the texts of records with missing fields.
func TestSparseRecords(t *testing.T) {
	al := testAlert()
	al.ExpectedBreach = time.Time{}
	if got := breachText(&al); got != "at an unknown time" {
		t.Errorf("breachText without an expected breach = %q", got)
	}
	al = testAlert()
	al.BreachEarliest, al.BreachLatest = time.Time{}, time.Time{}
	if got, want := breachText(&al), "in about 2 h, at 2026-11-26 03:00 UTC"; got != want {
		t.Errorf("breachText without a range = %q, want %q", got, want)
	}
	an := testAnomaly()
	an.Description, an.Severity = "", "unknown"
	msg := slackAnomaly(&an)
	if got, want := msg.Attachments[0].Blocks[1].Text.Text, "outlier anomaly in error_rate"; got != want {
		t.Errorf("section of an anomaly without description = %q, want %q", got, want)
	}
	if got, want := msg.Attachments[0].Color, "#9e9e9e"; got != want {
		t.Errorf("colour of an unknown severity = %q, want %q", got, want)
	}
	if e := (Event{Kind: KindAlert}); e.ID() != "" || e.Service() != "" {
		t.Errorf("an empty event has ID %q and service %q", e.ID(), e.Service())
	}
}
