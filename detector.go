package omen

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/stacklens/omen/severity"
)

// DetectorConfig holds the settings of a Detector. A zero field means its documented default.
type DetectorConfig struct {
	// History is the number of windows kept per service, the training set of its models.
	// Default 168 (a week of hourly windows).
	History int
	// MinHistory is the number of windows a service needs before its models are trained.
	// Default 24.
	MinHistory int
	// RetrainEvery is the number of the service's own windows between two trainings once the
	// history is full; while it fills, the models are retrained whenever it has doubled since the
	// last training (24, 48, 96 windows by default). Default 168: a full week of hourly windows is
	// renewed between two trainings, and training stays off 99 % of the calls.
	RetrainEvery int
	// Trees and SampleSize are the isolation forest's T and ψ. Defaults 50 and 128, which keep a
	// service's forest near 70 kB (see the package documentation on memory).
	Trees, SampleSize int
	// Seed seeds the isolation forests; with equal windows and Seed the output is identical.
	Seed uint64
	// MinScore is the smallest calibrated score (0–100) of a metric's value reported as a spike,
	// dip, trend change or seasonality break. Default 40, a tail probability of 4·10⁻³ under the
	// service's normal operation. The value must also stand out by 4 robust deviations, or a
	// sustained shift's CUSUM sum reach 4.5 long-run deviations; a value 8 robust deviations out
	// needs only three quarters of MinScore.
	MinScore float64
	// OutlierScore is the smallest calibrated score reported as an outlier: of the whole window
	// (isolation forest; half of it when a metric of the same window is anomalous, a consensus
	// of two detectors), or of a metric whose values scatter more widely than usual. Default 50,
	// a tail probability of 10⁻³.
	OutlierScore float64
	// ShiftWindows is the number of consecutive windows away from every known pattern that make a
	// pattern shift. Default 3.
	ShiftWindows int
	// Levels are the severity boundaries on the 0–100 score; zero fields mean 25, 50 and 75.
	Levels severity.Levels
}

// maxConfigWindows bounds the engines' counts of windows, trees and paths: 2²⁰, beyond any
// useful setting and small enough that the buffers they size can always be allocated.
const maxConfigWindows = 1 << 20

func (c DetectorConfig) withDefaults() DetectorConfig {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.History, 168)
	def(&c.MinHistory, 24)
	def(&c.RetrainEvery, 168)
	def(&c.Trees, 50)
	def(&c.SampleSize, 128)
	def(&c.ShiftWindows, 3)
	if c.MinScore == 0 {
		c.MinScore = 40
	}
	if c.OutlierScore == 0 {
		c.OutlierScore = 50
	}
	return c
}

func (c DetectorConfig) validate() error {
	switch {
	case c.History < 0 || c.MinHistory < 0 || c.RetrainEvery < 0 || c.Trees < 0 || c.SampleSize < 0 || c.ShiftWindows < 0:
		return errors.New("omen: negative DetectorConfig field")
	case c.History > maxConfigWindows || c.RetrainEvery > maxConfigWindows || c.ShiftWindows > maxConfigWindows || c.Trees > maxConfigWindows:
		return fmt.Errorf("omen: DetectorConfig: History, RetrainEvery, ShiftWindows and Trees must be at most %d", maxConfigWindows)
	case c.SampleSize < 2:
		return fmt.Errorf("omen: DetectorConfig: SampleSize %d, want at least 2", c.SampleSize)
	case c.MinHistory > c.History:
		return fmt.Errorf("omen: MinHistory %d above History %d", c.MinHistory, c.History)
	case c.MinHistory < 8:
		return fmt.Errorf("omen: MinHistory %d, want at least 8 windows to train on", c.MinHistory)
	case !(c.MinScore > 0 && c.MinScore <= 100) || !(c.OutlierScore > 0 && c.OutlierScore <= 100):
		return fmt.Errorf("omen: MinScore %v or OutlierScore %v outside (0, 100]", c.MinScore, c.OutlierScore)
	}
	if err := c.Levels.Validate(); err != nil {
		return fmt.Errorf("omen: DetectorConfig.Levels: %w", err)
	}
	return nil
}

// DetectorOption sets a rarely used Detector setting.
type DetectorOption func(*Detector)

// WithStateStore makes the Detector save a service's state to store on Release and restore it,
// lazily, the first time it sees the service.
func WithStateStore(store StateStore) DetectorOption {
	return func(d *Detector) { d.store = store }
}

// WithHistory makes the Detector catch a service up from h when it first sees it: after the
// restore from the StateStore (if any), the service's windows in h that are newer than the state
// and older than the window being observed (all of them, up to 16 times History; for a service
// without a state, the last History of them) are learned without producing results. A state saved some windows before a crash thus resumes exactly where the
// crashed instance stopped, provided the Sink wrote those windows to h (Results.Metrics), which it
// did before their offsets were committed.
func WithHistory(h History) DetectorOption {
	return func(d *Detector) { d.history = h }
}

// WithRejectedState sets a function called when the StateStore holds a state of a service that
// cannot be restored — corrupt, of an unknown version, or saved by a Detector with another
// History — with the service and the reason. Whether or not one is set, such a service then
// starts afresh, caught up from the History like a service met for the first time: its windows
// are there, so nothing is lost but the age of its models (an unreadable state once failed every
// window of the service, for ever). f may be called from several goroutines at once.
func WithRejectedState(f func(service string, err error)) DetectorOption {
	return func(d *Detector) { d.rejected = f }
}

// Detector is the ML service's logic: for every window of a service it reports the window's
// anomalies — outliers, spikes, dips, trend changes, pattern shifts and seasonality breaks — with
// calibrated severities and confidences, and the service's new or changed patterns. See the
// package documentation for the method.
//
// A Detector keeps independent state per service. It is safe for concurrent use: calls for
// different services run in parallel, calls for one service are serialised, and the output
// depends only on the service's own windows, the config and the Seed, never on timing.
type Detector struct {
	cfg      DetectorConfig
	store    StateStore
	history  History
	rejected func(service string, err error) // WithRejectedState

	mu       sync.Mutex
	services map[string]*detEntry
}

// detEntry holds one service's state behind its own lock. A nil state with loaded false has not
// been restored from the StateStore yet.
type detEntry struct {
	mu     sync.Mutex
	loaded bool
	state  *detService
}

// NewDetector returns a Detector with cfg. It returns an error for an invalid cfg.
func NewDetector(cfg DetectorConfig, opts ...DetectorOption) (*Detector, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	d := &Detector{cfg: cfg, services: map[string]*detEntry{}}
	for _, opt := range opts {
		opt(d)
	}
	return d, nil
}

// Config returns the configuration in use, defaults filled in.
func (d *Detector) Config() DetectorConfig { return d.cfg }

// entry returns the service's entry, creating an empty one.
func (d *Detector) entry(service string) *detEntry {
	d.mu.Lock()
	defer d.mu.Unlock()
	e := d.services[service]
	if e == nil {
		e = &detEntry{}
		d.services[service] = e
	}
	return e
}

// lockEntry returns the service's current entry (created empty if there is none), locked.
func (d *Detector) lockEntry(service string) *detEntry {
	e := d.entry(service)
	e.mu.Lock()
	for !d.current(service, e) { // forgotten while we waited: take the new entry
		e.mu.Unlock()
		e = d.entry(service)
		e.mu.Lock()
	}
	return e
}

// current reports whether e is the service's entry.
func (d *Detector) current(service string, e *detEntry) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.services[service] == e
}

// lockService returns the service's entry locked and its state loaded the first time: restored
// from the StateStore, then caught up from the History with the windows before until (none for a
// zero until). The caller unlocks e.mu.
func (d *Detector) lockService(ctx context.Context, service string, until time.Time) (*detEntry, error) {
	e := d.lockEntry(service)
	if e.loaded {
		return e, nil
	}
	st := newDetService(service, d.cfg)
	if d.store != nil {
		data, err := d.store.LoadState(ctx, StateDetector, service)
		if err != nil {
			e.mu.Unlock()
			return nil, fmt.Errorf("omen: loading the state of service %q: %w", service, err)
		}
		if data != nil {
			if err := st.unmarshal(data); err != nil {
				st = newDetService(service, d.cfg)
				if d.rejected != nil {
					d.rejected(service, fmt.Errorf("omen: restoring service %q: %w", service, err))
				}
			}
		}
	}
	if d.history != nil && !until.IsZero() {
		var last time.Time
		if st.hasLast {
			last = st.last.Timestamp
		}
		windows, err := windowsSince(ctx, d.history, service, last, until, d.cfg.History)
		if err != nil {
			e.mu.Unlock()
			return nil, fmt.Errorf("omen: catching service %q up from its history: %w", service, err)
		}
		st.catchUp(windows)
	}
	e.state, e.loaded = st, true
	return e, nil
}

// Observe analyses window m of its service and returns what it produced: the window itself (in
// Results.Metrics, so that a Sink keeps the history), the window's anomalies and the service's
// new or changed patterns.
//
// m must pass Metrics.Validate, and its timestamp must not be older than the service's last
// window; otherwise Observe returns an error wrapping ErrInvalidMetrics (and ErrStaleWindow for
// an older window) and changes nothing.
// Observing the last window again returns the same results without changing any state, so a
// redelivered message is harmless; the same timestamp with other values is an error. Errors not
// wrapping ErrInvalidMetrics come from the StateStore (the lazy restore) or ctx.
func (d *Detector) Observe(ctx context.Context, m Metrics) (Results, error) {
	if err := m.Validate(); err != nil {
		return Results{}, err
	}
	if err := ctx.Err(); err != nil {
		return Results{}, err
	}
	m.Timestamp = m.Timestamp.UTC()
	e, err := d.lockService(ctx, m.Service, m.Timestamp)
	if err != nil {
		return Results{}, err
	}
	defer e.mu.Unlock()
	return e.state.observe(m)
}

// Process is Observe for a consumer that delivers at least once; it makes a Detector a
// kafkaadapter.Processor. A window older than the service's last (ErrStaleWindow) is, on a
// partition that keeps a service's windows in order, a redelivery of one already analysed: Process
// returns it alone in Results.Metrics (so the Sink's history keeps it, idempotently) and no error,
// instead of having the consumer dead-letter it.
func (d *Detector) Process(ctx context.Context, m Metrics) (Results, error) {
	res, err := d.Observe(ctx, m)
	if errors.Is(err, ErrStaleWindow) {
		m.Timestamp = m.Timestamp.UTC()
		return Results{Metrics: []Metrics{m}}, nil
	}
	return res, err
}

// Release saves the state of the given services to the StateStore (when one is configured) and
// forgets them. A service seen again later is restored from the store. It stops at the first
// error, leaving that service and the ones after it in memory.
func (d *Detector) Release(ctx context.Context, services []string) error {
	for _, s := range services {
		if err := d.release(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

func (d *Detector) release(ctx context.Context, service string) error {
	d.mu.Lock()
	e := d.services[service]
	d.mu.Unlock()
	if e == nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.loaded && d.store != nil {
		data, err := e.state.marshal()
		if err != nil {
			return err
		}
		if err := d.store.SaveState(ctx, StateDetector, service, data); err != nil {
			return fmt.Errorf("omen: saving the state of service %q: %w", service, err)
		}
	}
	d.forget(service, e)
	return nil
}

// forget drops the service's entry, which the caller holds locked; a concurrent call that already
// holds the old entry finds it unloaded and restores the service again.
func (d *Detector) forget(service string, e *detEntry) {
	d.mu.Lock()
	if d.services[service] == e {
		delete(d.services, service)
	}
	d.mu.Unlock()
	e.state, e.loaded = nil, false
}

// Discard forgets the given services without saving them; their next windows restore them from
// the StateStore. It makes a Detector a kafkaadapter.Discarder.
func (d *Detector) Discard(services []string) {
	for _, s := range services {
		d.mu.Lock()
		e := d.services[s]
		d.mu.Unlock()
		if e == nil {
			continue
		}
		e.mu.Lock()
		d.forget(s, e)
		e.mu.Unlock()
	}
}

// Services returns the services the Detector holds in memory, sorted.
func (d *Detector) Services() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]string, 0, len(d.services))
	for s := range d.services {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// WarmStart trains every service of h from its stored windows (at most History of them, the most
// recent ones before now), as if they had been observed, without reporting anything. A service
// that already has windows in memory keeps them and only takes the stored windows after its last
// one. It returns the first error of h or of a window (wrapping ErrInvalidMetrics).
func (d *Detector) WarmStart(ctx context.Context, h History) error {
	services, err := h.Services(ctx)
	if err != nil {
		return fmt.Errorf("omen: warm start: %w", err)
	}
	for _, s := range services {
		windows, err := h.Recent(ctx, s, detFarFuture, d.cfg.History)
		if err != nil {
			return fmt.Errorf("omen: warm start of service %q: %w", s, err)
		}
		e, err := d.lockService(ctx, s, time.Time{})
		if err != nil {
			return err
		}
		err = e.state.warm(windows)
		e.mu.Unlock()
		if err != nil {
			return fmt.Errorf("omen: warm start of service %q: %w", s, err)
		}
	}
	return nil
}

// detFarFuture bounds the windows a warm start reads: all of them.
var detFarFuture = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// Snapshot returns the whole state of service (history, models, calibrations, streaming
// detectors) in a versioned binary encoding that Restore reads; a Detector restored from it gives
// exactly the output the original would have given. A service never seen gives an error.
func (d *Detector) Snapshot(service string) ([]byte, error) {
	d.mu.Lock()
	e := d.services[service]
	d.mu.Unlock()
	if e == nil {
		return nil, fmt.Errorf("omen: snapshot of unknown service %q", service)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.loaded {
		return nil, fmt.Errorf("omen: snapshot of released service %q", service)
	}
	return e.state.marshal()
}

// Restore replaces the state of service with data from Snapshot. It validates the whole encoding
// and returns an error, leaving the Detector unchanged, for anything malformed or for a snapshot
// of another service or of a Detector with another History. What the service learned comes from
// the snapshot; how it is graded and reported (Levels, ShiftWindows, RetrainEvery) comes from this
// Detector's config, whatever the config of the Detector that took the snapshot.
func (d *Detector) Restore(service string, data []byte) error {
	st := newDetService(service, d.cfg)
	if err := st.unmarshal(data); err != nil {
		return fmt.Errorf("omen: restoring service %q: %w", service, err)
	}
	e := d.lockEntry(service)
	e.state, e.loaded = st, true
	e.mu.Unlock()
	return nil
}
