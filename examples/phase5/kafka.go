package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/stacklens/omen"
	"github.com/stacklens/omen/examples/internal/pipeline"
	"github.com/stacklens/omen/kafkaadapter"
)

// The consumer groups and dead-letter topics of the two services, as the deployable programs
// (examples/mlservice, examples/predictivealerter) use them: the groups of the original
// services, and one dead-letter topic per service, since both read every input message.
const (
	detectorGroup      = pipeline.DefaultMLServiceGroup
	alerterGroup       = pipeline.DefaultPredictiveAlerterGroup
	alerterDeadLetters = pipeline.DefaultAlerterDeadLetterTopic
)

// kafkaStats is what the Kafka path reports besides the records: the groups and counters of
// the Detector's and the Alerter's consumer.
type kafkaStats struct {
	groups [components]string
	stats  [components]kafkaadapter.Stats
	// caughtUp is when both groups had committed every record: the replay's end, before the
	// consumers leave their groups and stop.
	caughtUp time.Time
}

// replayKafka runs the whole pipeline through Kafka: it produces the input lines (valid or
// not, keyed by service) to the input topic, runs the ML service (the Detector) and the
// predictive alerter (the Alerter) as consumers in the given groups, writing to sink and
// publishing on the output topics, and returns once both groups have committed every produced
// record and stopped cleanly, their services' state released to the engines' StateStore.
func replayKafka(ctx context.Context, brokers []string, groups [components]string, msgs []message, bad []badLine, e engines, rec *recorder, sink omen.Sink) (kafkaStats, error) {
	st := kafkaStats{groups: groups}
	inProcess := len(brokers) == 0
	if inProcess {
		cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
		if err != nil {
			return st, fmt.Errorf("starting the in-process Kafka broker: %w", err)
		}
		defer cluster.Close()
		brokers = cluster.ListenAddrs()
	}
	const partitions = kafkaadapter.DefaultPartitions // of the topics created when absent
	topics := kafkaadapter.DefaultTopics()

	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		return st, err
	}
	defer cl.Close()
	if err := kafkaadapter.EnsureTopics(ctx, cl, partitions, kafkaadapter.DefaultReplicationFactor, topics.Input); err != nil {
		return st, err
	}

	// Produce every line that has a chance of being a message, in input order: a service's
	// windows share a key, so they land in order on one partition. Bad lines are produced too,
	// so that the consumers dead-letter them as they would a producer's mistakes.
	records := inputRecords(topics.Input, msgs, bad)
	if err := cl.ProduceSync(ctx, records...).FirstErr(); err != nil {
		return st, fmt.Errorf("producing the stream to %s: %w", topics.Input, err)
	}
	// The offsets to reach: the input topic's ends after the stream (on real brokers it may
	// hold older records, which the groups consume as well).
	adm := kadm.NewClient(cl)
	ends, err := adm.ListEndOffsets(ctx, topics.Input)
	if err != nil {
		return st, fmt.Errorf("reading the end offsets of %s: %w", topics.Input, err)
	}
	if err := ends.Error(); err != nil {
		return st, fmt.Errorf("reading the end offsets of %s: %w", topics.Input, err)
	}

	opts := []kafkaadapter.Option{kafkaadapter.WithTopicCreation(partitions, kafkaadapter.DefaultReplicationFactor)}
	alerterTopics := topics
	alerterTopics.DeadLetter = alerterDeadLetters
	consumers := [components]*kafkaadapter.Consumer{}
	consumers[detectorComponent], err = kafkaadapter.NewConsumer(brokers, rec.wrap(detectorComponent, e.detector), sink,
		append(opts, kafkaadapter.WithGroup(groups[detectorComponent]), kafkaadapter.WithTopics(topics))...)
	if err != nil {
		return st, err
	}
	consumers[alerterComponent], err = kafkaadapter.NewConsumer(brokers, rec.wrap(alerterComponent, e.alerter), sink,
		append(opts, kafkaadapter.WithGroup(groups[alerterComponent]), kafkaadapter.WithTopics(alerterTopics))...)
	if err != nil {
		return st, err
	}

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, components)
	for _, c := range consumers {
		go func() { done <- c.Run(runCtx) }()
	}
	// The in-process broker answers in microseconds: a short poll ends the replay's clock within
	// 2 ms of the last commit. Real brokers are asked every 20 ms.
	poll := 20 * time.Millisecond
	if inProcess {
		poll = 2 * time.Millisecond
	}
	caughtUp := waitCommitted(runCtx, adm, ends, poll, groups[:]...)
	var runErr error
	running := components
	select {
	case err := <-caughtUp:
		runErr, st.caughtUp = err, time.Now()
	case err := <-done: // a consumer stopped before the end: an error, or ctx ended
		running--
		runErr = cmp.Or(err, ctx.Err(), errors.New("a consumer stopped before the stream was consumed"))
	}
	stop()
	for range running {
		runErr = cmp.Or(runErr, <-done)
	}
	for i, c := range consumers {
		st.stats[i] = c.Stats()
	}
	return st, runErr
}

// inputRecords returns the input lines to produce, in line order: valid messages keyed by
// their service, bad lines unkeyed. Lines too long to keep are left out.
func inputRecords(topic string, msgs []message, bad []badLine) []*kgo.Record {
	type line struct {
		n   int
		rec *kgo.Record
	}
	var lines []line
	for _, m := range msgs {
		lines = append(lines, line{m.line, &kgo.Record{Topic: topic, Key: []byte(m.metrics.Service), Value: m.raw}})
	}
	for _, b := range bad {
		if b.raw != nil {
			lines = append(lines, line{b.Line, &kgo.Record{Topic: topic, Value: b.raw}})
		}
	}
	slices.SortFunc(lines, func(a, b line) int { return cmp.Compare(a.n, b.n) })
	out := make([]*kgo.Record, len(lines))
	for i, l := range lines {
		out[i] = l.rec
	}
	return out
}

// waitCommitted reports on the returned channel, once, when every group has committed the
// offsets ends on every partition (nil), or why it stopped waiting; it asks every poll.
func waitCommitted(ctx context.Context, adm *kadm.Client, ends kadm.ListedOffsets, poll time.Duration, groups ...string) <-chan error {
	out := make(chan error, 1)
	go func() {
		tick := time.NewTicker(poll)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				out <- ctx.Err()
				return
			case <-tick.C:
			}
			all := true
			for _, g := range groups {
				offsets, err := adm.FetchOffsets(ctx, g)
				if err != nil {
					// A group that does not exist yet, or a coordinator that moves: ask again.
					all = false
					break
				}
				ends.Each(func(end kadm.ListedOffset) {
					if c, ok := offsets.Lookup(end.Topic, end.Partition); end.Offset > 0 && (!ok || c.At < end.Offset) {
						all = false
					}
				})
				if !all {
					break
				}
			}
			if all {
				out <- nil
				return
			}
		}
	}()
	return out
}
