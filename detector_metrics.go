package omen

import (
	"fmt"
	"math"
	"time"

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
	// traffic marks the counts that follow the load: they routinely fall by half at night, at
	// weekends and on holidays, so only a deeper fall is a dip (detMaxTrafficFall). A count of
	// zero is modelled as detZeroCount.
	traffic bool
}

// detZeroCount stands in for a traffic count of zero on the log scale, which has no log(0): half
// a request (the usual continuity correction of log counts). An outage — traffic falling from
// its baseline to nothing — is then a dip of log(b/0.5) below a baseline of b, and is not
// ignored as a missing value as a latency of zero (no request measured) is.
const detZeroCount = 0.5

// detMetricSet lists the metrics followed one by one, in the order of their detectors.
var detMetricSet = [...]detMetric{
	{name: "total_requests", log: true, unit: " requests", traffic: true},
	{name: "error_rate", minEffect: 0.5, unit: "%"},
	{name: "latency_p50_ms", log: true, minEffect: 5, unit: " ms"},
	{name: "latency_p95_ms", log: true, minEffect: 5, unit: " ms"},
	{name: "latency_p99_ms", log: true, minEffect: 5, unit: " ms"},
	{name: "latency_mean_ms", log: true, minEffect: 5, unit: " ms"},
	{name: "unique_users", log: true, unit: " users", traffic: true},
	{name: "unique_ips", log: true, unit: " IPs", traffic: true},
	{name: "risk_score", minEffect: 0.02},
}

// detMetrics follows every metric of detMetricSet with its own StreamDetector: a robust seasonal
// baseline, standardised residuals, change-point evidence and a calibrated score. A value whose
// score reaches MinScore is a spike, a dip, a trend change or a seasonality break, as the
// detector classifies it.
type detMetrics struct {
	streams [len(detMetricSet)]StreamDetector
	// lastAbove and lastBelow are the latest times each metric stood detBreakZ robust deviations
	// above and below its baseline.
	lastAbove, lastBelow [len(detMetricSet)]time.Time
}

// A metric whose values stood detBreakZ robust deviations above its seasonal baseline and also as
// far below it within the last detBreakSpan has changed the shape of its daily cycle, not its
// level: its anomalies are seasonality breaks. (At 3 deviations, which ordinary noise reaches
// about once a day in one direction or the other, a lone collapse of traffic was called a break
// in 5 of 20 noisy streams; at 4 in none, and the labelled breaks of TestDetectorOnGeneratedStream
// are all still found.)
const (
	detBreakZ    = 4
	detBreakSpan = 24 * time.Hour
)

func newDetMetrics(cfg DetectorConfig) detMetrics {
	var d detMetrics
	for i, m := range detMetricSet {
		d.streams[i] = *NewStreamDetector(StreamConfig{
			Log:         m.log,
			Hold:        detHold,
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
		modelled := v
		if spec.traffic {
			modelled = max(v, detZeroCount)
		}
		sd := &d.streams[i]
		score := sd.Add(m.Timestamp, modelled)
		st := sd.State()
		if st.Ready && st.Time.Equal(m.Timestamp) {
			switch {
			case st.Z >= detBreakZ:
				d.lastAbove[i] = m.Timestamp
			case st.Z <= -detBreakZ:
				d.lastBelow[i] = m.Timestamp
			}
		}
		need := s.cfg.MinScore
		switch {
		case detMetricType(st) == Outlier:
			need = s.cfg.OutlierScore
		case math.Abs(st.Z) >= detStrongZ:
			need *= detStrongFactor
		}
		if !st.Ready || !st.Time.Equal(m.Timestamp) || 100*score < need || !detEnoughEvidence(spec, st) {
			continue
		}
		broken := m.Timestamp.Sub(d.lastAbove[i]) < detBreakSpan && m.Timestamp.Sub(d.lastBelow[i]) < detBreakSpan
		out = append(out, detMetricAnomaly(s, m, spec, v, st, broken))
	}
	return out
}

// Evidence floors of a metric anomaly, besides its calibrated score: a single value at least
// detMinZ robust deviations from its baseline, or a sustained shift (or widening of the spread)
// whose CUSUM sum reached detMinShift. An early calibration rests on few values and can call an
// ordinary residual rare; the floors keep such residuals from being reported. A fall of a traffic
// count must also reach detMaxTrafficFall percent: the daily baseline does not know the weekly
// cycle, and the first weekend (traffic down by a third to a half) is not an incident.
const (
	detMinZ           = 4
	detMinShift       = 4.5
	detMaxTrafficFall = -60
)

func detEnoughEvidence(spec detMetric, st StreamState) bool {
	switch typ := detMetricType(st); {
	case spec.traffic && (typ == Dip || typ == TrendChange) && st.DeviationPercent < 0 && st.DeviationPercent > detMaxTrafficFall:
		return false
	case typ == TrendChange:
		return st.Shift >= detMinShift
	case typ == Outlier:
		return st.Spread >= detMinShift
	}
	return math.Abs(st.Z) >= detMinZ
}

// A value detStrongZ robust deviations from its baseline is rare under any usual noise, even when
// the calibrator, fitted on a heavy-tailed stream, puts its probability near MinScore: it needs
// only detStrongFactor of MinScore.
const (
	detStrongZ      = 8
	detStrongFactor = 0.75
)

// detMetricType returns the anomaly type of a metric's state: the StreamDetector's, except that
// a trend change driven by a widened spread is an Outlier (the values scatter far from their
// baseline, without a shift of level).
func detMetricType(st StreamState) AnomalyType {
	if st.Type == TrendChange && st.Spread > st.Shift {
		return Outlier
	}
	return st.Type
}

// detMetricAnomaly builds the anomaly record of one metric's state.
func detMetricAnomaly(s *detService, m Metrics, spec detMetric, v float64, st StreamState, broken bool) Anomaly {
	baseline := st.Baseline
	if spec.log {
		baseline = math.Exp(baseline)
	}
	typ := detMetricType(st)
	if broken {
		typ = SeasonalityBreak
	}
	a := Anomaly{
		ID:               RecordID(s.name, string(typ), spec.name, m.Timestamp),
		Service:          s.name,
		Type:             typ,
		Severity:         st.Level,
		Score:            100 * st.Score,
		Timestamp:        m.Timestamp,
		Metric:           spec.name,
		Value:            v,
		Baseline:         baseline,
		DeviationPercent: detPercent(st.DeviationPercent),
		Confidence:       st.Confidence,
	}
	if v == 0 && spec.traffic && baseline > 0 {
		a.DeviationPercent = -100 // modelled as detZeroCount, but nothing is nothing
	}
	a.Description = detMetricDescription(spec, a, st)
	if typ == Outlier {
		a.Description = fmt.Sprintf("%s scatters more widely than usual: %s%s against a baseline of %s%s (%+.0f%%, spread evidence %.1f, p ≈ %.1e)",
			spec.name, detFormat(a.Value), spec.unit, detFormat(a.Baseline), spec.unit, a.DeviationPercent, st.Spread, st.Probability)
	}
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

// detHold is the StreamDetectors' Hold: an incident is not learned as normal for up to a day of
// alarms, so that it is flagged while it lasts and its end is not flagged in turn.
const detHold = 24
