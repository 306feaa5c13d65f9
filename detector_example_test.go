package omen_test

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/stacklens/omen"
)

// exampleWindows returns four days of hourly windows of service "api" with a daily cycle, the last
// one with an error spike.
func exampleWindows() []omen.Metrics {
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var ms []omen.Metrics
	for i := range 120 {
		day := 1 + 0.5*math.Sin(2*math.Pi*float64(i%24)/24)
		wobble := 1 + 0.03*math.Sin(float64(i)*1.7)
		m := omen.Metrics{
			Service: "api", Timestamp: start.Add(time.Duration(i) * time.Hour), Window: time.Hour,
			TotalRequests: int64(10000 * day * wobble), ErrorRate: 0.5 * wobble,
			LatencyP50: 40 * wobble, LatencyP95: 100 * wobble, LatencyP99: 150 * wobble, LatencyMean: 50 * wobble,
			UniqueUsers: int64(1000 * day * wobble), UniqueIPs: int64(500 * day * wobble), RiskScore: 0.3,
		}
		ms = append(ms, m)
	}
	ms[len(ms)-1].ErrorRate = 25
	return ms
}

func ExampleDetector_Observe() {
	d, err := omen.NewDetector(omen.DetectorConfig{})
	if err != nil {
		panic(err)
	}
	for _, m := range exampleWindows() {
		r, err := d.Observe(context.Background(), m)
		if err != nil {
			panic(err)
		}
		for _, a := range r.Anomalies {
			if a.Metric == "error_rate" {
				fmt.Printf("%s %s of %s: %.0f%% (baseline %.2f%%), %s\n",
					a.Timestamp.Format("Jan 2 15:04"), a.Type, a.Metric, a.Value, a.Baseline, a.Severity)
			}
		}
	}
	// Output:
	// Jan 5 23:00 spike of error_rate: 25% (baseline 0.50%), critical
}

func ExampleNewDetector() {
	d, err := omen.NewDetector(omen.DetectorConfig{History: 336, RetrainEvery: 12})
	if err != nil {
		panic(err)
	}
	cfg := d.Config()
	fmt.Println(cfg.History, cfg.MinHistory, cfg.RetrainEvery, cfg.Trees, cfg.SampleSize)
	// Output:
	// 336 24 12 50 128
}

func ExampleDetector_Snapshot() {
	d, _ := omen.NewDetector(omen.DetectorConfig{})
	for _, m := range exampleWindows()[:48] {
		d.Observe(context.Background(), m)
	}
	data, err := d.Snapshot("api")
	if err != nil {
		panic(err)
	}
	restored, _ := omen.NewDetector(omen.DetectorConfig{})
	if err := restored.Restore("api", data); err != nil {
		panic(err)
	}
	fmt.Println(restored.Services())
	// Output:
	// [api]
}

func ExampleDetector_Release() {
	store := omen.NewMemoryStore()
	d, _ := omen.NewDetector(omen.DetectorConfig{}, omen.WithStateStore(store))
	ms := exampleWindows()
	for _, m := range ms[:48] {
		d.Observe(context.Background(), m)
	}
	if err := d.Release(context.Background(), []string{"api"}); err != nil {
		panic(err)
	}
	fmt.Println(len(d.Services()))
	// The next window restores the service from the store.
	if _, err := d.Observe(context.Background(), ms[48]); err != nil {
		panic(err)
	}
	fmt.Println(d.Services())
	// Output:
	// 0
	// [api]
}

func ExampleDetector_WarmStart() {
	store := omen.NewMemoryStore()
	ms := exampleWindows()
	store.Write(context.Background(), omen.Results{Metrics: ms[:100]})
	d, _ := omen.NewDetector(omen.DetectorConfig{})
	if err := d.WarmStart(context.Background(), store); err != nil {
		panic(err)
	}
	r, _ := d.Observe(context.Background(), ms[100])
	fmt.Println(d.Services(), len(r.Metrics))
	// Output:
	// [api] 1
}

func ExampleDetector_Discard() {
	d, _ := omen.NewDetector(omen.DetectorConfig{})
	d.Observe(context.Background(), exampleWindows()[0])
	d.Discard([]string{"api"})
	fmt.Println(len(d.Services()))
	// Output:
	// 0
}

func ExampleDetector_Process() {
	d, _ := omen.NewDetector(omen.DetectorConfig{})
	m := exampleWindows()[0]
	m.TotalRequests = -1
	_, err := d.Process(context.Background(), m)
	fmt.Println(err)
	// Output:
	// invalid metrics: total_requests = -1 is negative
}

func ExampleWithStateStore() {
	d, _ := omen.NewDetector(omen.DetectorConfig{}, omen.WithStateStore(omen.NewMemoryStore()))
	fmt.Println(len(d.Services()))
	// Output:
	// 0
}
