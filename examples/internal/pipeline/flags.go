package pipeline

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/stacklens/omen/kafkaadapter"
	"github.com/stacklens/omen/notify"
)

// NoPostgres is the value of -postgres (or DATABASE_URL) that selects the in-memory store.
const NoPostgres = "none"

// setting is one configuration value of a standalone program: a flag, the environment variables
// read when the flag is absent (in order), a default, and where the value goes.
type setting struct {
	flag  string
	env   []string
	def   string
	usage string
	roles []Role // nil: both roles
	apply func(c *Config, v string) error
}

func (s setting) appliesTo(r Role) bool { return s.roles == nil || slices.Contains(s.roles, r) }

// byRole returns the value for the role: ml for the MLService, alerter for the PredictiveAlerter.
func byRole(r Role, ml, alerter string) string {
	if r == PredictiveAlerter {
		return alerter
	}
	return ml
}

// settings returns the settings of role's program. The DB_* and POSTGRES_* families are both
// read by both programs, the role's own family first: the original ml_service read DB_* while
// its compose file set POSTGRES_*, and crash-looped.
func settings(role Role, db *parsed) []setting {
	ml, al := []Role{MLService}, []Role{PredictiveAlerter}
	dbEnv := func(dbName, pgName string) []string {
		if role == PredictiveAlerter {
			return []string{pgName, dbName}
		}
		return []string{dbName, pgName}
	}
	str := func(dst *string) func(*Config, string) error {
		return func(_ *Config, v string) error { *dst = v; return nil }
	}
	return []setting{
		{flag: "brokers", env: []string{"KAFKA_BOOTSTRAP_SERVERS"}, def: "localhost:9092",
			usage: "Kafka seed brokers, comma-separated host:port", apply: func(c *Config, v string) error {
				c.Brokers = nil
				for b := range strings.SplitSeq(v, ",") {
					b = strings.TrimSpace(b)
					if b == "" {
						continue
					}
					if _, _, err := net.SplitHostPort(b); err != nil {
						return fmt.Errorf("broker %q is not host:port", b)
					}
					c.Brokers = append(c.Brokers, b)
				}
				if len(c.Brokers) == 0 {
					return errors.New("no broker")
				}
				return nil
			}},
		{flag: "input-topic", env: []string{"KAFKA_INPUT_TOPIC"}, def: kafkaadapter.DefaultTopics().Input,
			usage: "topic of the analytics windows", apply: topic(func(c *Config) *string { return &c.Topics.Input })},
		{flag: "output-topic", env: []string{"KAFKA_OUTPUT_TOPIC"},
			def:   byRole(role, kafkaadapter.DefaultTopics().Anomalies, kafkaadapter.DefaultTopics().Alerts),
			usage: byRole(role, "topic of the anomalies", "topic of the predictive alerts"),
			apply: topic(func(c *Config) *string {
				if c.Role == PredictiveAlerter {
					return &c.Topics.Alerts
				}
				return &c.Topics.Anomalies
			})},
		{flag: "patterns-topic", env: []string{"KAFKA_PATTERNS_TOPIC"}, def: kafkaadapter.DefaultTopics().Patterns, roles: ml,
			usage: "topic of the patterns", apply: topic(func(c *Config) *string { return &c.Topics.Patterns })},
		{flag: "dead-letter-topic", env: []string{"KAFKA_DEAD_LETTER_TOPIC"},
			def:   byRole(role, kafkaadapter.DefaultTopics().DeadLetter, DefaultAlerterDeadLetterTopic),
			usage: "topic of the messages that cannot be processed", apply: topic(func(c *Config) *string { return &c.Topics.DeadLetter })},
		{flag: "group", env: []string{"KAFKA_CONSUMER_GROUP"}, def: byRole(role, DefaultMLServiceGroup, DefaultPredictiveAlerterGroup),
			usage: "consumer group; instances in one group share the partitions", apply: func(c *Config, v string) error {
				if strings.TrimSpace(v) == "" {
					return errors.New("empty consumer group")
				}
				c.Group = v
				return nil
			}},
		{flag: "partitions", env: []string{"KAFKA_TOPIC_PARTITIONS"}, def: "3",
			usage: "partitions of the topics created when absent", apply: func(c *Config, v string) error {
				n, err := positiveInt(v, math.MaxInt32)
				c.Partitions = int32(n)
				return err
			}},
		{flag: "replication-factor", env: []string{"KAFKA_REPLICATION_FACTOR"}, def: "1",
			usage: "replication factor of the topics created when absent", apply: func(c *Config, v string) error {
				n, err := positiveInt(v, math.MaxInt16)
				c.ReplicationFactor = int16(n)
				return err
			}},

		{flag: "session-timeout", env: []string{"KAFKA_SESSION_TIMEOUT"}, def: "10s",
			usage: "consumer-group session timeout: how soon the partitions of an instance that died go to the others (the broker bounds it, by default to [6s, 5m])",
			apply: func(c *Config, v string) error {
				d, err := time.ParseDuration(v)
				if err != nil || d < time.Second {
					return fmt.Errorf("%q is not a duration of at least 1s", v)
				}
				c.KafkaOptions = append(c.KafkaOptions, kafkaadapter.WithClientOptions(
					kgo.SessionTimeout(d), kgo.HeartbeatInterval(min(3*time.Second, d/3))))
				return nil
			}},
		{flag: "postgres", env: []string{"DATABASE_URL"}, def: "",
			usage: "PostgreSQL connection string (URL or key=value); \"none\" keeps everything in memory; empty: built from the -db-* settings",
			apply: str(&db.dsn)},
		{flag: "db-host", env: dbEnv("DB_HOST", "POSTGRES_HOST"), def: "localhost", usage: "PostgreSQL host", apply: str(&db.host)},
		{flag: "db-port", env: dbEnv("DB_PORT", "POSTGRES_PORT"), def: "5432", usage: "PostgreSQL port",
			apply: func(_ *Config, v string) error {
				n, err := positiveInt(v, 65535)
				db.port = strconv.Itoa(n) // as checked: " 5432" once passed and then broke the URL
				return err
			}},
		{flag: "db-name", env: dbEnv("DB_NAME", "POSTGRES_DB"), def: "stacklens", usage: "PostgreSQL database", apply: str(&db.name)},
		{flag: "db-user", env: dbEnv("DB_USER", "POSTGRES_USER"), def: byRole(role, "stacklens_user", "stacklens"),
			usage: "PostgreSQL user", apply: str(&db.user)},
		{flag: "db-password", env: dbEnv("DB_PASSWORD", "POSTGRES_PASSWORD"), def: byRole(role, "stacklens_password", "password"),
			usage: "PostgreSQL password (prefer the environment: flags show in the process list)", apply: str(&db.password)},

		{flag: "contamination", env: []string{"ML_CONTAMINATION"}, roles: ml,
			usage: "expected share of outlier windows in (0, 0.5]: an outlier needs a tail probability below it; empty: the detector's calibrated default (10⁻³)",
			apply: func(c *Config, v string) error {
				if v == "" {
					return nil
				}
				p, err := strconv.ParseFloat(v, 64)
				if err != nil || !(p > 0 && p <= 0.5) {
					return fmt.Errorf("%q is not a share in (0, 0.5]", v)
				}
				c.Detector.OutlierScore = max(c.Detector.OutlierScore, -100*math.Log10(p)/6)
				return nil
			}},
		{flag: "anomaly-threshold", env: []string{"ML_ANOMALY_THRESHOLD"}, roles: ml,
			usage: "smallest outlier score in (0, 1], 100 times the detector's 0–100 score; empty: the detector's default (0.5)",
			apply: func(c *Config, v string) error {
				if v == "" {
					return nil
				}
				t, err := strconv.ParseFloat(v, 64)
				if err != nil || !(t > 0 && t <= 1) {
					return fmt.Errorf("%q is not a score in (0, 1]", v)
				}
				c.Detector.OutlierScore = max(c.Detector.OutlierScore, 100*t)
				return nil
			}},
		{flag: "history-hours", env: []string{"PATTERN_HISTORY_HOURS"}, def: "168",
			usage: "hours of hourly windows the models are trained on (at least 24)",
			apply: func(c *Config, v string) error {
				n, err := positiveInt(v, 1<<20)
				if err != nil {
					return err
				}
				if n < 24 {
					return fmt.Errorf("%d hours is too short: the models need at least 24 windows", n)
				}
				c.Detector.History, c.Alerter.HistoryWindows = n, n
				return nil
			}},
		{flag: "min-probability", env: []string{"ALERT_MIN_PROBABILITY"}, def: "0.5", roles: al,
			usage: "breach probability from which a predictive alert is raised, in (0, 1]",
			apply: func(c *Config, v string) error {
				p, err := strconv.ParseFloat(v, 64)
				if err != nil || !(p > 0 && p <= 1) {
					return fmt.Errorf("%q is not a probability in (0, 1]", v)
				}
				c.Alerter.MinProbability = p
				return nil
			}},
		{flag: "forecast-records", env: []string{"FORECAST_RECORDS"}, def: "24", roles: al,
			usage: "forecast steps stored per metric and window, completed later with the actual value (0: none, 24: the whole horizon)",
			apply: func(c *Config, v string) error {
				n, err := strconv.Atoi(v)
				if err != nil || n < 0 || n > 24 {
					return fmt.Errorf("%q is not a number of steps from 0 to 24", v)
				}
				c.Alerter.ForecastRecords = n
				if n == 0 {
					c.Alerter.ForecastRecords = -1
				}
				return nil
			}},
		{flag: "capacity", env: []string{"ALERT_CAPACITY"}, roles: al,
			usage: "capacities in requests per hour, as service=n,service=n; each such service gets capacity alerts",
			apply: func(c *Config, v string) error {
				if v == "" {
					return nil
				}
				c.Alerter.Capacity = map[string]float64{}
				for item := range strings.SplitSeq(v, ",") {
					svc, n, ok := strings.Cut(strings.TrimSpace(item), "=")
					f, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
					if !ok || strings.TrimSpace(svc) == "" || err != nil || !(f > 0) || math.IsInf(f, 0) {
						return fmt.Errorf("%q is not service=capacity with a positive capacity", item)
					}
					c.Alerter.Capacity[strings.TrimSpace(svc)] = f
				}
				return nil
			}},

		{flag: "http", env: []string{"HTTP_ADDR"}, def: byRole(role, DefaultMLServiceHTTPAddr, DefaultAlerterHTTPAddr),
			usage: "address of /healthz, /readyz and /metrics; empty: none", apply: func(c *Config, v string) error {
				if v != "" {
					if _, _, err := net.SplitHostPort(v); err != nil {
						return fmt.Errorf("%q is not host:port", v)
					}
				}
				c.HTTPAddr = v
				return nil
			}},
		{flag: "shutdown-grace", env: []string{"SHUTDOWN_GRACE"}, def: "30s",
			usage: "time to finish in-flight work after SIGINT or SIGTERM", apply: duration(func(c *Config) *time.Duration { return &c.ShutdownGrace }, zeroInvalid)},
		{flag: "max-clock-skew", env: []string{"MAX_CLOCK_SKEW"}, def: "1h",
			usage: "how far ahead of this process's clock a window's timestamp may lie before it is dead-lettered; 0: no limit",
			apply: duration(func(c *Config) *time.Duration { return &c.MaxClockSkew }, zeroOff)},
		{flag: "checkpoint-interval", env: []string{"STATE_CHECKPOINT_INTERVAL"}, def: "1m",
			usage: "how often the models of the services processed since are saved to the store; 0: only when partitions are released",
			apply: duration(func(c *Config) *time.Duration { return &c.CheckpointInterval }, zeroAllowed)},
		{flag: "log-level", env: []string{"LOG_LEVEL"}, def: "INFO", usage: "DEBUG, INFO, WARNING or ERROR",
			apply: func(_ *Config, v string) error { return db.level.UnmarshalText([]byte(logLevelName(v))) }},
		{flag: "log-format", env: []string{"LOG_FORMAT"}, def: "text", usage: "text or json",
			apply: func(_ *Config, v string) error {
				if v != "text" && v != "json" {
					return fmt.Errorf("%q is neither text nor json", v)
				}
				db.json = v == "json"
				return nil
			}},

		{flag: "pagerduty-group-window", env: []string{"PAGERDUTY_GROUP_WINDOW"}, def: "6h", roles: ml,
			usage: "span over which the critical anomalies of one problem (service, metric, type) share a PagerDuty alert; 0: one alert per anomaly",
			apply: duration(func(c *Config) *time.Duration { return &c.Webhooks.PagerDutyGroupWindow }, zeroOff)},
		{flag: "notify-retry-interval", env: []string{"NOTIFY_RETRY_INTERVAL"}, def: "1m",
			usage: "how often the alerts and critical anomalies the store holds as undelivered are handed to the notifier again; 0: never",
			apply: duration(func(c *Config) *time.Duration { return &c.NotifyRetryInterval }, zeroOff)},
		{flag: "notify-retry-age", env: []string{"NOTIFY_RETRY_AGE"}, def: "24h",
			usage: "how long after it was stored an undelivered alert or anomaly is still retried",
			apply: duration(func(c *Config) *time.Duration { return &c.NotifyRetryAge }, zeroInvalid)},
		{flag: "notify-retry-backoff", env: []string{"NOTIFY_RETRY_BACKOFF"}, def: "5m",
			usage: "first wait between two retries of a notification (doubling, up to six times it); longer than a delivery can take",
			apply: duration(func(c *Config) *time.Duration { return &c.NotifyRetryBackoff }, zeroInvalid)},
		{flag: "slack-webhook-url", env: []string{"SLACK_WEBHOOK_URL"},
			usage: "Slack incoming webhook for predictive alerts and critical anomalies (a secret: prefer the environment)",
			apply: webhookURL(func(c *Config) *string { return &c.Webhooks.SlackURL })},
		{flag: "pagerduty-routing-key", env: []string{"PAGERDUTY_ROUTING_KEY"},
			usage: "PagerDuty Events v2 routing key for predictive alerts and critical anomalies (a secret: prefer the environment)",
			apply: func(c *Config, v string) error { c.Webhooks.PagerDutyRoutingKey = v; return nil }},
		{flag: "pagerduty-events-url", env: []string{"PAGERDUTY_EVENTS_URL"},
			usage: "PagerDuty Events v2 endpoint; empty: " + notify.DefaultPagerDutyURL,
			apply: webhookURL(func(c *Config) *string { return &c.Webhooks.PagerDutyEventsURL })},
	}
}

// SettingDoc describes one setting of a standalone program.
type SettingDoc struct {
	Flag    string   // without the dash
	Env     []string // the variables read when the flag is absent, in order
	Default string   // "" when unset means the engine's default or none
	Usage   string
}

// Settings lists the settings of role's program, as ParseServiceConfig reads them.
func Settings(role Role) []SettingDoc {
	var out []SettingDoc
	for _, s := range settings(role, &parsed{}) {
		if s.appliesTo(role) {
			out = append(out, SettingDoc{Flag: s.flag, Env: s.env, Default: s.def, Usage: s.usage})
		}
	}
	return out
}

// parsed gathers the settings that are combined after parsing.
type parsed struct {
	dsn, host, port, name, user, password string     // combined into Config.PostgresDSN
	level                                 slog.Level // and these into Config.Logger
	json                                  bool
}

// What a duration setting's value of 0 means.
const (
	zeroInvalid = iota // nothing: the duration must be positive
	zeroOff            // the feature is off: the field is set negative (its zero is its default)
	zeroAllowed        // 0 itself
)

// duration parses a Go duration of 0 or more into field, 0 meaning as zero says.
func duration(field func(*Config) *time.Duration, zero int) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		switch {
		case zero == zeroInvalid && (err != nil || d <= 0):
			return fmt.Errorf("%q is not a positive duration", v)
		case err != nil || d < 0:
			return fmt.Errorf("%q is not a duration of 0 or more", v)
		case d == 0 && zero == zeroOff:
			d = -1
		}
		*field(c) = d
		return nil
	}
}

func topic(field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error {
		if strings.TrimSpace(v) == "" || strings.ContainsAny(v, " \t,/\\") || len(v) > 249 {
			return fmt.Errorf("%q is not a valid topic name", v)
		}
		*field(c) = v
		return nil
	}
}

func webhookURL(field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error {
		if v != "" {
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return fmt.Errorf("%s is not an absolute http(s) URL", redactURL(v))
			}
		}
		*field(c) = v
		return nil
	}
}

// redactURL shows only the scheme and host of a webhook URL, whose path is a secret.
func redactURL(v string) string {
	if u, err := url.Parse(v); err == nil && u.Scheme != "" && u.Host != "" {
		return u.Scheme + "://" + u.Host + "/…"
	}
	return "the URL"
}

func positiveInt(v string, maxValue int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 || n > maxValue {
		return 0, fmt.Errorf("%q is not an integer in [1, %d]", v, maxValue)
	}
	return n, nil
}

// logLevelName maps Python's level names, which the original read from LOG_LEVEL, to slog's.
func logLevelName(v string) string {
	switch strings.ToUpper(strings.TrimSpace(v)) {
	case "WARNING":
		return "WARN"
	case "CRITICAL", "FATAL":
		return "ERROR"
	}
	return v
}

// flagValue records whether a flag was given on the command line.
type flagValue struct {
	value string
	set   bool
}

func (f *flagValue) String() string     { return f.value }
func (f *flagValue) Set(v string) error { f.value, f.set = v, true; return nil }

// ParseServiceConfig returns the Config of the standalone program of role, named name in its
// messages, from its command-line arguments and environment (getenv, such as os.Getenv). A flag
// overrides its environment variables; an empty variable counts as unset. The logger writes to
// logs. Every error is a configuration error naming the flag or variable at fault (the program
// should exit with status 2); with -h or -help it prints the usage on logs and returns
// flag.ErrHelp.
//
// Settings of both programs (flag, variables, default):
//
//	-brokers             KAFKA_BOOTSTRAP_SERVERS      localhost:9092 (comma-separated)
//	-input-topic         KAFKA_INPUT_TOPIC            analytics-alerts
//	-output-topic        KAFKA_OUTPUT_TOPIC           ml-anomalies | predictive-alerts
//	-dead-letter-topic   KAFKA_DEAD_LETTER_TOPIC      ml-dead-letter | predictive-alerts-dead-letter
//	-group               KAFKA_CONSUMER_GROUP         ml-service-group | predictive-alerts-group
//	-partitions          KAFKA_TOPIC_PARTITIONS       3 (of topics created when absent)
//	-replication-factor  KAFKA_REPLICATION_FACTOR     1
//	-session-timeout     KAFKA_SESSION_TIMEOUT        10s (the original's; heartbeats every third of it, at most 3s)
//	-postgres            DATABASE_URL                 built from the -db-* settings; "none": in memory
//	-db-host             DB_HOST, POSTGRES_HOST       localhost
//	-db-port             DB_PORT, POSTGRES_PORT       5432
//	-db-name             DB_NAME, POSTGRES_DB         stacklens
//	-db-user             DB_USER, POSTGRES_USER       stacklens_user | stacklens
//	-db-password         DB_PASSWORD, POSTGRES_PASSWORD  stacklens_password | password
//	-history-hours       PATTERN_HISTORY_HOURS        168 (windows of history the models fit on, ≥ 24)
//	-http                HTTP_ADDR                    :8005 | :8006
//	-shutdown-grace      SHUTDOWN_GRACE               30s
//	-checkpoint-interval STATE_CHECKPOINT_INTERVAL    1m (0: state saved only when partitions are released)
//	-max-clock-skew      MAX_CLOCK_SKEW               1h (windows stamped further ahead of the clock are dead-lettered; 0: no limit)
//	-log-level           LOG_LEVEL                    INFO (DEBUG, INFO, WARNING, ERROR)
//	-log-format          LOG_FORMAT                   text (or json)
//	-slack-webhook-url   SLACK_WEBHOOK_URL            none
//	-pagerduty-routing-key  PAGERDUTY_ROUTING_KEY     none
//	-pagerduty-events-url   PAGERDUTY_EVENTS_URL      https://events.pagerduty.com/v2/enqueue
//	-notify-retry-interval  NOTIFY_RETRY_INTERVAL     1m (0: undelivered notifications are not retried)
//	-notify-retry-age       NOTIFY_RETRY_AGE          24h
//	-notify-retry-backoff   NOTIFY_RETRY_BACKOFF      5m
//
// With a Slack URL or a PagerDuty routing key, predictive alerts and critical anomalies are
// delivered there (see Webhooks); the PostgreSQL store records each delivery, and what has not
// reached every target is retried every NOTIFY_RETRY_INTERVAL for NOTIFY_RETRY_AGE
// (Config.NotifyRetryInterval).
//
// The predictive alerter reads POSTGRES_* before DB_*, the ML service DB_* first. libpq's
// PGSSLMODE and the other PG* variables apply to what the connection string leaves out.
// The ML service's own:
//
//	-patterns-topic      KAFKA_PATTERNS_TOPIC         ml-patterns
//	-contamination       ML_CONTAMINATION             unset: the detector's default
//	-anomaly-threshold   ML_ANOMALY_THRESHOLD         unset: the detector's default
//	-pagerduty-group-window PAGERDUTY_GROUP_WINDOW    6h (0: one PagerDuty alert per anomaly)
//
// The original's isolation forest flagged the ML_CONTAMINATION share of its training windows
// (offset at that quantile) and reported those whose score exceeded ML_ANOMALY_THRESHOLD on its
// 0.5–0.73 sigmoid scale. omen's outlier score is calibrated: a score s on 0–100 is a tail
// probability p = 10^(−6s/100) under the service's normal operation. So a contamination c
// requires s ≥ −100·log10(c)/6 (0.1 → 16.7; the default 50 is c = 10⁻³), a threshold t
// requires s ≥ 100·t (0.7 → 70), and with both the stricter applies, as the original required
// both. Unset, neither overrides the detector's calibrated default, since the original's
// defaults (0.1 and 0.7) described a score scale that no longer exists.
//
// The predictive alerter's own:
//
//	-min-probability     ALERT_MIN_PROBABILITY        0.5
//	-forecast-records    FORECAST_RECORDS             24 (forecast steps stored per metric and window; 0: none)
//	-capacity            ALERT_CAPACITY               none (service=requests per hour, comma-separated)
func ParseServiceConfig(role Role, name string, args []string, getenv func(string) string, logs io.Writer) (Config, error) {
	if role != MLService && role != PredictiveAlerter {
		return Config{}, fmt.Errorf("unknown role %q", role)
	}
	var db parsed
	table := settings(role, &db)
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(logs)
	values := make([]*flagValue, len(table))
	for i, s := range table {
		if !s.appliesTo(role) {
			continue
		}
		values[i] = &flagValue{value: s.def}
		usage := s.usage
		if len(s.env) > 0 {
			usage += " (env " + strings.Join(s.env, ", ") + ")"
		}
		fs.Var(values[i], s.flag, usage)
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	cfg := Config{Role: role}
	for i, s := range table {
		if values[i] == nil {
			continue
		}
		v, source := s.def, "default of -"+s.flag
		if values[i].set {
			v, source = values[i].value, "-"+s.flag
		} else {
			for _, e := range s.env {
				if ev := getenv(e); ev != "" {
					v, source = ev, e
					break
				}
			}
		}
		if err := s.apply(&cfg, v); err != nil {
			return Config{}, fmt.Errorf("%s: %w", source, err)
		}
	}

	switch db.dsn {
	case NoPostgres:
	case "":
		u := url.URL{Scheme: "postgres", User: url.UserPassword(db.user, db.password),
			Host: net.JoinHostPort(db.host, db.port), Path: "/" + db.name}
		cfg.PostgresDSN = u.String()
	default:
		cfg.PostgresDSN = db.dsn
	}
	var h slog.Handler
	opts := &slog.HandlerOptions{Level: db.level}
	if db.json {
		h = slog.NewJSONHandler(logs, opts)
	} else {
		h = slog.NewTextHandler(logs, opts)
	}
	cfg.Logger = slog.New(h).With(slog.String("service", name))
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}
