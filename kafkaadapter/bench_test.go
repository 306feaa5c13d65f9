package kafkaadapter

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/stacklens/omen"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// anomalyProcessor emits one anomaly per window, as a busy detector might.
type anomalyProcessor struct{}

func (anomalyProcessor) Process(_ context.Context, m omen.Metrics) (omen.Results, error) {
	return fakeResults(m, false), nil
}

func (anomalyProcessor) Release(context.Context, []string) error { return nil }

// BenchmarkPipeline measures the whole path through the in-process broker — decode, process,
// in-memory sink, publish, commit — for windows of 100 services on 3 partitions. The input is
// produced before the timer starts; the timer stops when every offset is committed. windows/s
// is the wall-clock throughput; windows/cpu-s divides by the CPU time the process used (the
// consumer and the in-process broker), which does not depend on what else runs on the machine:
// on two idle cores the throughput is at most twice it.
func BenchmarkPipeline(b *testing.B) {
	for _, size := range []int{100_000} {
		b.Run(fmt.Sprintf("windows=%d", size), func(b *testing.B) {
			b.ReportAllocs()
			var wall, cpu time.Duration
			for range b.N {
				w, c := runPipeline(b, size)
				wall, cpu = wall+w, cpu+c
			}
			windows := float64(size) * float64(b.N)
			b.ReportMetric(windows/wall.Seconds(), "windows/s")
			if cpu > 0 {
				b.ReportMetric(windows/cpu.Seconds(), "windows/cpu-s")
			}
		})
	}
}

// runPipeline produces n windows into a fresh cluster and returns the wall-clock and CPU time a
// consumer took to commit them all.
func runPipeline(b *testing.B, n int) (wall, cpu time.Duration) {
	b.StopTimer()
	// A fresh broker per run, closed after it, so that runs do not pile up idle brokers.
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, DefaultTopics().Input))
	if err != nil {
		b.Fatal(err)
	}
	defer cluster.Close()
	producer, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...), kgo.ProducerLinger(5*time.Millisecond))
	if err != nil {
		b.Fatal(err)
	}
	services := serviceNames(100)
	var wg sync.WaitGroup
	for i := range n {
		s := services[i%len(services)]
		r := &kgo.Record{Topic: DefaultTopics().Input, Key: []byte(s), Value: flatMessage(s, t0.Add(time.Duration(i/len(services))*time.Hour), float64(i%7))}
		wg.Add(1)
		producer.Produce(context.Background(), r, func(_ *kgo.Record, err error) {
			if err != nil {
				b.Error(err)
			}
			wg.Done()
		})
	}
	wg.Wait()
	producer.Close()
	want := endOffsets(b, cluster, DefaultTopics().Input)
	sink := omen.NewMemoryStore()
	c, err := NewConsumer(cluster.ListenAddrs(), anomalyProcessor{}, sink)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.StartTimer()
	begin, beginCPU := time.Now(), processCPU()
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	// The latency histogram counts each record once its offset is committed.
	eventually(b, "the offsets to be committed", func() bool { return c.Stats().Latency.Count == uint64(n) })
	wall, cpu = time.Since(begin), processCPU()-beginCPU
	b.StopTimer()
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	if got := committed(b, cluster, DefaultGroup, DefaultTopics().Input); !maps.Equal(got, want) {
		b.Fatalf("committed %v, want %v", got, want)
	}
	if got := len(sink.Anomalies()); got != n {
		b.Fatalf("%d anomalies stored, want %d", got, n)
	}
	return wall, cpu
}

// BenchmarkDecodeWindow measures the decoding step of the pipeline alone (omen.DecodeMetrics
// behind the size check), for both input shapes.
func BenchmarkDecodeWindow(b *testing.B) {
	for name, msg := range map[string][]byte{
		"flat":   flatMessage("api", t0, 0.5),
		"phase4": phase4Message("api", t0, 30),
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				if _, _, err := decodeWindow(msg, DefaultMaxMessageBytes); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
