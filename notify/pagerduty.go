package notify

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/stacklens/omen"
)

// DefaultPagerDutyURL is the endpoint of PagerDuty's Events API v2.
const DefaultPagerDutyURL = "https://events.pagerduty.com/v2/enqueue"

// PagerDuty triggers incidents through PagerDuty's Events API v2. PagerDuty folds a trigger
// whose dedup_key matches an open alert (acknowledged ones included) into that alert instead of
// paging again. A predictive alert's dedup_key is its ID: the Alerter raises one alert per metric
// and threshold until it materializes or expires. An anomaly's names its problem and a span of
// time: the critical anomalies of an incident's successive windows join
// the page of the first instead of opening an incident each. See the package documentation for
// the exact format.
type PagerDuty struct {
	// RoutingKey is the integration key of the PagerDuty service (a secret).
	RoutingKey string
	// EventsURL is the Events API endpoint (default DefaultPagerDutyURL).
	EventsURL string
	// Label names the target in logs, errors and Stats (default "pagerduty").
	Label string
	// GroupWindow is the span over which the anomalies of one problem (service, metric, type)
	// share a PagerDuty alert (default DefaultPagerDutyGroupWindow; negative: every anomaly
	// pages on its own). The spans are aligned on UTC midnight when they divide a day; an
	// incident that crosses a boundary pages again, and a problem that recurs within a span while
	// its alert is still open is not paged anew.
	GroupWindow time.Duration
}

// DefaultPagerDutyGroupWindow is PagerDuty.GroupWindow's default.
const DefaultPagerDutyGroupWindow = 6 * time.Hour

// pagerDutyDedupMax is the Events API's limit on dedup_key (255 characters; counted here in
// bytes, the stricter reading).
const pagerDutyDedupMax = 255

// dedupKey returns the dedup_key of the valid event e: a predictive alert's ID, and so an
// anomaly's when GroupWindow is negative; otherwise an anomaly's
// "omen/anomaly/<service>/<metric>/<type>/<start>", start the beginning (RFC 3339, UTC) of the
// span of GroupWindow that holds the anomaly's timestamp, or, when that is longer than 255
// bytes, "omen/anomaly/" and the record ID of the same fields.
func (p PagerDuty) dedupKey(e Event) string {
	window := p.GroupWindow
	if window == 0 {
		window = DefaultPagerDutyGroupWindow
	}
	if e.Kind != KindAnomaly || window < 0 {
		return e.ID()
	}
	a := e.Anomaly
	start := a.Timestamp.UTC().Truncate(window)
	key := "omen/anomaly/" + a.Service + "/" + a.Metric + "/" + string(a.Type) + "/" + start.Format(time.RFC3339)
	if len(key) > pagerDutyDedupMax {
		key = "omen/anomaly/" + omen.RecordID(a.Service, "pagerduty", a.Metric+"/"+string(a.Type), start)
	}
	return key
}

// Name returns Label, or "pagerduty".
func (p PagerDuty) Name() string {
	if p.Label != "" {
		return p.Label
	}
	return "pagerduty"
}

func (p PagerDuty) url() string {
	if p.EventsURL != "" {
		return p.EventsURL
	}
	return DefaultPagerDutyURL
}

// Validate checks that the routing key is set and the endpoint is an absolute http(s) URL.
func (p PagerDuty) Validate() error {
	if p.RoutingKey == "" {
		return fmt.Errorf("notify: %s: empty routing key", p.Name())
	}
	return checkURL(p.Name(), "events URL", p.url())
}

// NewRequest returns the POST of the trigger event of e to the Events API.
func (p PagerDuty) NewRequest(ctx context.Context, e Event) (*http.Request, error) {
	if err := e.validate(); err != nil {
		return nil, fmt.Errorf("notify: %s: %w", p.Name(), err)
	}
	body, err := marshal(pagerDutyEventOf(p.RoutingKey, p.dedupKey(e), e))
	if err != nil { // not with these types (a non-finite number encodes as null), but a new field might
		return nil, fmt.Errorf("notify: %s: encode %s %q: %w", p.Name(), e.Kind, e.ID(), err)
	}
	return newJSONRequest(ctx, p.url(), body)
}

// pagerDutySummaryMax is the Events API's limit on payload.summary, in characters.
const pagerDutySummaryMax = 1024

type pagerDutyEvent struct {
	RoutingKey  string           `json:"routing_key"`
	EventAction string           `json:"event_action"`
	DedupKey    string           `json:"dedup_key"`
	Payload     pagerDutyPayload `json:"payload"`
}

type pagerDutyPayload struct {
	Summary       string `json:"summary"`
	Source        string `json:"source"`
	Severity      string `json:"severity"`
	Timestamp     string `json:"timestamp,omitempty"`
	Component     string `json:"component,omitempty"`
	Class         string `json:"class,omitempty"`
	CustomDetails any    `json:"custom_details"`
}

// pagerDutySeverity maps omen's levels to the Events API's: critical → critical, high → error,
// medium → warning, low → info.
func pagerDutySeverity(s omen.Severity) string {
	switch s {
	case omen.Critical:
		return "critical"
	case omen.High:
		return "error"
	case omen.Medium:
		return "warning"
	}
	return "info"
}

// alertDetails are the custom_details of a predictive alert.
type alertDetails struct {
	Kind              Kind   `json:"kind"`
	AlertID           string `json:"alert_id"`
	PredictionType    string `json:"prediction_type,omitempty"`
	PredictedEvent    string `json:"predicted_event,omitempty"`
	Confidence        number `json:"prediction_confidence"`
	CurrentValue      number `json:"current_value"`
	PredictedValue    number `json:"predicted_value"`
	BaselineValue     number `json:"baseline_value"`
	Threshold         number `json:"threshold_value"`
	TimeToBreach      string `json:"time_to_breach"`
	ExpectedBreach    string `json:"expected_breach_at,omitempty"`
	BreachEarliest    string `json:"breach_range_start,omitempty"`
	BreachLatest      string `json:"breach_range_end,omitempty"`
	WindowStart       string `json:"predicted_time_start,omitempty"`
	WindowEnd         string `json:"predicted_time_end,omitempty"`
	IssuedAt          string `json:"issued_at,omitempty"`
	RecommendedAction string `json:"recommended_action,omitempty"`
	Priority          string `json:"priority,omitempty"`
	Severity          string `json:"severity"`
	Score             number `json:"alert_score"`
}

// anomalyDetails are the custom_details of an anomaly.
type anomalyDetails struct {
	Kind             Kind              `json:"kind"`
	AnomalyID        string            `json:"anomaly_id"`
	Type             string            `json:"anomaly_type"`
	Severity         string            `json:"severity"`
	Score            number            `json:"anomaly_score"`
	Window           string            `json:"timestamp,omitempty"`
	Value            number            `json:"metric_value"`
	Baseline         number            `json:"baseline_value"`
	DeviationPercent number            `json:"deviation_percent"`
	Confidence       number            `json:"confidence_score"`
	Description      string            `json:"description,omitempty"`
	Contributions    map[string]number `json:"contributions,omitempty"`
}

// pagerDutyEventOf returns the trigger event of the valid event e.
func pagerDutyEventOf(routingKey, dedupKey string, e Event) pagerDutyEvent {
	ev := pagerDutyEvent{RoutingKey: routingKey, EventAction: "trigger", DedupKey: dedupKey}
	switch e.Kind {
	case KindAlert:
		a := e.Alert
		class := a.PredictionType
		if class == "" {
			class = "threshold_breach"
		}
		summary := fmt.Sprintf("[%s] %s: %s predicted to reach %s (threshold %s) %s, %s confidence",
			a.Severity, a.Service, a.Metric, quantity(a.Metric, a.PredictedValue),
			quantity(a.Metric, a.Threshold), breachText(a), percent(a.Confidence))
		ev.Payload = pagerDutyPayload{
			Summary:   truncate(summary, pagerDutySummaryMax),
			Source:    a.Service,
			Severity:  pagerDutySeverity(a.Severity),
			Timestamp: rfc3339(a.IssuedAt),
			Component: a.Metric,
			Class:     class,
			CustomDetails: alertDetails{
				Kind:              KindAlert,
				AlertID:           a.ID,
				PredictionType:    a.PredictionType,
				PredictedEvent:    a.PredictedEvent,
				Confidence:        number(a.Confidence),
				CurrentValue:      number(a.CurrentValue),
				PredictedValue:    number(a.PredictedValue),
				BaselineValue:     number(a.BaselineValue),
				Threshold:         number(a.Threshold),
				TimeToBreach:      breachText(a),
				ExpectedBreach:    rfc3339(a.ExpectedBreach),
				BreachEarliest:    rfc3339(a.BreachEarliest),
				BreachLatest:      rfc3339(a.BreachLatest),
				WindowStart:       rfc3339(a.WindowStart),
				WindowEnd:         rfc3339(a.WindowEnd),
				IssuedAt:          rfc3339(a.IssuedAt),
				RecommendedAction: a.RecommendedAction,
				Priority:          string(a.Priority),
				Severity:          string(a.Severity),
				Score:             number(a.Score),
			},
		}
	case KindAnomaly:
		a := e.Anomaly
		summary := fmt.Sprintf("[%s] %s: %s in %s, %s against a baseline of %s (%s)",
			a.Severity, a.Service, a.Type, a.Metric, quantity(a.Metric, a.Value),
			quantity(a.Metric, a.Baseline), signedPercent(a.DeviationPercent))
		if a.Description != "" {
			summary += ": " + a.Description
		}
		var contrib map[string]number
		if len(a.Contributions) > 0 {
			contrib = make(map[string]number, len(a.Contributions))
			for k, v := range a.Contributions {
				contrib[k] = number(v)
			}
		}
		ev.Payload = pagerDutyPayload{
			Summary:   truncate(summary, pagerDutySummaryMax),
			Source:    a.Service,
			Severity:  pagerDutySeverity(a.Severity),
			Timestamp: rfc3339(a.Timestamp),
			Component: a.Metric,
			Class:     string(a.Type),
			CustomDetails: anomalyDetails{
				Kind:             KindAnomaly,
				AnomalyID:        a.ID,
				Type:             string(a.Type),
				Severity:         string(a.Severity),
				Score:            number(a.Score),
				Window:           rfc3339(a.Timestamp),
				Value:            number(a.Value),
				Baseline:         number(a.Baseline),
				DeviationPercent: number(a.DeviationPercent),
				Confidence:       number(a.Confidence),
				Description:      a.Description,
				Contributions:    contrib,
			},
		}
	}
	return ev
}
