package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/stacklens/omen"
)

// Kind is the kind of record an Event carries. Its values are the kinds of the pipeline's
// JSON-lines output: "alert" and "anomaly".
type Kind string

// The kinds of records a Notifier delivers.
const (
	KindAlert   Kind = "alert"   // a predictive alert
	KindAnomaly Kind = "anomaly" // an anomaly
)

// Event is one record to deliver: a predictive alert (Kind KindAlert, Alert set) or an anomaly
// (Kind KindAnomaly, Anomaly set). Targets must not modify the record.
type Event struct {
	Kind    Kind
	Alert   *omen.PredictiveAlert
	Anomaly *omen.Anomaly
}

// AlertEvent returns the event of a predictive alert.
func AlertEvent(a *omen.PredictiveAlert) Event { return Event{Kind: KindAlert, Alert: a} }

// AnomalyEvent returns the event of an anomaly.
func AnomalyEvent(a *omen.Anomaly) Event { return Event{Kind: KindAnomaly, Anomaly: a} }

// ID returns the ID of the event's record ("" for an invalid event).
func (e Event) ID() string {
	switch {
	case e.Kind == KindAlert && e.Alert != nil:
		return e.Alert.ID
	case e.Kind == KindAnomaly && e.Anomaly != nil:
		return e.Anomaly.ID
	}
	return ""
}

// Service returns the service of the event's record ("" for an invalid event).
func (e Event) Service() string {
	switch {
	case e.Kind == KindAlert && e.Alert != nil:
		return e.Alert.Service
	case e.Kind == KindAnomaly && e.Anomaly != nil:
		return e.Anomaly.Service
	}
	return ""
}

// validate reports an event that no target can deliver: a wrong kind, a missing record, or a
// record without ID or service. The error has no package prefix; callers add theirs.
func (e Event) validate() error {
	switch {
	case e.Kind == KindAlert && e.Alert == nil, e.Kind == KindAnomaly && e.Anomaly == nil:
		return fmt.Errorf("%s event without its record", e.Kind)
	case e.Kind != KindAlert && e.Kind != KindAnomaly:
		return fmt.Errorf("unknown event kind %q", e.Kind)
	case e.ID() == "":
		return fmt.Errorf("%s without an ID", e.Kind)
	case e.Service() == "":
		return fmt.Errorf("%s %q without a service", e.Kind, e.ID())
	}
	return nil
}

// Target is a destination of notifications. Slack, PagerDuty and Webhook are the bundled
// targets; any other type that implements Target can be passed to New as well.
type Target interface {
	// Name identifies the target in logs, errors and Stats. The targets of one Notifier must have
	// distinct names.
	Name() string
	// NewRequest returns the HTTP request that delivers e, bound to ctx. It is called once per
	// attempt, so the request's body is fresh each time. An error is permanent: the delivery is
	// not retried.
	NewRequest(ctx context.Context, e Event) (*http.Request, error)
}

// validator is implemented by targets that can check their configuration; New calls it.
type validator interface {
	Validate() error
}

// Marker records durable delivery. pgadapter.Store implements it: MarkAlertSent sets
// alert_sent and alert_sent_at of ml_predictive_alerts, MarkAnomalyNotified sets notified_at of
// ml_anomalies. A Notifier calls the method once a record has been delivered to every target
// (again after a failure, up to WithAttempts tries), with the time (WithClock) at which the last
// target accepted it.
type Marker interface {
	MarkAlertSent(ctx context.Context, id string, at time.Time) error
	MarkAnomalyNotified(ctx context.Context, id string, at time.Time) error
}

// Checker tells whether a record was delivered before, for example by an earlier run of the
// service: AlertSent reports alert_sent of the predictive alert, AnomalyNotified whether the
// anomaly's notified_at is set. When the Marker also implements Checker, a Notifier asks it
// about every record it does not know to be delivered to every target before sending it, so that
// a restarted service that reprocesses a window, or another instance, does not page again.
// Unknown records are not an error: they report false.
type Checker interface {
	AlertSent(ctx context.Context, id string) (bool, error)
	AnomalyNotified(ctx context.Context, id string) (bool, error)
}

// TargetMarker records durably which targets have each record. When the Marker also implements
// it, a Notifier records every successful delivery to a target (MarkAlertDelivered,
// MarkAnomalyDelivered, with the target's name), and before it sends a record it does not know
// to be delivered to every target it reads which targets have it already (AlertDeliveredTo,
// AnomalyDeliveredTo) and sends it only to the others: a record retried by a restarted service, or by another instance,
// reaches each target once. pgadapter.Store implements it (delivered_to). Targets are known by
// name: a target renamed (Label) counts as new, and another URL under the same name as the
// same target. Unknown records are not an error: they have no target.
type TargetMarker interface {
	MarkAlertDelivered(ctx context.Context, id, target string) error
	MarkAnomalyDelivered(ctx context.Context, id, target string) error
	AlertDeliveredTo(ctx context.Context, id string) ([]string, error)
	AnomalyDeliveredTo(ctx context.Context, id string) ([]string, error)
}

// checkURL accepts an absolute http or https URL with a host.
func checkURL(target, field, raw string) error {
	if raw == "" {
		return fmt.Errorf("notify: %s: empty %s", target, field)
	}
	u, err := url.Parse(raw)
	if err != nil {
		// The error of url.Parse quotes the URL, whose path is the webhook's secret.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("notify: %s: %s is not a valid URL: %w", target, field, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("notify: %s: %s %q is not an absolute http(s) URL", target, field, redact(u))
	}
	return nil
}

// redact hides the secret parts of a webhook URL (its path and query hold the token) in errors
// and logs: it keeps the scheme and the host, or for a URL without a host its first path
// segment.
func redact(u *url.URL) string {
	prefix, rest := u.Scheme+"://"+u.Host, u.EscapedPath()
	if u.Host == "" {
		prefix = u.Scheme
		if prefix != "" {
			prefix += ":"
		}
		first, after, found := strings.Cut(rest, "/")
		if first == "" && found { // an absolute path: keep its first segment
			first, after, found = strings.Cut(after, "/")
			first = "/" + first
		}
		prefix += first
		rest = after
		if !found {
			rest = ""
		}
	}
	if rest == "" && u.RawQuery == "" {
		return prefix
	}
	return prefix + "/…"
}

// newJSONRequest returns a POST of body to rawURL with the JSON content type.
func newJSONRequest(ctx context.Context, rawURL string, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	return req, nil
}

// marshal encodes v as JSON without escaping <, > and & (which encoding/json escapes for HTML
// by default), so payloads read as they are meant to; a mrkdwn text is escaped by Slack's rules
// instead.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// userAgent identifies the notifier to the receiving services.
const userAgent = "omen-notify/1"
