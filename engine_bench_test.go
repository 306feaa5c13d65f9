package omen

import (
	"context"
	"runtime"
	"testing"
)

// BenchmarkEngineMemory warms 1,000 services with 168 windows each (a week of hourly history:
// trained Detector models and fitted Alerter models) and reports the heap that the Detector and
// the Alerter hold, in MB.
func BenchmarkEngineMemory(b *testing.B) {
	ms := detBenchStream(b, 1000, 7)[:1000*168]
	for range b.N {
		runtime.GC()
		var before, mid, after runtime.MemStats
		runtime.ReadMemStats(&before)
		d, _ := NewDetector(DetectorConfig{})
		for _, m := range ms {
			if _, err := d.Observe(context.Background(), m); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&mid)
		a := NewAlerter(AlerterConfig{})
		for _, m := range ms {
			if _, err := a.Observe(context.Background(), m); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(mid.HeapAlloc-before.HeapAlloc)/1e6, "detector-MB")
		b.ReportMetric(float64(after.HeapAlloc-mid.HeapAlloc)/1e6, "alerter-MB")
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/1e6, "MB")
		runtime.KeepAlive(d)
		runtime.KeepAlive(a)
	}
}
