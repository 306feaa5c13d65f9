package kafkaadapter

import (
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Defaults of the settings that an Option changes.
const (
	DefaultGroup             = "ml-service-group"
	DefaultPartitions        = 3
	DefaultReplicationFactor = 1
	DefaultMaxMessageBytes   = 1 << 20 // 1 MiB
	DefaultMaxBatchRecords   = 5_000
	DefaultProcessAttempts   = 0 // no limit: see WithProcessAttempts
	DefaultBackoffMin        = 100 * time.Millisecond
	DefaultBackoffMax        = 5 * time.Second
	DefaultShutdownGrace     = 30 * time.Second
	DefaultDeliveryTimeout   = 30 * time.Second
)

// config holds every setting of a Consumer or a Publisher; newConfig fills in the defaults.
type config struct {
	topics            Topics
	group             string
	createTopics      bool
	partitions        int32
	replicationFactor int16
	maxMessageBytes   int
	maxBatchRecords   int
	parallelism       int
	processAttempts   int
	backoffMin        time.Duration
	backoffMax        time.Duration
	shutdownGrace     time.Duration
	deliveryTimeout   time.Duration
	logger            *slog.Logger
	clientOpts        []kgo.Opt
}

// Option changes one of the rarely used settings of a Consumer or a Publisher. Options that do
// not concern a Publisher (the group, polling, processing) are ignored by it.
type Option func(*config)

func newConfig(opts []Option) (config, error) {
	c := config{
		topics:            DefaultTopics(),
		group:             DefaultGroup,
		createTopics:      true,
		partitions:        DefaultPartitions,
		replicationFactor: DefaultReplicationFactor,
		maxMessageBytes:   DefaultMaxMessageBytes,
		maxBatchRecords:   DefaultMaxBatchRecords,
		parallelism:       2 * runtime.GOMAXPROCS(0),
		processAttempts:   DefaultProcessAttempts,
		backoffMin:        DefaultBackoffMin,
		backoffMax:        DefaultBackoffMax,
		shutdownGrace:     DefaultShutdownGrace,
		deliveryTimeout:   DefaultDeliveryTimeout,
		logger:            slog.New(slog.DiscardHandler),
	}
	for _, opt := range opts {
		opt(&c)
	}
	if err := c.validate(); err != nil {
		return config{}, err
	}
	return c, nil
}

func (c config) validate() error {
	switch {
	case c.group == "":
		return fmt.Errorf("kafkaadapter: empty consumer group")
	case c.partitions < 1:
		return fmt.Errorf("kafkaadapter: %d partitions, want at least 1", c.partitions)
	case c.replicationFactor < 1:
		return fmt.Errorf("kafkaadapter: replication factor %d, want at least 1", c.replicationFactor)
	case c.maxMessageBytes < 1:
		return fmt.Errorf("kafkaadapter: max message bytes %d, want at least 1", c.maxMessageBytes)
	case c.maxBatchRecords < 1:
		return fmt.Errorf("kafkaadapter: max batch records %d, want at least 1", c.maxBatchRecords)
	case c.parallelism < 1:
		return fmt.Errorf("kafkaadapter: parallelism %d, want at least 1", c.parallelism)
	case c.processAttempts < 0:
		return fmt.Errorf("kafkaadapter: %d process attempts, want 0 (no limit) or more", c.processAttempts)
	case c.backoffMin <= 0 || c.backoffMax < c.backoffMin:
		return fmt.Errorf("kafkaadapter: retry backoff [%v, %v], want 0 < min ≤ max", c.backoffMin, c.backoffMax)
	case c.shutdownGrace < 0:
		return fmt.Errorf("kafkaadapter: negative shutdown grace %v", c.shutdownGrace)
	case c.deliveryTimeout <= 0:
		return fmt.Errorf("kafkaadapter: delivery timeout %v, want a positive duration", c.deliveryTimeout)
	}
	return c.topics.validate()
}

// WithTopics sets the topic names; an empty field keeps its default (see DefaultTopics).
func WithTopics(t Topics) Option {
	return func(c *config) { c.topics = t.withDefaults() }
}

// WithGroup sets the consumer group (default DefaultGroup, "ml-service-group").
func WithGroup(group string) Option {
	return func(c *config) { c.group = group }
}

// WithTopicCreation sets the partitions and the replication factor of the topics that are
// created when absent (defaults 3 and 1).
func WithTopicCreation(partitions int32, replicationFactor int16) Option {
	return func(c *config) {
		c.createTopics, c.partitions, c.replicationFactor = true, partitions, replicationFactor
	}
}

// WithoutTopicCreation leaves the topics alone: they must exist (or the brokers auto-create them).
func WithoutTopicCreation() Option {
	return func(c *config) { c.createTopics = false }
}

// WithMaxMessageBytes sets the largest input message that is decoded (default 1 MiB); larger
// ones are dead-lettered as oversized.
func WithMaxMessageBytes(n int) Option {
	return func(c *config) { c.maxMessageBytes = n }
}

// WithMaxBatchRecords sets how many records of a partition are processed, written to the Sink
// in one Write and published together at most (default 5,000). A poll's records are committed
// once all its batches are durable and published.
func WithMaxBatchRecords(n int) Option {
	return func(c *config) { c.maxBatchRecords = n }
}

// WithParallelism sets how many partitions of one poll are processed at once (default twice
// GOMAXPROCS), which bounds the concurrent Sink writes. Records of one partition are always
// processed in order.
func WithParallelism(n int) Option {
	return func(c *config) { c.parallelism = n }
}

// WithProcessAttempts sets how many times a window whose processing fails with an error other
// than invalid metrics is tried before it is dead-lettered. The default, 0, retries until the
// context ends: such errors are the Processor's store failing (the engines load a service's
// state and history on first use), and while it is down consumption pauses, as it does while
// the Sink is down. A bound dead-letters the window after n attempts instead — and a window
// dead-lettered that way is lost to an engine that has moved on by the time it is replayed.
func WithProcessAttempts(n int) Option {
	return func(c *config) { c.processAttempts = n }
}

// WithRetryBackoff sets the exponential backoff between retries of processing, sink writes and
// deliveries: min after the first failure, doubling up to max (defaults 100 ms and 5 s).
func WithRetryBackoff(min, max time.Duration) Option {
	return func(c *config) { c.backoffMin, c.backoffMax = min, max }
}

// WithShutdownGrace sets how long in-flight work may go on after the context of Run ends
// (default 30 s): the current poll is finished, made durable, published and committed within
// it, or left uncommitted to be delivered again.
func WithShutdownGrace(d time.Duration) Option {
	return func(c *config) { c.shutdownGrace = d }
}

// WithDeliveryTimeout bounds the client's own retries of one produce attempt (default 30 s);
// after it, the failed records are produced again after a backoff, until the context ends.
func WithDeliveryTimeout(d time.Duration) Option {
	return func(c *config) { c.deliveryTimeout = d }
}

// WithLogger sets the structured logger (default: no logs).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.logger = l
		}
	}
}

// WithClientOptions adds franz-go client options, for TLS, SASL, timeouts or a client ID. They
// are applied after the adapter's own, so they can override them; do not re-enable autocommit.
func WithClientOptions(opts ...kgo.Opt) Option {
	return func(c *config) { c.clientOpts = append(c.clientOpts, opts...) }
}
