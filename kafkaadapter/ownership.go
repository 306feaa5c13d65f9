package kafkaadapter

import (
	"context"
	"log/slog"
	"slices"
	"time"
)

// own records that services were processed from partition tp.
func (c *Consumer) own(tp topicPartition, services map[string]struct{}) {
	if len(services) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	set := c.owned[tp]
	if set == nil {
		set = map[string]struct{}{}
		c.owned[tp] = set
	}
	for s := range services {
		set[s] = struct{}{}
	}
}

// release hands the services of revoked partitions back to the Processor, which saves and
// forgets their state. It runs in the group's revoke (or lost) callback, after the poll in hand
// was made durable, published and committed (or its commit failed: see Delivery guarantees):
// BlockRebalanceOnPoll holds rebalances until then.
func (c *Consumer) release(ctx context.Context, revoked map[string][]int32) {
	var services []string
	var tps []topicPartition
	c.mu.Lock()
	for topic, partitions := range revoked {
		for _, p := range partitions {
			tp := topicPartition{topic, p}
			tps = append(tps, tp)
			for s := range c.owned[tp] {
				services = append(services, s)
			}
			delete(c.owned, tp)
		}
	}
	c.mu.Unlock()
	c.stats.dropLag(tps)
	if len(services) == 0 {
		return
	}
	slices.Sort(services)
	// The revoke of a shutdown runs after ctx ended: give the Processor the grace period.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), max(c.cfg.shutdownGrace, time.Second))
	defer cancel()
	if err := c.proc.Release(rctx, services); err != nil {
		// The services not saved stay in the Processor's memory, where a later assignment of
		// their partitions would find them and skip the restore, missing whatever another
		// member processed meanwhile. Their results are durable: forgetting them is safe, and
		// the next restore (from the last saved state, caught up from the stored windows)
		// rebuilds them exactly.
		c.cfg.logger.ErrorContext(ctx, "releasing services failed; forgetting them", slog.Int("services", len(services)), slog.Any("error", err))
		if d, ok := c.proc.(Discarder); ok {
			d.Discard(services)
		}
		return
	}
	c.stats.releases.Add(int64(len(services)))
	c.cfg.logger.InfoContext(ctx, "services released", slog.Int("services", len(services)), slog.Any("partitions", revoked))
}

// discard forgets services whose windows were processed but not made durable, so that they are
// not released (saved) with state ahead of the committed offsets.
func (c *Consumer) discard(ctx context.Context, services []string) {
	if len(services) == 0 {
		return
	}
	c.mu.Lock()
	for _, set := range c.owned {
		for _, s := range services {
			delete(set, s)
		}
	}
	c.mu.Unlock()
	slices.Sort(services)
	services = slices.Compact(services)
	if d, ok := c.proc.(Discarder); ok {
		d.Discard(services)
	}
	c.cfg.logger.WarnContext(ctx, "services discarded: their last windows will be delivered again", slog.Int("services", len(services)))
}
