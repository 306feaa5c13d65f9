package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/stacklens/omen"
	"github.com/stacklens/omen/kafkaadapter"
	"github.com/stacklens/omen/notify"
	"github.com/stacklens/omen/pgadapter"
)

// Service is one running ML service or predictive alerter: a consumer-group member with its
// engine, store, notifier and HTTP endpoints. Its methods are safe for concurrent use.
type Service struct {
	cfg      Config
	log      *slog.Logger
	started  time.Time
	counters *counters
	tracker  *tracker
	consumer *kafkaadapter.Consumer
	sink     *durableSink
	engine   *trackedEngine
	store    omen.StateStore
	alerter  *omen.Alerter // the PredictiveAlerter's engine, for its capacity plans; nil otherwise

	lastCheckpoint time.Time // read and written only by the consumer's poll loop

	pool    *pgxpool.Pool // nil with a MemoryStore
	ownPool bool

	listener net.Listener // nil without an HTTP server
	server   *http.Server

	cancel   context.CancelFunc
	stopOnce sync.Once
	done     chan struct{} // closed when everything has stopped
	err      error         // the consumer's error, set before done is closed
}

// Start validates cfg, opens and migrates the store, binds the HTTP address and starts consuming
// in the background. The Service runs until ctx ends or Stop is called; then it stops
// gracefully (see Stop). Start returns an error, with nothing left running, when the
// configuration is invalid, PostgreSQL cannot be reached or migrated, or the HTTP address
// cannot be bound. Kafka is reached in the background: a consumer that fails (the brokers
// unreachable, say) is logged, reported by Health and the
// metric <ns>_consumer_restarts_total, and run again after a backoff (0.5 s doubling to 30 s),
// as the original retried its Kafka connection, but without ever giving up.
func Start(ctx context.Context, cfg Config) (_ *Service, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Service{
		cfg:      cfg,
		log:      cfg.Logger.With(slog.String("role", string(cfg.Role))),
		started:  time.Now(),
		counters: newCounters(),
		tracker:  &tracker{},
		done:     make(chan struct{}),
	}
	defer func() {
		if err != nil {
			s.release()
		}
	}()

	store, err := s.openStore(ctx)
	if err != nil {
		return nil, err
	}
	eng, err := s.newEngine(store)
	if err != nil {
		return nil, err
	}
	s.alerter, _ = eng.(*omen.Alerter)
	var queued Notifier    // the Notifier of the queued batches
	var retry *notifyRetry // none unless the Service builds the notifier on PostgreSQL
	if cfg.Notifier == nil && cfg.Webhooks.any() {
		var marker notify.Marker
		if m, ok := store.(notify.Marker); ok {
			marker = m
		}
		n, err := cfg.Webhooks.newNotifier(s.log, marker)
		if err != nil {
			return nil, err
		}
		cfg.Notifier, s.cfg.Notifier = n, n
		if pg, ok := store.(*pgadapter.Store); ok && cfg.NotifyRetryInterval > 0 {
			retry = newNotifyRetry(cfg.Role, pg, cfg.NotifyRetryInterval, cfg.NotifyRetryAge, cfg.NotifyRetryBackoff)
			queued = newLeasingNotifier(n, cfg.Role, pg, cfg.NotifyRetryBackoff, cfg.NotifyRetryInterval, s.log)
		}
	}
	if queued == nil {
		queued = cfg.Notifier
	}
	s.sink = newDurableSink(store, s.counters, s.log, cfg.Notifier != nil, cfg.NotifyQueue)
	opts := []kafkaadapter.Option{
		kafkaadapter.WithGroup(cfg.Group),
		kafkaadapter.WithTopics(cfg.Topics),
		kafkaadapter.WithTopicCreation(cfg.Partitions, cfg.ReplicationFactor),
		kafkaadapter.WithShutdownGrace(cfg.ShutdownGrace),
		kafkaadapter.WithLogger(s.log),
		kafkaadapter.WithClientOptions(kgo.WithHooks(s.tracker)),
	}
	s.engine = newTrackedEngine(eng, s.counters, cfg.Role, cfg.CheckpointInterval > 0, cfg.MaxClockSkew)
	s.store = store
	s.tracker.onPollStart = s.checkpoint
	s.consumer, err = kafkaadapter.NewConsumer(cfg.Brokers, s.engine, s.sink, append(opts, cfg.KafkaOptions...)...)
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	if cfg.HTTPAddr != "" {
		if s.listener, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
			return nil, fmt.Errorf("pipeline: HTTP address: %w", err)
		}
		s.server = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := s.server.Serve(s.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.log.Error("HTTP server failed", slog.Any("error", err))
			}
		}()
		s.log.Info("serving health and metrics", slog.String("addr", s.listener.Addr().String()))
	}

	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	notifyCtx, cancelNotify := context.WithCancel(context.WithoutCancel(ctx))
	retryCtx, cancelRetry := context.WithCancel(runCtx) // Stop ends the claims at once
	var notified sync.WaitGroup
	if cfg.Notifier != nil {
		notified.Go(func() { s.sink.deliver(notifyCtx, queued) })
	}
	if retry != nil {
		notified.Go(func() { retry.run(retryCtx, notifyCtx, s.sink, cfg.Notifier) })
	}
	go func() { // the Start context's end stops the Service as Stop does
		select {
		case <-ctx.Done():
			s.Stop()
		case <-s.done:
		}
	}()
	go func() {
		err := s.consume(runCtx)
		s.tracker.stopping.Store(true)
		// The consumer has stopped writing: deliver what is queued, within the grace; the
		// retries claim no more (deliveries in progress go on within the grace).
		cancelRetry()
		s.sink.close()
		timer := time.AfterFunc(cfg.ShutdownGrace, cancelNotify)
		notified.Wait()
		timer.Stop()
		cancelNotify()
		s.err = err
		s.release()
		close(s.done)
	}()
	s.log.Info("service started", slog.String("group", cfg.Group), slog.String("input", cfg.Topics.Input),
		slog.Any("brokers", cfg.Brokers), slog.String("store", s.storeName()))
	return s, nil
}

// Restart backoff of a consumer that failed on its own: doubling from restartMin to restartMax,
// and back to restartMin after a run of restartReset.
const (
	restartMin   = 500 * time.Millisecond
	restartMax   = 30 * time.Second
	restartReset = time.Minute
)

// consume runs the consumer until ctx ends. A consumer that fails on its own (the brokers
// unreachable, its work not made durable within its retries) is run again after a backoff: its
// uncommitted records are delivered again, and the engine, told to discard the services of that
// work, restores them from the store. It returns the error of the last run, which ended because
// ctx did: nil after a clean stop.
func (s *Service) consume(ctx context.Context) error {
	backoff := restartMin
	for {
		s.tracker.running.Store(true)
		began := time.Now()
		err := s.consumer.Run(ctx)
		s.tracker.running.Store(false)
		s.tracker.joined.Store(false)
		if ctx.Err() != nil {
			return err
		}
		if time.Since(began) > restartReset {
			backoff = restartMin
		}
		msg := err.Error()
		s.tracker.runErr.Store(&msg)
		s.counters.restarts.Add(1)
		s.log.Error("consumer failed; restarting", slog.Any("error", err), slog.Duration("backoff", backoff))
		select {
		case <-ctx.Done():
			return nil // nothing in flight: the failed run's records will be delivered again
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, restartMax)
	}
}

// openStore returns the Service's store: a migrated pgadapter.Store, or a MemoryStore.
func (s *Service) openStore(ctx context.Context) (store interface {
	omen.Sink
	omen.History
	omen.StateStore
}, err error) {
	switch {
	case s.cfg.Memory != nil:
		return s.cfg.Memory, nil
	case s.cfg.Pool == nil && s.cfg.PostgresDSN == "":
		return omen.NewMemoryStore(), nil
	case s.cfg.Pool != nil:
		s.pool = s.cfg.Pool
	default:
		pcfg, err := pgxpool.ParseConfig(s.cfg.PostgresDSN)
		if err != nil {
			return nil, fmt.Errorf("pipeline: PostgreSQL connection string: %w", err)
		}
		if s.pool, err = pgxpool.NewWithConfig(ctx, pcfg); err != nil {
			return nil, fmt.Errorf("pipeline: PostgreSQL: %w", err)
		}
		s.ownPool = true
	}
	if err := s.pool.Ping(ctx); err != nil {
		return nil, fmt.Errorf("pipeline: PostgreSQL unreachable: %w", err)
	}
	if err := pgadapter.Migrate(ctx, s.pool); err != nil {
		return nil, fmt.Errorf("pipeline: migrating the schema: %w", err)
	}
	return pgadapter.New(s.pool), nil
}

func (s *Service) storeName() string {
	if s.pool == nil {
		return "memory"
	}
	return "postgresql"
}

// newEngine returns the Role's engine on store.
func (s *Service) newEngine(store interface {
	omen.History
	omen.StateStore
}) (engine, error) {
	// A stored state the engine cannot restore (corrupt, or saved under another configuration) is
	// replaced by a fresh start from the stored windows: reported, never a stalled partition.
	rejected := func(service string, err error) {
		s.counters.statesRejected.Add(1)
		s.log.Warn("stored state not restorable; the service starts afresh from its stored windows",
			slog.String("service", service), slog.Any("error", err))
	}
	if s.cfg.Role == PredictiveAlerter {
		return newAlerter(s.cfg.Alerter, omen.WithAlerterHistory(store), omen.WithAlerterStateStore(store),
			omen.WithAlerterRejectedState(rejected))
	}
	d, err := omen.NewDetector(s.cfg.Detector, omen.WithStateStore(store), omen.WithHistory(store), omen.WithRejectedState(rejected))
	if err != nil {
		return nil, fmt.Errorf("pipeline: detector configuration: %w", err)
	}
	return d, nil
}

// release closes what the Service opened: the HTTP server and a pool of its own.
func (s *Service) release() {
	if s.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = s.server.Shutdown(ctx)
		cancel()
	} else if s.listener != nil {
		s.listener.Close()
	}
	if s.ownPool && s.pool != nil {
		s.pool.Close()
	}
}

// Stop stops the Service gracefully and waits until it has stopped: the consumer finishes the
// poll in hand within Config.ShutdownGrace (durable, published, committed), saves the state
// of its services to the store (so another instance resumes from it) and leaves its group;
// the queued notifications are delivered within the grace; then the HTTP server and an owned
// pool are closed. It returns the consumer's error, as Wait does. Stop may be called more than
// once, and concurrently.
func (s *Service) Stop() error {
	s.stopOnce.Do(func() {
		s.log.Info("stopping")
		s.tracker.stopping.Store(true)
		s.cancel()
	})
	return s.Wait()
}

// Wait blocks until the Service has stopped, after Stop, the end of the Start context, or a
// failure of the consumer, and returns nil after a clean stop or the error that left work
// uncommitted (kafkaadapter.Consumer.Run).
func (s *Service) Wait() error {
	<-s.done
	return s.err
}

// Done is closed when the Service has stopped.
func (s *Service) Done() <-chan struct{} { return s.done }

// Addr returns the address the HTTP server listens on (useful with port 0), or "" without one.
func (s *Service) Addr() string {
	if s.listener == nil {
		return ""
	}
	return s.listener.Addr().String()
}

// Role returns the Service's role.
func (s *Service) Role() Role { return s.cfg.Role }

// Stats returns a snapshot of the Service's counters.
func (s *Service) Stats() Stats {
	st := s.counters.snapshot()
	st.Role = s.cfg.Role
	st.Consumer = s.consumer.Stats()
	if n, ok := s.cfg.Notifier.(interface{ Stats() notify.Stats }); ok {
		st.Notifier = n.Stats()
	}
	return st
}

// Run starts a Service with cfg and runs it until ctx ends, then stops it gracefully. It returns
// the error of Start, or that of the stop (nil after a clean one). A consumer that fails on its
// own is restarted (see Start); Run goes on.
func Run(ctx context.Context, cfg Config) error {
	s, err := Start(ctx, cfg)
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case <-s.Done():
	}
	return s.Stop()
}
