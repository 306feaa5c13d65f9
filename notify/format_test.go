package notify

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestQuantity(t *testing.T) {
	cases := []struct {
		metric string
		v      float64
		want   string
	}{
		{"latency_p99_ms", 512.375, "512.4 ms"},
		{"latency_p99_ms", 1840, "1840 ms"},
		{"latency_p99_ms", 123456.7, "123457 ms"},
		{"error_rate", 0.82, "0.82 %"},
		{"error_rate", 7.5, "7.5 %"},
		{"risk_score", 0.00001234, "0.00001234"},
		{"error_rate", 1.23456789e-5, "0.00001235 %"}, // four significant digits (all of them once)
		{"risk_score", 1e-5, "0.00001"},
		{"total_requests", 1e9, "1000000000"},
		{"total_requests", -2500.5, "-2501"}, // math.Round rounds half away from zero
		{"unique_users", 0, "0"},
		{"latency_mean_ms", math.NaN(), "n/a"},
		{"latency_mean_ms", math.Inf(-1), "n/a"},
	}
	for _, c := range cases {
		if got := quantity(c.metric, c.v); got != c.want {
			t.Errorf("quantity(%q, %v) = %q, want %q", c.metric, c.v, got, c.want)
		}
	}
}

func TestPercents(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{percent(0.873), "87.3 %"},
		{percent(1), "100 %"},
		{percent(0.99949), "99.9 %"},
		{percent(0), "0 %"},
		{percent(math.NaN()), "n/a"},
		{signedPercent(814.634), "+814.6 %"},
		{signedPercent(-35.55), "-35.6 %"},
		{signedPercent(0), "+0 %"},
		{signedPercent(math.Inf(1)), "n/a"},
		{score(78.6), "79"},
		{score(math.NaN()), "n/a"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestTruncate(t *testing.T) {
	cases := []struct {
		s    string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"eleven chars", 10, "eleven ch…"},
		{"ääääää", 4, "äää…"},
		{"abc", 0, ""},
		{"ab\xffcd", 10, "ab\uFFFDcd"},
	}
	for _, c := range cases {
		if got := truncate(c.s, c.n); got != c.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", c.s, c.n, got, c.want)
		}
	}
}

func TestEscaped(t *testing.T) {
	cases := []struct {
		s    string
		n    int
		want string
	}{
		{"a < b & c > d", 100, "a &lt; b &amp; c &gt; d"},
		{"<!channel>", 100, "&lt;!channel&gt;"},
		// Shortened before escaping, so no escape sequence is cut: "a&b&c" fits only as "a&amp;…".
		{"a&b&c", 7, "a&amp;…"},
		{"&&&&", 5, "…"},
		{"&&&&", 0, ""},
	}
	for _, c := range cases {
		got := escaped(c.s, c.n)
		if got != c.want {
			t.Errorf("escaped(%q, %d) = %q, want %q", c.s, c.n, got, c.want)
		}
		if utf8.RuneCountInString(got) > c.n {
			t.Errorf("escaped(%q, %d) has %d characters", c.s, c.n, utf8.RuneCountInString(got))
		}
	}
}

// TestLimits builds payloads of records with huge texts: every text stays within its service's
// limit, is valid UTF-8, and no escape sequence is cut.
func TestLimits(t *testing.T) {
	long := strings.Repeat("päyment <svc> & ", 400) // 6,400 characters, multi-byte, to escape
	al, an := testAlert(), testAnomaly()
	al.Service, al.PredictedEvent, al.RecommendedAction = long, long, long
	an.Service, an.Description = long, long

	for _, e := range []Event{AlertEvent(&al), AnomalyEvent(&an)} {
		var pd pagerDutyEvent
		decode(t, PagerDuty{RoutingKey: "k"}, e, &pd)
		if n := utf8.RuneCountInString(pd.Payload.Summary); n != pagerDutySummaryMax || !strings.HasSuffix(pd.Payload.Summary, "…") {
			t.Errorf("%s: PagerDuty summary of %d characters, want %d ending in …", e.Kind, n, pagerDutySummaryMax)
		}

		var msg slackMessage
		decode(t, Slack{WebhookURL: "https://hooks.slack.com/x"}, e, &msg)
		check := func(where, text string, max int) {
			if n := utf8.RuneCountInString(text); n > max {
				t.Errorf("%s: %s has %d characters, more than %d", e.Kind, where, n, max)
			}
			if !utf8.ValidString(text) {
				t.Errorf("%s: %s is not valid UTF-8", e.Kind, where)
			}
			// Every text but the header (plain text) is escaped mrkdwn.
			if i := strings.LastIndexByte(text, '&'); where != "header" && i >= 0 && !strings.Contains(text[i:], ";") {
				t.Errorf("%s: %s ends in a cut escape sequence: %q", e.Kind, where, text[i:])
			}
		}
		check("text", msg.Text, slackTextMax)
		for _, b := range msg.Attachments[0].Blocks {
			switch b.Type {
			case "header":
				check("header", b.Text.Text, slackHeaderMax)
			case "section":
				check("section", b.Text.Text, slackSectionMax)
				for _, f := range b.Fields {
					check("field", f.Text, slackFieldMax)
				}
			}
		}
	}
}

// decode builds t's request for e and decodes its body into dst.
func decode(t *testing.T, target Target, e Event, dst any) {
	t.Helper()
	req, err := target.NewRequest(context.Background(), e)
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(body, dst); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
}

func TestRedact(t *testing.T) {
	for _, c := range []struct{ raw, want string }{
		{"https://hooks.slack.com/services/T0/B0/SECRET", "https://hooks.slack.com/…"},
		{"https://events.pagerduty.com", "https://events.pagerduty.com"},
		{"http://127.0.0.1:8080/?token=SECRET", "http://127.0.0.1:8080/…"},
		{"hooks.slack.com/services/T0/B0/SECRET", "hooks.slack.com/…"},
		{"/hooks/SECRET", "/hooks/…"},
		{"events", "events"},
		{"ftp://files.example.com/SECRET", "ftp://files.example.com/…"},
		{"mailto:oncall@example.com", "mailto:"},
	} {
		u, err := url.Parse(c.raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := redact(u); got != c.want {
			t.Errorf("redact(%q) = %q, want %q", c.raw, got, c.want)
		}
	}
}
