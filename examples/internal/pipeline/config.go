package pipeline

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stacklens/omen"
	"github.com/stacklens/omen/kafkaadapter"
)

// Role selects the engine a Service runs.
type Role string

const (
	// MLService runs the ML service's omen.Detector: anomalies on ml-anomalies, patterns on
	// ml-patterns.
	MLService Role = "mlservice"
	// PredictiveAlerter runs the predictive alerter's omen.Alerter: predictive alerts on
	// predictive-alerts, forecasts in the store.
	PredictiveAlerter Role = "predictivealerter"
)

// Defaults of a Role's zero Config fields.
const (
	DefaultMLServiceGroup         = "ml-service-group"        // the original ml_service's group
	DefaultPredictiveAlerterGroup = "predictive-alerts-group" // the original predictive_alerter's group
	// DefaultAlerterDeadLetterTopic is the predictive alerter's dead-letter topic. The two roles
	// read the same input topic in different groups, so each dead-letters a malformed message;
	// separate topics keep one copy of it per role.
	DefaultAlerterDeadLetterTopic = "predictive-alerts-dead-letter"
	DefaultMLServiceHTTPAddr      = ":8005" // the ports of the original compose file
	DefaultAlerterHTTPAddr        = ":8006"
	DefaultNotifyQueue            = 1024
	DefaultNotifyRetryInterval    = time.Minute
	DefaultNotifyRetryAge         = 24 * time.Hour
	DefaultNotifyRetryBackoff     = 5 * time.Minute
	DefaultStallTimeout           = 2 * time.Minute
	DefaultMaxClockSkew           = time.Hour
)

// Config describes one Service. A zero field means its documented default.
type Config struct {
	// Role selects the engine: MLService (omen.Detector) or PredictiveAlerter (omen.Alerter).
	Role Role

	// Brokers are the Kafka seed brokers (host:port). Required.
	Brokers []string
	// Topics names the topics; an empty field keeps kafkaadapter's default, except
	// Topics.DeadLetter of the PredictiveAlerter, whose default is DefaultAlerterDeadLetterTopic.
	Topics kafkaadapter.Topics
	// Group is the consumer group: default DefaultMLServiceGroup or
	// DefaultPredictiveAlerterGroup by Role. Instances of one Role in one group share the input
	// partitions.
	Group string
	// Partitions and ReplicationFactor are those of the topics created when absent (defaults
	// kafkaadapter.DefaultPartitions and DefaultReplicationFactor).
	Partitions        int32
	ReplicationFactor int16
	// ShutdownGrace bounds the work after the Service is stopped: the poll in hand is made
	// durable, published and committed within it, and queued notifications are delivered
	// (default kafkaadapter.DefaultShutdownGrace).
	ShutdownGrace time.Duration
	// KafkaOptions are applied after the Service's own kafkaadapter options (tests shorten the
	// client's heartbeats and fetch waits with kafkaadapter.WithClientOptions).
	KafkaOptions []kafkaadapter.Option

	// CheckpointInterval, when positive, saves the engine state of the services processed since
	// the last checkpoint to the store at the first poll boundary after the interval, when every
	// window processed so far is durable, published and committed; see the package
	// documentation. Zero saves state only when partitions are released (rebalance, stop).
	CheckpointInterval time.Duration

	// MaxClockSkew is how far ahead of this process's clock a window's timestamp may lie
	// (default DefaultMaxClockSkew; negative: no limit). A window stamped further ahead is
	// dead-lettered: the engines take each service's windows in time order and treat an older
	// one as a redelivery, so one accepted window from a producer's wrong clock (a typo'd year)
	// would make every later window of its service look old.
	MaxClockSkew time.Duration

	// Detector configures the MLService's engine; Alerter the PredictiveAlerter's.
	Detector omen.DetectorConfig
	Alerter  omen.AlerterConfig

	// The store: at most one of PostgresDSN, Pool and Memory may be set.
	//   - PostgresDSN: the Service opens a pool on it (closed when the Service stops) and migrates
	//     the schema with pgadapter.Migrate.
	//   - Pool: a pool the caller keeps owning; the Service migrates its schema.
	//   - Memory: an omen.MemoryStore, which services of one process may share.
	// With none, the Service uses a MemoryStore of its own.
	PostgresDSN string
	Pool        *pgxpool.Pool
	Memory      *omen.MemoryStore

	// Webhooks are the notification targets; see Webhooks.
	Webhooks Webhooks
	// Notifier, when set, replaces the Webhooks: it is handed the predictive alerts and critical
	// anomalies of every batch after the batch is durable (see the package documentation).
	Notifier Notifier
	// NotifyQueue is the number of batches waiting for the Notifier at most (default
	// DefaultNotifyQueue); a batch that finds the queue full is not notified, and counted.
	NotifyQueue int
	// NotifyRetryInterval is how often the records that did not reach every target — the
	// pending predictive alerts not marked sent and the open critical anomalies not marked
	// notified, stored at least an interval and at most NotifyRetryAge ago — are retried
	// (default DefaultNotifyRetryInterval; negative: never): a delivery that failed after its
	// attempts (a webhook down for longer), a batch dropped from a full queue, one a crash or a
	// stop cut short. The ML service retries anomalies, the predictive alerter alerts, of any
	// service. The due records are claimed in the store, a few at a time
	// (pgadapter.Store.ClaimUnsentAlerts, ClaimUnnotifiedAnomalies): instances never claim the
	// same record, and a claimed record is not due again for NotifyRetryBackoff, doubling with
	// each claim up to six times that, so that one that keeps failing does not hold up the
	// others. A record goes only to the targets that lack it: the store records every delivery
	// by target. Retries run beside the delivery of new batches and stop claiming when the
	// Service stops. They need the notifier the Service builds from Webhooks on PostgreSQL; a
	// custom Notifier, or the in-memory store, is not retried.
	NotifyRetryInterval time.Duration
	// NotifyRetryAge bounds the age, by the time they were stored, of the records retried
	// (default DefaultNotifyRetryAge): an older one is no longer tried. It must exceed
	// NotifyRetryInterval and NotifyRetryBackoff together, so that a failed delivery is retried
	// at least once.
	NotifyRetryAge time.Duration
	// NotifyRetryBackoff is the first wait between two retries of a record (default
	// DefaultNotifyRetryBackoff), doubling with each retry up to six times it. It is also the
	// lease each chunk of new records (as many as a notify.Notifier delivers at once by default)
	// takes in the store before it is delivered, during which no retry claims them, so it should
	// exceed the time one record's delivery can take: with notify's defaults under 2 minutes for a
	// target that times out, about 5 if the target asks to wait 30 s at every attempt and the
	// store fails every mark. A lease that runs out early can at worst deliver a record twice.
	NotifyRetryBackoff time.Duration

	// HTTPAddr is the address of /healthz, /readyz and /metrics, such as ":8005" or
	// "127.0.0.1:0"; empty means no HTTP server (the handler is still available from
	// Service.Handler).
	HTTPAddr string
	// StallTimeout is how long the poll in hand may stay in work (a store outage, a stuck engine)
	// or the brokers stay silent before /healthz reports the Service unhealthy (default
	// DefaultStallTimeout).
	StallTimeout time.Duration
	// MetricsNamespace prefixes every metric name (default "omen_" + Role).
	MetricsNamespace string

	// Logger receives the Service's structured logs (default: discarded).
	Logger *slog.Logger
}

// withDefaults returns c with its zero fields set.
func (c Config) withDefaults() Config {
	if c.Group == "" {
		c.Group = DefaultMLServiceGroup
		if c.Role == PredictiveAlerter {
			c.Group = DefaultPredictiveAlerterGroup
		}
	}
	def := kafkaadapter.DefaultTopics()
	fill := func(v *string, d string) {
		if *v == "" {
			*v = d
		}
	}
	if c.Role == PredictiveAlerter {
		def.DeadLetter = DefaultAlerterDeadLetterTopic
	}
	fill(&c.Topics.Input, def.Input)
	fill(&c.Topics.Anomalies, def.Anomalies)
	fill(&c.Topics.Patterns, def.Patterns)
	fill(&c.Topics.Alerts, def.Alerts)
	fill(&c.Topics.DeadLetter, def.DeadLetter)
	if c.Partitions == 0 {
		c.Partitions = kafkaadapter.DefaultPartitions
	}
	if c.ReplicationFactor == 0 {
		c.ReplicationFactor = kafkaadapter.DefaultReplicationFactor
	}
	if c.ShutdownGrace == 0 {
		c.ShutdownGrace = kafkaadapter.DefaultShutdownGrace
	}
	if c.NotifyQueue == 0 {
		c.NotifyQueue = DefaultNotifyQueue
	}
	if c.NotifyRetryInterval == 0 {
		c.NotifyRetryInterval = DefaultNotifyRetryInterval
	}
	if c.NotifyRetryAge == 0 {
		c.NotifyRetryAge = DefaultNotifyRetryAge
	}
	if c.NotifyRetryBackoff == 0 {
		c.NotifyRetryBackoff = DefaultNotifyRetryBackoff
	}
	if c.StallTimeout == 0 {
		c.StallTimeout = DefaultStallTimeout
	}
	if c.MaxClockSkew == 0 {
		c.MaxClockSkew = DefaultMaxClockSkew
	}
	if c.MetricsNamespace == "" {
		c.MetricsNamespace = "omen_" + string(c.Role)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports the first problem of c: an unknown role, no brokers, more than one store,
// a negative setting, a notification retry age too short for a retry, or an engine
// configuration its constructor rejects.
func (c Config) Validate() error {
	switch c.Role {
	case MLService, PredictiveAlerter:
	default:
		return fmt.Errorf("pipeline: unknown role %q (want %q or %q)", c.Role, MLService, PredictiveAlerter)
	}
	if len(c.Brokers) == 0 {
		return errors.New("pipeline: no Kafka brokers")
	}
	for _, b := range c.Brokers {
		if strings.TrimSpace(b) == "" || strings.ContainsAny(b, " \t,") {
			return fmt.Errorf("pipeline: malformed broker address %q", b)
		}
	}
	stores := 0
	for _, set := range []bool{c.PostgresDSN != "", c.Pool != nil, c.Memory != nil} {
		if set {
			stores++
		}
	}
	if stores > 1 {
		return errors.New("pipeline: set at most one of PostgresDSN, Pool and Memory")
	}
	if c.PostgresDSN != "" {
		if _, err := pgxpool.ParseConfig(c.PostgresDSN); err != nil {
			return fmt.Errorf("pipeline: PostgreSQL connection string: %w", err)
		}
	}
	switch {
	case c.Partitions < 0 || c.ReplicationFactor < 0:
		return errors.New("pipeline: negative partitions or replication factor")
	case c.ShutdownGrace < 0 || c.StallTimeout < 0 || c.CheckpointInterval < 0:
		return errors.New("pipeline: negative shutdown grace, stall timeout or checkpoint interval")
	case c.NotifyQueue < 0:
		return errors.New("pipeline: negative notification queue")
	case c.NotifyRetryAge < 0 || c.NotifyRetryBackoff < 0:
		return errors.New("pipeline: negative notification retry age or backoff")
	}
	if d := c.withDefaults(); d.NotifyRetryInterval > 0 && d.NotifyRetryAge <= d.NotifyRetryInterval+d.NotifyRetryBackoff {
		return fmt.Errorf("pipeline: notification retry age (-notify-retry-age, NOTIFY_RETRY_AGE) %v, want more than the retry interval (-notify-retry-interval) %v and backoff (-notify-retry-backoff) %v together",
			d.NotifyRetryAge, d.NotifyRetryInterval, d.NotifyRetryBackoff)
	}
	if c.Notifier == nil && c.Webhooks.any() {
		if _, err := c.Webhooks.newNotifier(slog.New(slog.DiscardHandler), nil); err != nil {
			return err
		}
	}
	switch c.Role {
	case MLService:
		if _, err := omen.NewDetector(c.Detector); err != nil {
			return fmt.Errorf("pipeline: detector configuration: %w", err)
		}
	case PredictiveAlerter:
		if _, err := newAlerter(c.Alerter); err != nil {
			return err
		}
	}
	return nil
}

// newAlerter returns omen.NewAlerter(cfg, opts...), turning the panic with which it rejects a
// configuration out of range into an error.
func newAlerter(cfg omen.AlerterConfig, opts ...omen.AlerterOption) (a *omen.Alerter, err error) {
	defer func() {
		if r := recover(); r != nil {
			a, err = nil, fmt.Errorf("pipeline: alerter configuration: %v", r)
		}
	}()
	return omen.NewAlerter(cfg, opts...), nil
}
