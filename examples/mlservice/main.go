// Command mlservice is the Phase 5 ML service: a long-running member of the Kafka consumer group
// ml-service-group that reads the analytics windows of analytics-alerts, finds their anomalies
// and patterns with omen.Detector, stores them in PostgreSQL and publishes them on ml-anomalies
// and ml-patterns. It is configured as the original ml_service.py was, by environment variables,
// each of which a flag overrides:
//
//	go run ./examples/mlservice [flags]
//
// # Settings
//
//	flag                    environment variables           default
//	-brokers                KAFKA_BOOTSTRAP_SERVERS         localhost:9092 (comma-separated host:port)
//	-input-topic            KAFKA_INPUT_TOPIC               analytics-alerts
//	-output-topic           KAFKA_OUTPUT_TOPIC              ml-anomalies
//	-patterns-topic         KAFKA_PATTERNS_TOPIC            ml-patterns
//	-dead-letter-topic      KAFKA_DEAD_LETTER_TOPIC         ml-dead-letter
//	-group                  KAFKA_CONSUMER_GROUP            ml-service-group
//	-partitions             KAFKA_TOPIC_PARTITIONS          3 (of the topics created when absent)
//	-replication-factor     KAFKA_REPLICATION_FACTOR        1
//	-session-timeout        KAFKA_SESSION_TIMEOUT           10s (as the original; an instance that dies loses its partitions after it)
//	-postgres               DATABASE_URL                    built from the -db-* settings; "none": in memory
//	-db-host                DB_HOST, POSTGRES_HOST          localhost
//	-db-port                DB_PORT, POSTGRES_PORT          5432
//	-db-name                DB_NAME, POSTGRES_DB            stacklens
//	-db-user                DB_USER, POSTGRES_USER          stacklens_user
//	-db-password            DB_PASSWORD, POSTGRES_PASSWORD  stacklens_password
//	-contamination          ML_CONTAMINATION                unset: the detector's calibrated default
//	-anomaly-threshold      ML_ANOMALY_THRESHOLD            unset: the detector's calibrated default
//	-history-hours          PATTERN_HISTORY_HOURS           168 (hourly windows the models train on, ≥ 24)
//	-http                   HTTP_ADDR                       :8005 (empty: no HTTP server)
//	-shutdown-grace         SHUTDOWN_GRACE                  30s
//	-checkpoint-interval    STATE_CHECKPOINT_INTERVAL       1m (0: models saved only when partitions are released)
//	-max-clock-skew         MAX_CLOCK_SKEW                  1h (windows stamped further ahead of the clock are dead-lettered; 0: no limit)
//	-log-level              LOG_LEVEL                       INFO (DEBUG, INFO, WARNING, ERROR)
//	-log-format             LOG_FORMAT                      text (or json)
//	-slack-webhook-url      SLACK_WEBHOOK_URL               none
//	-pagerduty-routing-key  PAGERDUTY_ROUTING_KEY           none
//	-pagerduty-events-url   PAGERDUTY_EVENTS_URL            https://events.pagerduty.com/v2/enqueue
//	-pagerduty-group-window PAGERDUTY_GROUP_WINDOW          6h (critical anomalies of one service, metric and type within it share a PagerDuty alert; 0: one per anomaly)
//	-notify-retry-interval  NOTIFY_RETRY_INTERVAL           1m (critical anomalies that did not reach every target are retried from PostgreSQL; 0: never)
//	-notify-retry-age       NOTIFY_RETRY_AGE                24h (how long after it was stored a record is retried)
//	-notify-retry-backoff   NOTIFY_RETRY_BACKOFF            5m (first wait between two retries of a record, doubling up to six times it)
//
// An empty variable counts as unset. The original read DB_* while its compose file set
// POSTGRES_*, and crash-looped; this program reads DB_* and falls back to POSTGRES_* for each
// setting. PGSSLMODE and the other libpq variables apply to what the connection string leaves
// out. Secrets (the database password, the webhook URL, the routing key) are better given in
// the environment than as flags, which show in the process list.
//
// ML_CONTAMINATION and ML_ANOMALY_THRESHOLD keep their meaning on the detector's calibrated
// scale: an outlier must be rarer than the contamination share under the service's normal
// operation, and score above the threshold (times 100 on the 0–100 scale); see
// pipeline.ParseServiceConfig for the exact mapping. Unset, the detector's default applies (a
// tail probability of 10⁻³), since the original's defaults described its uncalibrated score.
//
// # Running
//
// The program migrates the database schema at start (idempotent; safe from several instances),
// then consumes until SIGINT or SIGTERM. It then finishes the poll in hand within the shutdown
// grace — results durable, published, offsets committed —, saves each service's model state to
// ml_models so that another instance resumes it, delivers queued notifications and exits 0. A
// second signal exits at once. Instances started with the same group share the input partitions
// and take each other's over when one stops. Exit status 2 means an invalid configuration (the
// message names the flag or variable), 1 a failure to start or a stop with uncommitted work
// (which is delivered again on the next start).
//
// A Kafka outage never stops the program: the consumer is restarted with a backoff while
// /healthz reports it. While PostgreSQL is down, consumption pauses and resumes by itself.
//
// # Endpoints
//
// On -http (default :8005): GET /healthz (200 while consuming, 503 otherwise, with a JSON report
// of each check), GET /readyz (200 from joining the group until stopping) and GET /metrics
// (Prometheus text format: messages, windows, anomalies by type and severity, patterns, dead
// letters by reason, retries, commits, lag, poll-to-commit and engine latency, notifications),
// every metric prefixed omen_mlservice_.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/stacklens/omen/examples/internal/pipeline"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() { // after the first signal, a second one ends the process at once
		<-ctx.Done()
		stop()
	}()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stderr))
}

// run runs the ML service until ctx ends and returns the exit status.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) int {
	return pipeline.Main(ctx, pipeline.MLService, "mlservice", args, getenv, stderr)
}
