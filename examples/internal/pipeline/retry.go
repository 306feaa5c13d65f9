package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/stacklens/omen"
	"github.com/stacklens/omen/notify"
	"github.com/stacklens/omen/pgadapter"
)

// notifyRetry retries, from PostgreSQL, the notifications that did not reach every target
// (Config.NotifyRetryInterval). Its records are those of the Service's role: the predictive
// alerter's alerts, the ML service's critical anomalies.
//
// Every interval it claims the due records a chunk at a time (pgadapter's ClaimUnsentAlerts
// and ClaimUnnotifiedAnomalies: instances never claim the same record, and a claimed record is
// not due again for the backoff, doubling with each claim; see Config.NotifyRetryBackoff) and
// hands each chunk to the notifier, which sends each record only to the targets the store does
// not list as having it. New records go through a leasingNotifier, so that no instance claims a
// record while another delivers it.
type notifyRetry struct {
	claim    func(ctx context.Context, c pgadapter.Claim) (omen.Results, error)
	interval time.Duration // how often due records are claimed
	age      time.Duration // how long after it was stored a record is retried
	backoff  time.Duration // the first wait between two claims of a record
}

// notifyChunk is the number of records claimed or leased at a time: what a notify.Notifier
// delivers at once by default, so that a record is tried as soon as it is held and its lease or
// backoff does not run out while it waits.
const notifyChunk = notify.DefaultParallelism

// notifyMaxBackoffs bounds the wait between two claims of a record that keeps failing, in
// backoffs.
const notifyMaxBackoffs = 6

// newNotifyRetry returns the retries of role from store.
func newNotifyRetry(role Role, store *pgadapter.Store, interval, age, backoff time.Duration) *notifyRetry {
	r := &notifyRetry{interval: interval, age: age, backoff: backoff}
	if role == PredictiveAlerter {
		r.claim = func(ctx context.Context, c pgadapter.Claim) (omen.Results, error) {
			as, err := store.ClaimUnsentAlerts(ctx, c)
			return omen.Results{Alerts: as}, err
		}
	} else {
		r.claim = func(ctx context.Context, c pgadapter.Claim) (omen.Results, error) {
			as, err := store.ClaimUnnotifiedAnomalies(ctx, c)
			return omen.Results{Anomalies: as}, err
		}
	}
	return r
}

// run claims and delivers the due records every interval until claims ends; deliveries in
// progress then go on within deliveries, the Service's notification context.
func (r *notifyRetry) run(claims, deliveries context.Context, s *durableSink, notifier Notifier) {
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		select {
		case <-claims.Done():
			return
		case <-t.C:
			for claims.Err() == nil {
				if full := r.round(claims, deliveries, s, notifier); !full {
					break
				}
			}
		}
	}
}

// round claims one chunk of due records — stored at least an interval ago (a younger one is most
// likely still in the queue) and within age — and hands it to notifier. It reports whether it
// found a full chunk, so that more may be due.
func (r *notifyRetry) round(claims, deliveries context.Context, s *durableSink, notifier Notifier) bool {
	ctx, cancel := context.WithTimeout(claims, r.interval)
	defer cancel()
	n, err := r.claim(ctx, pgadapter.Claim{MinAge: r.interval, MaxAge: r.age, Limit: notifyChunk,
		Backoff: r.backoff, MaxBackoff: notifyMaxBackoffs * r.backoff})
	if err != nil {
		s.counters.notifyRetryFailed.Add(1)
		s.log.WarnContext(ctx, "claiming the undelivered notifications failed; retrying at the next interval", slog.Any("error", err))
		return false
	}
	claimed := len(n.Alerts) + len(n.Anomalies)
	if claimed == 0 {
		return false
	}
	s.counters.notifyRedelivered.Add(int64(claimed))
	s.log.InfoContext(ctx, "retrying undelivered notifications", slog.Int("alerts", len(n.Alerts)),
		slog.Int("anomalies", len(n.Anomalies)))
	s.notify(deliveries, notifier, n)
	return claimed == notifyChunk
}

// leasingNotifier is the Notifier of the queued batches when notifications are retried: it hands
// a batch to the notifier a chunk at a time, each leased in the store for lease just before
// (pgadapter's LeaseAlerts or LeaseAnomalies, by the role's kind), and only the records it
// leased: the others are held by a retry, which delivers them. The lease keeps every instance's
// retries off the chunk while it is delivered, so it must exceed the time one record's delivery
// can take. When the store cannot lease (within timeout), a chunk is delivered whole: a page
// twice is better than none. Records of the other kind are delivered without a lease.
type leasingNotifier struct {
	Notifier
	leaseIDs func(ctx context.Context, ids []string, lease time.Duration) ([]string, error)
	alerts   bool // the role's kind: alerts (else anomalies)
	lease    time.Duration
	timeout  time.Duration
	log      *slog.Logger
}

// newLeasingNotifier returns the leasing Notifier of role over notifier.
func newLeasingNotifier(notifier Notifier, role Role, store *pgadapter.Store, lease, timeout time.Duration, log *slog.Logger) *leasingNotifier {
	l := &leasingNotifier{Notifier: notifier, alerts: role == PredictiveAlerter, lease: lease, timeout: timeout, log: log,
		leaseIDs: store.LeaseAnomalies}
	if l.alerts {
		l.leaseIDs = store.LeaseAlerts
	}
	return l
}

// Notify implements Notifier.
func (l *leasingNotifier) Notify(ctx context.Context, n omen.Results) error {
	held := n // what is not leased goes through as it is
	var errs []error
	if l.alerts {
		held.Alerts = nil
		errs = notifyLeased(ctx, l, n.Alerts, func(a omen.PredictiveAlert) string { return a.ID },
			func(as []omen.PredictiveAlert) omen.Results { return omen.Results{Alerts: as} })
	} else {
		held.Anomalies = nil
		errs = notifyLeased(ctx, l, n.Anomalies, func(a omen.Anomaly) string { return a.ID },
			func(as []omen.Anomaly) omen.Results { return omen.Results{Anomalies: as} })
	}
	if len(held.Alerts)+len(held.Anomalies) > 0 {
		errs = append(errs, l.Notifier.Notify(ctx, held))
	}
	return errors.Join(errs...)
}

// notifyLeased hands records to l's notifier a chunk at a time, each leased first, and returns
// the notifier's errors and, when ctx ends before every chunk is handed over, ctx's.
func notifyLeased[T any](ctx context.Context, l *leasingNotifier, records []T, id func(T) string, results func([]T) omen.Results) []error {
	var errs []error
	for i := 0; i < len(records); i += notifyChunk {
		if ctx.Err() != nil {
			return append(errs, fmt.Errorf("pipeline: %d notifications not attempted: %w", len(records)-i, ctx.Err()))
		}
		chunk := records[i:min(i+notifyChunk, len(records))]
		errs = append(errs, l.Notifier.Notify(ctx, results(leasedOf(ctx, l, chunk, id))))
	}
	return errs
}

// leasedOf returns the records of chunk that l leased.
func leasedOf[T any](ctx context.Context, l *leasingNotifier, chunk []T, id func(T) string) []T {
	ids := make([]string, len(chunk))
	for i, r := range chunk {
		ids[i] = id(r)
	}
	ctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	leased, err := l.leaseIDs(ctx, ids, l.lease)
	if err != nil {
		l.log.WarnContext(ctx, "leasing notifications failed; delivering them all", slog.Any("error", err))
		return chunk
	}
	var out []T
	for _, r := range chunk {
		if slices.Contains(leased, id(r)) {
			out = append(out, r)
		}
	}
	return out
}
