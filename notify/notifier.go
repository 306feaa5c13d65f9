package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stacklens/omen"
)

// maxTargets is the most targets one Notifier delivers to (the ledger keeps a bit per target).
const maxTargets = 64

// Notifier delivers predictive alerts and anomalies to its targets, at most once per record and
// target while it remembers the record; see the package documentation for the contract. It is
// safe for concurrent use.
type Notifier struct {
	targets      []Target
	all          uint64 // a bit for every target
	cfg          config
	ledger       *ledger
	counts       []counters // per target
	marks        atomic.Uint64
	checker      Checker      // the Marker, when it is a Checker too
	targetMarker TargetMarker // the Marker, when it is a TargetMarker too

	sleep func(ctx context.Context, d time.Duration) error // replaced by tests
}

// counters are the running totals of one target.
type counters struct {
	sent, failed, retried, deduplicated atomic.Uint64
}

// New returns a Notifier that delivers to targets, which must have distinct names. It checks
// the targets that have a Validate method (the bundled ones do) and the options.
func New(targets []Target, opts ...Option) (*Notifier, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	switch {
	case len(targets) == 0:
		return nil, errors.New("notify: no targets")
	case len(targets) > maxTargets:
		return nil, fmt.Errorf("notify: %d targets, at most %d", len(targets), maxTargets)
	}
	names := make(map[string]bool, len(targets))
	for i, t := range targets {
		if t == nil {
			return nil, fmt.Errorf("notify: target %d is nil", i)
		}
		if v, ok := t.(validator); ok {
			if err := v.Validate(); err != nil {
				return nil, err
			}
		}
		name := t.Name()
		if name == "" || names[name] {
			return nil, fmt.Errorf("notify: target %d: name %q is empty or not unique", i, name)
		}
		names[name] = true
	}
	checker, _ := cfg.marker.(Checker)
	targetMarker, _ := cfg.marker.(TargetMarker)
	return &Notifier{
		checker:      checker,
		targetMarker: targetMarker,
		targets:      append([]Target(nil), targets...),
		all:          1<<len(targets) - 1, // len ≤ 64: a shift by 64 gives 0, and 0 − 1 all ones
		cfg:          cfg,
		ledger:       newLedger(cfg.dedupCapacity),
		counts:       make([]counters, len(targets)),
		sleep:        sleep,
	}, nil
}

// Notify delivers the records of r that call for a notification: every predictive alert that is
// pending and not yet sent, and every open anomaly whose severity is at least the minimum
// (WithMinSeverity; critical by default). Anomalies go first, then alerts, up to WithParallelism
// records at a time. A failure does not stop the other records: the error joins one
// *DeliveryError per failed delivery and the Marker's and TargetMarker's errors. When ctx ends,
// records not yet
// started are left undelivered and the error includes ctx.Err().
func (n *Notifier) Notify(ctx context.Context, r omen.Results) error {
	events := make([]Event, 0, len(r.Anomalies)+len(r.Alerts))
	least := severityRank(n.cfg.minSeverity)
	for i := range r.Anomalies {
		if a := &r.Anomalies[i]; !a.Resolved && severityRank(a.Severity) >= least {
			events = append(events, AnomalyEvent(a))
		}
	}
	for i := range r.Alerts {
		if a := &r.Alerts[i]; a.Status == omen.Pending && !a.Sent {
			events = append(events, AlertEvent(a))
		}
	}
	if len(events) == 0 {
		return nil
	}
	errs := make([]error, len(events)+1)
	sem := make(chan struct{}, n.cfg.parallelism)
	var wg sync.WaitGroup
dispatch:
	for i, e := range events {
		if ctx.Err() == nil {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
			}
		}
		if err := ctx.Err(); err != nil {
			errs[len(events)] = fmt.Errorf("notify: %d records not attempted: %w", len(events)-i, err)
			break dispatch
		}
		wg.Go(func() {
			defer func() { <-sem }()
			errs[i] = n.Deliver(ctx, e)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// NotifyAlert delivers a whatever its status or severity, unless every target already has it.
func (n *Notifier) NotifyAlert(ctx context.Context, a omen.PredictiveAlert) error {
	return n.Deliver(ctx, AlertEvent(&a))
}

// NotifyAnomaly delivers a whatever its severity, unless every target already has it.
func (n *Notifier) NotifyAnomaly(ctx context.Context, a omen.Anomaly) error {
	return n.Deliver(ctx, AnomalyEvent(&a))
}

// Deliver sends e to every target that does not have it yet — by the Notifier's memory and, for a
// record it does not know to be delivered everywhere, by the Checker and the TargetMarker —,
// retrying each delivery as the package documentation describes, and records each delivery with
// the TargetMarker; when all targets have it, it tells the Marker. A record that another
// goroutine is delivering is waited for, then skipped if that delivery succeeded. An invalid
// event (no ID, no service) is an error and nothing is sent.
func (n *Notifier) Deliver(ctx context.Context, e Event) error {
	if err := e.validate(); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	var initial uint64 // a new entry's recorded set: all when there is no TargetMarker
	if n.targetMarker == nil {
		initial = n.all
	}
	entry, err := n.ledger.claim(ctx, ledgerKey{e.Kind, e.ID()}, n.all, initial, n.cfg.marker == nil)
	if err != nil {
		return fmt.Errorf("notify: %s %q: %w", e.Kind, e.ID(), err)
	}
	if entry == nil {
		n.deduplicated()
		n.log(ctx, slog.LevelDebug, "notification already delivered", e)
		return nil
	}
	delivered, recorded, marked := entry.state()
	if delivered != n.all { // an earlier run, or another instance, may have sent it since
		if n.deliveredBefore(ctx, e) {
			n.ledger.release(entry, n.all, n.all, true)
			n.deduplicated()
			n.log(ctx, slog.LevelDebug, "notification delivered elsewhere", e)
			return nil
		}
		elsewhere := n.deliveredTo(ctx, e)
		delivered |= elsewhere
		recorded |= elsewhere
	}
	// Each target that lacks the record gets it, and each that has it without the TargetMarker
	// knowing (its mark failed) is recorded again.
	sendErrs := make([]error, len(n.targets))
	markErrs := make([]error, len(n.targets)+1)
	var wg sync.WaitGroup
	for i, t := range n.targets {
		bit := uint64(1) << i
		switch {
		case delivered&bit == 0:
			wg.Go(func() {
				if sendErrs[i] = n.send(ctx, i, t, e); sendErrs[i] == nil {
					markErrs[i] = n.markTarget(ctx, e, t.Name())
				}
			})
		case recorded&bit == 0:
			n.counts[i].deduplicated.Add(1)
			wg.Go(func() { markErrs[i] = n.markTarget(ctx, e, t.Name()) })
		default:
			n.counts[i].deduplicated.Add(1)
		}
	}
	wg.Wait()
	for i := range n.targets {
		bit := uint64(1) << i
		if delivered&bit != 0 || sendErrs[i] == nil {
			delivered |= bit
			if markErrs[i] == nil {
				recorded |= bit
			}
		}
	}
	if delivered == n.all && !marked {
		markErrs[len(n.targets)] = n.mark(ctx, e)
		marked = markErrs[len(n.targets)] == nil
	}
	n.ledger.release(entry, delivered, recorded, marked)
	return errors.Join(append(sendErrs, markErrs...)...)
}

// deliveredTo asks the TargetMarker, if any, which targets have e already, and returns them as
// the ledger's bits. When it cannot tell, none: the record is sent to every target.
func (n *Notifier) deliveredTo(ctx context.Context, e Event) uint64 {
	if n.targetMarker == nil {
		return 0
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.timeout)
	defer cancel()
	var names []string
	var err error
	if e.Kind == KindAlert {
		names, err = n.targetMarker.AlertDeliveredTo(ctx, e.ID())
	} else {
		names, err = n.targetMarker.AnomalyDeliveredTo(ctx, e.ID())
	}
	if err != nil {
		n.log(ctx, slog.LevelWarn, "cannot tell which targets have the record; sending it to every target", e,
			slog.Any("error", err))
		return 0
	}
	var bits uint64
	for i, t := range n.targets {
		if slices.Contains(names, t.Name()) {
			bits |= 1 << i
		}
	}
	return bits
}

// markTarget tells the TargetMarker, if any, that target has e (see persist). A failure is
// counted with the Marker's and retried at the next Deliver of the record, which does not send
// it to the target again.
func (n *Notifier) markTarget(ctx context.Context, e Event, target string) error {
	if n.targetMarker == nil {
		return nil
	}
	err := n.persist(ctx, func(ctx context.Context) error {
		if e.Kind == KindAlert {
			return n.targetMarker.MarkAlertDelivered(ctx, e.ID(), target)
		}
		return n.targetMarker.MarkAnomalyDelivered(ctx, e.ID(), target)
	})
	if err != nil {
		n.marks.Add(1)
		n.log(ctx, slog.LevelError, "notification delivered but its target not recorded", e,
			slog.String("target", target), slog.Any("error", err))
		return fmt.Errorf("notify: mark %s %q delivered to %s: %w", e.Kind, e.ID(), target, err)
	}
	return nil
}

// deduplicated counts a delivery skipped at every target.
func (n *Notifier) deduplicated() {
	for i := range n.counts {
		n.counts[i].deduplicated.Add(1)
	}
}

// deliveredBefore asks the Checker, if any, whether e was delivered to every target before.
// When it cannot tell, the record is sent: a page twice is better than none.
func (n *Notifier) deliveredBefore(ctx context.Context, e Event) bool {
	if n.checker == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.timeout)
	defer cancel()
	var done bool
	var err error
	if e.Kind == KindAlert {
		done, err = n.checker.AlertSent(ctx, e.ID())
	} else {
		done, err = n.checker.AnomalyNotified(ctx, e.ID())
	}
	if err != nil {
		n.log(ctx, slog.LevelWarn, "cannot tell whether the record was delivered before; sending it", e,
			slog.Any("error", err))
		return false
	}
	return done
}

// persist makes call, a Marker or TargetMarker call, up to WithAttempts times with the
// deliveries' backoff between tries: a store outage shorter than that does not leave a delivered
// record unrecorded, which another instance would then deliver again. Each try is bounded by
// the request timeout and outlives the end of ctx, so that a notification that went out is
// recorded during a shutdown; the waits between tries end with ctx.
func (n *Notifier) persist(ctx context.Context, call func(context.Context) error) error {
	for attempt := 1; ; attempt++ {
		tryCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), n.cfg.timeout)
		err := call(tryCtx)
		cancel()
		if err == nil || attempt == n.cfg.attempts {
			return err
		}
		if serr := n.sleep(ctx, n.backoff(attempt)); serr != nil {
			return err
		}
	}
}

// mark tells the Marker that every target has e (see persist).
func (n *Notifier) mark(ctx context.Context, e Event) error {
	at := n.cfg.now()
	err := n.persist(ctx, func(ctx context.Context) error {
		if e.Kind == KindAlert {
			return n.cfg.marker.MarkAlertSent(ctx, e.ID(), at)
		}
		return n.cfg.marker.MarkAnomalyNotified(ctx, e.ID(), at)
	})
	if err != nil {
		n.marks.Add(1)
		n.log(ctx, slog.LevelError, "notification delivered but not marked", e, slog.Any("error", err))
		return fmt.Errorf("notify: mark %s %q delivered: %w", e.Kind, e.ID(), err)
	}
	return nil
}

func (n *Notifier) log(ctx context.Context, level slog.Level, msg string, e Event, attrs ...slog.Attr) {
	if !n.cfg.logger.Enabled(ctx, level) {
		return
	}
	attrs = append([]slog.Attr{slog.String("kind", string(e.Kind)), slog.String("id", e.ID()),
		slog.String("service", e.Service())}, attrs...)
	n.cfg.logger.LogAttrs(ctx, level, msg, attrs...)
}

// Counts are running totals of deliveries: one delivery is one record to one target.
type Counts struct {
	Sent         uint64 // deliveries that succeeded
	Failed       uint64 // deliveries that failed after their last attempt or a permanent error
	Retried      uint64 // attempts after the first
	Deduplicated uint64 // deliveries skipped because the target already had the record
}

// Stats are the running totals of a Notifier.
type Stats struct {
	Counts                       // over all targets
	MarkFailed uint64            // Marker calls failed after their tries: records delivered to every target, or (TargetMarker) to one
	Targets    map[string]Counts // per target, by name
}

// Stats returns the running totals, for export as Prometheus counters.
func (n *Notifier) Stats() Stats {
	s := Stats{MarkFailed: n.marks.Load(), Targets: make(map[string]Counts, len(n.targets))}
	for i, t := range n.targets {
		c := &n.counts[i]
		ts := Counts{Sent: c.sent.Load(), Failed: c.failed.Load(), Retried: c.retried.Load(),
			Deduplicated: c.deduplicated.Load()}
		s.Targets[t.Name()] = ts
		s.Sent += ts.Sent
		s.Failed += ts.Failed
		s.Retried += ts.Retried
		s.Deduplicated += ts.Deduplicated
	}
	return s
}
