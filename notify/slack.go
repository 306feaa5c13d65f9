package notify

import (
	"context"
	"fmt"
	"net/http"

	"github.com/stacklens/omen"
)

// Slack posts to a Slack incoming webhook. The payload has a notification text (the fallback
// shown in notifications and by clients without Block Kit) and one attachment, coloured by
// severity, whose blocks lay the record out; see the package documentation for the exact format.
type Slack struct {
	// WebhookURL is the incoming webhook's URL, https://hooks.slack.com/services/… . It is a
	// secret: errors and logs show only its scheme and host.
	WebhookURL string
	// Label names the target in logs, errors and Stats (default "slack"); set it when a Notifier
	// posts to more than one Slack webhook.
	Label string
}

// Name returns Label, or "slack".
func (s Slack) Name() string {
	if s.Label != "" {
		return s.Label
	}
	return "slack"
}

// Validate checks that WebhookURL is an absolute http(s) URL.
func (s Slack) Validate() error { return checkURL(s.Name(), "webhook URL", s.WebhookURL) }

// NewRequest returns the POST of the Slack message of e to WebhookURL.
func (s Slack) NewRequest(ctx context.Context, e Event) (*http.Request, error) {
	if err := e.validate(); err != nil {
		return nil, fmt.Errorf("notify: %s: %w", s.Name(), err)
	}
	body, err := marshal(slackMessageOf(e))
	if err != nil {
		return nil, fmt.Errorf("notify: %s: encode %s %q: %w", s.Name(), e.Kind, e.ID(), err)
	}
	return newJSONRequest(ctx, s.WebhookURL, body)
}

// Slack's limits on the lengths of texts (in characters).
const (
	slackHeaderMax  = 150  // a header block's plain text
	slackSectionMax = 3000 // a section's text
	slackFieldMax   = 2000 // a section field
	slackTextMax    = 3000 // the notification text (Slack allows more; we keep it readable)
)

// slackMessage is the body of an incoming-webhook post.
type slackMessage struct {
	Text        string            `json:"text"`
	Attachments []slackAttachment `json:"attachments"`
}

type slackAttachment struct {
	Color  string       `json:"color"`
	Blocks []slackBlock `json:"blocks"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Fields   []slackText `json:"fields,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

type slackText struct {
	Type string `json:"type"` // plain_text or mrkdwn
	Text string `json:"text"`
}

// plain is a plain_text object of s, shortened to max characters.
func plain(s string, max int) *slackText { return &slackText{"plain_text", truncate(s, max)} }

// mrkdwn is a mrkdwn object of the text s, escaped and shortened to max characters.
func mrkdwn(s string, max int) *slackText { return &slackText{"mrkdwn", escaped(s, max)} }

// field is a section field: a bold label over its value.
func field(label, value string) slackText {
	head := "*" + label + "*\n"
	return slackText{"mrkdwn", head + escaped(value, slackFieldMax-len(head))}
}

// severityColors are the attachment colours of the severity levels.
var severityColors = map[omen.Severity]string{
	omen.Critical: "#d32f2f",
	omen.High:     "#f57c00",
	omen.Medium:   "#fbc02d",
	omen.Low:      "#1976d2",
}

func colorOf(s omen.Severity) string {
	if c, ok := severityColors[s]; ok {
		return c
	}
	return "#9e9e9e"
}

// slackMessageOf returns the incoming-webhook payload of the valid event e.
func slackMessageOf(e Event) slackMessage {
	if e.Kind == KindAlert {
		return slackAlert(e.Alert)
	}
	return slackAnomaly(e.Anomaly)
}

func slackAlert(a *omen.PredictiveAlert) slackMessage {
	breach := breachText(a)
	text := fmt.Sprintf("[%s] %s: %s predicted to reach %s (threshold %s) %s, %s confidence",
		a.Severity, a.Service, a.Metric, quantity(a.Metric, a.PredictedValue),
		quantity(a.Metric, a.Threshold), breach, percent(a.Confidence))
	description := a.PredictedEvent
	if description == "" {
		description = fmt.Sprintf("%s is forecast to cross %s", a.Metric, quantity(a.Metric, a.Threshold))
	}
	blocks := []slackBlock{
		{Type: "header", Text: plain(fmt.Sprintf("Predicted breach: %s · %s", a.Service, a.Metric), slackHeaderMax)},
		{
			Type: "section",
			Text: mrkdwn(description, slackSectionMax),
			Fields: []slackText{
				field("Service", a.Service),
				field("Metric", a.Metric),
				field("Severity", fmt.Sprintf("%s (score %s, priority %s)", a.Severity, score(a.Score), a.Priority)),
				field("Confidence", percent(a.Confidence)),
				field("Predicted / threshold", fmt.Sprintf("%s / %s (now %s)",
					quantity(a.Metric, a.PredictedValue), quantity(a.Metric, a.Threshold), quantity(a.Metric, a.CurrentValue))),
				field("Time to breach", breach),
			},
		},
	}
	if a.RecommendedAction != "" {
		const head = "*Recommended action*\n"
		blocks = append(blocks, slackBlock{Type: "section",
			Text: &slackText{"mrkdwn", head + escaped(a.RecommendedAction, slackSectionMax-len(head))}})
	}
	blocks = append(blocks, slackBlock{Type: "context", Elements: []slackText{
		*mrkdwn(fmt.Sprintf("alert %s · issued %s", a.ID, slackTime(a.IssuedAt)), slackSectionMax),
	}})
	return slackMessage{
		Text:        escaped(text, slackTextMax),
		Attachments: []slackAttachment{{Color: colorOf(a.Severity), Blocks: blocks}},
	}
}

// breachText writes when the breach is expected, relative to the alert's issue time, with its
// interval and the expected instant: "in about 2 h (90 % range 1–3 h), at 2026-11-26 03:00 UTC".
func breachText(a *omen.PredictiveAlert) string {
	s := a.TimeToBreach()
	if s == "" {
		return "at an unknown time"
	}
	return s + ", at " + slackTime(a.ExpectedBreach)
}

func slackAnomaly(a *omen.Anomaly) slackMessage {
	text := fmt.Sprintf("[%s] %s: %s in %s, %s against a baseline of %s (%s), score %s, %s confidence",
		a.Severity, a.Service, a.Type, a.Metric, quantity(a.Metric, a.Value), quantity(a.Metric, a.Baseline),
		signedPercent(a.DeviationPercent), score(a.Score), percent(a.Confidence))
	description := a.Description
	if description == "" {
		description = fmt.Sprintf("%s anomaly in %s", a.Type, a.Metric)
	}
	blocks := []slackBlock{
		{Type: "header", Text: plain(fmt.Sprintf("Anomaly: %s · %s", a.Service, a.Metric), slackHeaderMax)},
		{
			Type: "section",
			Text: mrkdwn(description, slackSectionMax),
			Fields: []slackText{
				field("Service", a.Service),
				field("Metric", a.Metric),
				field("Type", string(a.Type)),
				field("Severity", fmt.Sprintf("%s (score %s)", a.Severity, score(a.Score))),
				field("Value / baseline", fmt.Sprintf("%s / %s (%s)",
					quantity(a.Metric, a.Value), quantity(a.Metric, a.Baseline), signedPercent(a.DeviationPercent))),
				field("Confidence", percent(a.Confidence)),
			},
		},
		{Type: "context", Elements: []slackText{
			*mrkdwn(fmt.Sprintf("anomaly %s · window %s", a.ID, slackTime(a.Timestamp)), slackSectionMax),
		}},
	}
	return slackMessage{
		Text:        escaped(text, slackTextMax),
		Attachments: []slackAttachment{{Color: colorOf(a.Severity), Blocks: blocks}},
	}
}
