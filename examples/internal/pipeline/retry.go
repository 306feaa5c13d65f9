package pipeline

import (
	"context"
	"log/slog"
	"time"

	"github.com/stacklens/omen"
	"github.com/stacklens/omen/notify"
	"github.com/stacklens/omen/pgadapter"
)

// notifyRetry retries, from PostgreSQL, the notifications that did not reach every target
// (Config.NotifyRetryInterval). Its records are those of the Service's role: the predictive
// alerter's alerts, the ML service's critical anomalies.
//
// Every interval it claims the due records in chunks (pgadapter's ClaimUnsentAlerts and
// ClaimUnnotifiedAnomalies: instances never claim the same record, and a claimed record is not
// due again for the backoff, doubling with each claim up to notifyRetryMaxBackoffs times it) and
// hands each chunk to the notifier, which sends each record only to the targets the store does
// not list as having it. The queued batches of new records are delivered in chunks too, each
// leased for the backoff just before it is handed over, so that no instance claims a record
// while another delivers it. A chunk is as large as a notify.Notifier delivers at once, so the
// backoff must exceed the time one record's delivery can take.
type notifyRetry struct {
	claim    func(ctx context.Context, c pgadapter.Claim) (omen.Results, error)
	leaseIDs func(ctx context.Context, ids []string, lease time.Duration) ([]string, error)
	interval time.Duration // how often due records are claimed
	age      time.Duration // how long after it was stored a record is retried
	backoff  time.Duration // the lease of a delivery, and the first wait between two claims of a record
}

// notifyRetryChunk is the number of records claimed or leased at a time: what a
// notify.Notifier delivers at once by default, so that a record is tried as soon as it is held
// and its lease does not run out while it waits.
const notifyRetryChunk = notify.DefaultParallelism

// notifyRetryMaxBackoffs bounds the wait between two claims of a record that keeps failing, in
// backoffs (5 × 6 = 30 minutes by default).
const notifyRetryMaxBackoffs = 6

// newNotifyRetry returns the retries of role from store.
func newNotifyRetry(role Role, store *pgadapter.Store, interval, age, backoff time.Duration) *notifyRetry {
	r := &notifyRetry{interval: interval, age: age, backoff: backoff}
	if role == PredictiveAlerter {
		r.claim = func(ctx context.Context, c pgadapter.Claim) (omen.Results, error) {
			as, err := store.ClaimUnsentAlerts(ctx, c)
			return omen.Results{Alerts: as}, err
		}
		r.leaseIDs = store.LeaseAlerts
	} else {
		r.claim = func(ctx context.Context, c pgadapter.Claim) (omen.Results, error) {
			as, err := store.ClaimUnnotifiedAnomalies(ctx, c)
			return omen.Results{Anomalies: as}, err
		}
		r.leaseIDs = store.LeaseAnomalies
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
			for claims.Err() == nil && r.round(claims, deliveries, s, notifier) {
			}
		}
	}
}

// round claims one chunk of due records — stored within age and at least an interval ago (a
// younger one is most likely still in the queue) — and hands it to notifier. It reports whether
// it found a full chunk, so that more may be due.
func (r *notifyRetry) round(claims, deliveries context.Context, s *durableSink, notifier Notifier) bool {
	ctx, cancel := context.WithTimeout(claims, r.interval)
	defer cancel()
	now := time.Now()
	n, err := r.claim(ctx, pgadapter.Claim{StoredFrom: now.Add(-r.age), StoredBefore: now.Add(-r.interval),
		Limit: notifyRetryChunk, Backoff: r.backoff, MaxBackoff: notifyRetryMaxBackoffs * r.backoff})
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
	return claimed == notifyRetryChunk
}

// deliver hands the queued batch n to notifier a chunk at a time, each leased first: only the
// records no retry holds are delivered, the others being retried by some instance. When the
// store cannot be asked (within an interval), the chunk is delivered whole: a page twice is
// better than none.
func (r *notifyRetry) deliver(ctx context.Context, s *durableSink, notifier Notifier, n omen.Results) {
	for _, chunk := range chunks(n, notifyRetryChunk) {
		if ctx.Err() != nil {
			return
		}
		s.notify(ctx, notifier, r.lease(ctx, s, chunk))
	}
}

// lease returns the records of chunk whose lease it took.
func (r *notifyRetry) lease(ctx context.Context, s *durableSink, chunk omen.Results) omen.Results {
	ids := make([]string, 0, len(chunk.Alerts)+len(chunk.Anomalies))
	for _, a := range chunk.Alerts {
		ids = append(ids, a.ID)
	}
	for _, a := range chunk.Anomalies {
		ids = append(ids, a.ID)
	}
	leaseCtx, cancel := context.WithTimeout(ctx, r.interval)
	defer cancel()
	leased, err := r.leaseIDs(leaseCtx, ids, r.backoff)
	if err != nil {
		s.log.WarnContext(ctx, "leasing notifications failed; delivering them all", slog.Any("error", err))
		return chunk
	}
	held := make(map[string]bool, len(leased))
	for _, id := range leased {
		held[id] = true
	}
	var out omen.Results
	for _, a := range chunk.Alerts {
		if held[a.ID] {
			out.Alerts = append(out.Alerts, a)
		}
	}
	for _, a := range chunk.Anomalies {
		if held[a.ID] {
			out.Anomalies = append(out.Anomalies, a)
		}
	}
	return out
}

// chunks splits the anomalies and the alerts of n, in that order (a Notifier's), into results of
// at most size records.
func chunks(n omen.Results, size int) []omen.Results {
	var out []omen.Results
	for i := 0; i < len(n.Anomalies); i += size {
		out = append(out, omen.Results{Anomalies: n.Anomalies[i:min(i+size, len(n.Anomalies))]})
	}
	for i := 0; i < len(n.Alerts); i += size {
		out = append(out, omen.Results{Alerts: n.Alerts[i:min(i+size, len(n.Alerts))]})
	}
	return out
}
