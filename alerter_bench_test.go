package omen_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stacklens/omen"
)

// alerterBenchWindows returns n hourly windows of service api that repeat the generated stream's
// api windows (without its incidents' effect on the timestamps) end to end.
func alerterBenchWindows(b *testing.B, n int) []omen.Metrics {
	src := alerterMetrics(alerterStream(b), "api")
	out := make([]omen.Metrics, n)
	for i := range out {
		m := src[i%len(src)]
		m.Timestamp = src[0].Timestamp.Add(time.Duration(i) * time.Hour)
		out[i] = m
	}
	return out
}

// BenchmarkAlerterProcess measures Process per window of one service with two forecast metrics
// after a warm-up of 168 windows: "warm" never refits (the per-window cost: two Kalman updates,
// two 24-step forecasts and their records, the breach checks) and starts again from a fresh
// warm-up every 168 windows, so that its models keep the length they have in operation;
// "cadence" refits every 48 windows as by default, so its time includes the refits' share.
func BenchmarkAlerterProcess(b *testing.B) {
	for _, bm := range []struct {
		name  string
		cfg   omen.AlerterConfig
		cycle int // windows timed before a fresh warm-up; 0 for never
	}{
		{"warm", omen.AlerterConfig{RefitEvery: 1 << 20, RefitZ: math.Inf(1)}, 168}, // the largest RefitEvery: never within a cycle
		{"cadence", omen.AlerterConfig{}, 0},
	} {
		b.Run(bm.name, func(b *testing.B) {
			windows := alerterBenchWindows(b, 168+100_000)
			ctx := context.Background()
			var a *omen.Alerter
			warm := func() {
				a = omen.NewAlerter(bm.cfg)
				for _, m := range windows[:168] {
					if _, err := a.Process(ctx, m); err != nil {
						b.Fatal(err)
					}
				}
			}
			warm()
			b.ReportAllocs()
			i := 168
			for b.Loop() {
				if bm.cycle > 0 && i == 168+bm.cycle {
					b.StopTimer()
					warm()
					i = 168
					b.StartTimer()
				}
				if i == len(windows) {
					b.Fatal("out of windows")
				}
				if _, err := a.Process(ctx, windows[i]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
