package pipeline

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/stacklens/omen/notify"
)

// Webhooks are the notification targets of a Service: a Slack incoming webhook and PagerDuty's
// Events API v2. With any of them set (and Config.Notifier nil), Start builds a
// notify.Notifier on them, which marks what it delivered in PostgreSQL through the
// pgadapter.Store (alert_sent and alert_sent_at of ml_predictive_alerts, notified_at of
// ml_anomalies, and the targets that have each record) and retries what did not reach every
// target (Config.NotifyRetryInterval); a MemoryStore records no delivery.
type Webhooks struct {
	SlackURL            string // https://hooks.slack.com/services/… (a secret)
	PagerDutyRoutingKey string // the integration key (a secret)
	PagerDutyEventsURL  string // default notify.DefaultPagerDutyURL
	// PagerDutyGroupWindow is the span over which an anomaly's PagerDuty alert gathers the
	// later anomalies of the same problem (notify.PagerDuty.GroupWindow: default 6 h,
	// negative: one alert per anomaly).
	PagerDutyGroupWindow time.Duration
	// Options are passed to notify.New after the Service's own (logger, marker): retries,
	// timeouts, an HTTP client. (The Service hands the notifier only critical anomalies.)
	Options []notify.Option
}

// any reports whether a target is configured.
func (w Webhooks) any() bool {
	return w.SlackURL != "" || w.PagerDutyRoutingKey != "" || w.PagerDutyEventsURL != ""
}

// targets returns the configured targets.
func (w Webhooks) targets() ([]notify.Target, error) {
	var out []notify.Target
	if w.SlackURL != "" {
		out = append(out, notify.Slack{WebhookURL: w.SlackURL})
	}
	switch {
	case w.PagerDutyRoutingKey != "":
		out = append(out, notify.PagerDuty{RoutingKey: w.PagerDutyRoutingKey, EventsURL: w.PagerDutyEventsURL,
			GroupWindow: w.PagerDutyGroupWindow})
	case w.PagerDutyEventsURL != "":
		return nil, errors.New("a PagerDuty events URL without a routing key")
	}
	return out, nil
}

// newNotifier returns the notify.Notifier of w, marking deliveries through marker when it is not
// nil.
func (w Webhooks) newNotifier(log *slog.Logger, marker notify.Marker) (*notify.Notifier, error) {
	targets, err := w.targets()
	if err != nil {
		return nil, fmt.Errorf("pipeline: webhooks: %w", err)
	}
	opts := []notify.Option{notify.WithLogger(log)}
	if marker != nil {
		opts = append(opts, notify.WithMarker(marker))
	}
	n, err := notify.New(targets, append(opts, w.Options...)...)
	if err != nil {
		return nil, fmt.Errorf("pipeline: webhooks: %w", err)
	}
	return n, nil
}
