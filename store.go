package omen

import (
	"cmp"
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"time"
)

// Results is everything that one analytics window produced. A Sink writes it as one unit, so a
// message's input offset can be committed once its results are durable.
type Results struct {
	Metrics   []Metrics
	Anomalies []Anomaly
	Patterns  []Pattern
	Forecasts []Forecast        // new forecasts, and earlier ones completed with their actual value
	Alerts    []PredictiveAlert // new alerts, and earlier ones whose status changed
}

// Empty reports whether r holds no record.
func (r Results) Empty() bool {
	return len(r.Metrics)+len(r.Anomalies)+len(r.Patterns)+len(r.Forecasts)+len(r.Alerts) == 0
}

// History gives the engine the recent windows of a service, for warm starts.
type History interface {
	// Recent returns at most limit of the service's windows with a timestamp before until, the
	// most recent ones, oldest first.
	Recent(ctx context.Context, service string, until time.Time, limit int) ([]Metrics, error)
	// Services lists the services that have any history, sorted.
	Services(ctx context.Context) ([]string, error)
}

// windowsSince returns the windows of service in h with a timestamp before until that are newer
// than last, oldest first: all of them, reading further back (limit, then four times as many, up
// to maxCatchUp times limit) while the oldest read is still newer than last. A zero last (a state
// that has seen nothing) takes the most recent limit windows. Restores catch up with them: a
// state saved more than limit windows before a crash once resumed from the last limit windows
// only, not where the crashed instance stopped. A state older than maxCatchUp·limit windows
// resumes from the most recent of them, bounding the work of its first window.
func windowsSince(ctx context.Context, h History, service string, last, until time.Time, limit int) ([]Metrics, error) {
	// A store that keeps microseconds (PostgreSQL) may hold the window being processed itself,
	// stamped a fraction of a microsecond earlier: it must not be caught up and then observed.
	until = until.Truncate(time.Microsecond)
	most := limit * maxCatchUp
	for {
		windows, err := h.Recent(ctx, service, until, limit)
		if err != nil || last.IsZero() || len(windows) < limit || !windows[0].Timestamp.After(last) || limit >= most {
			return windows, err
		}
		limit = min(limit*4, most)
	}
}

// maxCatchUp bounds a restore's catch-up, in multiples of the engine's history: 16 weeks of
// hourly windows with the default week.
const maxCatchUp = 16

// Sink makes results durable. Write is idempotent: records are keyed by their IDs (metrics by
// service and timestamp), and writing one again replaces its mutable fields (a forecast's actual
// value, an alert's status) without duplicating it. An error wrapping ErrRejectedRecord says that
// the store can never take some record of r as it is; any other error may pass.
type Sink interface {
	Write(ctx context.Context, r Results) error
}

// ErrRejectedRecord is wrapped by a Sink's error for results it can never store as they are — a
// value out of a column's range, a record its schema refuses — so that retrying the same write
// cannot help. A consumer then writes the batch window by window and sets aside the windows whose
// results are rejected (kafkaadapter dead-letters them) instead of retrying for ever.
var ErrRejectedRecord = errors.New("omen: results rejected by the store")

// StateStore keeps the engine's serialized per-service state (models, baselines), so that an
// instance that restarts or gains a service in a rebalance resumes instead of retraining.
//
// States are keyed by component and service: the Detector saves under StateDetector and the
// Alerter under StateAlerter, so both can share one store without overwriting each other.
type StateStore interface {
	SaveState(ctx context.Context, component, service string, state []byte) error
	// LoadState returns the saved state, or nil and no error when there is none.
	LoadState(ctx context.Context, component, service string) ([]byte, error)
}

// The components that keep state in a StateStore.
const (
	StateDetector = "detector"
	StateAlerter  = "alerter"
)

// MemoryStore is an in-memory History, Sink and StateStore. It is safe for concurrent use; its
// accessors return copies in a deterministic order.
type MemoryStore struct {
	mu        sync.Mutex
	metrics   map[string]map[time.Time]Metrics // service → window start → window
	anomalies map[string]Anomaly
	patterns  map[string]Pattern
	forecasts map[string]Forecast
	alerts    map[string]PredictiveAlert
	states    map[stateKey][]byte
}

type stateKey struct{ component, service string }

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{
		metrics:   map[string]map[time.Time]Metrics{},
		anomalies: map[string]Anomaly{},
		patterns:  map[string]Pattern{},
		forecasts: map[string]Forecast{},
		alerts:    map[string]PredictiveAlert{},
		states:    map[stateKey][]byte{},
	}
}

// Write stores r; see Sink.
func (s *MemoryStore) Write(ctx context.Context, r Results) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range r.Metrics {
		byTime := s.metrics[m.Service]
		if byTime == nil {
			byTime = map[time.Time]Metrics{}
			s.metrics[m.Service] = byTime
		}
		byTime[m.Timestamp.UTC()] = m
	}
	for _, a := range r.Anomalies {
		s.anomalies[a.ID] = cloneAnomaly(a)
	}
	for _, p := range r.Patterns {
		s.patterns[p.ID] = clonePattern(p)
	}
	for _, f := range r.Forecasts {
		s.forecasts[f.ID] = cloneForecast(f)
	}
	for _, a := range r.Alerts {
		s.alerts[a.ID] = cloneAlert(a)
	}
	return nil
}

// The clones keep the store's records apart from the caller's: maps, slices and what pointers
// point to are copied, on the way in and on the way out.
func cloneAnomaly(a Anomaly) Anomaly {
	a.Contributions = maps.Clone(a.Contributions)
	return a
}

func clonePattern(p Pattern) Pattern {
	p.Vector, p.Features = slices.Clone(p.Vector), slices.Clone(p.Features)
	return p
}

func cloneForecast(f Forecast) Forecast {
	f.Actual, f.Error = clonePtr(f.Actual), clonePtr(f.Error)
	return f
}

func cloneAlert(a PredictiveAlert) PredictiveAlert {
	a.SentAt, a.MaterializedAt = clonePtr(a.SentAt), clonePtr(a.MaterializedAt)
	return a
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// cloned returns the stored records of m, each cloned, in the order of compare.
func cloned[T any](m map[string]T, clone func(T) T, compare func(a, b T) int) []T {
	out := make([]T, 0, len(m))
	for _, v := range m {
		out = append(out, clone(v))
	}
	slices.SortFunc(out, compare)
	return out
}

// Recent implements History.
func (s *MemoryStore) Recent(ctx context.Context, service string, until time.Time, limit int) ([]Metrics, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Metrics
	for t, m := range s.metrics[service] {
		if t.Before(until) {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b Metrics) int { return a.Timestamp.Compare(b.Timestamp) })
	if limit >= 0 && len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out, nil
}

// Services implements History.
func (s *MemoryStore) Services(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.metrics))
	for svc := range s.metrics {
		out = append(out, svc)
	}
	slices.Sort(out)
	return out, nil
}

// SaveState implements StateStore.
func (s *MemoryStore) SaveState(ctx context.Context, component, service string, state []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.states[stateKey{component, service}] = slices.Clone(state)
	return nil
}

// LoadState implements StateStore.
func (s *MemoryStore) LoadState(ctx context.Context, component, service string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.states[stateKey{component, service}]), nil
}

// Anomalies returns the stored anomalies ordered by timestamp, service, type and ID.
func (s *MemoryStore) Anomalies() []Anomaly {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloned(s.anomalies, cloneAnomaly, func(a, b Anomaly) int {
		return cmp.Or(a.Timestamp.Compare(b.Timestamp), cmp.Compare(a.Service, b.Service),
			cmp.Compare(a.Type, b.Type), cmp.Compare(a.ID, b.ID))
	})
}

// Patterns returns the stored patterns ordered by service and ID.
func (s *MemoryStore) Patterns() []Pattern {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloned(s.patterns, clonePattern, func(a, b Pattern) int { return cmp.Or(cmp.Compare(a.Service, b.Service), cmp.Compare(a.ID, b.ID)) })
}

// Forecasts returns the stored forecasts ordered by issue time, service, metric and target time.
func (s *MemoryStore) Forecasts() []Forecast {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloned(s.forecasts, cloneForecast, func(a, b Forecast) int {
		return cmp.Or(a.IssuedAt.Compare(b.IssuedAt), cmp.Compare(a.Service, b.Service),
			cmp.Compare(a.Metric, b.Metric), a.Timestamp.Compare(b.Timestamp))
	})
}

// Alerts returns the stored predictive alerts ordered by issue time, service, metric and ID.
func (s *MemoryStore) Alerts() []PredictiveAlert {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloned(s.alerts, cloneAlert, func(a, b PredictiveAlert) int {
		return cmp.Or(a.IssuedAt.Compare(b.IssuedAt), cmp.Compare(a.Service, b.Service),
			cmp.Compare(a.Metric, b.Metric), cmp.Compare(a.ID, b.ID))
	})
}

// MetricsCount returns the number of stored windows.
func (s *MemoryStore) MetricsCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, byTime := range s.metrics {
		n += len(byTime)
	}
	return n
}
