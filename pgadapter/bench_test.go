package pgadapter

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stacklens/omen"
)

// benchResults returns a Write of n rows, a quarter each of metrics, anomalies, forecasts and
// predictive alerts, over 50 services, whose keys are unique for each batch number.
func benchResults(n, batch int) omen.Results {
	var r omen.Results
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(batch) * time.Hour)
	prefix := strconv.Itoa(batch) + "-"
	for i := range n / 4 {
		service := "svc-" + strconv.Itoa(i%50)
		at := base.Add(time.Duration(i/50) * time.Minute)
		r.Metrics = append(r.Metrics, testMetrics(service, at, i))
		a := testAnomaly(service, at, omen.Spike, omen.High, 0.8)
		a.ID = prefix + "a" + strconv.Itoa(i)
		r.Anomalies = append(r.Anomalies, a)
		f := testForecast(service, at, 1)
		f.ID = prefix + "f" + strconv.Itoa(i)
		r.Forecasts = append(r.Forecasts, f)
		al := testAlert(service, at)
		al.ID = prefix + "p" + strconv.Itoa(i)
		r.Alerts = append(r.Alerts, al)
	}
	return r
}

func rowsOf(r omen.Results) int {
	return len(r.Metrics) + len(r.Anomalies) + len(r.Patterns) + len(r.Forecasts) + len(r.Alerts)
}

// BenchmarkWrite measures batched writes: "insert" writes new rows each time, "rewrite" writes
// the same rows again (the redelivery path, every row an ON CONFLICT update).
func BenchmarkWrite(b *testing.B) {
	ctx := context.Background()
	for _, size := range []int{100, 1000, 4000} {
		b.Run(fmt.Sprintf("insert/rows=%d", size), func(b *testing.B) {
			store, _ := newTestStore(b)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				b.StopTimer() // the records are the engine's work, not the store's
				r := benchResults(size, i)
				b.StartTimer()
				if err := store.Write(ctx, r); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(size*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
	b.Run("rewrite/rows=1000", func(b *testing.B) {
		store, _ := newTestStore(b)
		r := benchResults(1000, 0)
		if err := store.Write(ctx, r); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if err := store.Write(ctx, r); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(rowsOf(r)*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}
