package omen

import (
	"fmt"
	"math"

	"github.com/stacklens/omen/severity"
	"github.com/stacklens/omen/trend"
)

// detTrendMetrics are the metrics watched for ramps and reversals: those that alerting thresholds apply to.
var detTrendMetrics = [...]string{"error_rate", "latency_p99_ms"}

// Settings of the ramp detector: the Mann–Kendall test runs over the last detTrendWindow values
// and must reject "no trend" at level detTrendP, and the newest value must lie detTrendMinZ robust
// deviations above the history's median.
const (
	detTrendWindow = 12
	detTrendP      = 1e-3
	detTrendMinZ   = 6
)

// detTrends finds ramps and reversals: a metric well above its usual range (the median and MAD of
// the history at the last training) that has risen — or, after a peak, fallen — steadily over the
// last detTrendWindow windows (Mann–Kendall). A streaming baseline follows a slow ramp and its residuals stay small, and a
// residual scale widened by earlier incidents hides it further; a trend test against the
// history's robust range does neither. The original's test normalised slopes by the mean and
// missed a clear V (ORIGINAL-SYSTEM.md §4.5).
type detTrends struct {
	baselines [len(detTrendMetrics)]severity.Baseline
}

// train sets the robust baselines from the history.
func (d *detTrends) train(h *detHistory) {
	values := make([]float64, h.len())
	for i, name := range detTrendMetrics {
		for k := range values {
			values[k], _ = h.at(k).Value(name)
		}
		if b, err := severity.RobustBaseline(values); err == nil {
			d.baselines[i] = b
		}
	}
}

// observe appends a trend change for every watched metric on a ramp or a reversal, unless out already holds a
// trend change of that metric for the window.
func (d *detTrends) observe(s *detService, m Metrics, out []Anomaly) []Anomaly {
	n := s.history.len()
	if !s.outliers.trained() || n < detTrendWindow-1 {
		return out
	}
	var y [detTrendWindow]float64
	for i, name := range detTrendMetrics {
		b := d.baselines[i]
		v, _ := m.Value(name)
		if !(b.Scale > 0) || (v-b.Center)/b.Scale < detTrendMinZ || detHas(out, TrendChange, name) {
			continue
		}
		for k := range detTrendWindow - 1 {
			y[k], _ = s.history.at(n - detTrendWindow + 1 + k).Value(name)
		}
		y[detTrendWindow-1] = v
		mk, err := trend.MannKendall(y[:])
		if err != nil || mk.S == 0 || mk.P >= detTrendP {
			continue
		}
		out = append(out, detTrendAnomaly(s, m, name, v, b, mk))
	}
	return out
}

// detTrendAnomaly builds the record of a ramp. Its score is the Mann–Kendall p-value on the
// severity scale, 100·min(1, −log10(p)/6); its confidence grows with the distance above the usual
// range, 1 − exp(−(z/detTrendMinZ − 1)), times 1 − p.
func detTrendAnomaly(s *detService, m Metrics, name string, v float64, b severity.Baseline, mk trend.MannKendallResult) Anomaly {
	z := (v - b.Center) / b.Scale
	score := 100 * min(1, -math.Log10(max(mk.P, 1e-300))/6)
	a := Anomaly{
		ID:               RecordID(s.name, string(TrendChange), name, m.Timestamp),
		Service:          s.name,
		Type:             TrendChange,
		Severity:         detSeverity(s.cfg.Levels.Of(score)),
		Score:            score,
		Timestamp:        m.Timestamp,
		Metric:           name,
		Value:            v,
		Baseline:         b.Center,
		DeviationPercent: detPercent(100 * (v - b.Center) / math.Abs(b.Center)),
		Confidence:       (1 - math.Exp(-(z/detTrendMinZ - 1))) * (1 - mk.P),
	}
	way := "rising"
	if mk.S < 0 {
		way = "falling"
	}
	a.Description = fmt.Sprintf("%s %s steadily for %d windows (Mann–Kendall τ %.2f, p ≈ %.1e) to %s, %.1f robust deviations above its usual %s",
		name, way, detTrendWindow, mk.Tau, mk.P, detFormat(v), z, detFormat(b.Center))
	return a
}

// detHas reports whether out holds an anomaly of type typ and metric.
func detHas(out []Anomaly, typ AnomalyType, metric string) bool {
	for _, a := range out {
		if a.Type == typ && a.Metric == metric {
			return true
		}
	}
	return false
}
