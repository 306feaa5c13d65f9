package kafkaadapter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stacklens/omen"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Processor turns one window into results; the engine's Detector and Alerter implement it. See
// the package documentation for the contract: concurrency, lazy restore, redelivery, Release.
type Processor interface {
	// Process returns the results of window m. An error wrapping omen.ErrInvalidMetrics
	// rejects the window for good (it is dead-lettered at once); any other error is retried.
	Process(ctx context.Context, m omen.Metrics) (omen.Results, error)
	// Release saves the state of services whose partitions this consumer no longer owns, and
	// forgets it. Every window of theirs that was processed is durable and committed.
	Release(ctx context.Context, services []string) error
}

// Discarder is implemented by a Processor that can forget services' state without saving it.
// When Run stops with work that could not be made durable, the services of that work are
// discarded, not released: their windows will be delivered again and must be processed again
// from the last saved state. A Processor without Discard must not be used again after Run
// returns an error.
type Discarder interface {
	Discard(services []string)
}

// Consumer reads analytics windows from the input topic in a consumer group, hands each to a
// Processor, makes the results durable through a Sink, publishes them, and only then commits
// the offsets. See the package documentation for the guarantees.
type Consumer struct {
	brokers []string
	proc    Processor
	sink    omen.Sink
	cfg     config
	stats   *counters
	running atomic.Bool

	mu    sync.Mutex
	owned map[topicPartition]map[string]struct{} // services seen on each assigned partition
}

// NewConsumer returns a Consumer of the given brokers (host:port seeds). It connects only when
// Run is called.
func NewConsumer(brokers []string, proc Processor, sink omen.Sink, opts ...Option) (*Consumer, error) {
	if len(brokers) == 0 {
		return nil, errors.New("kafkaadapter: no brokers")
	}
	if proc == nil || sink == nil {
		return nil, errors.New("kafkaadapter: nil Processor or Sink")
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return &Consumer{
		brokers: slices.Clone(brokers),
		proc:    proc,
		sink:    sink,
		cfg:     cfg,
		stats:   newCounters(),
		owned:   map[topicPartition]map[string]struct{}{},
	}, nil
}

// Stats returns a snapshot of the counters, summed over every Run.
func (c *Consumer) Stats() Stats { return c.stats.snapshot() }

// Run joins the group (creating the topics first unless WithoutTopicCreation) and consumes
// until ctx ends. Then it finishes the poll in flight within the shutdown grace (made durable,
// published, committed), releases the services of its partitions, leaves the group and closes
// its connections. It returns nil after such a clean stop, or the error that kept in-flight
// work from completing: that work is left uncommitted, to be delivered again. Run may be called
// again after it returns, but not concurrently.
func (c *Consumer) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("kafkaadapter: Consumer.Run called while running")
	}
	defer c.running.Store(false)

	client, err := kgo.NewClient(c.clientOptions(ctx)...)
	if err != nil {
		return fmt.Errorf("kafkaadapter: %w", err)
	}
	if c.cfg.createTopics {
		if err := EnsureTopics(ctx, client, c.cfg.partitions, c.cfg.replicationFactor, c.cfg.topics.All()...); err != nil {
			client.Close()
			return err
		}
	}
	work, stopWork := graceContext(ctx, c.cfg.shutdownGrace)
	defer stopWork()
	pub := newPublisher(client, c.cfg, c.stats)
	log := c.cfg.logger.With(slog.String("group", c.cfg.group), slog.String("topic", c.cfg.topics.Input))
	log.InfoContext(ctx, "consumer started", slog.Any("brokers", c.brokers))

	runErr := c.consume(ctx, work, client, pub, log)
	if err := client.Flush(work); err != nil && runErr == nil {
		runErr = fmt.Errorf("kafkaadapter: flushing the producer: %w", err)
	}
	client.CloseAllowingRebalance() // leaves the group: the revoke callback releases the services
	if runErr != nil {
		log.ErrorContext(ctx, "consumer stopped with uncommitted work", slog.Any("error", runErr))
		return runErr
	}
	log.InfoContext(ctx, "consumer stopped")
	return nil
}

// consume polls and handles records until ctx ends or a poll cannot be completed within work.
func (c *Consumer) consume(ctx, work context.Context, client *kgo.Client, pub *Publisher, log *slog.Logger) error {
	for ctx.Err() == nil {
		fetches := client.PollFetches(ctx)
		if fetches.IsClientClosed() {
			return nil
		}
		fetches.EachError(func(topic string, partition int32, err error) {
			if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
				log.WarnContext(ctx, "fetch error", slog.String("fetch_topic", topic), slog.Int("partition", int(partition)), slog.Any("error", err))
			}
		})
		err := c.handlePoll(work, client, pub, fetches)
		client.AllowRebalance()
		if err != nil {
			return err
		}
		if fetches.NumRecords() == 0 && len(fetches.Errors()) > 0 {
			_ = sleep(ctx, c.cfg.backoffMin) // no busy loop on a persistent fetch error
		}
	}
	return nil
}

func (c *Consumer) clientOptions(ctx context.Context) []kgo.Opt {
	onRevoked := func(_ context.Context, _ *kgo.Client, revoked map[string][]int32) {
		c.release(ctx, revoked)
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(c.brokers...),
		kgo.ConsumerGroup(c.cfg.group),
		kgo.ConsumeTopics(c.cfg.topics.Input),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), // a new group reads the backlog
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(), // a rebalance waits until the poll in hand is committed
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, assigned map[string][]int32) {
			c.cfg.logger.InfoContext(ctx, "partitions assigned", slog.Any("partitions", assigned))
		}),
		kgo.OnPartitionsRevoked(onRevoked),
		kgo.OnPartitionsLost(onRevoked),
		kgo.RecordDeliveryTimeout(c.cfg.deliveryTimeout),
		kgo.WithLogger(clientLogger{c.cfg.logger}),
	}
	return append(opts, c.cfg.clientOpts...)
}

// handlePoll processes the records of one poll, partitions in parallel, and commits their
// offsets once every result is durable and published. On error nothing is committed.
func (c *Consumer) handlePoll(ctx context.Context, client *kgo.Client, pub *Publisher, fetches kgo.Fetches) error {
	polled := time.Now()
	parts := byPartition(fetches)
	if len(parts) == 0 {
		return nil
	}
	for _, p := range parts {
		// Until the poll is committed, its records are lag too: a poll that keeps failing
		// shows its backlog instead of the lag of the last poll that succeeded.
		c.stats.setLag(topicPartition{p.Topic, p.Partition}, p.HighWatermark-p.Records[0].Offset)
	}
	touched := make([][]string, len(parts))
	errs := make([]error, len(parts))
	sem := make(chan struct{}, c.cfg.parallelism)
	var wg sync.WaitGroup
	for i, p := range parts {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			touched[i], errs[i] = c.handlePartition(ctx, pub, p)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		c.discard(ctx, slices.Concat(touched...))
		return err
	}

	lasts := make([]*kgo.Record, len(parts))
	n := 0
	for i, p := range parts {
		lasts[i] = p.Records[len(p.Records)-1]
		n += len(p.Records)
		c.stats.setLag(topicPartition{p.Topic, p.Partition}, p.HighWatermark-lasts[i].Offset-1)
	}
	if err := client.CommitRecords(ctx, lasts...); err != nil {
		c.stats.commitFailures.Add(1)
		if ctx.Err() != nil {
			return fmt.Errorf("kafkaadapter: committing offsets: %w", err)
		}
		// The results are durable and published; the records will be delivered again.
		c.cfg.logger.WarnContext(ctx, "offset commit failed", slog.Any("error", err))
		return nil
	}
	c.stats.commits.Add(1)
	c.stats.latency.observe(time.Since(polled), n)
	return nil
}

// byPartition gathers the records of fetches by partition, in order: a partition could appear
// in two fetches (its leadership moved), and its records must still be processed one by one.
func byPartition(fetches kgo.Fetches) []kgo.FetchTopicPartition {
	var parts []kgo.FetchTopicPartition
	index := map[topicPartition]int{}
	fetches.EachPartition(func(p kgo.FetchTopicPartition) {
		if len(p.Records) == 0 {
			return
		}
		tp := topicPartition{p.Topic, p.Partition}
		i, ok := index[tp]
		if !ok {
			index[tp] = len(parts)
			parts = append(parts, p)
			return
		}
		parts[i].Records = append(slices.Clip(parts[i].Records), p.Records...)
		parts[i].HighWatermark = max(parts[i].HighWatermark, p.HighWatermark)
	})
	return parts
}

// handlePartition processes one partition's records of a poll in order, in batches of at most
// maxBatchRecords: each batch's results are written to the sink in one Write and published with
// its dead letters. It returns the services it processed.
func (c *Consumer) handlePartition(ctx context.Context, pub *Publisher, p kgo.FetchTopicPartition) ([]string, error) {
	services := map[string]struct{}{}
	defer c.own(topicPartition{p.Topic, p.Partition}, services)
	for batch := range slices.Chunk(p.Records, c.cfg.maxBatchRecords) {
		if err := c.handleBatch(ctx, pub, batch, services); err != nil {
			return slices.Collect(maps.Keys(services)), err
		}
	}
	return slices.Collect(maps.Keys(services)), nil
}

// handleBatch processes records of one partition in order, makes their results durable and
// publishes them with the dead letters. It adds the services it processes to services.
func (c *Consumer) handleBatch(ctx context.Context, pub *Publisher, records []*kgo.Record, services map[string]struct{}) error {
	// Each record's outcome, in input order: the results of its window and their records to
	// publish, or a dead letter.
	type outcome struct {
		rec    *kgo.Record
		res    omen.Results
		out    []*kgo.Record
		reason Reason // non-empty: dead-lettered
		err    error  // why
	}
	outcomes := make([]outcome, 0, len(records))
	var results omen.Results
	c.stats.messages.Add(int64(len(records)))
	for _, r := range records {
		o := outcome{rec: r}
		m, reason, err := decodeWindow(r.Value, c.cfg.maxMessageBytes)
		if err == nil {
			services[m.Service] = struct{}{}
			if string(r.Key) != m.Service {
				c.noteUnkeyed(ctx, r, m.Service)
			}
			if o.res, err = c.process(ctx, m); err != nil && ctx.Err() != nil {
				return err // stopping: leave the batch to redelivery
			}
			if err == nil {
				o.out, err = encodeResults(c.cfg.topics, o.res)
			}
			if err == nil {
				appendResults(&results, o.res)
				outcomes = append(outcomes, o)
				continue
			}
			reason = Unprocessable
		}
		o.reason, o.err = reason, err
		outcomes = append(outcomes, o)
	}
	if !results.Empty() {
		err := c.write(ctx, results)
		if errors.Is(err, omen.ErrRejectedRecord) {
			// Some record can never be stored: write window by window, and dead-letter the
			// windows whose results the Sink rejects, so that the others are not held up.
			c.cfg.logger.WarnContext(ctx, "the sink rejects a batch for good; writing it window by window", slog.Any("error", err))
			for i := range outcomes {
				o := &outcomes[i]
				if o.reason != "" || o.res.Empty() {
					continue
				}
				if werr := c.write(ctx, o.res); errors.Is(werr, omen.ErrRejectedRecord) {
					o.reason, o.err, o.out = Unstorable, werr, nil
				} else if werr != nil {
					return werr
				}
			}
		} else if err != nil {
			return err
		}
	}
	var out []*kgo.Record
	var reasons []Reason
	processed := 0
	for _, o := range outcomes {
		if o.reason == "" {
			processed++
			out = append(out, o.out...)
			continue
		}
		c.cfg.logger.WarnContext(ctx, "dead-lettering message", slog.String("reason", string(o.reason)),
			slog.String("topic", o.rec.Topic), slog.Int("partition", int(o.rec.Partition)), slog.Int64("offset", o.rec.Offset),
			slog.Any("error", o.err))
		out = append(out, deadLetterRecord(c.cfg.topics.DeadLetter, o.rec, o.reason, o.err))
		reasons = append(reasons, o.reason)
	}
	c.stats.processed.Add(int64(processed))
	if err := pub.produce(ctx, out); err != nil {
		return err
	}
	for _, r := range reasons {
		c.stats.addDeadLetter(r)
	}
	return nil
}

// noteUnkeyed counts a window whose record key is not its service, and logs the first one.
func (c *Consumer) noteUnkeyed(ctx context.Context, r *kgo.Record, service string) {
	if c.stats.unkeyed.Add(1) == 1 {
		c.cfg.logger.WarnContext(ctx, "input not keyed by service: a service's windows may reach several partitions, "+
			"and those that arrive after a newer one are not analysed (counted in unkeyed_windows_total)",
			slog.String("topic", r.Topic), slog.Int("partition", int(r.Partition)), slog.Int64("offset", r.Offset),
			slog.String("key", string(r.Key)), slog.String("service", service))
	}
}

// process calls the Processor, retrying errors other than invalid metrics until ctx ends or the
// attempts set by WithProcessAttempts are spent.
func (c *Consumer) process(ctx context.Context, m omen.Metrics) (omen.Results, error) {
	b := backoff{c.cfg.backoffMin, c.cfg.backoffMax}
	for attempt := 1; ; attempt++ {
		res, err := c.proc.Process(ctx, m)
		if err == nil {
			return res, nil
		}
		err = fmt.Errorf("kafkaadapter: processing the %s window of service %q (attempt %d): %w",
			m.Timestamp.Format(time.RFC3339), m.Service, attempt, err)
		limited := c.cfg.processAttempts > 0 && attempt >= c.cfg.processAttempts
		if errors.Is(err, omen.ErrInvalidMetrics) || limited || ctx.Err() != nil {
			return omen.Results{}, err
		}
		c.stats.processRetries.Add(1)
		c.cfg.logger.WarnContext(ctx, "processing failed; retrying", slog.Any("error", err))
		if serr := sleep(ctx, b.delay(attempt)); serr != nil {
			return omen.Results{}, err
		}
	}
}

// write makes r durable, retrying until the sink succeeds or ctx ends: while the sink is down,
// consumption pauses. An error wrapping omen.ErrRejectedRecord is returned at once: no retry can
// change it.
func (c *Consumer) write(ctx context.Context, r omen.Results) error {
	b := backoff{c.cfg.backoffMin, c.cfg.backoffMax}
	for failures := 1; ; failures++ {
		err := c.sink.Write(ctx, r)
		if err == nil {
			return nil
		}
		if errors.Is(err, omen.ErrRejectedRecord) {
			return fmt.Errorf("kafkaadapter: sink write: %w", err)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("kafkaadapter: sink write: %w", err)
		}
		c.stats.sinkRetries.Add(1)
		delay := b.delay(failures)
		c.cfg.logger.WarnContext(ctx, "sink write failed; retrying", slog.Int("failures", failures),
			slog.Duration("backoff", delay), slog.Any("error", err))
		if serr := sleep(ctx, delay); serr != nil {
			return fmt.Errorf("kafkaadapter: sink write: %w (stopped by: %w)", err, serr)
		}
	}
}

func appendResults(dst *omen.Results, r omen.Results) {
	dst.Metrics = append(dst.Metrics, r.Metrics...)
	dst.Anomalies = append(dst.Anomalies, r.Anomalies...)
	dst.Patterns = append(dst.Patterns, r.Patterns...)
	dst.Forecasts = append(dst.Forecasts, r.Forecasts...)
	dst.Alerts = append(dst.Alerts, r.Alerts...)
}
