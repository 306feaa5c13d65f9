package notify

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/stacklens/omen"
)

// Defaults of the settings that an Option changes.
const (
	DefaultMinSeverity   = omen.Critical
	DefaultAttempts      = 5
	DefaultBackoffMin    = 500 * time.Millisecond
	DefaultBackoffMax    = 30 * time.Second
	DefaultTimeout       = 10 * time.Second
	DefaultDedupCapacity = 1 << 16
	DefaultParallelism   = 4
)

// config holds the settings of a Notifier; newConfig fills in the defaults.
type config struct {
	minSeverity   omen.Severity
	attempts      int
	backoffMin    time.Duration
	backoffMax    time.Duration
	timeout       time.Duration
	dedupCapacity int
	parallelism   int
	client        *http.Client
	marker        Marker
	logger        *slog.Logger
	now           func() time.Time
}

// Option changes one of the settings of a Notifier.
type Option func(*config)

func newConfig(opts []Option) (config, error) {
	c := config{
		minSeverity:   DefaultMinSeverity,
		attempts:      DefaultAttempts,
		backoffMin:    DefaultBackoffMin,
		backoffMax:    DefaultBackoffMax,
		timeout:       DefaultTimeout,
		dedupCapacity: DefaultDedupCapacity,
		parallelism:   DefaultParallelism,
		client:        &http.Client{},
		logger:        slog.New(slog.DiscardHandler),
		now:           time.Now,
	}
	for _, opt := range opts {
		opt(&c)
	}
	if c.client != nil {
		// A redirect is a failed delivery, whatever client is given: followed, a 301–303 turns
		// the POST into a GET whose 200 would count as delivered, and a 307 or 308 re-sends the
		// body — a PagerDuty routing key with it — to whatever host the Location names.
		cl := *c.client
		cl.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		c.client = &cl
	}
	return c, c.validate()
}

func (c config) validate() error {
	switch {
	case severityRank(c.minSeverity) < 0:
		return fmt.Errorf("notify: unknown minimum severity %q", c.minSeverity)
	case c.attempts < 1:
		return fmt.Errorf("notify: %d attempts, want at least 1", c.attempts)
	case c.backoffMin <= 0 || c.backoffMax < c.backoffMin:
		return fmt.Errorf("notify: retry backoff [%v, %v], want 0 < min ≤ max", c.backoffMin, c.backoffMax)
	case c.timeout <= 0:
		return fmt.Errorf("notify: request timeout %v, want a positive duration", c.timeout)
	case c.dedupCapacity < 1:
		return fmt.Errorf("notify: de-duplication capacity %d, want at least 1", c.dedupCapacity)
	case c.parallelism < 1:
		return fmt.Errorf("notify: parallelism %d, want at least 1", c.parallelism)
	case c.client == nil:
		return fmt.Errorf("notify: nil HTTP client")
	case c.now == nil:
		return fmt.Errorf("notify: nil clock")
	}
	return nil
}

// severityRank is the position of s in omen.Severities, or -1 for an unknown level.
func severityRank(s omen.Severity) int {
	for i, v := range omen.Severities {
		if v == s {
			return i
		}
	}
	return -1
}

// WithMinSeverity sets the lowest severity of the anomalies that Notify delivers (default
// critical). Predictive alerts are delivered whatever their severity.
func WithMinSeverity(s omen.Severity) Option {
	return func(c *config) { c.minSeverity = s }
}

// WithAttempts sets how many times one delivery is tried at most (default 5): the first attempt
// and up to n−1 retries.
func WithAttempts(n int) Option {
	return func(c *config) { c.attempts = n }
}

// WithRetryBackoff sets the exponential backoff between the attempts of a delivery: the k-th
// retry waits a uniformly random time in [d/2, d] with d = min(max, min·2^(k−1)) (defaults
// 500 ms and 30 s). A Retry-After of up to max replaces it.
func WithRetryBackoff(min, max time.Duration) Option {
	return func(c *config) { c.backoffMin, c.backoffMax = min, max }
}

// WithTimeout bounds each HTTP request, from connecting to reading the response (default 10 s).
func WithTimeout(d time.Duration) Option {
	return func(c *config) { c.timeout = d }
}

// WithDedupCapacity sets how many records the Notifier remembers as delivered (default 65,536);
// beyond it the oldest are forgotten first. A record delivered again after it was forgotten is
// sent again (PagerDuty still folds it into its open alert by its dedup_key).
func WithDedupCapacity(n int) Option {
	return func(c *config) { c.dedupCapacity = n }
}

// WithParallelism sets how many records one call of Notify delivers at once (default 4). Each
// record goes to its targets at once.
func WithParallelism(n int) Option {
	return func(c *config) { c.parallelism = n }
}

// WithHTTPClient sets the HTTP client (default a new client on http.DefaultTransport). Its own
// Timeout, if any, applies in addition to WithTimeout. Redirects are never followed, whatever
// its CheckRedirect: a redirect response is a failed delivery (a StatusError, not retried).
func WithHTTPClient(client *http.Client) Option {
	return func(c *config) { c.client = client }
}

// WithMarker sets the Marker told of every record delivered to all targets (default none), for
// example a *pgadapter.Store. If m is also a Checker, it is asked about every record the
// Notifier does not know to be delivered to every target before the record is sent; if it is a
// TargetMarker, every delivery to a target is recorded, and read back before a send.
func WithMarker(m Marker) Option {
	return func(c *config) { c.marker = m }
}

// WithLogger sets the structured logger (default: no logs). Deliveries log at debug level,
// retries at warn and failures at error.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.logger = l
		}
	}
}

// WithClock sets the clock that stamps deliveries for the Marker and resolves a Retry-After
// given as a date (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}
