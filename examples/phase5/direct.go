package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"

	"github.com/stacklens/omen"
)

// engineConfig is what the engines' output depends on besides the stream: the seed of the
// Detector's isolation forests and of the Alerter's Monte Carlo paths.
type engineConfig struct {
	seed     uint64
	capacity map[string]float64 // AlerterConfig.Capacity: requests per hour by service
}

// engines are the ML service's Detector and the predictive alerter's Alerter, saving their
// per-service state to one StateStore on Release.
type engines struct {
	detector *omen.Detector
	alerter  *omen.Alerter
}

// newEngines returns fresh engines that restore a service's state from states, when it holds
// one, the first time they see the service.
func newEngines(cfg engineConfig, states omen.StateStore) (engines, error) {
	det, err := omen.NewDetector(omen.DetectorConfig{Seed: cfg.seed}, omen.WithStateStore(states))
	if err != nil {
		return engines{}, err
	}
	al := omen.NewAlerter(cfg.alerter(), omen.WithAlerterStateStore(states))
	return engines{detector: det, alerter: al}, nil
}

// alerter returns the Alerter's configuration: one forecast record per window and metric (the
// next step) keeps the output readable; the alerts still use the whole horizon.
func (cfg engineConfig) alerter() omen.AlerterConfig {
	return omen.AlerterConfig{Seed: cfg.seed, ForecastRecords: 1, Capacity: cfg.capacity}
}

// capacityPlans returns the capacity plans of the services with a capacity, from the Alerter
// states the replay saved to states, sorted by service; a service without a plan (no window, too
// few windows) is reported in missing with the reason.
func capacityPlans(ctx context.Context, cfg engineConfig, states omen.StateStore) (plans []omen.CapacityPlan, missing []string, err error) {
	a := omen.NewAlerter(cfg.alerter())
	for _, svc := range slices.Sorted(maps.Keys(cfg.capacity)) {
		data, err := states.LoadState(ctx, omen.StateAlerter, svc)
		if err != nil {
			return nil, nil, err
		}
		if data != nil {
			if err := a.Restore(svc, data); err != nil {
				return nil, nil, err
			}
		}
		p, err := a.CapacityPlan(svc)
		if err != nil {
			missing = append(missing, err.Error())
			continue
		}
		plans = append(plans, p)
	}
	return plans, missing, nil
}

// release saves every service's state to the engines' StateStore and forgets it, as a consumer
// does when it stops or loses its partitions.
func (e engines) release(ctx context.Context) error {
	if err := e.detector.Release(ctx, e.detector.Services()); err != nil {
		return fmt.Errorf("detector: %w", err)
	}
	if err := e.alerter.Release(ctx, e.alerter.Services()); err != nil {
		return fmt.Errorf("alerter: %w", err)
	}
	return nil
}

// replayDirect hands each service's messages, in order, to the Detector and then to the
// Alerter, writing the results of each to sink: the in-memory path, without Kafka. Services are
// replayed in parallel, one goroutine each, as a consumer processes its partitions; the
// recorder orders the output by input line whatever the interleaving. A window that an engine
// rejects as invalid is reported on stderr (in line order once the replay is over), appended to
// bad and skipped. Any other error stops the replay, and the error returned is that of the
// earliest line among those that failed before the others stopped.
func replayDirect(ctx context.Context, msgs []message, e engines, rec *recorder, sink omen.Sink, source string, stderr io.Writer) (bad []badLine, err error) {
	procs := [components]processor{
		detectorComponent: rec.wrap(detectorComponent, e.detector),
		alerterComponent:  rec.wrap(alerterComponent, e.alerter),
	}
	var services [][]message // each service's messages in input order, services by first line
	index := map[string]int{}
	for _, msg := range msgs {
		i, ok := index[msg.metrics.Service]
		if !ok {
			i = len(services)
			index[msg.metrics.Service] = i
			services = append(services, nil)
		}
		services[i] = append(services[i], msg)
	}

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	type failure struct {
		line int
		err  error
	}
	var (
		mu       sync.Mutex
		failures []failure
	)
	replay := func(own []message) {
		for _, msg := range own {
			for _, p := range procs {
				if runCtx.Err() != nil {
					return
				}
				res, err := p.Process(runCtx, msg.metrics)
				if errors.Is(err, omen.ErrInvalidMetrics) {
					mu.Lock()
					bad = append(bad, badLine{Line: msg.line, Reason: err.Error()})
					mu.Unlock()
					break
				}
				if err == nil {
					err = sink.Write(runCtx, res)
				}
				if err != nil {
					// An error that only reports the stop of another service's failure is not one.
					if runCtx.Err() == nil || !errors.Is(err, context.Canceled) {
						mu.Lock()
						failures = append(failures, failure{msg.line, fmt.Errorf("%s: line %d: %w", source, msg.line, err)})
						mu.Unlock()
					}
					stop()
					return
				}
			}
		}
	}
	var wg sync.WaitGroup
	for _, own := range services {
		wg.Go(func() { replay(own) })
	}
	wg.Wait()

	slices.SortFunc(bad, func(a, b badLine) int { return cmp.Compare(a.Line, b.Line) })
	for _, b := range bad {
		fmt.Fprintf(stderr, "phase5: %s: line %d skipped: %s\n", source, b.Line, b.Reason)
	}
	if err := ctx.Err(); err != nil {
		return bad, err
	}
	if len(failures) > 0 {
		first := slices.MinFunc(failures, func(a, b failure) int { return cmp.Compare(a.line, b.line) })
		return bad, first.err
	}
	return bad, nil
}
