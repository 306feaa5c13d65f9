// Command predictivealerter is the Phase 5 predictive alerter: a long-running member of the
// Kafka consumer group predictive-alerts-group that reads the analytics windows of
// analytics-alerts, forecasts every thresholded metric of every service with omen.Alerter
// (automatically chosen ARIMA models), and raises predictive alerts when a breach within the
// horizon is probable enough; the alerts go to PostgreSQL (ml_predictive_alerts, with their
// forecasts in ml_forecasts) and to the predictive-alerts topic. It is configured as the
// original predictive_alerter.py was, by environment variables, each of which a flag
// overrides:
//
//	go run ./examples/predictivealerter [flags]
//
// The original consumed ml-anomalies and re-read each metric's history from the database, where
// it never found it. This program forecasts from the windows themselves, so it reads the same
// input topic as the ML service, in its own group; a service it has no saved state for is
// warm-started from analytics_metrics_1hour.
//
// # Settings
//
//	flag                    environment variables           default
//	-brokers                KAFKA_BOOTSTRAP_SERVERS         localhost:9092 (comma-separated host:port)
//	-input-topic            KAFKA_INPUT_TOPIC               analytics-alerts
//	-output-topic           KAFKA_OUTPUT_TOPIC              predictive-alerts
//	-dead-letter-topic      KAFKA_DEAD_LETTER_TOPIC         predictive-alerts-dead-letter
//	-group                  KAFKA_CONSUMER_GROUP            predictive-alerts-group
//	-partitions             KAFKA_TOPIC_PARTITIONS          3 (of the topics created when absent)
//	-replication-factor     KAFKA_REPLICATION_FACTOR        1
//	-session-timeout        KAFKA_SESSION_TIMEOUT           10s (as the original; an instance that dies loses its partitions after it)
//	-postgres               DATABASE_URL                    built from the -db-* settings; "none": in memory
//	-db-host                POSTGRES_HOST, DB_HOST          localhost
//	-db-port                POSTGRES_PORT, DB_PORT          5432
//	-db-name                POSTGRES_DB, DB_NAME            stacklens
//	-db-user                POSTGRES_USER, DB_USER          stacklens
//	-db-password            POSTGRES_PASSWORD, DB_PASSWORD  password
//	-history-hours          PATTERN_HISTORY_HOURS           168 (hourly windows the models fit on, ≥ 24)
//	-min-probability        ALERT_MIN_PROBABILITY           0.5 (breach probability that raises an alert)
//	-forecast-records       FORECAST_RECORDS                24 (forecast steps stored per metric and window; 0: none)
//	-capacity               ALERT_CAPACITY                  none (service=requests per hour, comma-separated)
//	-http                   HTTP_ADDR                       :8006 (empty: no HTTP server)
//	-shutdown-grace         SHUTDOWN_GRACE                  30s
//	-checkpoint-interval    STATE_CHECKPOINT_INTERVAL       1m (0: models saved only when partitions are released)
//	-max-clock-skew         MAX_CLOCK_SKEW                  1h (windows stamped further ahead of the clock are dead-lettered; 0: no limit)
//	-log-level              LOG_LEVEL                       INFO (DEBUG, INFO, WARNING, ERROR)
//	-log-format             LOG_FORMAT                      text (or json)
//	-slack-webhook-url      SLACK_WEBHOOK_URL               none
//	-pagerduty-routing-key  PAGERDUTY_ROUTING_KEY           none
//	-pagerduty-events-url   PAGERDUTY_EVENTS_URL            https://events.pagerduty.com/v2/enqueue
//	-notify-retry-interval  NOTIFY_RETRY_INTERVAL           1m (predictive alerts that did not reach every target are retried from PostgreSQL; 0: never)
//	-notify-retry-age       NOTIFY_RETRY_AGE                24h (how long after it was stored a record is retried)
//	-notify-retry-backoff   NOTIFY_RETRY_BACKOFF            5m (first wait between two retries of a record, doubling up to six times it)
//
// An empty variable counts as unset. POSTGRES_* are read first, as the original did, then DB_*.
// PGSSLMODE and the other libpq variables apply to what the connection string leaves out.
// Secrets (the database password, the webhook URL, the routing key) are better given in the
// environment than as flags, which show in the process list. A service listed in -capacity also
// gets alerts of its capacity's exhaustion (the original computed them and only logged them).
//
// With a Slack URL or a PagerDuty routing key, every newly issued predictive alert is delivered
// after it is stored, and alert_sent / alert_sent_at record the delivery.
//
// # Running
//
// The program migrates the database schema at start (idempotent; safe from several instances),
// then consumes until SIGINT or SIGTERM. It then finishes the poll in hand within the shutdown
// grace — results durable, published, offsets committed —, saves each service's models to
// ml_models so that another instance resumes them, delivers queued notifications and exits 0.
// A second signal exits at once. Exit status 2 means an invalid configuration (the message
// names the flag or variable), 1 a failure to start or a stop with uncommitted work (which is
// delivered again on the next start). A Kafka outage never stops the program: the consumer is
// restarted with a backoff while /healthz reports it.
//
// # Endpoints
//
// On -http (default :8006): GET /healthz (200 while consuming, 503 otherwise, with a JSON report
// of each check), GET /readyz (200 from joining the group until stopping) and GET /metrics
// (Prometheus text format: messages, windows, predictive alerts by status, forecasts, dead
// letters by reason, retries, commits, lag, poll-to-commit and engine latency, notifications),
// every metric prefixed omen_predictivealerter_. With -capacity, GET /capacity serves the
// capacity plans of the configured services this instance holds (forecast utilisation over the
// horizon, time to exhaustion, recommendation) as JSON, and GET /capacity/{service} one of them.
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

// run runs the predictive alerter until ctx ends and returns the exit status.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) int {
	return pipeline.Main(ctx, pipeline.PredictiveAlerter, "predictivealerter", args, getenv, stderr)
}
