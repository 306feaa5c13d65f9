package omen

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strings"

	"github.com/stacklens/omen/isoforest"
	"github.com/stacklens/omen/severity"
)

// detOutlierMetric is the metric name of outliers, as in the original service.
const detOutlierMetric = "composite_metrics"

// detMinContribution is the smallest share of an explanation that names a metric.
const detMinContribution = 0.05

// detOutliers scores every window with an isolation forest trained on the service's history
// (axis-parallel splits on the raw features: they are invariant to each feature's scale, so no
// scaler is needed) and calibrates the score against the scores of the service's normal windows.
type detOutliers struct {
	model *isoforest.Model
	// median is the median score of the training windows, the outlier's baseline.
	median     float64
	calibrator severity.Calibrator
}

// detOutlierCalibration sets the calibrator of isolation scores: the first training's scores
// (at least MinHistory) end its warm-up.
func detOutlierCalibration(cfg DetectorConfig) severity.Config {
	return severity.Config{WarmUp: cfg.MinHistory, TailQuantile: 0.5, MinPeaks: 8, Levels: cfg.Levels}
}

func newDetOutliers(cfg DetectorConfig) detOutliers {
	return detOutliers{calibrator: *severity.New(detOutlierCalibration(cfg))}
}

func (o *detOutliers) trained() bool { return o.model != nil }

// train fits a new forest on X, the history's feature vectors. The scores of the first training's
// windows warm the calibrator up.
func (o *detOutliers) train(s *detService, X [][]float64) {
	model, err := isoforest.Fit(X, isoforest.Config{
		Trees:      s.cfg.Trees,
		SampleSize: s.cfg.SampleSize,
		Seed:       detServiceSeed(s.cfg.Seed, s.name),
		Workers:    1,
	})
	if err != nil { // the windows are validated, so this cannot happen; keep the old model
		return
	}
	scores := model.Scores(X)
	first := o.model == nil
	o.model = model
	if first {
		for _, v := range scores {
			o.calibrator.Add(v)
		}
	}
	slices.Sort(scores)
	o.median = scores[len(scores)/2]
}

// observe scores m and appends an outlier when its calibrated score reaches OutlierScore, or half of
// it when the window already has an anomaly of one of its metrics (out is not empty): a consensus
// of two detectors needs less evidence from each. Every score is learned by the calibrator after it
// is calibrated: outliers are rare, and barely move a tail fitted on hundreds of scores.
func (o *detOutliers) observe(s *detService, m Metrics, out []Anomaly) []Anomaly {
	if o.model == nil {
		return out
	}
	x := m.Features()
	score := o.model.Score(x[:])
	cal := o.calibrator.Add(score)
	need := s.cfg.OutlierScore
	if len(out) > 0 {
		need /= 2
	}
	if cal.Score < need || score <= o.median {
		return out
	}
	contrib := o.model.Explain(x[:])
	shares := map[string]float64{}
	for j, c := range contrib {
		if c >= detMinContribution {
			shares[FeatureNames[j]] = c
		}
	}
	a := Anomaly{
		ID:               RecordID(s.name, string(Outlier), detOutlierMetric, m.Timestamp),
		Service:          s.name,
		Type:             Outlier,
		Severity:         detSeverity(s.cfg.Levels.Of(cal.Score)),
		Score:            cal.Score,
		Timestamp:        m.Timestamp,
		Metric:           detOutlierMetric,
		Value:            score,
		Baseline:         o.median,
		DeviationPercent: detPercent(100 * (score - o.median) / o.median),
		Confidence:       cal.Confidence,
		Contributions:    shares,
	}
	a.Description = fmt.Sprintf("window unlike the service's history: isolation score %.3f against a median of %.3f (p ≈ %.1e), explained by %s",
		score, o.median, cal.Probability, detExplanation(contrib))
	return append(out, a)
}

// detExplanation names the metrics with the largest shares of an explanation.
func detExplanation(contrib []float64) string {
	idx := make([]int, len(contrib))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case contrib[a] > contrib[b]:
			return -1
		case contrib[a] < contrib[b]:
			return 1
		}
		return 0
	})
	var parts []string
	for _, j := range idx[:min(3, len(idx))] {
		if contrib[j] >= detMinContribution {
			parts = append(parts, fmt.Sprintf("%s (%.0f%%)", FeatureNames[j], 100*contrib[j]))
		}
	}
	if len(parts) == 0 {
		return "no single metric"
	}
	return strings.Join(parts, ", ")
}

// detServiceSeed derives a service's forest seed from the configured Seed and its name, so that
// services draw different trees and a service always draws the same ones.
func detServiceSeed(seed uint64, service string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(service))
	return seed ^ h.Sum64()
}

// detSeverity converts a severity level to the record's Severity.
func detSeverity(l severity.Level) Severity {
	return Severities[l]
}
