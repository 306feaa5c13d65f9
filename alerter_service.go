package omen

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"time"
)

// alerterService is the state of one service: its time grid, one forecastSeries per metric,
// the pending alerts and the outcome counts. mu serialises its windows.
type alerterService struct {
	mu     sync.Mutex
	name   string
	loaded bool // restored or warm-started (or found to have nothing to load)
	// gone marks a state released or discarded: a call that found it in the map before it was
	// removed must look the service up again.
	gone bool

	started bool
	last    time.Time       // timestamp of the last window
	window  time.Duration   // length the last window declared
	diffs   []time.Duration // the most recent gaps between windows (at most alerterStepDiffs)
	// slot is the last window's position in the daily cycle of slotPeriod windows (see
	// advanceSlot); slotPeriod 0 means not yet placed.
	slot, slotPeriod int

	series   []*forecastSeries // sorted by metric
	alerts   []alertOpen       // pending alerts, in issue order
	outcomes AlertOutcomes
}

// alertOpen is a pending alert with the threshold level it watches.
type alertOpen struct {
	Level string
	Alert PredictiveAlert
}

// alerterStepDiffs is the number of recent gaps between windows the step is estimated from.
const alerterStepDiffs = 24

// reset replaces the state by restored, keeping the identity and the lock.
func (s *alerterService) reset(restored *alerterService) {
	s.started, s.last, s.window = restored.started, restored.last, restored.window
	s.slot, s.slotPeriod = restored.slot, restored.slotPeriod
	s.diffs, s.series, s.alerts, s.outcomes = restored.diffs, restored.series, restored.alerts, restored.outcomes
}

// step returns the window grid's step: the median of the recent gaps between windows, or the
// declared window length before there are any.
func (s *alerterService) step() time.Duration {
	if len(s.diffs) == 0 {
		return s.window
	}
	var buf [alerterStepDiffs]time.Duration
	d := append(buf[:0], s.diffs...)
	slices.Sort(d)
	return d[(len(d)-1)/2]
}

// advance moves the grid to t and returns the number of steps taken (≥ 1; 1 for the first
// window). A gap of k steps leaves k−1 missing windows; a window closer than half a step counts
// as the next one.
func (s *alerterService) advance(t time.Time, window time.Duration) int {
	s.window = window
	if !s.started {
		s.started, s.last = true, t
		return 1
	}
	gap := t.Sub(s.last)
	k := 1
	if step := s.step(); step > 0 {
		k = int(min(math.Round(float64(gap)/float64(step)), 1e9))
	}
	s.diffs = append(s.diffs, gap)
	if len(s.diffs) > alerterStepDiffs {
		s.diffs = slices.Delete(s.diffs, 0, len(s.diffs)-alerterStepDiffs)
	}
	s.last = t
	return max(k, 1)
}

// sameWindow returns an error wrapping ErrInvalidMetrics when m, stamped as the last window,
// carries another value of a metric the service forecasts than the one that window had.
func (s *alerterService) sameWindow(m Metrics) error {
	for _, f := range s.series {
		if len(f.Values) == 0 {
			continue
		}
		v, _ := m.Value(f.Metric)
		if last := f.Values[len(f.Values)-1]; v != last {
			return fmt.Errorf("omen: alerter: %w", invalid("the %s window of service %q was already processed with %s = %v, not %v",
				s.last.Format(time.RFC3339), s.name, f.Metric, last, v))
		}
	}
	return nil
}

// lookup returns the series of metric, or nil.
func (s *alerterService) lookup(metric string) *forecastSeries {
	for _, f := range s.series {
		if f.Metric == metric {
			return f
		}
	}
	return nil
}

// seriesOf returns the series of metric, creating it with an empty history aligned on the grid.
func (s *alerterService) seriesOf(metric string) *forecastSeries {
	i, found := slices.BinarySearchFunc(s.series, metric, func(f *forecastSeries, m string) int {
		switch {
		case f.Metric < m:
			return -1
		case f.Metric > m:
			return 1
		}
		return 0
	})
	if found {
		return s.series[i]
	}
	f := &forecastSeries{Metric: metric}
	s.series = slices.Insert(s.series, i, f)
	return f
}

// warmStart absorbs historical windows (oldest first, before any live window) and fits the
// models on them, without producing records.
func (s *alerterService) warmStart(cfg *AlerterConfig, windows []Metrics) {
	metrics := cfg.metricsOf(s.name)
	for _, m := range windows {
		t := m.Timestamp.UTC()
		if m.Validate() != nil || (s.started && !t.After(s.last)) {
			continue
		}
		k := s.advance(t, m.Window)
		for _, name := range metrics {
			v, _ := m.Value(name)
			s.seriesOf(name).append(cfg, k, v)
		}
	}
	if !s.started {
		return
	}
	period := s.period(cfg)
	s.slot, s.slotPeriod = daySlot(s.last, period), period
	for _, f := range s.series {
		f.Slot = s.slot
		f.fit(cfg, period)
	}
}

// advanceSlot moves the service's position in the daily cycle of period windows by the k steps
// to the window at t and returns it. The position follows the grid, so that jittering
// timestamps (a window stamped a second early or late) keep their place in the cycle; it is
// read from t's time of day (daySlot) when the cycle's length changes or is first known, and
// after a gap of more than a day, which an estimated step may miscount.
func (s *alerterService) advanceSlot(t time.Time, k, period int) int {
	if period != s.slotPeriod || k > period {
		s.slot, s.slotPeriod = daySlot(t, period), period
	} else if period >= 2 {
		s.slot = (s.slot + k) % period
	}
	return s.slot
}

// daySlot returns the position of t in a day (UTC) divided into period windows, rounded to the
// nearest: round(period · time of day / 24 h) mod period (0 when period < 2).
func daySlot(t time.Time, period int) int {
	if period < 2 {
		return 0
	}
	day := 24 * time.Hour
	tod := t.Sub(t.Truncate(day)) // Truncate counts from the zero time, a UTC midnight
	return int(math.Round(float64(period)*float64(tod)/float64(day))) % period
}

// period returns the seasonal period of the models: the windows per day when that is at most
// MaxSeasonalPeriod and HistoryWindows can hold two days, else 1. A fit on less than two
// periods of history is non-seasonal (see forecastSeries.fit).
func (s *alerterService) period(cfg *AlerterConfig) int {
	step := s.step()
	if step <= 0 || step > 12*time.Hour {
		return 1
	}
	perDay := int(math.Round(float64(24*time.Hour) / float64(step)))
	if perDay < 2 || perDay > cfg.MaxSeasonalPeriod || cfg.HistoryWindows < 2*perDay {
		return 1
	}
	return perDay
}

// forecastRecords returns about how many forecast records a window of the service gives when its
// models forecast: each of its metrics completes one record per record step and issues as many.
// It returns 0 while no series has a model, when a window gives none.
func (s *alerterService) forecastRecords(cfg *AlerterConfig, metrics int) int {
	if !slices.ContainsFunc(s.series, func(f *forecastSeries) bool { return f.model != nil }) {
		return 0
	}
	records := max(cfg.ForecastRecords, 0)
	if cfg.ForecastRecords == 0 || records > cfg.Horizon {
		records = cfg.Horizon
	}
	return 2 * records * metrics
}

// process handles one valid window newer than the last one.
func (s *alerterService) process(cfg *AlerterConfig, m Metrics) Results {
	t := m.Timestamp.UTC()
	k := s.advance(t, m.Window)
	step := s.step()
	period := s.period(cfg)
	slot := s.advanceSlot(t, k, period)
	metrics := cfg.metricsOf(s.name)
	var r Results
	if n := s.forecastRecords(cfg, len(metrics)); n > 0 {
		r.Forecasts = make([]Forecast, 0, n)
	}
	for _, name := range metrics {
		v, _ := m.Value(name)
		f := s.seriesOf(name)
		r.Forecasts = f.observe(cfg, s.name, t, k, slot, step, v, r.Forecasts)
		r.Alerts = s.settleAlerts(name, t, step, v, r.Alerts)
		f.refitIfDue(cfg, period)
		if !f.forecast(cfg) {
			continue
		}
		r.Forecasts = f.records(cfg, s.name, t, step, r.Forecasts)
		if f.Fell {
			// The series has just fallen far below its forecast, away from the thresholds: a
			// model refitted on that fall extrapolates a rebound from one extreme value.
			continue
		}
		for _, lv := range cfg.levelsOf(s.name, name, step) {
			if v > lv.value || s.pendingAlert(name, lv.name) {
				continue
			}
			if a, ok := f.alert(cfg, s.name, lv, t, step, v); ok {
				s.alerts = append(s.alerts, alertOpen{Level: lv.name, Alert: a})
				s.outcomes.Issued++
				s.outcomes.Pending++
				r.Alerts = append(r.Alerts, a)
			}
		}
	}
	return r
}

// pendingAlert reports whether an alert of metric at level is pending.
func (s *alerterService) pendingAlert(metric, level string) bool {
	for _, o := range s.alerts {
		if o.Alert.Metric == metric && o.Level == level {
			return true
		}
	}
	return false
}

// settleAlerts closes the pending alerts of metric that window t settles: materialized when v
// exceeds the threshold inside the alert's window, expired when t reaches the window's end
// without a breach. The window's bounds are grid times, which a window's timestamp may miss by
// its jitter: t counts as inside from half a step before the start to half a step after the end,
// and as reaching the end from half a step before it. Closed alerts are appended to out.
func (s *alerterService) settleAlerts(metric string, t time.Time, step time.Duration, v float64, out []PredictiveAlert) []PredictiveAlert {
	tol := max(step, 0) / 2
	kept := s.alerts[:0]
	for _, o := range s.alerts {
		a := o.Alert
		switch {
		case a.Metric != metric || t.Before(a.WindowStart.Add(-tol)):
			kept = append(kept, o)
			continue
		case v > a.Threshold && !t.After(a.WindowEnd.Add(tol)):
			at := t
			a.Status, a.MaterializedAt = Materialized, &at
			s.outcomes.Materialized++
		case !t.Before(a.WindowEnd.Add(-tol)):
			a.Status = Expired
			s.outcomes.Expired++
		default:
			kept = append(kept, o)
			continue
		}
		s.outcomes.Pending--
		out = append(out, a)
	}
	clear(s.alerts[len(kept):])
	s.alerts = kept
	return out
}
