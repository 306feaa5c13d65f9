package omen

import (
	"context"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/stacklens/omen/internal/servicegen"
)

// detBenchStream returns n services × days of generated hourly windows, in time order.
func detBenchStream(b *testing.B, services, days int) []Metrics {
	b.Helper()
	s, err := servicegen.Generate(servicegen.Config{Services: services, Days: days, NoIncidents: days <= 7})
	if err != nil {
		b.Fatal(err)
	}
	ms := make([]Metrics, len(s.Windows))
	for i, w := range s.Windows {
		ms[i] = detTestMetrics(w)
	}
	return ms
}

// BenchmarkDetectorObserve measures Observe on 100 services with warm models (four weeks of
// windows each, so that the calibrators' tail fits have settled): ns/op is the mean per window,
// p99-ns the 99th percentile of single calls (the original's test 35 asked 20 windows in under a
// second; the original service took about 98 ms per window).
func BenchmarkDetectorObserve(b *testing.B) {
	ms := detBenchStream(b, 100, 35)
	warm := 100 * 28 * 24
	d, err := NewDetector(DetectorConfig{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, m := range ms[:warm] {
		if _, err := d.Observe(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
	live := ms[warm:]
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		m := live[i%len(live)]
		if i >= len(live) { // past the stream: keep time moving forward
			m.Timestamp = m.Timestamp.Add(time.Duration(i/len(live)) * 7 * 24 * time.Hour)
		}
		start := time.Now()
		if _, err := d.Observe(ctx, m); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*50/100].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
	b.ReportMetric(float64(lat[len(lat)*999/1000].Nanoseconds()), "p99.9-ns")
}

// BenchmarkDetectorReplay replays the default generated stream (8 services × 14 days) through a
// new Detector, one goroutine per service as a Kafka consumer would: windows/s is the throughput.
func BenchmarkDetectorReplay(b *testing.B) {
	benchReplay(b, func() func(Metrics) error {
		d, _ := NewDetector(DetectorConfig{})
		return func(m Metrics) error {
			_, err := d.Observe(context.Background(), m)
			return err
		}
	})
}

// BenchmarkDetectorMemory warms 1,000 services with 168 windows each (a week of hourly history,
// trained models) and reports the heap they hold, in MB.
func BenchmarkDetectorMemory(b *testing.B) {
	ms := detBenchStream(b, 1000, 7)[:1000*168]
	for range b.N {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		d, _ := NewDetector(DetectorConfig{})
		for _, m := range ms {
			d.Observe(context.Background(), m)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/1e6, "MB")
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/1e3/1000, "kB/service")
		runtime.KeepAlive(d)
	}
}
