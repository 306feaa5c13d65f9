package kafkaadapter

import (
	"cmp"
	"maps"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Stats is a snapshot of a Consumer's counters since it was created. The counters only grow
// (lag and the partitions excepted), so they map directly onto Prometheus counters.
type Stats struct {
	Messages       int64            // input records read, dead letters included
	Processed      int64            // windows the Processor turned into results
	Published      map[string]int64 // records delivered, by topic (the dead-letter topic included)
	DeadLetters    map[Reason]int64 // input records dead-lettered, by reason
	ProcessRetries int64            // Processor calls retried after an error
	SinkRetries    int64            // Sink writes retried after an error
	PublishRetries int64            // produce attempts retried after a delivery error
	Commits        int64            // successful offset commits
	CommitFailures int64            // failed offset commits (their records are delivered again)
	Releases       int64            // services released after their partitions were revoked
	// Unkeyed counts the windows whose record key is not their service. The consumer relies on
	// the producer keying by service, so that a service's windows share a partition and arrive
	// in order; a window that arrives after a newer one of its service is taken by the engines
	// for a redelivery and not analysed.
	Unkeyed int64
	Lag     []PartitionLag // per assigned input partition, as of the last poll
	// Latency is the time from a record's poll to the commit of its offset, in seconds.
	Latency Histogram
}

// DeadLettersTotal returns the number of dead-lettered input records.
func (s Stats) DeadLettersTotal() int64 {
	var n int64
	for _, v := range s.DeadLetters {
		n += v
	}
	return n
}

// PartitionLag is how many records of an input partition wait after the last one polled: its
// high watermark minus the next offset to read.
type PartitionLag struct {
	Topic     string
	Partition int32
	Lag       int64
}

// Histogram is a cumulative histogram in the Prometheus layout: Counts[i] observations were at
// most Bounds[i]; Count is the total (the +Inf bucket) and Sum their sum.
type Histogram struct {
	Bounds []float64
	Counts []uint64
	Count  uint64
	Sum    float64
}

// latencyBounds are the upper bounds, in seconds, of the latency histogram's buckets.
var latencyBounds = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// histogram counts observations into latencyBounds; safe for concurrent use.
type histogram struct {
	buckets [16]atomic.Uint64 // one per bound, then +Inf
	count   atomic.Uint64
	sumNs   atomic.Int64
}

// observe adds n observations of d.
func (h *histogram) observe(d time.Duration, n int) {
	if n <= 0 {
		return
	}
	i, _ := slices.BinarySearch(latencyBounds, d.Seconds())
	h.buckets[i].Add(uint64(n))
	h.count.Add(uint64(n))
	h.sumNs.Add(int64(n) * int64(d))
}

func (h *histogram) snapshot() Histogram {
	out := Histogram{Bounds: slices.Clone(latencyBounds), Counts: make([]uint64, len(latencyBounds))}
	var cum uint64
	for i := range latencyBounds {
		cum += h.buckets[i].Load()
		out.Counts[i] = cum
	}
	out.Count = h.count.Load()
	out.Sum = float64(h.sumNs.Load()) / float64(time.Second)
	if out.Count < cum { // a snapshot taken between two adds
		out.Count = cum
	}
	return out
}

// Quantile estimates the q-quantile (0 ≤ q ≤ 1) as the upper bound of the bucket that holds
// it; +Inf when it lies above the last bound, NaN without observations.
func (h Histogram) Quantile(q float64) float64 {
	if h.Count == 0 {
		return math.NaN()
	}
	rank := q * float64(h.Count)
	for i, c := range h.Counts {
		if float64(c) >= rank {
			return h.Bounds[i]
		}
	}
	return math.Inf(1)
}

// counters are a Consumer's live statistics.
type counters struct {
	messages, processed                     atomic.Int64
	processRetries, sinkRetries             atomic.Int64
	publishRetries, commits, commitFailures atomic.Int64
	releases, unkeyed                       atomic.Int64
	latency                                 histogram

	mu          sync.Mutex
	published   map[string]int64
	deadLetters map[Reason]int64
	lag         map[topicPartition]int64
}

type topicPartition struct {
	topic     string
	partition int32
}

func newCounters() *counters {
	return &counters{published: map[string]int64{}, deadLetters: map[Reason]int64{}, lag: map[topicPartition]int64{}}
}

func (c *counters) addPublished(byTopic map[string]int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for t, n := range byTopic {
		c.published[t] += n
	}
}

func (c *counters) addDeadLetter(r Reason) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deadLetters[r]++
}

func (c *counters) setLag(tp topicPartition, lag int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lag[tp] = max(lag, 0)
}

func (c *counters) dropLag(tps []topicPartition) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, tp := range tps {
		delete(c.lag, tp)
	}
}

func (c *counters) snapshot() Stats {
	s := Stats{
		Messages:       c.messages.Load(),
		Processed:      c.processed.Load(),
		ProcessRetries: c.processRetries.Load(),
		SinkRetries:    c.sinkRetries.Load(),
		PublishRetries: c.publishRetries.Load(),
		Commits:        c.commits.Load(),
		CommitFailures: c.commitFailures.Load(),
		Releases:       c.releases.Load(),
		Unkeyed:        c.unkeyed.Load(),
		Latency:        c.latency.snapshot(),
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s.Published = maps.Clone(c.published)
	s.DeadLetters = maps.Clone(c.deadLetters)
	for tp, lag := range c.lag {
		s.Lag = append(s.Lag, PartitionLag{Topic: tp.topic, Partition: tp.partition, Lag: lag})
	}
	slices.SortFunc(s.Lag, func(a, b PartitionLag) int {
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	return s
}
