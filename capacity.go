package omen

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ErrNoCapacityPlan is returned by Alerter.CapacityPlan for a service without a configured
// capacity or without a forecast yet.
var ErrNoCapacityPlan = errors.New("omen: no capacity plan")

// CapacityPlan is the capacity outlook of one service: the forecast of its capacity metric
// (AlerterConfig.CapacityMetric) as a share of its capacity, and when the capacity runs out.
//
// Units are explicit: the metric counts per window (total_requests is the number of requests
// in the window), the capacity is configured per hour, and the capacity per window is the
// capacity per hour × the window's step in hours. Utilisation is the forecast per window over
// the capacity per window, the same as the hourly rate over the hourly capacity.
type CapacityPlan struct {
	Service  string
	Metric   string
	IssuedAt time.Time     // the last window, whose data the plan used
	Step     time.Duration // the windows' step

	CapacityPerHour   float64
	CapacityPerWindow float64

	Current            float64 // the last window's value, per window
	CurrentPerHour     float64
	CurrentUtilization float64

	Forecast        []CapacityPoint // one per step of the horizon
	PeakUtilization float64         // the largest mean utilisation over the horizon

	// Exhausted reports that the mean forecast reaches the capacity within the horizon, at
	// ExhaustionAt (TimeToExhaustion after IssuedAt). ExhaustionEarliest is the first window whose
	// upper prediction bound reaches it (zero when none does), ExhaustionLatest the first whose
	// lower bound does (zero when none does within the horizon): a pointwise interval of the time
	// to exhaustion at the forecasts' interval level.
	Exhausted                                          bool
	ExhaustionAt, ExhaustionEarliest, ExhaustionLatest time.Time
	TimeToExhaustion                                   time.Duration

	Recommendation string
}

// MarshalJSON writes the plan as a JSON object with snake_case names: times in RFC 3339, the
// step and the time to exhaustion in seconds (step_seconds, time_to_exhaustion_seconds), and the
// exhaustion times and time only when the plan has them.
func (p CapacityPlan) MarshalJSON() ([]byte, error) {
	type point struct {
		Time        time.Time `json:"time"`
		PerWindow   float64   `json:"per_window"`
		PerHour     float64   `json:"per_hour"`
		Utilization float64   `json:"utilization"`
		Lower       float64   `json:"utilization_lower"`
		Upper       float64   `json:"utilization_upper"`
	}
	opt := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		return &t
	}
	out := struct {
		Service            string     `json:"service"`
		Metric             string     `json:"metric"`
		IssuedAt           time.Time  `json:"issued_at"`
		StepSeconds        float64    `json:"step_seconds"`
		CapacityPerHour    float64    `json:"capacity_per_hour"`
		CapacityPerWindow  float64    `json:"capacity_per_window"`
		Current            float64    `json:"current"`
		CurrentPerHour     float64    `json:"current_per_hour"`
		CurrentUtilization float64    `json:"current_utilization"`
		PeakUtilization    float64    `json:"peak_utilization"`
		Exhausted          bool       `json:"exhausted"`
		ExhaustionAt       *time.Time `json:"exhaustion_at,omitempty"`
		ExhaustionEarliest *time.Time `json:"exhaustion_earliest,omitempty"`
		ExhaustionLatest   *time.Time `json:"exhaustion_latest,omitempty"`
		TimeToExhaustion   *float64   `json:"time_to_exhaustion_seconds,omitempty"`
		Recommendation     string     `json:"recommendation"`
		Forecast           []point    `json:"forecast"`
	}{
		Service: p.Service, Metric: p.Metric, IssuedAt: p.IssuedAt, StepSeconds: p.Step.Seconds(),
		CapacityPerHour: p.CapacityPerHour, CapacityPerWindow: p.CapacityPerWindow,
		Current: p.Current, CurrentPerHour: p.CurrentPerHour, CurrentUtilization: p.CurrentUtilization,
		PeakUtilization: p.PeakUtilization, Exhausted: p.Exhausted,
		ExhaustionAt: opt(p.ExhaustionAt), ExhaustionEarliest: opt(p.ExhaustionEarliest), ExhaustionLatest: opt(p.ExhaustionLatest),
		Recommendation: p.Recommendation, Forecast: make([]point, len(p.Forecast)),
	}
	if p.Exhausted {
		secs := p.TimeToExhaustion.Seconds()
		out.TimeToExhaustion = &secs
	}
	for i, f := range p.Forecast {
		out.Forecast[i] = point(f)
	}
	return json.Marshal(out)
}

// CapacityPoint is the forecast of one window: the metric per window and per hour, and the mean
// utilisation with its prediction interval.
type CapacityPoint struct {
	Time                      time.Time
	PerWindow, PerHour        float64
	Utilization, Lower, Upper float64
}

// CapacityPlan returns the capacity outlook of service after its last window. It returns an
// error wrapping ErrNoCapacityPlan when the service has no capacity in AlerterConfig.Capacity,
// or is unknown, or has too few windows for a forecast.
func (a *Alerter) CapacityPlan(service string) (CapacityPlan, error) {
	capacity, ok := a.cfg.Capacity[service]
	if !ok {
		return CapacityPlan{}, fmt.Errorf("%w: service %q has no configured capacity", ErrNoCapacityPlan, service)
	}
	a.mu.Lock()
	s := a.services[service]
	a.mu.Unlock()
	if s == nil {
		return CapacityPlan{}, fmt.Errorf("%w: no window of service %q yet", ErrNoCapacityPlan, service)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.lookup(a.cfg.CapacityMetric)
	if f == nil || !f.hasFc || len(f.Values) == 0 {
		return CapacityPlan{}, fmt.Errorf("%w: service %q has too few windows for a forecast", ErrNoCapacityPlan, service)
	}
	step := s.step()
	hours := step.Hours()
	perWindow := capacity * hours
	p := CapacityPlan{
		Service: service, Metric: a.cfg.CapacityMetric, IssuedAt: s.last, Step: step,
		CapacityPerHour: capacity, CapacityPerWindow: perWindow,
		Current: f.Values[len(f.Values)-1],
	}
	p.CurrentPerHour = p.Current / hours
	p.CurrentUtilization = p.Current / perWindow
	for h := range f.fc.Mean {
		at := s.last.Add(time.Duration(h+1) * step)
		mean, lower, upper := f.fc.Mean[h], f.fc.Lower[h], f.fc.Upper[h]
		p.Forecast = append(p.Forecast, CapacityPoint{
			Time: at, PerWindow: mean, PerHour: mean / hours,
			Utilization: mean / perWindow, Lower: lower / perWindow, Upper: upper / perWindow,
		})
		p.PeakUtilization = max(p.PeakUtilization, mean/perWindow)
		if upper >= perWindow && p.ExhaustionEarliest.IsZero() {
			p.ExhaustionEarliest = at
		}
		if mean >= perWindow && !p.Exhausted {
			p.Exhausted, p.ExhaustionAt, p.TimeToExhaustion = true, at, at.Sub(s.last)
		}
		if lower >= perWindow && p.ExhaustionLatest.IsZero() {
			p.ExhaustionLatest = at
		}
	}
	p.Recommendation = capacityRecommendation(p)
	return p, nil
}

// capacityRecommendation says what the plan calls for: scaling now when the capacity is
// forecast to run out within the horizon or the peak utilisation exceeds 90 %, close watch
// above 80 %, nothing otherwise.
func capacityRecommendation(p CapacityPlan) string {
	switch {
	case p.Exhausted:
		return fmt.Sprintf("Critical: %s is forecast to exhaust its capacity of %g per hour in about %s; scale now",
			p.Service, p.CapacityPerHour, alertDuration(p.TimeToExhaustion))
	case p.PeakUtilization > 0.9:
		return fmt.Sprintf("Critical: %s is forecast to reach %.0f %% of its capacity; prepare capacity scaling", p.Service, 100*p.PeakUtilization)
	case p.PeakUtilization > 0.8:
		return fmt.Sprintf("Warning: %s is forecast to reach %.0f %% of its capacity; monitor capacity closely", p.Service, 100*p.PeakUtilization)
	}
	return fmt.Sprintf("OK: %s stays below %.0f %% of its capacity over the horizon", p.Service, 100*max(p.PeakUtilization, p.CurrentUtilization))
}
