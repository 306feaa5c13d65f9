package omen

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/stacklens/omen/internal/order"
)

// alertLevel is one threshold of a metric: its name (warning, critical, capacity), value and
// weight in the alert score.
type alertLevel struct {
	name   string
	value  float64
	weight float64
}

// The weights of the levels in the alert score (see Alerter).
const (
	alertWarningWeight  = 0.7
	alertCriticalWeight = 1
)

// levelsOf returns the thresholds of metric for service with windows of length step, warning
// first.
func (cfg *AlerterConfig) levelsOf(service, metric string, step time.Duration) []alertLevel {
	var out []alertLevel
	if th, ok := cfg.Thresholds[metric]; ok {
		if th.Warning > 0 {
			out = append(out, alertLevel{"warning", th.Warning, alertWarningWeight})
		}
		if th.Critical > 0 {
			out = append(out, alertLevel{"critical", th.Critical, alertCriticalWeight})
		}
	}
	if c, ok := cfg.Capacity[service]; ok && metric == cfg.CapacityMetric && step > 0 {
		out = append(out, alertLevel{"capacity", c * step.Hours(), alertCriticalWeight})
	}
	return out
}

// alert returns the predictive alert of level lv issued at window t, if the breach probability
// reaches MinProbability.
func (f *forecastSeries) alert(cfg *AlerterConfig, service string, lv alertLevel, t time.Time, step time.Duration, current float64) (PredictiveAlert, bool) {
	b, ok := forecastBreachOf(&f.fc, f.arimaSE, f.weights, f.driftSE, lv.value, cfg.MinProbability, cfg.Paths, cfg.Seed,
		forecastStream(service, f.Metric, lv.name, t))
	if !ok {
		return PredictiveAlert{}, false
	}
	at := func(h int) time.Time { return t.Add(time.Duration(h) * step) }
	score := alertScore(b.Probability, b.Median, cfg.Horizon, lv.weight)
	a := PredictiveAlert{
		ID:                RecordID(service, "predictive_alert/"+lv.name, f.Metric, t),
		Service:           service,
		Metric:            f.Metric,
		PredictionType:    "threshold_breach",
		Confidence:        b.Probability,
		IssuedAt:          t,
		WindowStart:       at(1),
		WindowEnd:         at(cfg.Horizon),
		ExpectedBreach:    at(b.Median),
		BreachEarliest:    at(b.Early),
		BreachLatest:      at(b.Late),
		CurrentValue:      current,
		PredictedValue:    f.fc.Mean[b.Median-1],
		BaselineValue:     alertMedian(f.Values),
		Threshold:         lv.value,
		RecommendedAction: alertAction(service, f.Metric, lv),
		Priority:          alertPriority(b.Probability, b.Median, cfg.Horizon),
		Severity:          Severity(cfg.Levels.Of(score).String()),
		Score:             score,
		Status:            Pending,
	}
	a.PredictedEvent = alertEvent(f.Metric, lv) + " " + a.TimeToBreach()
	return a, true
}

// alertScore is 100·p·u·w with u = 1 − ½(h−1)/(H−1), the urgency of a breach expected at step
// h of a horizon of H steps; see Alerter.
func alertScore(p float64, h, horizon int, weight float64) float64 {
	u := 1.0
	if horizon > 1 {
		u = 1 - 0.5*float64(h-1)/float64(horizon-1)
	}
	return 100 * p * u * weight
}

// alertPriority is critical for p ≥ 0.8 with the breach in the first quarter of the horizon,
// warning for p ≥ 0.8 or a breach in the first half, informational otherwise.
func alertPriority(p float64, h, horizon int) Priority {
	frac := float64(h) / float64(horizon)
	switch {
	case p >= 0.8 && frac <= 0.25:
		return CriticalAlert
	case p >= 0.8 || frac <= 0.5:
		return Warning
	}
	return Informational
}

// alertMedian returns the median of the non-missing values (NaN if there are none).
func alertMedian(values []float64) float64 {
	var small [32]float64 // most calls take a few recent values: no allocation
	v := small[:0]
	for _, x := range values {
		if !math.IsNaN(x) {
			v = append(v, x)
		}
	}
	return order.Median(v)
}

// alertEvent names the breach of level lv: "error_rate exceeds 5 %"; the alert's PredictedEvent
// adds its TimeToBreach.
func alertEvent(metric string, lv alertLevel) string {
	if lv.name == "capacity" {
		return metric + " exceeds its capacity of " + alertValue(metric, lv.value) + " per window"
	}
	return metric + " exceeds " + alertValue(metric, lv.value)
}

// TimeToBreach writes when the breach is expected, relative to the alert's issue: "in about 2 h
// (90 % range 1.5–3 h)", durations to a tenth of the unit they read best in (minutes below an
// hour, hours below two days, days beyond), the range in the unit of its end. The range is left
// out when BreachEarliest or BreachLatest is unset, and the result is empty when IssuedAt or
// ExpectedBreach is.
func (a PredictiveAlert) TimeToBreach() string {
	if a.IssuedAt.IsZero() || a.ExpectedBreach.IsZero() {
		return ""
	}
	s := "in about " + alertDuration(a.ExpectedBreach.Sub(a.IssuedAt))
	if !a.BreachEarliest.IsZero() && !a.BreachLatest.IsZero() {
		s += " (90 % range " + alertRange(a.BreachEarliest.Sub(a.IssuedAt), a.BreachLatest.Sub(a.IssuedAt)) + ")"
	}
	return s
}

// alertDuration writes d in the unit it reads best in, to a tenth: "2 h", "1.5 d", "30 min".
func alertDuration(d time.Duration) string {
	unit, name := alertUnit(d)
	return alertTenths(d, unit) + " " + name
}

// alertRange writes the interval [lo, hi] in the unit of hi: "1.5–3 h".
func alertRange(lo, hi time.Duration) string {
	unit, name := alertUnit(hi)
	return alertTenths(lo, unit) + "–" + alertTenths(hi, unit) + " " + name
}

func alertTenths(d, unit time.Duration) string {
	return strconv.FormatFloat(math.Round(float64(d)/float64(unit)*10)/10, 'f', -1, 64)
}

// alertUnit picks the unit a duration reads best in: minutes below an hour, hours below two
// days, days beyond.
func alertUnit(d time.Duration) (time.Duration, string) {
	switch {
	case d < time.Hour:
		return time.Minute, "min"
	case d < 48*time.Hour:
		return time.Hour, "h"
	}
	return 24 * time.Hour, "d"
}

// alertValue formats a metric value with its unit.
func alertValue(metric string, v float64) string {
	s := strconv.FormatFloat(v, 'g', 6, 64)
	switch {
	case metric == "error_rate":
		return s + " %"
	case strings.HasSuffix(metric, "_ms"):
		return s + " ms"
	}
	return s
}

// alertAction recommends what to do about the predicted breach.
func alertAction(service, metric string, lv alertLevel) string {
	limit := alertValue(metric, lv.value)
	switch {
	case lv.name == "capacity":
		return fmt.Sprintf("Add capacity to %s or shed load before %s reaches %s per window", service, metric, limit)
	case metric == "error_rate":
		return fmt.Sprintf("Check recent deploys, dependencies and error logs of %s; prepare a rollback before the error rate passes %s", service, limit)
	case strings.HasPrefix(metric, "latency"):
		return fmt.Sprintf("Check saturation and slow dependencies of %s; scale out or shed load before %s passes %s", service, metric, limit)
	}
	return fmt.Sprintf("Watch %s of %s closely and act before it passes %s", metric, service, limit)
}
