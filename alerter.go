package omen

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/stacklens/omen/severity"
)

// Alerter is the predictive alerter of the Phase 5 engine. For every service and every metric
// with a threshold it keeps an automatically chosen ARIMA model of the metric on the windows'
// real time step, forecasts the next Horizon windows with prediction intervals, and raises a
// PredictiveAlert when the probability that the metric crosses its threshold within the horizon
// reaches MinProbability.
//
// # Model
//
// Each (service, metric) series lives on the grid of the service's windows: the step is the
// median of the recent differences between consecutive window timestamps (the window length
// before there are two windows), and a window that skips k−1 steps leaves k−1 missing values
// (NaN), which the Kalman filter skips; a gap longer than the history starts the series anew.
// A window's place in the day moves with the grid too, so a timestamp that jitters by seconds
// keeps its hour; it is read from the clock (the nearest window of the UTC day) when the number
// of windows per day changes and after a gap of more than a day.
// Before a fit, spikes of at most three windows that the series came back from are removed
// from the last HistoryWindows values and missing values interpolated (see forecastClean), so
// that an incident that is over does not inflate the model's variance for a week. When the
// history holds more than two days and a day is at most MaxSeasonalPeriod windows, the series is
// then seasonally adjusted, as forecast's stlm does: the daily profile is, for each hour (window
// of the day), the median over the days of the values minus a robust STL trend (Cleveland et al.
// 1990), and the model is fitted on the values minus their profile; forecasts add the profile
// back. A non-seasonal model on the adjusted series costs a fraction of a seasonal ARIMA with a
// 24-step period (whose state holds 25 values or more), and the medians keep a day's incident
// out of the profile. The model is chosen by arima.Auto (Hyndman–Khandakar: KPSS for d,
// stepwise AICc search) with p, q ≤ 1 and d ≤ 1 (a second difference extrapolates every recent
// slope with a variance growing like h³, which turns noise into alerts; over the generated
// streams of seeds 1–100, measured as TestAlerterRampAlertsAcrossSeeds measures its seeds
// 1–30, p, q ≤ 2 preceded 221 of the 300 ramps against 216 but raised the
// false-alert rate from 0.135 to 0.162, at three times the cost of a search). Its forecast standard
// errors are scaled by min(1, σ̃/σ), σ̃ the robust (median absolute deviation) scale of its
// residuals: the few large innovations of an incident still in the history inflate σ, and a
// breach probability must be judged by the spread of normal operation. Between fits every new
// window is filtered into the model (arima.Model.Update, no re-estimation), except a lone
// window whose standardized one-step error |y − ŷ|/se exceeds RefitZ: a spike, filtered in,
// would echo through the model's AR and MA terms, so the state skips it. The model is refitted
//
//   - every RefitEvery windows (it ages): its orders re-estimated by arima.Fit on the series
//     adjusted by the profile of the last choice, and chosen anew by arima.Auto, with a new
//     profile, every ReselectEvery windows,
//   - at the second of consecutive windows whose one-step error exceeds RefitZ, and at each
//     further one (the model no longer describes the series: a ramp, a level shift), its
//     orders chosen anew, and
//   - at every window while no fit has succeeded yet.
//
// A model fitted on normal operation forecasts a return to normal, so a ramp that has just
// begun would go unseen until its end. The forecast therefore carries a drift when the model's
// last six one-step errors all have the same sign and their median δ exceeds three standard
// errors: the innovations are assumed to keep that bias, decaying by 0.8 a step (a damped
// trend, Gardner & McKenzie 1985), which shifts the forecast h steps ahead by δ·w_h with
// w_h = Σ_{i=1..h} ψ_{h−i}·0.8^{i−1}, and adds the drift's uncertainty, its standard error
// times w_h, to the forecast's. A spike and its return have errors of both signs and give no
// drift. The emitted forecasts are these, drift included.
//
// # Probability of a breach
//
// The forecast distribution of the next H values is Gaussian: means and standard errors from the
// Kalman filter (the daily profile added, the standard errors scaled as above), with the
// correlation between steps given by the model's ψ-weights (the MA(∞) form of
// φ(B)(1−B)ᵈ yₜ = θ(B) eₜ), plus the drift. The probability that the path crosses the threshold T within the horizon, P(max_h Y_h > T), is estimated by Monte
// Carlo: Paths sample paths Y_h = mean_h + se_h·Σ_{j<h} ψ_j ε_{h−j} / √(Σ_{j<h} ψ_j²) + s·w_h·η,
// ε iid N(0, 1) and one η ~ N(0, 1) per path (s the drift's standard error), which have
// exactly the forecast's marginal distributions and the model's autocorrelation. The random stream is
// derived from (Seed, service, metric, threshold level, window timestamp), so a replay gives the
// same numbers whatever the order of services or GOMAXPROCS. When the union bound Σ_h P(Y_h > T)
// is already below MinProbability no path is drawn: the probability is below it too; and the draw
// stops early once the crossings so far put the probability more than four standard errors
// below MinProbability (a reported probability is always estimated from all Paths paths). The
// first crossing step of each crossing path gives the distribution of the time to breach: its
// median is the expected breach and its 5 % and 95 % quantiles the 90 % range.
//
// # Alerts
//
// A metric whose current value is already above a threshold is in breach, not at risk: no
// predictive alert is raised for that level (the Phase 4 rule fires). Nor is one raised at a
// window that fell more than RefitZ standard errors below its forecast — the end of an
// incident: the series moves away from the thresholds, and a model refitted on that fall would
// extrapolate a rebound from one extreme value. While an alert of a
// (service, metric, level) is pending, no other is raised for it. An alert's window runs from the
// next window to the end of the horizon, the window its probability refers to; it becomes
// materialized (MaterializedAt set) at the first window inside it whose value exceeds the
// threshold, and expired once a window at or past its end arrives without a breach. Every
// change of status is emitted again in Results.Alerts.
//
// Confidence is the breach probability. The priority is critical when the probability is at
// least 0.8 and the expected breach lies within the first quarter of the horizon, warning when
// the probability is at least 0.8 or the breach lies within the first half, and informational
// otherwise. The score, on the 0–100 scale anomalies use (so that the severity levels read the
// same: low below 25, medium from 25, high from 50, critical from 75), is
//
//	score = 100 · p · u · w,  u = 1 − ½·(h − 1)/(H − 1),
//
// with p the probability, h the expected breach step (u is 1 for a breach expected at the next
// window and ½ at the end of the horizon) and w the weight of the level: 1 for a critical
// threshold and for capacity, 0.7 for a warning threshold (so a warning alone never reads
// critical).
//
// # Concurrency, state and determinism
//
// Process is safe for concurrent use; windows of one service are processed one at a time, in
// timestamp order. All per-service state (series, models, pending forecasts and alerts,
// outcome counts) is saved by Snapshot and restored by Restore; with a StateStore, a service
// that Process meets for the first time is restored lazily from it, and Release saves and
// forgets services. Nothing depends on the wall clock: the same windows give the same results.
type Alerter struct {
	cfg      AlerterConfig
	history  History
	states   StateStore
	rejected func(service string, err error) // WithAlerterRejectedState

	mu       sync.Mutex
	services map[string]*alerterService
}

// AlertThreshold holds the thresholds of one metric: the value above which the metric is in
// warning and in critical state. A zero field is not used.
type AlertThreshold struct {
	Warning, Critical float64
}

// DefaultAlertThresholds are the Phase 4 rules: error rate above 5 % (warning) and 20 %
// (critical), p99 latency above 500 ms (warning).
func DefaultAlertThresholds() map[string]AlertThreshold {
	return map[string]AlertThreshold{
		"error_rate":     {Warning: 5, Critical: 20},
		"latency_p99_ms": {Warning: 500},
	}
}

// AlerterConfig holds the settings of an Alerter. A zero field means its documented default.
type AlerterConfig struct {
	// Horizon is the number of windows forecast (default 24).
	Horizon int
	// IntervalLevel is the coverage of the forecasts' prediction intervals, in (0, 1) (default 0.9).
	IntervalLevel float64
	// Thresholds maps metric names (see Metrics.Value) to their thresholds (default
	// DefaultAlertThresholds). Every metric in it is forecast.
	Thresholds  map[string]AlertThreshold
	thresholded []string // the keys of Thresholds, sorted (set by the Alerter)
	// MinProbability is the breach probability from which an alert is raised (default 0.5).
	MinProbability float64
	// Paths is the number of Monte Carlo sample paths of a probability (default 2000).
	Paths int
	// Seed selects the Monte Carlo streams.
	Seed uint64
	// HistoryWindows is the number of recent windows a model is fitted on (default 168).
	HistoryWindows int
	// MinFitWindows is the number of observed windows needed before the first fit (default 24).
	MinFitWindows int
	// RefitEvery is the number of windows after which a model is refitted (default 48).
	RefitEvery int
	// ReselectEvery is the number of windows after which a cadence refit chooses the model's
	// orders anew with arima.Auto (default 168, when the whole default history has been
	// renewed); the refits in between re-estimate the current orders. A refit after surprises
	// always chooses anew.
	ReselectEvery int
	// RefitZ is the standardized one-step forecast error that makes a window a surprise
	// (default 4): a lone one is kept out of the model's state, and from the second in a row the
	// model is refitted at once, its orders chosen anew.
	RefitZ float64
	// MaxSeasonalPeriod is the largest number of windows per day whose daily profile is modelled
	// (default 48): beyond it (short windows) the series are not seasonally adjusted.
	MaxSeasonalPeriod int
	// ForecastRecords is the number of horizon steps emitted as Forecast records at each window:
	// 0 means all of them, a negative value none.
	ForecastRecords int
	// CapacityMetric is the metric the capacity planner forecasts (default total_requests).
	CapacityMetric string
	// Capacity maps services to their capacity in CapacityMetric units per hour (requests per
	// hour for total_requests). A service with a capacity also gets predictive alerts of its
	// exhaustion, at the capacity scaled to the window's length.
	Capacity map[string]float64
	// Levels are the severity boundaries of the alerts' scores; zero fields mean 25, 50 and 75.
	// Give the Detector's (DetectorConfig.Levels) so that anomalies and alerts read the same.
	Levels severity.Levels
}

// withDefaults returns cfg with every zero field set to its default. It panics on settings out
// of range.
func (cfg AlerterConfig) withDefaults() AlerterConfig {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&cfg.Horizon, 24)
	def(&cfg.Paths, 2000)
	def(&cfg.HistoryWindows, 168)
	def(&cfg.MinFitWindows, 24)
	def(&cfg.RefitEvery, 48)
	def(&cfg.ReselectEvery, 168)
	def(&cfg.MaxSeasonalPeriod, 48)
	if cfg.IntervalLevel == 0 {
		cfg.IntervalLevel = 0.9
	}
	if cfg.MinProbability == 0 {
		cfg.MinProbability = 0.5
	}
	if cfg.RefitZ == 0 {
		cfg.RefitZ = 4
	}
	if cfg.Thresholds == nil {
		cfg.Thresholds = DefaultAlertThresholds()
	}
	cfg.Thresholds, cfg.Capacity = maps.Clone(cfg.Thresholds), maps.Clone(cfg.Capacity) // the caller's maps stay theirs
	if cfg.CapacityMetric == "" {
		cfg.CapacityMetric = "total_requests"
	}
	switch {
	case cfg.Horizon < 1 || cfg.Paths < 1 || cfg.HistoryWindows < 1 || cfg.RefitEvery < 1 || cfg.ReselectEvery < 1:
		panic("omen: AlerterConfig: Horizon, Paths, HistoryWindows, RefitEvery and ReselectEvery must be positive")
	case cfg.Horizon > maxConfigWindows || cfg.Paths > maxConfigWindows || cfg.HistoryWindows > maxConfigWindows ||
		cfg.RefitEvery > maxConfigWindows || cfg.ReselectEvery > maxConfigWindows || cfg.MaxSeasonalPeriod > maxConfigWindows:
		panic(fmt.Sprintf("omen: AlerterConfig: Horizon, Paths, HistoryWindows, RefitEvery, ReselectEvery and MaxSeasonalPeriod must be at most %d", maxConfigWindows))
	case cfg.MinFitWindows < 3 || cfg.MinFitWindows > cfg.HistoryWindows:
		panic("omen: AlerterConfig: MinFitWindows must be in [3, HistoryWindows]")
	case !(cfg.IntervalLevel > 0 && cfg.IntervalLevel < 1):
		panic("omen: AlerterConfig: IntervalLevel must be in (0, 1)")
	case !(cfg.MinProbability > 0 && cfg.MinProbability <= 1):
		panic("omen: AlerterConfig: MinProbability must be in (0, 1]")
	case !(cfg.RefitZ > 0):
		panic("omen: AlerterConfig: RefitZ must be positive")
	}
	if err := cfg.Levels.Validate(); err != nil {
		panic(fmt.Sprintf("omen: AlerterConfig.Levels: %v", err))
	}
	if _, ok := (Metrics{}).Value(cfg.CapacityMetric); !ok {
		panic(fmt.Sprintf("omen: AlerterConfig: unknown capacity metric %q", cfg.CapacityMetric))
	}
	for name, th := range cfg.Thresholds {
		if _, ok := (Metrics{}).Value(name); !ok {
			panic(fmt.Sprintf("omen: AlerterConfig: threshold of unknown metric %q", name))
		}
		if th.Warning < 0 || th.Critical < 0 || th.Warning != th.Warning || th.Critical != th.Critical {
			panic(fmt.Sprintf("omen: AlerterConfig: thresholds of %q must be non-negative numbers", name))
		}
	}
	for svc, c := range cfg.Capacity {
		if !(c > 0) {
			panic(fmt.Sprintf("omen: AlerterConfig: capacity of %q must be positive", svc))
		}
	}
	cfg.thresholded = slices.Sorted(maps.Keys(cfg.Thresholds))
	return cfg
}

// metricsOf returns the metrics forecast for service, sorted: the thresholded ones, and the
// capacity metric when the service has a capacity. The result is not to be modified.
func (cfg *AlerterConfig) metricsOf(service string) []string {
	if _, ok := cfg.Capacity[service]; !ok || slices.Contains(cfg.thresholded, cfg.CapacityMetric) {
		return cfg.thresholded
	}
	out := append(slices.Clip(cfg.thresholded), cfg.CapacityMetric)
	slices.Sort(out)
	return out
}

// AlerterOption sets an optional dependency of an Alerter.
type AlerterOption func(*Alerter)

// WithAlerterRejectedState sets a function called when the StateStore holds a state of a service
// that cannot be restored (corrupt, or of an unknown version), with the service and the reason.
// Whether or not one is set, such a service then starts afresh, warm-started from the History
// like a service met for the first time (an unreadable state once failed every window of the
// service, for ever). f may be called from several goroutines at once.
func WithAlerterRejectedState(f func(service string, err error)) AlerterOption {
	return func(a *Alerter) { a.rejected = f }
}

// WithAlerterHistory warm-starts every service that Process meets for the first time (and that
// the StateStore, if any, does not know) from its recent windows in h. A service restored from the
// StateStore is caught up from h instead: the windows newer than its state and older than the
// window being processed (up to 16 times HistoryWindows of them) are processed, their results
// discarded, so that a state saved some windows before a crash resumes exactly where the crashed
// instance stopped.
func WithAlerterHistory(h History) AlerterOption {
	return func(a *Alerter) { a.history = h }
}

// WithAlerterStateStore restores every service that Process meets for the first time from s,
// and makes Release save to it. The state is stored under the service's name.
func WithAlerterStateStore(s StateStore) AlerterOption {
	return func(a *Alerter) { a.states = s }
}

// NewAlerter returns an Alerter with the configuration cfg (zero fields mean their defaults). It
// panics on a configuration out of range.
func NewAlerter(cfg AlerterConfig, opts ...AlerterOption) *Alerter {
	a := &Alerter{cfg: cfg.withDefaults(), services: map[string]*alerterService{}}
	for _, opt := range opts {
		opt(a)
	}
	return a
}

// Config returns the configuration in use, with the defaults filled in. Its maps must not be
// modified.
func (a *Alerter) Config() AlerterConfig { return a.cfg }

// Observe forecasts the service's metrics after window m and returns the new forecasts, the
// earlier forecasts of this window completed with its actual value, new predictive alerts and
// alerts whose status changed. Results.Metrics holds the window itself, so that a Sink keeps the
// history that a restart catches up from (see WithAlerterHistory); the Detector's results carry
// the same window, and the Sink's write is idempotent.
//
// A window that fails Metrics.Validate, or whose timestamp is older than the service's last
// window, is rejected with an error wrapping ErrInvalidMetrics (and ErrStaleWindow for an older
// window), and leaves the state untouched. A window with the same timestamp and forecast
// metrics as the last one (a redelivery) returns empty Results and no error; the same timestamp
// with other values of a forecast metric is rejected as invalid. Other errors come from the History or the
// StateStore when a service is first met.
func (a *Alerter) Observe(ctx context.Context, m Metrics) (Results, error) {
	if err := m.Validate(); err != nil {
		return Results{}, fmt.Errorf("omen: alerter: %w", err)
	}
	s, err := a.acquire(ctx, m.Service, m.Timestamp)
	if err != nil {
		return Results{}, err
	}
	defer s.mu.Unlock()
	t := m.Timestamp.UTC()
	if s.started {
		switch {
		case t.Equal(s.last):
			if err := s.sameWindow(m); err != nil {
				return Results{}, err
			}
			return Results{}, nil
		case t.Before(s.last):
			return Results{}, stale("omen: alerter: ", m.Service, t, s.last)
		}
	}
	r := s.process(&a.cfg, m)
	m.Timestamp = t
	r.Metrics = []Metrics{m}
	return r, nil
}

// Process is Observe for a consumer that delivers at least once; it makes an Alerter a
// kafkaadapter.Processor. A window older than the service's last (ErrStaleWindow) is a
// redelivery of one already forecast from: Process returns empty Results and no error, so the
// consumer does not dead-letter it.
func (a *Alerter) Process(ctx context.Context, m Metrics) (Results, error) {
	res, err := a.Observe(ctx, m)
	if errors.Is(err, ErrStaleWindow) {
		return Results{}, nil
	}
	return res, err
}

// acquire returns the state of service, locked, loading it on first use: from the StateStore,
// else by a warm start from the History, else empty.
func (a *Alerter) acquire(ctx context.Context, service string, until time.Time) (*alerterService, error) {
	s := a.lockService(service)
	if s.loaded {
		return s, nil
	}
	if err := a.load(ctx, s, until); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	s.loaded = true
	return s, nil
}

// lockService returns the service's current state (created empty if there is none), locked.
func (a *Alerter) lockService(service string) *alerterService {
	for {
		a.mu.Lock()
		s := a.services[service]
		if s == nil {
			s = &alerterService{name: service}
			a.services[service] = s
		}
		a.mu.Unlock()
		s.mu.Lock()
		if !s.gone {
			return s
		}
		s.mu.Unlock() // released or discarded while we waited: look again
	}
}

func (a *Alerter) load(ctx context.Context, s *alerterService, until time.Time) error {
	if a.states != nil {
		data, err := a.states.LoadState(ctx, StateAlerter, s.name)
		if err != nil {
			return fmt.Errorf("omen: alerter: load state of %q: %w", s.name, err)
		}
		if data != nil {
			restored, err := decodeAlerterState(data, s.name)
			if err == nil {
				s.reset(restored)
				return a.catchUp(ctx, s, until)
			}
			if a.rejected != nil {
				a.rejected(s.name, err)
			}
		}
	}
	if a.history != nil {
		windows, err := windowsSince(ctx, a.history, s.name, time.Time{}, until, a.cfg.HistoryWindows)
		if err != nil {
			return fmt.Errorf("omen: alerter: history of %q: %w", s.name, err)
		}
		s.warmStart(&a.cfg, windows)
	}
	return nil
}

// catchUp processes, discarding their results, the windows of the History that are newer than
// the restored state s and older than until: those an instance processed after it last saved
// the state, before it stopped without saving (a crash). Their results are already stored; the
// state then resumes exactly where that instance stopped. Windows the state cannot take are
// skipped: the history is outside data.
func (a *Alerter) catchUp(ctx context.Context, s *alerterService, until time.Time) error {
	if a.history == nil {
		return nil
	}
	var last time.Time
	if s.started {
		last = s.last
	}
	windows, err := windowsSince(ctx, a.history, s.name, last, until, a.cfg.HistoryWindows)
	if err != nil {
		return fmt.Errorf("omen: alerter: history of %q: %w", s.name, err)
	}
	for _, m := range windows {
		if m.Service != s.name || m.Validate() != nil || (s.started && !m.Timestamp.After(s.last)) {
			continue
		}
		s.process(&a.cfg, m)
	}
	return nil
}

// Release saves the state of services to the StateStore (when there is one) and forgets it;
// see kafkaadapter.Processor. Unknown services are skipped. The first error stops the release;
// the services not yet saved are kept.
func (a *Alerter) Release(ctx context.Context, services []string) error {
	for _, name := range services {
		a.mu.Lock()
		s := a.services[name]
		a.mu.Unlock()
		if s == nil {
			continue
		}
		s.mu.Lock()
		if s.gone { // released by a concurrent call
			s.mu.Unlock()
			continue
		}
		if a.states != nil && s.loaded {
			data, err := s.encode()
			if err == nil {
				err = a.states.SaveState(ctx, StateAlerter, name, data)
			}
			if err != nil {
				s.mu.Unlock()
				return fmt.Errorf("omen: alerter: release %q: %w", name, err)
			}
		}
		s.gone = true
		s.mu.Unlock()
		a.mu.Lock()
		if a.services[name] == s {
			delete(a.services, name)
		}
		a.mu.Unlock()
	}
	return nil
}

// Discard forgets the state of services without saving it (kafkaadapter.Discarder): their next
// windows restore them from the StateStore.
func (a *Alerter) Discard(services []string) {
	var dropped []*alerterService
	a.mu.Lock()
	for _, name := range services {
		if s := a.services[name]; s != nil {
			dropped = append(dropped, s)
			delete(a.services, name)
		}
	}
	a.mu.Unlock()
	for _, s := range dropped {
		s.mu.Lock()
		s.gone = true
		s.mu.Unlock()
	}
}

// Snapshot returns the versioned binary encoding of all of service's state. It returns an error
// for a service the Alerter does not hold.
func (a *Alerter) Snapshot(service string) ([]byte, error) {
	a.mu.Lock()
	s := a.services[service]
	a.mu.Unlock()
	if s == nil {
		return nil, fmt.Errorf("omen: alerter: no state of service %q", service)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone {
		return nil, fmt.Errorf("omen: alerter: no state of service %q (released)", service)
	}
	return s.encode()
}

// Restore replaces service's state by the one encoded in data by Snapshot. On error the state
// is left as it was.
func (a *Alerter) Restore(service string, data []byte) error {
	restored, err := decodeAlerterState(data, service)
	if err != nil {
		return err
	}
	s := a.lockService(service)
	defer s.mu.Unlock()
	s.reset(restored)
	s.loaded = true
	return nil
}

// Services returns the names of the services the Alerter holds, sorted.
func (a *Alerter) Services() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]string, 0, len(a.services))
	for name := range a.services {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// AlertOutcomes counts predictive alerts by status.
type AlertOutcomes struct {
	Issued, Pending, Materialized, Expired int
}

// Rate returns the materialisation rate: materialized alerts over the alerts whose window has
// closed (materialized + expired); 0 when none has.
func (o AlertOutcomes) Rate() float64 {
	if o.Materialized+o.Expired == 0 {
		return 0
	}
	return float64(o.Materialized) / float64(o.Materialized+o.Expired)
}

// FalseAlertRate returns the share of closed alerts that expired without a breach.
func (o AlertOutcomes) FalseAlertRate() float64 {
	if o.Materialized+o.Expired == 0 {
		return 0
	}
	return float64(o.Expired) / float64(o.Materialized+o.Expired)
}

// Outcomes returns the alert counts of every service the Alerter holds (or of the given
// services only), including those restored from snapshots.
func (a *Alerter) Outcomes(services ...string) AlertOutcomes {
	if len(services) == 0 {
		services = a.Services()
	}
	var total AlertOutcomes
	for _, name := range services {
		a.mu.Lock()
		s := a.services[name]
		a.mu.Unlock()
		if s == nil {
			continue
		}
		s.mu.Lock()
		o := s.outcomes
		s.mu.Unlock()
		total.Issued += o.Issued
		total.Pending += o.Pending
		total.Materialized += o.Materialized
		total.Expired += o.Expired
	}
	return total
}
