package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/stacklens/omen"
	"github.com/stacklens/omen/kafkaadapter"
)

// engine is what the Detector and the Alerter both are.
type engine interface {
	kafkaadapter.Processor
	kafkaadapter.Discarder
	Observe(ctx context.Context, m omen.Metrics) (omen.Results, error)
	Snapshot(service string) ([]byte, error)
}

// trackedEngine counts and times the engine's calls and, for checkpoints, remembers the
// services it processed since the last one. It keeps Release and Discard, so the consumer still
// sees a Discarder; both exclude a checkpoint in progress, so that a checkpoint never saves a
// service's state after its partition was handed to another instance.
type trackedEngine struct {
	engine
	counters  *counters
	component string // the StateStore component: omen.StateDetector or omen.StateAlerter

	maxSkew time.Duration // Config.MaxClockSkew (negative: no limit)

	mu      sync.Mutex // held by checkpoints, Release and Discard
	track   bool
	touched map[string]struct{} // guarded by tmu
	tmu     sync.Mutex
}

func newTrackedEngine(e engine, c *counters, role Role, track bool, maxSkew time.Duration) *trackedEngine {
	component := omen.StateDetector
	if role == PredictiveAlerter {
		component = omen.StateAlerter
	}
	return &trackedEngine{engine: e, counters: c, component: component, track: track, touched: map[string]struct{}{},
		maxSkew: maxSkew}
}

// Process hands m to the engine, unless its timestamp lies more than maxSkew ahead of the clock:
// that window is rejected as invalid (the consumer dead-letters it) before the engine sees it.
func (e *trackedEngine) Process(ctx context.Context, m omen.Metrics) (omen.Results, error) {
	start := time.Now()
	if ahead := m.Timestamp.Sub(start); e.maxSkew >= 0 && ahead > e.maxSkew {
		e.counters.engineErrors.Add(1)
		return omen.Results{}, fmt.Errorf("pipeline: %w: the window of service %q is stamped %s, %v ahead of this consumer's clock (at most %v allowed)",
			omen.ErrInvalidMetrics, m.Service, m.Timestamp.UTC().Format(time.RFC3339Nano), ahead.Round(time.Second), e.maxSkew)
	}
	r, err := e.engine.Observe(ctx, m)
	if errors.Is(err, omen.ErrStaleWindow) {
		// Older than the service's last window: on input keyed by service, a redelivery, which
		// Process answers; counted, since on input that is not it is a window never analysed.
		e.counters.stale.Add(1)
		r, err = e.engine.Process(ctx, m)
	}
	e.counters.engine.observe(time.Since(start))
	if err != nil {
		e.counters.engineErrors.Add(1)
		return r, err
	}
	e.counters.windows.Add(1)
	if e.track {
		e.tmu.Lock()
		e.touched[m.Service] = struct{}{}
		e.tmu.Unlock()
	}
	return r, nil
}

func (e *trackedEngine) Release(ctx context.Context, services []string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.untouch(services)
	return e.engine.Release(ctx, services)
}

func (e *trackedEngine) Discard(services []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.untouch(services)
	e.engine.Discard(services)
}

func (e *trackedEngine) untouch(services []string) {
	e.tmu.Lock()
	for _, s := range services {
		delete(e.touched, s)
	}
	e.tmu.Unlock()
}

// checkpoint saves the state of the services processed since the last checkpoint to the store,
// when CheckpointInterval has elapsed since then. It runs in the consumer's poll loop at the
// start of a poll (a kgo HookPollStart), when the previous poll's results are durable, published
// and committed and no window is in the engine: each saved state is that of the committed
// offsets. A service whose save fails stays due for the next checkpoint. See the package
// documentation for what a crash leaves.
func (s *Service) checkpoint(ctx context.Context) {
	e := s.engine
	// The client polls once more with a nil context while it closes; when stopping, Release
	// saves everything.
	if !e.track || ctx == nil || ctx.Err() != nil || time.Since(s.lastCheckpoint) < s.cfg.CheckpointInterval {
		return
	}
	s.lastCheckpoint = time.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.tmu.Lock()
	due := e.touched
	e.touched = map[string]struct{}{}
	e.tmu.Unlock()
	if len(due) == 0 {
		return
	}
	start := time.Now()
	saved, failed := 0, 0
	for svc := range due {
		data, err := e.Snapshot(svc)
		if err != nil {
			continue // released or discarded meanwhile: nothing of it is held here any more
		}
		if err := s.store.SaveState(ctx, e.component, svc, data); err != nil {
			failed++
			e.tmu.Lock()
			e.touched[svc] = struct{}{}
			e.tmu.Unlock()
			s.log.WarnContext(ctx, "checkpoint of a service's state failed; retried at the next one",
				slog.String("service", svc), slog.Any("error", err))
			continue
		}
		saved++
	}
	s.counters.checkpointed.Add(int64(saved))
	s.counters.checkpointFailures.Add(int64(failed))
	s.log.DebugContext(ctx, "checkpoint", slog.Int("services", saved), slog.Int("failed", failed),
		slog.Duration("took", time.Since(start)))
}
