// Package pgadapter stores omen's records in PostgreSQL with pgx: embedded schema migrations, a
// Store implementing the engine's History, Sink and StateStore, and retention that loses nothing.
//
// # Schema
//
// Migrate applies the embedded, versioned migrations (recorded in omen_schema_migrations, under
// an advisory lock) to the connection's current schema:
//
//  1. the tables and indexes of the original Phase 5 ml_schema.sql — ml_anomalies,
//     ml_anomaly_history, ml_models, ml_patterns, ml_trends, ml_anomaly_stats_hourly,
//     ml_anomaly_stats_daily, ml_forecasts, ml_model_performance, ml_predictive_alerts — and,
//     when absent, Phase 4's analytics_metrics_1hour and analytics_alerts (without the foreign
//     key to a rules table Phase 4 never filled);
//  2. the original's numeric columns widened to unconstrained NUMERIC (they overflowed at a
//     confidence of 10 or a value of 1e8), the columns omen's records carry beyond the original
//     (anomaly_score, contributions, the predictive alert's metric, values, priority, severity,
//     status and breach times, the forecast's issued_at, ml_models.state, …), the quick start's
//     analytics_metrics_1hour.created_at, and the archive tables ml_anomalies_archive and
//     ml_anomaly_history_archive;
//  3. the four views (ml_v_recent_anomalies, ml_v_critical_anomalies, ml_v_anomaly_trends,
//     ml_v_model_health), the three functions, fixed — ml_calculate_anomaly_stats(service,
//     start, end), ml_get_top_anomalies(service, limit DEFAULT 10) and
//     ml_archive_old_anomalies(days DEFAULT 90), which moves rather than deletes — and the two
//     triggers, made idempotent;
//  4. the notification columns of ml_predictive_alerts and ml_anomalies: delivered_to, the
//     targets that have the record, and notify_attempts and notify_next_at, the schedule of its
//     retries;
//  5. the same columns in ml_anomalies_archive, which ml_archive_old_anomalies now moves too; the
//     function also holds an advisory lock that writes of anomalies share, so that a write racing
//     with it cannot put an archived anomaly back.
//
// While Migrate runs, names resolve in the current schema alone: schemas of one database migrate
// independently, whatever their search_path.
// The quick start's queries run unchanged on this schema; QuickStartQueries lists them verbatim
// (a test checks them against PHASE_5_QUICKSTART.md and their output on known data).
//
// # Mapping
//
// History reads analytics_metrics_1hour, Phase 4's wide table: latency_p50/p95/p99/mean are
// omen.Metrics' latencies in milliseconds, avg_risk_score its RiskScore, error_rate its percent
// error rate. A table omen creates stores every value exactly; an existing Phase 4 table keeps
// its own column types, whose NUMERIC(10,2) and NUMERIC(5,2) round the measures to hundredths
// (90.125 ms is stored, and read back by History, as 90.13), as Phase 4's own rows are. To store
// them exactly there, widen those columns to NUMERIC (ALTER TABLE … ALTER COLUMN … TYPE NUMERIC
// rewrites nothing). Write upserts every record by its key in one transaction (see Store.Write for what a
// repeated write changes), and the engine's state lives in ml_models rows of model_type
// omen_state.
//
// # Notifications
//
// A Store is a notify.Marker, notify.Checker and notify.TargetMarker: MarkAlertSent sets
// alert_sent and alert_sent_at, MarkAnomalyNotified notified_at, and AlertSent and
// AnomalyNotified read them back; MarkAlertDelivered and MarkAnomalyDelivered record each target
// that has a record (delivered_to), AlertDeliveredTo and AnomalyDeliveredTo read them.
// ClaimUnsentAlerts and ClaimUnnotifiedAnomalies take what a notifier has not marked delivered,
// for a retry, with a backoff per record and without two claimers ever taking the same one;
// LeaseAlerts and LeaseAnomalies keep the claims off records a notifier is delivering.
//
// # Concurrency and errors
//
// A Store is safe for concurrent use; every call takes a pooled connection and returns it on
// every path. All SQL is parameterised. Errors wrap their cause (%w); records that cannot be
// stored wrap ErrInvalidRecord and are rejected before any SQL is sent; operations on records
// that do not exist wrap ErrNotFound.
package pgadapter
