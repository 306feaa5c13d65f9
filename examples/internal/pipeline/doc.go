// Package pipeline wires omen's Phase 5 engine to Kafka and PostgreSQL: the ML service
// (omen.Detector) and the predictive alerter (omen.Alerter) as long-running consumer-group
// members, with their store, webhook notifications, health checks and Prometheus metrics. The
// programs examples/mlservice and examples/predictivealerter and the single-process pipeline
// examples/phase5 are built on it.
//
// # Running a service
//
// Start opens the store, builds the Role's engine on it, binds the HTTP address and consumes in
// the background; Stop (or the end of Start's context) stops it gracefully; Run does both for a
// program. Several Services may run in one process against the same brokers and store: both
// Roles of the pipeline, or two instances of one Role in one consumer group, which share the
// input partitions (messages are keyed by service, so a service's windows stay on one
// instance). When an instance stops, its consumer commits, saves the state of its services to
// the store (ml_models in PostgreSQL) and leaves the group; the instances that receive its
// partitions resume from the committed offsets and the saved state.
//
// Each Service reads the input topic (analytics windows) in its own consumer group:
//
//	role               group                    engine         topics written
//	MLService          ml-service-group         omen.Detector  ml-anomalies, ml-patterns, ml-dead-letter
//	PredictiveAlerter  predictive-alerts-group  omen.Alerter   predictive-alerts, predictive-alerts-dead-letter
//
// The original predictive alerter consumed ml-anomalies and re-read each metric's history from
// the database; omen's Alerter forecasts every thresholded metric from the windows themselves,
// so it reads the windows, which also makes its output independent of the ML service's timing.
//
// # Store
//
// With a PostgreSQL DSN (or a pool) the store is a pgadapter.Store on a schema that Start
// migrates (pgadapter.Migrate, idempotent and safe from several processes at once): results go
// to ml_anomalies, ml_patterns, ml_forecasts, ml_predictive_alerts and analytics_metrics_1hour,
// engine state to ml_models, and the Alerter warm-starts a service it has no state for from
// analytics_metrics_1hour. Without one, an omen.MemoryStore plays all three parts (Config.Memory
// lets services of one process share it).
//
// # Engine state
//
// The engines keep per-service state (histories, models, calibrations) that the store saves in
// ml_models. It is saved when the consumer gives partitions up (a rebalance, a stop), which is
// what a takeover resumes from. With Config.CheckpointInterval it is also saved during the run:
// at the first poll boundary after each interval, the services processed since the last
// checkpoint are saved, at a moment when every window processed is durable, published and
// committed, so the saved state matches the committed offsets (unless the last commit failed:
// the state is then ahead of them, and the windows in between, delivered again, are taken for
// redeliveries, their results being durable already). An instance that crashes leaves
// its successor a state at most one interval old (or its last release's, without checkpoints);
// the windows it processed after that are not delivered again, but their results and the windows
// themselves are in the store, and both engines catch a restored service up from the stored
// windows (omen.WithHistory, omen.WithAlerterHistory) before its next window, so the successor
// resumes exactly where the crashed instance stopped (for states up to 16 histories old: 16
// weeks of hourly windows by default). The interval only bounds how many windows a restore
// replays. Checkpoints cost a state write per service processed in the interval.
//
// # Delivery and notifications
//
// kafkaadapter.Consumer makes every batch of results durable through the Sink before it
// publishes them and commits their offsets (at least once; the engine's deterministic IDs make
// a redelivery harmless). It offers no callback after a durable batch, so the Service gives it
// a Sink of its own that first writes the batch to the store and, once the write has returned
// successfully, queues the batch's notifiable records — predictive alerts newly issued and
// critical anomalies — for the Notifier, which one goroutine drives (with the retries below,
// a second one). Notification thus
// never precedes durability: what a webhook announces is in the database, and a
// notifier marking alert_sent finds the row. It never holds back a commit either: the queue
// (Config.NotifyQueue batches) does not block the Sink; a batch that finds it full is dropped
// from notification, logged and counted, and its alerts keep alert_sent = false in the store.
// A notifier's failure is logged and counted and never fails a write. What did not reach every
// target is retried from the store: with PostgreSQL and the Service's own notifier, every
// Config.NotifyRetryInterval (1 min) the pending alerts not marked sent and the open critical
// anomalies not marked notified, stored within Config.NotifyRetryAge (24 h), are claimed a few
// at a time — never by two instances at once, each then backing off (Config.NotifyRetryBackoff,
// 5 min, doubling) — and handed to the notifier again, which sends each only to the targets the
// store does not list as having it. New batches are delivered in chunks leased in the store, so
// no retry claims a record in delivery. A webhook down for an hour, a dropped batch, a crash
// between the write and the delivery: the page goes out at a retry after the target answers
// again (within the record's backoff, at most 30 minutes by default), to that target only. Since
// a redelivered window produces the same records, a Notifier must de-duplicate by ID. On Stop
// the queued batches are delivered within the shutdown grace; the retries claim no more.
//
// # Health and metrics
//
// Service.Handler serves /healthz (200 while consuming: the consumer runs, is a member of its
// group, hears from the brokers, is not stuck on a poll, and the store answers; 503 otherwise,
// with the report as JSON), /readyz (200 from joining the group until stopping) and /metrics
// (Stats.WritePrometheus: messages, processed windows, published records, dead letters by
// reason, retries, commits, lag, poll-to-commit latency, engine and store latency, anomalies by
// type and severity, patterns, forecasts, predictive alerts by status, notifications).
// A PredictiveAlerter also serves its capacity plans at /capacity and /capacity/{service}.
// Handler serves the same endpoints for several Services of one process.
//
// A consumer that fails on its own (Kafka unreachable, say) does not end the Service: it is run
// again after a backoff, its uncommitted records delivered again and the engine's state of their
// services restored from the store. While the store is down, processing and writes are retried
// and consumption pauses; /healthz reports the stall after StallTimeout.
//
// # Standalone programs
//
// ParseServiceConfig builds a Config for a standalone program from the original services'
// environment variables with flags overriding them (see its documentation for every variable),
// and Main is the whole body of such a program: exit status 0 after a clean stop, 1 when the
// Service cannot start or stops with uncommitted work, 2 for an invalid configuration.
//
// Package pipelinetest holds the fixtures of tests built on this package: an in-process Kafka
// cluster, a PostgreSQL schema of one's own, generated streams, topic and offset readers.
package pipeline
