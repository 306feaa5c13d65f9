package omen

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stacklens/omen/internal/servicegen"
)

// streamEvalThreshold is the score from which the evaluation flags a window: tail probability
// 10^(−6·0.35) ≈ 0.008 under the stream's usual behaviour.
const streamEvalThreshold = 0.35

// streamEvalKinds are the incident kinds a univariate detector answers for: each changes the
// values of the metrics it names in a way visible in that metric alone. PatternChange is left
// to the multivariate pattern detector: by construction each metric stays within its usual
// range, only their joint behaviour changes.
var streamEvalKinds = []servicegen.Kind{
	servicegen.ErrorSpike, servicegen.LatencySpike, servicegen.LatencyDip, servicegen.TrafficDip,
	servicegen.LevelShift, servicegen.Ramp, servicegen.VarianceChange, servicegen.SeasonalityBreak,
}

// streamEvaluation is the outcome of running one detector per service and metric over a stream.
type streamEvaluation struct {
	incidents, detected, flags, truePositive int
	byKind                                   map[servicegen.Kind][2]int // incidents, detected
	delays                                   map[servicegen.Kind][]time.Duration
}

func (e streamEvaluation) recall() float64    { return float64(e.detected) / float64(e.incidents) }
func (e streamEvaluation) precision() float64 { return float64(e.truePositive) / float64(e.flags) }

func (e streamEvaluation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "recall %.3f (%d/%d), precision %.3f (%d/%d)", e.recall(), e.detected, e.incidents,
		e.precision(), e.truePositive, e.flags)
	for _, k := range streamEvalKinds {
		n := e.byKind[k]
		if n[0] == 0 {
			continue
		}
		var mean time.Duration
		for _, d := range e.delays[k] {
			mean += d / time.Duration(len(e.delays[k]))
		}
		fmt.Fprintf(&b, "\n  %-18s recall %d/%d, mean delay %v", k, n[1], n[0], mean)
	}
	return b.String()
}

// evaluateStream runs a detector configured by cfg(metric) on every service's series of every
// metric of s, flags the windows scoring at least streamEvalThreshold, and scores the flags of
// each metric against the incidents of streamEvalKinds that change it (servicegen.Evaluate,
// tolerance one window), pooling the counts over the metrics. Flags within an incident of
// another kind are left out, neither credited nor held against the detector.
func evaluateStream(s servicegen.Stream, cfg func(servicegen.Metric) StreamConfig) streamEvaluation {
	out := streamEvaluation{byKind: map[servicegen.Kind][2]int{}, delays: map[servicegen.Kind][]time.Duration{}}
	for _, m := range servicegen.Metrics {
		var flags []servicegen.Flag
		var incidents []servicegen.Incident
		for _, svc := range s.Services {
			times, values, _ := s.Series(svc, m)
			var others []servicegen.Incident
			for _, in := range s.IncidentsFor(svc, m) {
				if slices.Contains(streamEvalKinds, in.Kind) {
					incidents = append(incidents, in)
				} else {
					others = append(others, in)
				}
			}
			d := NewStreamDetector(cfg(m))
			for i, t := range times {
				score := d.Add(t, values[i])
				excluded := slices.ContainsFunc(others, func(in servicegen.Incident) bool { return in.Covers(t, time.Hour) })
				if score >= streamEvalThreshold && !excluded {
					flags = append(flags, servicegen.Flag{Service: svc, Time: t})
				}
			}
		}
		e := servicegen.Evaluate(flags, incidents, time.Hour)
		out.incidents += e.Incidents
		out.detected += e.Detected
		out.flags += e.Flags
		out.truePositive += e.TruePositive
		for _, det := range e.Detections {
			n := out.byKind[det.Incident.Kind]
			n[0]++
			if det.Detected {
				n[1]++
				out.delays[det.Incident.Kind] = append(out.delays[det.Incident.Kind], det.Delay)
			}
			out.byKind[det.Incident.Kind] = n
		}
	}
	return out
}

// streamMetricConfig is the configuration the evaluation gives the detector of metric m: a weekly
// cycle (the traffic is lower at weekends), the log scale for the positive multiplicative metrics
// (counts and latencies; not the error rate, which can be 0, nor the risk score), and Hold over a
// quarter of the cycle.
func streamMetricConfig(m servicegen.Metric) StreamConfig {
	return StreamConfig{
		Period: 7 * 24 * time.Hour,
		Log:    m != servicegen.ErrorRate && m != servicegen.RiskScore,
		Hold:   42,
	}
}

// streamEvalSeeds are the seeds of the generated streams the evaluation pools: one seed's stream
// holds about 120 incidents on 72 series, so its recall alone varies by about ±0.03 from seed to
// seed. The detector was developed on seeds 0–7; on seeds 8–15, never looked at before, it
// scored recall 0.912 (919/1008) and precision 0.813 (5601/6893), and after the exact phase of
// timestamps on phase boundaries (2026-11-26) 0.912 (919/1008) and 0.815 (5587/6858).
var streamEvalSeeds = []uint64{0, 1, 2, 3, 4, 5, 6, 7}

// TestStreamEvaluation scores the detector on the generated labelled streams of streamEvalSeeds,
// each 28 days long with a 10-day warm-up: a weekly cycle must be seen once (7 days), then 16
// values set the scale and 40 more the calibration, before the scores mean what they say.
//
// Every metric counts, the risk score too, although no incident of these kinds changes it: its
// flags are all false. Precision counts flagged windows, so a detector that flags an incident
// throughout, not only at its start, scores higher. Measured (go test -run TestStreamEvaluation
// -v): pooled recall 0.921 (911/989) and precision 0.815 (5541/6797) at threshold 0.35; by seed,
// recall 0.901–0.968 and precision 0.772–0.833. Before the scale's clip at 1.5, the withholding
// of held alarms from the calibration and the hold of the scale while the spread widens, the
// same seeds gave recall 0.889 and precision 0.775. What is missed: variance changes (57 of
// 139 metric series: a tripled noise of 12–36 windows is often not much wider than the usual
// heavy-tailed noise), ramps that stay within the noise for long (12 of 72), and level shifts
// and seasonality breaks on services with small integer counts.
func TestStreamEvaluation(t *testing.T) {
	var pooled streamEvaluation
	for _, seed := range streamEvalSeeds {
		s, err := servicegen.Generate(servicegen.Config{Seed: seed, Days: 28, WarmUp: 10 * 24 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		e := evaluateStream(s, streamMetricConfig)
		t.Logf("seed %d: recall %.3f (%d/%d), precision %.3f (%d/%d)", seed, e.recall(), e.detected, e.incidents,
			e.precision(), e.truePositive, e.flags)
		pooled = pooled.merge(e)
	}
	t.Logf("threshold %v, seeds %v pooled: %v", streamEvalThreshold, streamEvalSeeds, pooled)
	if pooled.recall() < 0.9 || pooled.precision() < 0.8 {
		t.Errorf("pooled recall %.3f, precision %.3f; want at least 0.9 and 0.8", pooled.recall(), pooled.precision())
	}
	for _, k := range []servicegen.Kind{servicegen.ErrorSpike, servicegen.LatencySpike, servicegen.LatencyDip, servicegen.TrafficDip} {
		if n := pooled.byKind[k]; n[0] == 0 || float64(n[1]) < 0.98*float64(n[0]) {
			t.Errorf("%s: %d of %d detected; want at least 98 %%", k, n[1], n[0])
		}
	}
}

// merge returns the pooled counts of e and f.
func (e streamEvaluation) merge(f streamEvaluation) streamEvaluation {
	out := streamEvaluation{
		incidents: e.incidents + f.incidents, detected: e.detected + f.detected,
		flags: e.flags + f.flags, truePositive: e.truePositive + f.truePositive,
		byKind: map[servicegen.Kind][2]int{}, delays: map[servicegen.Kind][]time.Duration{},
	}
	for _, x := range []streamEvaluation{e, f} {
		for k, n := range x.byKind {
			m := out.byKind[k]
			out.byKind[k] = [2]int{m[0] + n[0], m[1] + n[1]}
		}
		for k, d := range x.delays {
			out.delays[k] = append(out.delays[k], d...)
		}
	}
	return out
}

// TestStreamEvaluationDefaultStream reports the detector's numbers on the default stream (14 days,
// 3-day warm-up) with the default daily cycle: its first weekend comes before any weekly cycle
// could be learned, so the traffic of every service looks anomalous then, and the precision
// suffers (measured: recall 0.852, precision 0.465). The point incidents — spikes and dips — must
// still be found: at least 90 % of them (measured 36 of 36).
func TestStreamEvaluationDefaultStream(t *testing.T) {
	s, err := servicegen.Generate(servicegen.Config{})
	if err != nil {
		t.Fatal(err)
	}
	e := evaluateStream(s, func(m servicegen.Metric) StreamConfig {
		return StreamConfig{Log: m != servicegen.ErrorRate && m != servicegen.RiskScore}
	})
	t.Logf("threshold %v: %v", streamEvalThreshold, e)
	var incidents, detected int
	for _, k := range []servicegen.Kind{servicegen.ErrorSpike, servicegen.LatencySpike, servicegen.LatencyDip, servicegen.TrafficDip} {
		incidents += e.byKind[k][0]
		detected += e.byKind[k][1]
	}
	if incidents == 0 || float64(detected) < 0.9*float64(incidents) {
		t.Errorf("spikes and dips: %d of %d detected; want at least 90 %%", detected, incidents)
	}
}
