//go:build unix

package pipeline

import (
	"syscall"
	"testing"
	"time"

	"github.com/stacklens/omen"
	"github.com/stacklens/omen/examples/internal/pipeline/pipelinetest"
	"github.com/stacklens/omen/internal/servicegen"
	"github.com/stacklens/omen/kafkaadapter"
)

// benchStream is the end-to-end benchmarks' input: 100 services, 14 days of hourly windows
// with incidents (33,600 messages in both shapes).
var benchStream = servicegen.Config{Seed: 1, Services: 100, Days: 14}

// BenchmarkEndToEnd runs one service over the generated stream of 100 services, already in the
// in-process broker (4 partitions): decode → engine → store → publish → commit, every model
// trained from nothing. Its metrics:
//   - windows/s: the stream's windows over the time from the first window processed to the
//     commit of the last offset, the throughput of a running service;
//   - startup-ms: the time from Start to the first window processed (PostgreSQL migrations,
//     topic creation, joining the group);
//   - windows/cpu-s: the windows over the CPU time of this process from Start to the last
//     commit — the service and the in-process broker; PostgreSQL's own CPU, on the same cores
//     here, is not counted.
//
// Run with -benchtime 1x: one iteration takes about a second (the Alerter's, several).
func BenchmarkEndToEnd(b *testing.B) {
	msgs := pipelinetest.Stream(b, benchStream)
	for _, bm := range []struct {
		name     string
		role     Role
		alerter  omen.AlerterConfig
		postgres bool
	}{
		{"ml/memory", MLService, omen.AlerterConfig{}, false},
		{"ml/postgres", MLService, omen.AlerterConfig{}, true},
		{"alerter/memory", PredictiveAlerter, omen.AlerterConfig{}, false},
		{"alerter/postgres", PredictiveAlerter, omen.AlerterConfig{}, true},
		{"alerter-1-forecast/memory", PredictiveAlerter, omen.AlerterConfig{ForecastRecords: 1}, false},
		{"alerter-1-forecast/postgres", PredictiveAlerter, omen.AlerterConfig{ForecastRecords: 1}, true},
	} {
		b.Run(bm.name, func(b *testing.B) {
			var run, startup, cpu time.Duration
			for range b.N {
				r, s, c := runEndToEnd(b, msgs, bm.role, bm.alerter, bm.postgres)
				run, startup, cpu = run+r, startup+s, cpu+c
			}
			windows := float64(len(msgs) * b.N)
			b.ReportMetric(windows/run.Seconds(), "windows/s")
			b.ReportMetric(float64(startup.Milliseconds())/float64(b.N), "startup-ms")
			b.ReportMetric(windows/cpu.Seconds(), "windows/cpu-s")
		})
	}
}

// runEndToEnd returns the time from the first window processed to the last commit, the time
// from Start to the first window, and the CPU time of the whole.
func runEndToEnd(b *testing.B, msgs []pipelinetest.Message, role Role, alerter omen.AlerterConfig, postgres bool) (run, startup, cpu time.Duration) {
	b.StopTimer()
	topics := kafkaadapter.DefaultTopics()
	cluster := pipelinetest.Cluster(b, topics.Input, 4)
	pipelinetest.Produce(b, cluster, topics.Input, msgs)
	cfg := Config{Role: role, Brokers: cluster.ListenAddrs(), Alerter: alerter, Partitions: 4, KafkaOptions: fastKafka()}
	if postgres {
		cfg.PostgresDSN, _ = pipelinetest.Postgres(b)
	}
	group := DefaultMLServiceGroup
	if role == PredictiveAlerter {
		group = DefaultPredictiveAlerterGroup
	}
	cpu0 := processCPU(b)
	start := time.Now()
	b.StartTimer()
	s, err := Start(pipelinetest.Context(b), cfg)
	if err != nil {
		b.Fatal(err)
	}
	var first time.Time
	for s.Stats().Windows < int64(len(msgs)) || !pipelinetest.FullyCommitted(b, cluster, group, topics.Input) {
		select {
		case <-s.Done():
			b.Fatalf("the service stopped: %v", s.Wait())
		case <-time.After(time.Millisecond):
		}
		if first.IsZero() && s.Stats().Windows > 0 {
			first = time.Now()
		}
	}
	b.StopTimer()
	end := time.Now()
	cpu = processCPU(b) - cpu0
	if err := s.Stop(); err != nil {
		b.Fatal(err)
	}
	if got := s.Stats().Windows; got != int64(len(msgs)) {
		b.Fatalf("%d windows processed, want %d", got, len(msgs))
	}
	return end.Sub(first), first.Sub(start), cpu
}

// processCPU returns the user and system CPU time this process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
