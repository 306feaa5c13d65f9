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

// BenchmarkAlerterFit measures one fit of a series as the Alerter makes it on 168 hourly error
// rates with a daily profile: "select" removes the profile (robust STL trend, per-hour medians)
// and chooses the orders with arima.Auto, as at the first fit, every ReselectEvery windows and
// after surprises; "reestimate" re-estimates the chosen orders with arima.Fit, as every
// RefitEvery windows in between.
func BenchmarkAlerterFit(b *testing.B) {
	ms := detBenchStream(b, 1, 7)
	var values []float64
	for _, m := range ms[:168] {
		values = append(values, m.ErrorRate)
	}
	cfg := AlerterConfig{}.withDefaults()
	slot := daySlot(ms[167].Timestamp, 24)
	fresh := func() *forecastSeries {
		return &forecastSeries{Metric: "error_rate", Values: values, Slot: slot}
	}
	b.Run("select", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			f := fresh()
			f.fit(&cfg, 24)
			if f.model == nil {
				b.Fatal("no model")
			}
		}
	})
	b.Run("reestimate", func(b *testing.B) {
		fitted := fresh()
		fitted.fit(&cfg, 24)
		b.ReportAllocs()
		for b.Loop() {
			f := *fitted
			f.SinceSelect = 0
			f.fit(&cfg, 24)
			if f.model == nil || f.SinceSelect != 1 {
				b.Fatal("not a re-estimation")
			}
		}
	})
}

// BenchmarkEngineReplay replays the default generated stream (8 services × 14 days) through a
// new Detector and a new Alerter configured as examples/phase5 does (one forecast record per
// metric and window), one goroutine per service: windows/s is the throughput of both engines.
func BenchmarkEngineReplay(b *testing.B) {
	benchReplay(b, func() func(Metrics) error {
		d, _ := NewDetector(DetectorConfig{})
		a := NewAlerter(AlerterConfig{ForecastRecords: 1})
		return func(m Metrics) error {
			if _, err := d.Observe(context.Background(), m); err != nil {
				return err
			}
			_, err := a.Observe(context.Background(), m)
			return err
		}
	})
}

// benchReplay replays the default generated stream (8 services × 14 days) b.N times, one
// goroutine per service as a Kafka consumer would, through the engines that fresh makes for
// each replay, and reports the throughput in windows/s.
func benchReplay(b *testing.B, fresh func() func(Metrics) error) {
	ms := detBenchStream(b, 8, 14)
	byService := map[string][]Metrics{}
	for _, m := range ms {
		byService[m.Service] = append(byService[m.Service], m)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		observe := fresh()
		done := make(chan error, len(byService))
		for _, own := range byService {
			go func() {
				for _, m := range own {
					if err := observe(m); err != nil {
						done <- err
						return
					}
				}
				done <- nil
			}()
		}
		for range byService {
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(ms)*b.N)/b.Elapsed().Seconds(), "windows/s")
}
