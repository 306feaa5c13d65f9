package kafkaadapter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"

	"github.com/stacklens/omen"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Publisher publishes results on the output topics: anomalies on Topics.Anomalies, patterns on
// Topics.Patterns, predictive alerts on Topics.Alerts, each keyed by its service with its JSON as
// value (the topic formats of DESIGN.md, timestamps RFC 3339 UTC). Publish returns only when
// every record is acknowledged by the brokers; failed records are produced again after a backoff
// until they are, or until the context ends. It is safe for concurrent use.
type Publisher struct {
	client  *kgo.Client
	topics  Topics
	backoff backoff
	log     *slog.Logger
	stats   *counters
	// recreate, when topic creation is on, creates topics that vanished (were deleted).
	recreate func(ctx context.Context, topics ...string) error
}

// NewPublisher returns a Publisher producing through client, which the caller keeps owning and
// closing. The client's own retries should be bounded (kgo.RecordDeliveryTimeout) so that a
// failure reaches the Publisher's retry loop and logs. It reads the options WithTopics,
// WithRetryBackoff, WithLogger and WithTopicCreation / WithoutTopicCreation (a topic that does not
// exist when a record is produced to it is created, unless WithoutTopicCreation) and ignores the
// others.
func NewPublisher(client *kgo.Client, opts ...Option) (*Publisher, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return newPublisher(client, cfg, newCounters()), nil
}

func newPublisher(client *kgo.Client, cfg config, stats *counters) *Publisher {
	p := &Publisher{
		client:  client,
		topics:  cfg.topics,
		backoff: backoff{cfg.backoffMin, cfg.backoffMax},
		log:     cfg.logger,
		stats:   stats,
	}
	if cfg.createTopics {
		p.recreate = func(ctx context.Context, topics ...string) error {
			return EnsureTopics(ctx, client, cfg.partitions, cfg.replicationFactor, topics...)
		}
	}
	return p
}

// Publish delivers the anomalies, patterns and predictive alerts of r (metrics and forecasts
// have no topic). It returns an error when a record cannot be encoded, which nothing would fix,
// or when the context ends before every record is delivered; the error then wraps the last
// delivery error. Records delivered before a failure stay delivered: publishing the same results
// again duplicates those records on the topics, with the same IDs.
func (p *Publisher) Publish(ctx context.Context, r omen.Results) error {
	records, err := encodeResults(p.topics, r)
	if err != nil {
		return err
	}
	return p.produce(ctx, records)
}

// Stats returns the Publisher's counters: Published and PublishRetries.
func (p *Publisher) Stats() Stats { return p.stats.snapshot() }

// produce delivers records, producing the failed ones again after a backoff until all are
// acknowledged or ctx ends.
func (p *Publisher) produce(ctx context.Context, records []*kgo.Record) error {
	var lastErr error // the last delivery error that is not the context's
	for failures := 0; len(records) > 0; {
		results := p.client.ProduceSync(ctx, records...)
		delivered := map[string]int64{}
		var retry []*kgo.Record
		missing, recreated := map[string]bool{}, map[string]bool{}
		for _, res := range results {
			if res.Err == nil {
				delivered[res.Record.Topic]++
				continue
			}
			if ctx.Err() == nil || !errors.Is(res.Err, ctx.Err()) {
				lastErr = res.Err
			}
			switch {
			case errors.Is(res.Err, kerr.UnknownTopicOrPartition):
				missing[res.Record.Topic] = true
			case errors.Is(res.Err, kerr.UnknownTopicID):
				recreated[res.Record.Topic] = true
			}
			next := cloneRecord(res.Record)
			if errors.Is(res.Err, kerr.MessageTooLarge) && isDeadLetter(res.Record) {
				if t := truncateDeadLetter(res.Record); t != nil {
					next = t
				}
			}
			retry = append(retry, next)
		}
		p.stats.addPublished(delivered)
		if len(retry) == 0 {
			return nil
		}
		failures++
		delay := p.backoff.delay(failures)
		if ctx.Err() == nil {
			p.stats.publishRetries.Add(1)
			p.log.WarnContext(ctx, "kafka delivery failed; retrying",
				slog.Int("records", len(retry)), slog.Int("failures", failures),
				slog.Duration("backoff", delay), slog.Any("error", lastErr))
		}
		p.repairTopics(ctx, missing, recreated)
		if err := sleep(ctx, delay); err != nil {
			if lastErr == nil {
				return fmt.Errorf("kafkaadapter: %d of %d records not delivered: %w", len(retry), len(records), err)
			}
			return fmt.Errorf("kafkaadapter: %d of %d records not delivered: %w (stopped by: %w)", len(retry), len(records), lastErr, err)
		}
		records = retry
	}
	return nil
}

// repairTopics prepares the next attempt after records failed because their topic is missing
// (it is created, if topic creation is on) or was deleted and created again (the client forgets
// the old topic ID, which it otherwise keeps using).
func (p *Publisher) repairTopics(ctx context.Context, missing, recreated map[string]bool) {
	if len(recreated) > 0 {
		topics := slices.Sorted(maps.Keys(recreated))
		p.log.WarnContext(ctx, "topics were recreated; forgetting their old IDs", slog.Any("topics", topics))
		p.client.PurgeTopicsFromProducing(topics...)
	}
	if len(missing) > 0 && p.recreate != nil && ctx.Err() == nil {
		topics := slices.Sorted(maps.Keys(missing))
		p.log.WarnContext(ctx, "creating missing topics", slog.Any("topics", topics))
		if err := p.recreate(ctx, topics...); err != nil {
			p.log.WarnContext(ctx, "creating missing topics failed", slog.Any("error", err))
			return
		}
		p.client.PurgeTopicsFromProducing(topics...) // a deleted topic's old ID would fail the next attempt
	}
}
