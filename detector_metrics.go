package omen

import (
	"fmt"
	"math"

	"github.com/stacklens/omen/severity"
)

// detMetric describes how one metric of a window is followed by its StreamDetector.
type detMetric struct {
	name string
	// log models the logarithm: for counts and latencies, whose seasonality and noise are
	// multiplicative.
	log bool
	// minEffect is the smallest absolute change, in the metric's units, graded above low.
	minEffect float64
	unit      string
}

// detMetricSet lists the metrics followed one by one, in the order of their detectors.
var detMetricSet = [...]detMetric{
	{name: "total_requests", log: true, unit: " requests"},
	{name: "error_rate", minEffect: 0.5, unit: "%"},
	{name: "latency_p50_ms", log: true, minEffect: 5, unit: " ms"},
	{name: "latency_p95_ms", log: true, minEffect: 5, unit: " ms"},
	{name: "latency_p99_ms", log: true, minEffect: 5, unit: " ms"},
	{name: "latency_mean_ms", log: true, minEffect: 5, unit: " ms"},
	{name: "unique_users", log: true, unit: " users"},
	{name: "unique_ips", log: true, unit: " IPs"},
	{name: "risk_score", minEffect: 0.02},
}

// detMetrics follows every metric of detMetricSet with its own StreamDetector: a robust seasonal
// baseline, standardised residuals, change-point evidence and a calibrated score. A value whose
// score reaches MinScore is a spike, a dip, a trend change or a seasonality break, as the
// detector classifies it.
type detMetrics struct {
	streams [len(detMetricSet)]StreamDetector
}

func newDetMetrics(cfg DetectorConfig) detMetrics {
	var d detMetrics
	for i, m := range detMetricSet {
		d.streams[i] = *NewStreamDetector(StreamConfig{
			Log:         m.log,
			MinEffect:   m.minEffect,
			Calibration: severity.Config{Levels: cfg.Levels},
		})
	}
	return d
}

// observe feeds m to every metric's detector and appends the anomalies it reports.
func (d *detMetrics) observe(s *detService, m Metrics, out []Anomaly) []Anomaly {
	for i, spec := range detMetricSet {
		v, _ := m.Value(spec.name)
		sd := &d.streams[i]
		score := sd.Add(m.Timestamp, v)
		st := sd.State()
		if !st.Ready || !st.Time.Equal(m.Timestamp) || 100*score < s.cfg.MinScore || !detEnoughEvidence(st) {
			continue
		}
		out = append(out, detMetricAnomaly(s, m, spec, v, st))
	}
	return out
}

// Evidence floors of a metric anomaly, besides its calibrated score: a single value at least
// detMinZ robust deviations from its baseline, or a sustained shift whose CUSUM sum reached
// detMinShift. An early calibration rests on few values and can call an ordinary residual rare;
// the floors keep such residuals from being reported.
const (
	detMinZ     = 4
	detMinShift = 4.5
)

func detEnoughEvidence(st StreamState) bool {
	if st.Type == TrendChange {
		return st.Shift >= detMinShift
	}
	return math.Abs(st.Z) >= detMinZ
}

// detMetricAnomaly builds the anomaly record of one metric's state.
func detMetricAnomaly(s *detService, m Metrics, spec detMetric, v float64, st StreamState) Anomaly {
	baseline := st.Baseline
	if spec.log {
		baseline = math.Exp(baseline)
	}
	a := Anomaly{
		ID:               RecordID(s.name, string(st.Type), spec.name, m.Timestamp),
		Service:          s.name,
		Type:             st.Type,
		Severity:         st.Level,
		Score:            100 * st.Score,
		Timestamp:        m.Timestamp,
		Metric:           spec.name,
		Value:            v,
		Baseline:         baseline,
		DeviationPercent: detPercent(st.DeviationPercent),
		Confidence:       st.Confidence,
	}
	a.Description = detMetricDescription(spec, a, st)
	return a
}

func detMetricDescription(spec detMetric, a Anomaly, st StreamState) string {
	what := map[AnomalyType]string{
		Spike:            "spike",
		Dip:              "dip",
		TrendChange:      "sustained shift",
		SeasonalityBreak: "break of the daily pattern",
	}[a.Type]
	return fmt.Sprintf("%s %s: %s%s against a baseline of %s%s (%+.0f%%, %.1f robust deviations, p ≈ %.1e)",
		spec.name, what, detFormat(a.Value), spec.unit, detFormat(a.Baseline), spec.unit,
		a.DeviationPercent, st.Z, st.Probability)
}

// detFormat prints a metric value with four significant digits.
func detFormat(v float64) string {
	return fmt.Sprintf("%.4g", v)
}

// detMaxPercent bounds deviation percentages: against a zero baseline any change is infinitely
// many percent, which JSON cannot carry.
const detMaxPercent = 1e6

// detPercent returns p clamped to ±detMaxPercent (NaN as 0).
func detPercent(p float64) float64 {
	if math.IsNaN(p) {
		return 0
	}
	return max(-detMaxPercent, min(detMaxPercent, p))
}
