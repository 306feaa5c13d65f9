package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DeliveryError reports a record that could not be delivered to a target.
type DeliveryError struct {
	Target   string // the target's name
	Kind     Kind
	ID       string // the record's ID
	Attempts int    // attempts made
	// Permanent reports that retrying cannot help: the target rejected the request with a 4xx
	// status other than 429, or the request could not be built. Other failures (network errors,
	// 429, 5xx, a Retry-After beyond the longest backoff, the end of the context) may pass.
	Permanent bool
	Err       error // the last attempt's error (a *StatusError for an HTTP status), or ctx's
}

func (e *DeliveryError) Error() string {
	return fmt.Sprintf("notify: deliver %s %q to %s (%d attempts): %v", e.Kind, e.ID, e.Target, e.Attempts, e.Err)
}

func (e *DeliveryError) Unwrap() error { return e.Err }

// StatusError is a response with a status outside 2xx.
type StatusError struct {
	StatusCode int
	// Body is the start of the response body (at most 512 bytes), which names the problem:
	// "invalid_payload" for Slack, the errors array for PagerDuty.
	Body string
	// RetryAfter is the delay that a 429 or 5xx response asked for in its Retry-After header
	// (0 when absent or invalid).
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	s := "HTTP " + strconv.Itoa(e.StatusCode)
	if text := http.StatusText(e.StatusCode); text != "" {
		s += " " + text
	}
	if e.Body != "" {
		s += ": " + e.Body
	}
	return s
}

// retryable reports whether the status may pass: 429 and 5xx.
func (e *StatusError) retryable() bool {
	return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
}

// errorBodyMax is how much of an error response is kept in a StatusError.
const errorBodyMax = 512

// drainMax is how much of a response is read so that its connection can be reused.
const drainMax = 64 << 10

// send delivers e to target i, t, retrying temporary failures.
func (n *Notifier) send(ctx context.Context, i int, t Target, e Event) error {
	c := &n.counts[i]
	fail := func(attempts int, permanent bool, err error) error {
		c.failed.Add(1)
		n.log(ctx, slog.LevelError, "notification failed", e, slog.String("target", t.Name()),
			slog.Int("attempts", attempts), slog.Bool("permanent", permanent), slog.Any("error", err))
		return &DeliveryError{Target: t.Name(), Kind: e.Kind, ID: e.ID(), Attempts: attempts, Permanent: permanent, Err: err}
	}
	for attempt := 1; ; attempt++ {
		retryable, err := n.attempt(ctx, t, e)
		if err == nil {
			c.sent.Add(1)
			n.log(ctx, slog.LevelDebug, "notification delivered", e, slog.String("target", t.Name()),
				slog.Int("attempts", attempt))
			return nil
		}
		if ctx.Err() != nil {
			return fail(attempt, false, fmt.Errorf("%w (last attempt: %v)", ctx.Err(), err))
		}
		if !retryable || attempt == n.cfg.attempts {
			return fail(attempt, !retryable, err)
		}
		delay := n.backoff(attempt)
		if se := (*StatusError)(nil); errors.As(err, &se) && se.RetryAfter > 0 {
			if se.RetryAfter > n.cfg.backoffMax {
				return fail(attempt, false, fmt.Errorf("%w; Retry-After %v exceeds the longest backoff %v",
					err, se.RetryAfter, n.cfg.backoffMax))
			}
			delay = se.RetryAfter
		}
		n.log(ctx, slog.LevelWarn, "notification attempt failed; retrying", e, slog.String("target", t.Name()),
			slog.Int("attempt", attempt), slog.Duration("delay", delay), slog.Any("error", err))
		if serr := n.sleep(ctx, delay); serr != nil {
			return fail(attempt, false, fmt.Errorf("%w (last attempt: %v)", serr, err))
		}
		c.retried.Add(1) // counted when made: a retry cut short by ctx during the backoff is not one
	}
}

// attempt makes one request of e to t. It reports whether a failure is worth retrying.
func (n *Notifier) attempt(ctx context.Context, t Target, e Event) (retryable bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.timeout)
	defer cancel()
	req, err := t.NewRequest(ctx, e)
	if err != nil {
		return false, err
	}
	resp, err := n.cfg.client.Do(req)
	if err != nil {
		// url.Error quotes the URL, whose path or query is the webhook's secret.
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = fmt.Errorf("%s %s: %w", req.Method, redact(req.URL), ue.Err)
		}
		return true, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		io.Copy(io.Discard, io.LimitReader(resp.Body, drainMax))
		return false, nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, errorBodyMax))
	io.Copy(io.Discard, io.LimitReader(resp.Body, drainMax))
	se := &StatusError{StatusCode: resp.StatusCode, Body: strings.TrimSpace(strings.ToValidUTF8(string(body), "\uFFFD"))}
	if se.retryable() {
		se.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), n.cfg.now())
	}
	return se.retryable(), se
}

// backoff returns the wait before retry k (k ≥ 1): uniformly random in [d/2, d] with
// d = min(max, min·2^(k−1)).
func (n *Notifier) backoff(k int) time.Duration {
	d := n.cfg.backoffMin
	for ; k > 1 && d < n.cfg.backoffMax; k-- {
		d *= 2
	}
	d = min(d, n.cfg.backoffMax)
	return d/2 + rand.N(d/2+1)
}

// retryAfter parses a Retry-After header: delay-seconds, or an HTTP date, which is measured
// from now. It returns 0 for an absent, invalid or past value.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		const most = int64(1<<63-1) / int64(time.Second)
		if s <= 0 {
			return 0
		}
		return time.Duration(min(s, most)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// sleep waits for d or the end of ctx, whose error it returns.
func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
