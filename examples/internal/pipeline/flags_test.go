package pipeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stacklens/omen"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// dsnParts returns the host, port, database, user and password of a connection string.
func dsnParts(t *testing.T, dsn string) [5]any {
	t.Helper()
	c, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatalf("ParseConfig(%q): %v", dsn, err)
	}
	cc := c.ConnConfig
	return [5]any{cc.Host, int(cc.Port), cc.Database, cc.User, cc.Password}
}

func TestParseServiceConfig(t *testing.T) {
	// The PG* variables of the test environment would fill in what a DSN leaves out.
	for _, v := range []string{"PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD", "PGSERVICE", "PGSSLMODE"} {
		t.Setenv(v, "")
	}
	tests := []struct {
		name  string
		role  Role
		args  []string
		env   map[string]string
		check func(t *testing.T, c Config)
	}{
		{name: "ml defaults", role: MLService, check: func(t *testing.T, c Config) {
			if !slices.Equal(c.Brokers, []string{"localhost:9092"}) || c.Group != "ml-service-group" || c.HTTPAddr != ":8005" {
				t.Errorf("brokers %v, group %q, http %q", c.Brokers, c.Group, c.HTTPAddr)
			}
			if c.Topics.Input != "analytics-alerts" || c.Topics.Anomalies != "ml-anomalies" || c.Topics.Patterns != "ml-patterns" || c.Topics.DeadLetter != "ml-dead-letter" {
				t.Errorf("topics %+v", c.Topics)
			}
			if got, want := dsnParts(t, c.PostgresDSN), [5]any{"localhost", 5432, "stacklens", "stacklens_user", "stacklens_password"}; got != want {
				t.Errorf("database %v, want the original ml_service's %v", got, want)
			}
			if c.CheckpointInterval != time.Minute || c.MaxClockSkew != time.Hour {
				t.Errorf("checkpoint interval %v, max clock skew %v, want 1m and 1h", c.CheckpointInterval, c.MaxClockSkew)
			}
			if c.Detector.History != 168 || c.Detector.OutlierScore != 0 || c.Partitions != 3 || c.ReplicationFactor != 1 || c.ShutdownGrace != 30*time.Second {
				t.Errorf("history %d, outlier score %v, partitions %d, replication %d, grace %v", c.Detector.History, c.Detector.OutlierScore, c.Partitions, c.ReplicationFactor, c.ShutdownGrace)
			}
		}},
		{name: "alerter defaults", role: PredictiveAlerter, check: func(t *testing.T, c Config) {
			if c.Group != "predictive-alerts-group" || c.HTTPAddr != ":8006" || c.Topics.Alerts != "predictive-alerts" || c.Topics.DeadLetter != DefaultAlerterDeadLetterTopic {
				t.Errorf("group %q, http %q, topics %+v", c.Group, c.HTTPAddr, c.Topics)
			}
			if got, want := dsnParts(t, c.PostgresDSN), [5]any{"localhost", 5432, "stacklens", "stacklens", "password"}; got != want {
				t.Errorf("database %v, want the original predictive_alerter's %v", got, want)
			}
			if c.Alerter.MinProbability != 0.5 || c.Alerter.HistoryWindows != 168 || c.Alerter.Capacity != nil || c.Alerter.ForecastRecords != 24 {
				t.Errorf("alerter %+v", c.Alerter)
			}
		}},
		{name: "environment", role: MLService, env: map[string]string{
			"KAFKA_BOOTSTRAP_SERVERS": "k1:9092, k2:9093", "KAFKA_INPUT_TOPIC": "in", "KAFKA_OUTPUT_TOPIC": "out",
			"KAFKA_CONSUMER_GROUP": "g", "PATTERN_HISTORY_HOURS": "336", "HTTP_ADDR": "127.0.0.1:9000", "SHUTDOWN_GRACE": "5s",
			"DB_HOST": "db", "DB_PORT": " 6543 ", "DB_NAME": "n", "DB_USER": "u", "DB_PASSWORD": "p@ss:w/rd?#", "MAX_CLOCK_SKEW": "90s",
			"NOTIFY_RETRY_INTERVAL": "30s", "NOTIFY_RETRY_AGE": "2h", "PAGERDUTY_GROUP_WINDOW": "1h", "NOTIFY_RETRY_BACKOFF": "10m",
		}, check: func(t *testing.T, c Config) {
			if c.NotifyRetryBackoff != 10*time.Minute {
				t.Errorf("notification retry backoff %v, want 10m", c.NotifyRetryBackoff)
			}
			if c.Webhooks.PagerDutyGroupWindow != time.Hour {
				t.Errorf("PagerDuty group window %v, want 1h", c.Webhooks.PagerDutyGroupWindow)
			}
			if c.MaxClockSkew != 90*time.Second {
				t.Errorf("max clock skew %v, want 90s", c.MaxClockSkew)
			}
			if c.NotifyRetryInterval != 30*time.Second || c.NotifyRetryAge != 2*time.Hour {
				t.Errorf("notification retries every %v for %v, want 30s for 2h", c.NotifyRetryInterval, c.NotifyRetryAge)
			}
			if !slices.Equal(c.Brokers, []string{"k1:9092", "k2:9093"}) || c.Topics.Input != "in" || c.Topics.Anomalies != "out" || c.Group != "g" {
				t.Errorf("brokers %v, topics %+v, group %q", c.Brokers, c.Topics, c.Group)
			}
			if c.Detector.History != 336 || c.HTTPAddr != "127.0.0.1:9000" || c.ShutdownGrace != 5*time.Second {
				t.Errorf("history %d, http %q, grace %v", c.Detector.History, c.HTTPAddr, c.ShutdownGrace)
			}
			if got, want := dsnParts(t, c.PostgresDSN), [5]any{"db", 6543, "n", "u", "p@ss:w/rd?#"}; got != want {
				t.Errorf("database %v, want %v", got, want)
			}
		}},
		{name: "flags override the environment", role: PredictiveAlerter,
			args: []string{"-brokers", "f:1", "-output-topic", "alerts", "-db-host", "flaghost", "-min-probability", "0.8", "-http", "", "-forecast-records", "0",
				"-max-clock-skew", "0", "-notify-retry-interval", "0"},
			env: map[string]string{"KAFKA_BOOTSTRAP_SERVERS": "e:1", "KAFKA_OUTPUT_TOPIC": "x", "POSTGRES_HOST": "envhost", "ALERT_MIN_PROBABILITY": "0.6",
				"FORECAST_RECORDS": "3", "MAX_CLOCK_SKEW": "5m"},
			check: func(t *testing.T, c Config) {
				if !slices.Equal(c.Brokers, []string{"f:1"}) || c.Topics.Alerts != "alerts" || c.Alerter.MinProbability != 0.8 || c.HTTPAddr != "" {
					t.Errorf("brokers %v, alerts topic %q, min probability %v, http %q", c.Brokers, c.Topics.Alerts, c.Alerter.MinProbability, c.HTTPAddr)
				}
				if c.Alerter.ForecastRecords != -1 {
					t.Errorf("forecast records %d, want -1 (none) for -forecast-records 0", c.Alerter.ForecastRecords)
				}
				if c.MaxClockSkew >= 0 {
					t.Errorf("max clock skew %v, want negative (no limit) for -max-clock-skew 0", c.MaxClockSkew)
				}
				if c.NotifyRetryInterval >= 0 {
					t.Errorf("notification retry interval %v, want negative (never) for -notify-retry-interval 0", c.NotifyRetryInterval)
				}
				if h := dsnParts(t, c.PostgresDSN)[0]; h != "flaghost" {
					t.Errorf("host %v, want flaghost", h)
				}
			}},
		{name: "ml service falls back to the compose file's POSTGRES_*", role: MLService,
			env: map[string]string{"POSTGRES_HOST": "postgres", "POSTGRES_USER": "stacklens", "POSTGRES_PASSWORD": "pw", "POSTGRES_DB": "sl"},
			check: func(t *testing.T, c Config) {
				if got, want := dsnParts(t, c.PostgresDSN), [5]any{"postgres", 5432, "sl", "stacklens", "pw"}; got != want {
					t.Errorf("database %v, want %v", got, want)
				}
			}},
		{name: "each role prefers its own family", role: PredictiveAlerter,
			env: map[string]string{"DB_HOST": "db", "POSTGRES_HOST": "pg", "DB_USER": "dbuser"},
			check: func(t *testing.T, c Config) {
				if got := dsnParts(t, c.PostgresDSN); got[0] != "pg" || got[3] != "dbuser" {
					t.Errorf("host %v user %v, want pg (POSTGRES_HOST first) and dbuser (DB_USER as fallback)", got[0], got[3])
				}
			}},
		{name: "DATABASE_URL", role: MLService, env: map[string]string{"DATABASE_URL": "postgres://a@h:1/d?sslmode=disable", "DB_HOST": "ignored"},
			check: func(t *testing.T, c Config) {
				if c.PostgresDSN != "postgres://a@h:1/d?sslmode=disable" {
					t.Errorf("dsn %q", c.PostgresDSN)
				}
			}},
		{name: "in memory", role: MLService, args: []string{"-postgres", "none"}, check: func(t *testing.T, c Config) {
			if c.PostgresDSN != "" || c.Pool != nil || c.Memory != nil {
				t.Errorf("dsn %q, want none (a MemoryStore)", c.PostgresDSN)
			}
		}},
		{name: "contamination", role: MLService, env: map[string]string{"ML_CONTAMINATION": "0.001"}, check: func(t *testing.T, c Config) {
			if math.Abs(c.Detector.OutlierScore-50) > 1e-12 {
				t.Errorf("outlier score %v, want 50 (p = 1e-3)", c.Detector.OutlierScore)
			}
		}},
		{name: "threshold", role: MLService, env: map[string]string{"ML_ANOMALY_THRESHOLD": "0.7"}, check: func(t *testing.T, c Config) {
			if math.Abs(c.Detector.OutlierScore-70) > 1e-12 {
				t.Errorf("outlier score %v, want 70", c.Detector.OutlierScore)
			}
		}},
		{name: "the stricter of contamination and threshold", role: MLService,
			env: map[string]string{"ML_CONTAMINATION": "0.00001", "ML_ANOMALY_THRESHOLD": "0.5"}, check: func(t *testing.T, c Config) {
				if want := 500.0 / 6; math.Abs(c.Detector.OutlierScore-want) > 1e-12 {
					t.Errorf("outlier score %v, want %v (p = 1e-5)", c.Detector.OutlierScore, want)
				}
			}},
		{name: "capacity", role: PredictiveAlerter, env: map[string]string{"ALERT_CAPACITY": "api=10000, web = 5e3"}, check: func(t *testing.T, c Config) {
			if want := map[string]float64{"api": 10000, "web": 5000}; !maps.Equal(c.Alerter.Capacity, want) {
				t.Errorf("capacity %v, want %v", c.Alerter.Capacity, want)
			}
		}},
		{name: "webhooks", role: MLService, env: map[string]string{"SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/x",
			"PAGERDUTY_ROUTING_KEY": "k", "PAGERDUTY_EVENTS_URL": "http://127.0.0.1:1/v2/enqueue"}, check: func(t *testing.T, c Config) {
			w := c.Webhooks
			if w.SlackURL != "https://hooks.slack.com/services/T/B/x" || w.PagerDutyRoutingKey != "k" || w.PagerDutyEventsURL != "http://127.0.0.1:1/v2/enqueue" {
				t.Errorf("webhooks %+v", w)
			}
		}},
		{name: "session timeout and checkpoints", role: MLService, env: map[string]string{"KAFKA_SESSION_TIMEOUT": "30s", "STATE_CHECKPOINT_INTERVAL": "0"},
			check: func(t *testing.T, c Config) {
				if len(c.KafkaOptions) != 1 || c.CheckpointInterval != 0 {
					t.Errorf("%d Kafka options, checkpoint interval %v; want the session timeout's and none", len(c.KafkaOptions), c.CheckpointInterval)
				}
			}},
		{name: "Python level names", role: MLService, env: map[string]string{"LOG_LEVEL": "WARNING"}, check: func(t *testing.T, c Config) {
			if c.Logger.Enabled(t.Context(), -4) || c.Logger.Enabled(t.Context(), 0) || !c.Logger.Enabled(t.Context(), 4) {
				t.Error("WARNING does not enable exactly warnings and errors")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			c, err := ParseServiceConfig(tt.role, "test", tt.args, env(tt.env), &logs)
			if err != nil {
				t.Fatalf("ParseServiceConfig: %v", err)
			}
			if c.Role != tt.role || c.Logger == nil {
				t.Errorf("role %q, logger %v", c.Role, c.Logger)
			}
			tt.check(t, c)
		})
	}
}

func TestParseServiceConfigJSONLogs(t *testing.T) {
	var logs bytes.Buffer
	c, err := ParseServiceConfig(MLService, "mlservice", []string{"-log-format", "json"}, env(nil), &logs)
	if err != nil {
		t.Fatal(err)
	}
	c.Logger.Info("hello", "n", 1)
	var rec map[string]any
	if err := json.Unmarshal(logs.Bytes(), &rec); err != nil {
		t.Fatalf("log line %q is not JSON: %v", logs.String(), err)
	}
	if rec["msg"] != "hello" || rec["service"] != "mlservice" || rec["level"] != "INFO" || rec["n"] != 1.0 {
		t.Errorf("log record %v", rec)
	}
}

func TestParseServiceConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		role Role
		args []string
		env  map[string]string
		want string // in the error
	}{
		{"broker without port", MLService, nil, map[string]string{"KAFKA_BOOTSTRAP_SERVERS": "localhost"}, "KAFKA_BOOTSTRAP_SERVERS: broker \"localhost\" is not host:port"},
		{"no broker", MLService, []string{"-brokers", " , "}, nil, "-brokers: no broker"},
		{"contamination not a number", MLService, nil, map[string]string{"ML_CONTAMINATION": "abc"}, "ML_CONTAMINATION: \"abc\" is not a share in (0, 0.5]"},
		{"contamination zero", MLService, nil, map[string]string{"ML_CONTAMINATION": "0"}, "ML_CONTAMINATION"},
		{"contamination above a half", MLService, []string{"-contamination", "0.6"}, nil, "-contamination"},
		{"threshold above 1", MLService, nil, map[string]string{"ML_ANOMALY_THRESHOLD": "1.5"}, "ML_ANOMALY_THRESHOLD"},
		{"threshold NaN", MLService, nil, map[string]string{"ML_ANOMALY_THRESHOLD": "NaN"}, "ML_ANOMALY_THRESHOLD"},
		{"history too short", MLService, nil, map[string]string{"PATTERN_HISTORY_HOURS": "12"}, "PATTERN_HISTORY_HOURS: 12 hours is too short"},
		{"history negative", PredictiveAlerter, nil, map[string]string{"PATTERN_HISTORY_HOURS": "-5"}, "PATTERN_HISTORY_HOURS"},
		{"port zero", MLService, nil, map[string]string{"DB_PORT": "0"}, "DB_PORT"},
		{"port too large", PredictiveAlerter, nil, map[string]string{"POSTGRES_PORT": "70000"}, "POSTGRES_PORT"},
		{"log level", MLService, nil, map[string]string{"LOG_LEVEL": "verbose"}, "LOG_LEVEL"},
		{"log format", MLService, []string{"-log-format", "xml"}, nil, "-log-format: \"xml\" is neither text nor json"},
		{"http without port", MLService, []string{"-http", "8005"}, nil, "-http"},
		{"negative grace", MLService, nil, map[string]string{"SHUTDOWN_GRACE": "-1s"}, "SHUTDOWN_GRACE"},
		{"topic with a space", MLService, nil, map[string]string{"KAFKA_INPUT_TOPIC": "a b"}, "KAFKA_INPUT_TOPIC"},
		{"empty group", MLService, []string{"-group", " "}, nil, "-group: empty consumer group"},
		{"partitions", MLService, nil, map[string]string{"KAFKA_TOPIC_PARTITIONS": "0"}, "KAFKA_TOPIC_PARTITIONS"},
		{"replication factor", MLService, nil, map[string]string{"KAFKA_REPLICATION_FACTOR": "40000"}, "KAFKA_REPLICATION_FACTOR"},
		{"capacity without value", PredictiveAlerter, nil, map[string]string{"ALERT_CAPACITY": "api"}, "ALERT_CAPACITY"},
		{"negative capacity", PredictiveAlerter, []string{"-capacity", "api=-1"}, nil, "-capacity"},
		{"probability zero", PredictiveAlerter, nil, map[string]string{"ALERT_MIN_PROBABILITY": "0"}, "ALERT_MIN_PROBABILITY"},
		{"forecast records beyond the horizon", PredictiveAlerter, nil, map[string]string{"FORECAST_RECORDS": "25"}, "FORECAST_RECORDS: \"25\" is not a number of steps from 0 to 24"},
		{"forecast records on the ML service", MLService, []string{"-forecast-records", "1"}, nil, "flag provided but not defined: -forecast-records"},
		{"malformed DSN", MLService, nil, map[string]string{"DATABASE_URL": "postgres://u@h:notaport/d"}, "PostgreSQL connection string"},
		{"webhook not http", MLService, nil, map[string]string{"SLACK_WEBHOOK_URL": "ftp://hooks.example/secret-path"}, "SLACK_WEBHOOK_URL: ftp://hooks.example/… is not an absolute http(s) URL"},
		{"PagerDuty URL without key", PredictiveAlerter, nil, map[string]string{"PAGERDUTY_EVENTS_URL": "https://pd.example/v2"}, "without a routing key"},
		{"session timeout too short", MLService, nil, map[string]string{"KAFKA_SESSION_TIMEOUT": "500ms"}, "KAFKA_SESSION_TIMEOUT: \"500ms\" is not a duration of at least 1s"},
		{"negative checkpoint interval", PredictiveAlerter, []string{"-checkpoint-interval", "-1s"}, nil, "-checkpoint-interval"},
		{"negative clock skew", MLService, nil, map[string]string{"MAX_CLOCK_SKEW": "-1m"}, "MAX_CLOCK_SKEW: \"-1m\" is not a duration of 0 or more"},
		{"negative notification retry interval", MLService, nil, map[string]string{"NOTIFY_RETRY_INTERVAL": "-1m"}, "NOTIFY_RETRY_INTERVAL: \"-1m\" is not a duration of 0 or more"},
		{"negative PagerDuty group window", MLService, nil, map[string]string{"PAGERDUTY_GROUP_WINDOW": "-1h"}, "PAGERDUTY_GROUP_WINDOW: \"-1h\" is not a duration of 0 or more"},
		{"PagerDuty group window on the alerter", PredictiveAlerter, []string{"-pagerduty-group-window", "1h"}, nil, "flag provided but not defined: -pagerduty-group-window"},
		{"notification retry age within the interval and backoff", MLService, nil, map[string]string{"NOTIFY_RETRY_AGE": "5m"}, "notification retry age (-notify-retry-age, NOTIFY_RETRY_AGE) 5m0s, want more than the retry interval (-notify-retry-interval) 1m0s and backoff (-notify-retry-backoff) 5m0s together"},
		{"zero notification retry backoff", PredictiveAlerter, nil, map[string]string{"NOTIFY_RETRY_BACKOFF": "0"}, "NOTIFY_RETRY_BACKOFF: \"0\" is not a positive duration"},
		{"zero notification retry age", PredictiveAlerter, []string{"-notify-retry-age", "0s"}, nil, "-notify-retry-age: \"0s\" is not a positive duration"},
		{"unknown flag", MLService, []string{"-verbose"}, nil, "flag provided but not defined: -verbose"},
		{"ML flag on the alerter", PredictiveAlerter, []string{"-contamination", "0.1"}, nil, "flag provided but not defined: -contamination"},
		{"stray argument", MLService, []string{"run"}, nil, "unexpected argument \"run\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			_, err := ParseServiceConfig(tt.role, "test", tt.args, env(tt.env), &logs)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "secret-path") {
				t.Errorf("error %q shows a webhook's secret path", err)
			}
		})
	}
}

func TestParseServiceConfigHelp(t *testing.T) {
	var logs bytes.Buffer
	_, err := ParseServiceConfig(PredictiveAlerter, "predictivealerter", []string{"-h"}, env(nil), &logs)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("error %v, want flag.ErrHelp", err)
	}
	for _, s := range Settings(PredictiveAlerter) {
		if !strings.Contains(logs.String(), "-"+s.Flag) {
			t.Errorf("usage lacks -%s:\n%s", s.Flag, logs.String())
		}
		for _, e := range s.Env {
			if !strings.Contains(logs.String(), e) {
				t.Errorf("usage lacks %s", e)
			}
		}
	}
}

func TestConfigValidate(t *testing.T) {
	good := Config{Role: MLService, Brokers: []string{"b:1"}}
	tests := []struct {
		name   string
		modify func(*Config)
		want   string
	}{
		{"unknown role", func(c *Config) { c.Role = "x" }, "unknown role"},
		{"no brokers", func(c *Config) { c.Brokers = nil }, "no Kafka brokers"},
		{"blank broker", func(c *Config) { c.Brokers = []string{" "} }, "malformed broker"},
		{"two stores", func(c *Config) { c.PostgresDSN = "postgres://h/d"; c.Memory = newMemory() }, "at most one"},
		{"negative grace", func(c *Config) { c.ShutdownGrace = -1 }, "negative"},
		{"negative queue", func(c *Config) { c.NotifyQueue = -1 }, "negative"},
		{"detector", func(c *Config) { c.Detector.MinHistory = 2 }, "detector configuration"},
		{"alerter", func(c *Config) { c.Role = PredictiveAlerter; c.Alerter.IntervalLevel = 2 }, "alerter configuration"},
	}
	if err := good.Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			tt.modify(&c)
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate: %v, want an error containing %q", err, tt.want)
			}
			if _, err := Start(t.Context(), c); err == nil {
				t.Error("Start accepted the invalid config")
			}
		})
	}
}

func newMemory() *omen.MemoryStore { return omen.NewMemoryStore() }
