package omen_test

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/stacklens/omen"
)

// alerterExampleWindows returns 100 hourly windows of service "api": an error rate of 0.5 % with a
// little deterministic noise that starts to climb by 0.3 points an hour at the 73rd window, and
// a steady load that grows by 40 requests an hour.
func alerterExampleWindows() []omen.Metrics {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]omen.Metrics, 100)
	for i := range out {
		rate := 0.5 + 0.05*math.Sin(1.7*float64(i))
		if i >= 72 {
			rate += 0.3 * float64(i-71)
		}
		out[i] = omen.Metrics{
			Service: "api", Timestamp: t0.Add(time.Duration(i) * time.Hour), Window: time.Hour,
			TotalRequests: int64(6000 + 40*i + int(30*math.Sin(2.3*float64(i)))),
			ErrorRate:     rate,
			LatencyP99:    120 + 4*math.Cos(1.3*float64(i)),
		}
	}
	return out
}

// An error rate that starts to climb gets a predictive alert hours before it crosses the 5 %
// warning threshold of the Phase 4 rules; the alert materializes when it does.
func ExampleAlerter() {
	a := omen.NewAlerter(omen.AlerterConfig{ForecastRecords: -1})
	for _, m := range alerterExampleWindows() {
		r, err := a.Process(context.Background(), m)
		if err != nil {
			panic(err)
		}
		for _, al := range r.Alerts {
			fmt.Printf("%s %s (error rate %.2f %%): %s\n", m.Timestamp.Format("Jan 2 15:04"), al.Status, m.ErrorRate, al.PredictedEvent)
		}
	}
	o := a.Outcomes()
	fmt.Printf("issued %d, materialized %d, expired %d, materialisation rate %.2f\n", o.Issued, o.Materialized, o.Expired, o.Rate())
	// Output:
	// Jan 4 10:00 pending (error rate 3.85 %): error_rate exceeds 5 % in about 14 h (90 % range 6–22 h)
	// Jan 4 14:00 materialized (error rate 5.05 %): error_rate exceeds 5 % in about 14 h (90 % range 6–22 h)
	// issued 1, materialized 1, expired 0, materialisation rate 1.00
}

// A snapshot taken mid-stream and restored into a new Alerter continues exactly where the first
// one stopped.
func ExampleAlerter_Snapshot() {
	windows := alerterExampleWindows()
	a := omen.NewAlerter(omen.AlerterConfig{})
	for _, m := range windows[:80] {
		if _, err := a.Process(context.Background(), m); err != nil {
			panic(err)
		}
	}
	data, err := a.Snapshot("api")
	if err != nil {
		panic(err)
	}
	b := omen.NewAlerter(omen.AlerterConfig{})
	if err := b.Restore("api", data); err != nil {
		panic(err)
	}
	ra, _ := a.Process(context.Background(), windows[80])
	rb, _ := b.Process(context.Background(), windows[80])
	last := len(ra.Forecasts) - 1
	fmt.Println(len(ra.Forecasts) == len(rb.Forecasts), ra.Forecasts[last].Predicted == rb.Forecasts[last].Predicted)
	// Output: true true
}

// The capacity planner forecasts the load against a capacity given per hour.
func ExampleAlerter_CapacityPlan() {
	a := omen.NewAlerter(omen.AlerterConfig{Capacity: map[string]float64{"api": 15000}})
	for _, m := range alerterExampleWindows() {
		if _, err := a.Process(context.Background(), m); err != nil {
			panic(err)
		}
	}
	p, err := a.CapacityPlan("api")
	if err != nil {
		panic(err)
	}
	fmt.Printf("now %.0f requests/h, %.0f %% of capacity; peak over 24 h %.0f %%\n",
		p.CurrentPerHour, 100*p.CurrentUtilization, 100*p.PeakUtilization)
	fmt.Println(p.Recommendation)
	// Output:
	// now 9989 requests/h, 67 % of capacity; peak over 24 h 73 %
	// OK: api stays below 73 % of its capacity over the horizon
}

func ExampleDefaultAlertThresholds() {
	th := omen.DefaultAlertThresholds()
	fmt.Println(th["error_rate"].Warning, th["error_rate"].Critical, th["latency_p99_ms"].Warning)
	// Output: 5 20 500
}

// With a StateStore, Release saves a service's state (say, when a Kafka rebalance moves its
// partition away) and the next Alerter to see the service resumes from it.
func ExampleWithAlerterStateStore() {
	store := omen.NewMemoryStore()
	windows := alerterExampleWindows()
	first := omen.NewAlerter(omen.AlerterConfig{}, omen.WithAlerterStateStore(store))
	for _, m := range windows[:60] {
		if _, err := first.Process(context.Background(), m); err != nil {
			panic(err)
		}
	}
	if err := first.Release(context.Background(), []string{"api"}); err != nil {
		panic(err)
	}
	second := omen.NewAlerter(omen.AlerterConfig{}, omen.WithAlerterStateStore(store))
	r, err := second.Process(context.Background(), windows[60])
	if err != nil {
		panic(err)
	}
	fmt.Println(first.Services(), second.Services(), len(r.Forecasts) > 0)
	// Output: [] [api] true
}

// A new Alerter warm-starts a service from its recent windows in a History and forecasts from
// the first live window on.
func ExampleWithAlerterHistory() {
	store := omen.NewMemoryStore()
	windows := alerterExampleWindows()
	if err := store.Write(context.Background(), omen.Results{Metrics: windows[:48]}); err != nil {
		panic(err)
	}
	a := omen.NewAlerter(omen.AlerterConfig{ForecastRecords: 1}, omen.WithAlerterHistory(store))
	r, err := a.Process(context.Background(), windows[48])
	if err != nil {
		panic(err)
	}
	for _, f := range r.Forecasts {
		fmt.Println(f.Metric, f.Timestamp.Format(time.RFC3339))
	}
	// Output:
	// error_rate 2024-01-03T01:00:00Z
	// latency_p99_ms 2024-01-03T01:00:00Z
}
