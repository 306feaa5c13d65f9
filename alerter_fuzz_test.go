package omen_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/stacklens/omen"
)

// FuzzAlerterRestore: Restore never panics on outside data, and rejects what it cannot decode
// with ErrAlerterState, leaving the state as it was.
func FuzzAlerterRestore(f *testing.F) {
	a := omen.NewAlerter(omen.AlerterConfig{Paths: 50})
	for _, m := range alerterExampleWindows()[:40] {
		if _, err := a.Process(context.Background(), m); err != nil {
			f.Fatal(err)
		}
	}
	good, err := a.Snapshot("api")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte("omenALRT\x02"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		b := omen.NewAlerter(omen.AlerterConfig{Paths: 50})
		if err := b.Restore("api", data); err != nil {
			if !errors.Is(err, omen.ErrAlerterState) {
				t.Fatalf("error %v does not wrap ErrAlerterState", err)
			}
			if len(b.Services()) != 0 {
				t.Fatal("a failed Restore created state")
			}
			return
		}
		// Whatever was restored must process a later window without panicking.
		m := alerterExampleWindows()[40]
		m.Timestamp = m.Timestamp.Add(1000 * time.Hour)
		_, _ = b.Process(context.Background(), m)
	})
}

// FuzzAlerterProcess: Process takes any window — valid ones are processed, invalid ones
// rejected with ErrInvalidMetrics — and never panics.
func FuzzAlerterProcess(f *testing.F) {
	f.Add("api", int64(0), 0.5, 120.0, int64(1000))
	f.Add("", int64(3600), 0.5, 120.0, int64(1000))
	f.Add("api", int64(-7200), math.NaN(), 120.0, int64(-1))
	f.Add("api", int64(7200), 150.0, math.Inf(1), int64(5))
	f.Fuzz(func(t *testing.T, service string, offset int64, errorRate, p99 float64, requests int64) {
		a := omen.NewAlerter(omen.AlerterConfig{Paths: 50, MinFitWindows: 5, HistoryWindows: 12})
		windows := alerterExampleWindows()[:12]
		for _, m := range windows {
			if _, err := a.Process(context.Background(), m); err != nil {
				t.Fatal(err)
			}
		}
		m := windows[11]
		m.Service, m.ErrorRate, m.LatencyP99, m.TotalRequests = service, errorRate, p99, requests
		m.Timestamp = m.Timestamp.Add(time.Duration(offset%1e6) * time.Second)
		_, err := a.Process(context.Background(), m)
		if err != nil && !errors.Is(err, omen.ErrInvalidMetrics) {
			t.Fatalf("error %v does not wrap ErrInvalidMetrics", err)
		}
		if err == nil && m.Validate() != nil {
			t.Fatalf("invalid window %+v accepted", m)
		}
	})
}
