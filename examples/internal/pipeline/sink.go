package pipeline

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/stacklens/omen"
)

// Notifier delivers the records that deserve a person's attention. Notify is called from one
// goroutine, batch after batch, with only the predictive alerts newly issued (status pending)
// and the critical anomalies of a batch that is already durable in the store. It should retry
// what it can within ctx, de-duplicate (a redelivered window produces the same record IDs again)
// and record the deliveries in the store (pgadapter.Store.MarkAlertSent); its error is logged
// and counted. (The notify.Notifier the Service builds from Webhooks is also handed, from a
// second goroutine, the records its retries claim: see Config.NotifyRetryInterval.)
type Notifier interface {
	Notify(ctx context.Context, r omen.Results) error
}

// notifiable returns the records of r that a Notifier is handed: new predictive alerts (pending,
// not sent) and open critical anomalies.
func notifiable(r omen.Results) omen.Results {
	var out omen.Results
	for _, a := range r.Alerts {
		if a.Status == omen.Pending && !a.Sent {
			out.Alerts = append(out.Alerts, a)
		}
	}
	for _, a := range r.Anomalies {
		if a.Severity == omen.Critical && !a.Resolved {
			out.Anomalies = append(out.Anomalies, a)
		}
	}
	return out
}

// durableSink is the Sink the consumer writes to: it makes a batch durable in the store, counts
// its records, and only then queues its notifiable records for the notification worker. The
// queue never blocks a write: a batch that finds it full is dropped from notification (and
// counted), so a slow or failing webhook cannot hold back commits; its alerts keep
// alert_sent = false in the store.
type durableSink struct {
	store    omen.Sink
	counters *counters
	log      *slog.Logger

	mu     sync.Mutex
	queue  chan omen.Results // nil without a Notifier
	closed bool
}

func newDurableSink(store omen.Sink, c *counters, log *slog.Logger, notify bool, queue int) *durableSink {
	s := &durableSink{store: store, counters: c, log: log}
	if notify {
		s.queue = make(chan omen.Results, queue)
	}
	return s
}

// Write implements omen.Sink.
func (s *durableSink) Write(ctx context.Context, r omen.Results) error {
	start := time.Now()
	if err := s.store.Write(ctx, r); err != nil {
		s.counters.sinkFailures.Add(1)
		return err
	}
	s.counters.sink.observe(time.Since(start))
	s.counters.sinkWrites.Add(1)
	s.counters.written(r)
	if s.queue == nil {
		return nil
	}
	n := notifiable(r)
	if n.Empty() {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		s.drop(ctx, n, "the service is stopping")
		return nil
	}
	select {
	case s.queue <- n:
		s.counters.notifyBatches.Add(1)
	default:
		s.drop(ctx, n, "the notification queue is full")
	}
	return nil
}

func (s *durableSink) drop(ctx context.Context, n omen.Results, why string) {
	s.counters.notifyDropped.Add(1)
	s.log.WarnContext(ctx, "notification dropped; the records stay unsent in the store", slog.String("reason", why),
		slog.Int("alerts", len(n.Alerts)), slog.Int("anomalies", len(n.Anomalies)))
}

// deliver hands the queued batches to notifier until the queue is closed and drained or ctx
// ends; the batches still queued then are counted as dropped.
func (s *durableSink) deliver(ctx context.Context, notifier Notifier) {
	for n := range s.queue {
		if ctx.Err() != nil {
			s.counters.notifyDropped.Add(1)
			continue
		}
		s.notify(ctx, notifier, n)
	}
}

// notify hands one batch to notifier, counting and logging its failure.
func (s *durableSink) notify(ctx context.Context, notifier Notifier, n omen.Results) {
	if err := notifier.Notify(ctx, n); err != nil {
		s.counters.notifyFailed.Add(1)
		s.log.ErrorContext(ctx, "notification failed", slog.Int("alerts", len(n.Alerts)),
			slog.Int("anomalies", len(n.Anomalies)), slog.Any("error", err))
	}
}

// close ends the queue: later writes no longer notify, and deliver returns once it is drained.
func (s *durableSink) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.queue != nil && !s.closed {
		s.closed = true
		close(s.queue)
	}
}
