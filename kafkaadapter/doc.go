// Package kafkaadapter connects omen's engine to Kafka with franz-go: a consumer-group source for
// analytics windows, a publisher for the result topics, and a dead-letter topic.
//
// # Data flow
//
// A Consumer joins a consumer group (default "ml-service-group") on the input topic (default
// "analytics-alerts"). For each poll it
//
//  1. decodes every record with omen.DecodeMetrics (the real Phase 4 alert with "details", or the
//     documented flat shape);
//  2. hands each window to the Processor, records of one partition in order, partitions in
//     parallel (WithParallelism);
//  3. writes the results of each batch of a partition's records (at most 5,000 records;
//     WithMaxBatchRecords) to the omen.Sink in one Write, retrying with backoff while it fails
//     (consumption pauses while the database is down);
//  4. publishes anomalies, patterns and predictive alerts on "ml-anomalies", "ml-patterns" and
//     "predictive-alerts" (key = service, value = the record's JSON, timestamps RFC 3339 UTC) and
//     the batch's dead letters on "ml-dead-letter", waiting for every acknowledgement and
//     producing failed records again with backoff;
//  5. and only then commits the poll's offsets.
//
// Topic names are configurable (WithTopics); the five topics are created when absent (default 3
// partitions, replication factor 1; WithTopicCreation, WithoutTopicCreation), and an output topic
// deleted while the consumer runs is created again before its records are produced again.
//
// # Delivery guarantees
//
// At least once, with no loss: an offset is committed only after the results of its record are
// durable in the Sink and acknowledged by the brokers, and auto-commit is off. A new group starts
// at the earliest offset, so a backlog is never skipped. A crash or a stop whose grace period ran
// out leaves offsets uncommitted, and those records are delivered again; the engine's
// deterministic IDs (omen.RecordID) make the Sink write idempotent. A commit that fails while
// Run goes on is logged and counted, and superseded by the next poll's (commits are cumulative);
// should the partition move first, its new owner receives those records again, finds them older
// than the state it restores, and takes them for the redeliveries they are. The output topics may
// then carry a record twice, with the same ID. Delivery errors are never ignored: they are retried
// until the context of Run ends, and Run then returns them. On cancellation, Run finishes the poll
// in hand (within WithShutdownGrace, default 30 s), commits, releases the services, leaves the
// group and returns nil.
//
// # Dead letters
//
// A message that is oversized (WithMaxMessageBytes, default 1 MiB), undecodable, incomplete (no
// service or timestamp), invalid (a negative or non-finite count, an error rate above 100 %, …)
// or unprocessable (the Processor rejected it with omen.ErrInvalidMetrics, failed on each of a
// WithProcessAttempts bound's tries, or produced a record that JSON cannot encode) goes to the dead-letter
// topic, is counted in Stats.DeadLetters, and is committed past; the consumer keeps running.
//
// A dead letter keeps the original key, value and headers, so that it can be replayed as is, and
// adds headers (read back by DecodeDeadLetter):
//
//	dlq-reason            oversized | undecodable | incomplete | invalid | unprocessable
//	dlq-error             the detailed error
//	dlq-source-topic      the input topic
//	dlq-source-partition  decimal
//	dlq-source-offset     decimal
//	dlq-source-timestamp  the input record's timestamp, RFC 3339 UTC
//	dlq-original-size     only if the dead-letter topic refused the whole value: the value is then
//	                      its first 64 KiB, and this header gives the original length
//
// # The Processor contract
//
// The engine's Detector or Alerter implements Processor:
//
//   - Process is called for the windows of one partition in order, one at a time, and for
//     different partitions concurrently. Messages are keyed by service, so a service's windows
//     arrive in order on one partition: Process must be safe for concurrent use across services.
//     A window whose key is not its service is processed and counted (Stats.Unkeyed, logged the
//     first time): from a producer that does not key by service, a service's windows reach
//     several partitions, and one that arrives after a newer one is taken for a redelivery.
//   - The first time Process sees a service (after start-up or after a rebalance assigned the
//     service's partition), the engine restores the service's state from its omen.StateStore,
//     lazily; nothing is called on assignment.
//   - Release is called, in the group's revoke callback, with the services seen on partitions this
//     consumer no longer owns (a rebalance, a lost session, or the consumer's own shutdown). By
//     then every processed window of those services is durable and committed. Release saves their
//     state to the StateStore and forgets it, so the next owner resumes from it.
//   - Redelivery: after a crash, a failed commit or a rebalance, windows already processed are
//     delivered again. Process must accept such a window without error — returning the same
//     results (the IDs are deterministic, so the Sink replaces them) or none. An error wrapping
//     omen.ErrInvalidMetrics dead-letters the window at once; other errors are retried.
//   - When Run fails with work that is not durable, the services of that work are not released.
//     A Processor that also implements Discarder is told to forget them; otherwise it must not be
//     reused after Run returned an error, since its state is ahead of the committed offsets. The
//     engine should save state only in Release (or at other points where every processed window
//     is durable), never ahead of the Sink.
//
// # Scale-out and rebalances
//
// Instances of a service share the input partitions through the consumer group. The consumer
// uses BlockRebalanceOnPoll: a rebalance waits until the poll in hand is durable, published and
// committed, so a revoked partition is always handed over at a committed offset. A poll blocked
// for longer than the group's rebalance timeout (a long Sink outage) gets the member evicted;
// its records are then delivered to another member, which is safe but repeats work.
//
// # Observability
//
// Stats returns counters that map onto Prometheus metrics: messages, processed windows, records
// published per topic, dead letters per reason, retries, commits, lag per partition (from the
// fetch's high watermark) and a histogram of the latency from poll to commit. Logs go to the
// slog.Logger of WithLogger.
package kafkaadapter
