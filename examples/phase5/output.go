package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"sync"
	"time"

	"github.com/stacklens/omen"
)

// The engine components, in the order their results are written for a window.
const (
	detectorComponent = iota // the ML service's Detector
	alerterComponent         // the predictive alerter's Alerter
	components
)

// processor turns one window into results and saves and forgets services on a release: the
// engine's Detector and Alerter, and kafkaadapter.Processor.
type processor interface {
	Process(ctx context.Context, m omen.Metrics) (omen.Results, error)
	Release(ctx context.Context, services []string) error
}

// windowKey identifies an analytics window: its service and its start.
type windowKey struct {
	service string
	start   int64 // Unix nanoseconds
}

func keyOf(m omen.Metrics) windowKey { return windowKey{m.Service, m.Timestamp.UnixNano()} }

// recorder keeps, per component and window, the results the engine produced, so that the
// records can be written in an order that depends only on the input: the order of its windows,
// and for each window the Detector's records before the Alerter's. The Kafka path processes
// partitions concurrently and may deliver a window again after a restart; the recorder keeps the
// first results of a window (a redelivery gives the same records, or none when the engine has
// already seen the window).
type recorder struct {
	mu       sync.Mutex
	results  [components]map[windowKey]omen.Results
	first    time.Time // when the first window reached an engine
	progress func()    // called after each successful Process, when not nil; concurrently
}

func newRecorder() *recorder {
	r := &recorder{}
	for i := range r.results {
		r.results[i] = map[windowKey]omen.Results{}
	}
	return r
}

// wrap returns p, recording the results of its Process calls under the component.
func (r *recorder) wrap(component int, p processor) processor {
	return &recordingProcessor{processor: p, rec: r, component: component}
}

type recordingProcessor struct {
	processor
	rec       *recorder
	component int
}

func (p *recordingProcessor) Process(ctx context.Context, m omen.Metrics) (omen.Results, error) {
	p.rec.mu.Lock()
	if p.rec.first.IsZero() {
		p.rec.first = time.Now()
	}
	p.rec.mu.Unlock()
	res, err := p.processor.Process(ctx, m)
	if err != nil {
		return res, err
	}
	p.rec.mu.Lock()
	k := keyOf(m)
	if _, seen := p.rec.results[p.component][k]; !seen {
		p.rec.results[p.component][k] = res
	}
	p.rec.mu.Unlock()
	if p.rec.progress != nil {
		p.rec.progress()
	}
	return res, nil
}

// Discard forwards to the engine, so that a consumer that fails can make it forget work that
// was not made durable (kafkaadapter.Discarder).
func (p *recordingProcessor) Discard(services []string) {
	if d, ok := p.processor.(interface{ Discard([]string) }); ok {
		d.Discard(services)
	}
}

// firstWindow returns when the first window reached an engine (zero before).
func (r *recorder) firstWindow() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.first
}

// ordered returns the recorded results in the input's order: for each message, the Detector's
// results and then the Alerter's. A window given twice in the input has its results once, at
// its first occurrence.
func (r *recorder) ordered(msgs []message) []omen.Results {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]omen.Results, 0, 2*len(msgs))
	done := map[windowKey]bool{}
	for _, msg := range msgs {
		k := keyOf(msg.metrics)
		if done[k] {
			continue
		}
		done[k] = true
		for c := range components {
			if res, ok := r.results[c][k]; ok {
				out = append(out, res)
			}
		}
	}
	return out
}

// writeRecords writes the records of results as JSON lines {"kind": …, "record": {…}}: for each
// Results its anomalies, patterns, forecasts and alerts, in that order. The records are in their
// topic formats (the omen types' JSON: timestamps RFC 3339 UTC, enums lowercase strings).
func writeRecords(w io.Writer, results []omen.Results) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	for _, r := range results {
		for _, a := range r.Anomalies {
			if err := enc.Encode(envelope{"anomaly", a}); err != nil {
				return err
			}
		}
		for _, p := range r.Patterns {
			if err := enc.Encode(envelope{"pattern", p}); err != nil {
				return err
			}
		}
		for _, f := range r.Forecasts {
			if err := enc.Encode(envelope{"forecast", f}); err != nil {
				return err
			}
		}
		for _, a := range r.Alerts {
			if err := enc.Encode(envelope{"alert", a}); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}

// envelope is one line of -out.
type envelope struct {
	Kind   string `json:"kind"`
	Record any    `json:"record"`
}

// memoryStoreOf returns a MemoryStore holding results written in order: what a Sink holds after
// the replay, whichever path made it.
func memoryStoreOf(ctx context.Context, results []omen.Results) (*omen.MemoryStore, error) {
	store := omen.NewMemoryStore()
	for _, r := range results {
		if err := store.Write(ctx, r); err != nil {
			return nil, err
		}
	}
	return store, nil
}
