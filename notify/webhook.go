package notify

import (
	"context"
	"fmt"
	"net/http"
	"slices"
)

// Webhook posts each record as JSON to any HTTP endpoint, in the shape of the pipeline's
// JSON-lines output: {"kind":"alert"|"anomaly","record":{…}}, the record with the field names
// of the predictive-alerts and ml-anomalies topics.
type Webhook struct {
	// URL is the endpoint.
	URL string
	// Header holds extra request headers, for example Authorization; it must not change after
	// New. Content-Type is always application/json.
	Header http.Header
	// Label names the target in logs, errors and Stats (default "webhook").
	Label string
}

// Name returns Label, or "webhook".
func (w Webhook) Name() string {
	if w.Label != "" {
		return w.Label
	}
	return "webhook"
}

// Validate checks that URL is an absolute http(s) URL.
func (w Webhook) Validate() error { return checkURL(w.Name(), "URL", w.URL) }

// webhookBody is the body of a Webhook post.
type webhookBody struct {
	Kind   Kind `json:"kind"`
	Record any  `json:"record"`
}

// NewRequest returns the POST of e to URL. A record with a non-finite number cannot be encoded
// as JSON and gives an error.
func (w Webhook) NewRequest(ctx context.Context, e Event) (*http.Request, error) {
	if err := e.validate(); err != nil {
		return nil, fmt.Errorf("notify: %s: %w", w.Name(), err)
	}
	body := webhookBody{Kind: e.Kind, Record: e.Alert}
	if e.Kind == KindAnomaly {
		body.Record = e.Anomaly
	}
	data, err := marshal(body)
	if err != nil {
		return nil, fmt.Errorf("notify: %s: encode %s %q: %w", w.Name(), e.Kind, e.ID(), err)
	}
	req, err := newJSONRequest(ctx, w.URL, data)
	if err != nil {
		return nil, err
	}
	for k, vs := range w.Header {
		if k = http.CanonicalHeaderKey(k); k != "Content-Type" {
			req.Header[k] = slices.Clone(vs)
		}
	}
	return req, nil
}
