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

// TestStreamEvaluation scores the detector on the generated labelled stream of the default seed,
// 28 days long with a 10-day warm-up: a weekly cycle must be seen once (7 days), then 16 values
// set the scale and 40 more the calibration, before the scores mean what they say.
//
// Every metric counts, the risk score too, although no incident of these kinds changes it: its
// flags are all false. Measured: recall 0.909 (110/121) and precision 0.779 (501/643) at
// threshold 0.35 (at 0.4: recall 0.818, precision 0.867). The target is recall 0.9 with
// precision 0.8; the floors below are the current detector's. What is missed: variance changes
// (7 of 16 metric series), ramps that stay within the noise for long (2 of 9), and a level shift
// and a seasonality break on services with small integer counts; 38 of the false flags are on
// the risk score, a strongly autocorrelated series.
func TestStreamEvaluation(t *testing.T) {
	s, err := servicegen.Generate(servicegen.Config{Days: 28, WarmUp: 10 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	e := evaluateStream(s, streamMetricConfig)
	t.Logf("threshold %v: %v", streamEvalThreshold, e)
	if e.recall() < 0.9 || e.precision() < 0.77 {
		t.Errorf("recall %.3f, precision %.3f; want at least 0.9 and 0.77", e.recall(), e.precision())
	}
	for _, k := range []servicegen.Kind{servicegen.ErrorSpike, servicegen.LatencySpike, servicegen.LatencyDip, servicegen.TrafficDip} {
		if n := e.byKind[k]; n[0] == 0 || n[1] < n[0] {
			t.Errorf("%s: %d of %d detected; want all", k, n[1], n[0])
		}
	}
}

// TestStreamEvaluationDefaultStream reports the detector's numbers on the default stream (14 days,
// 3-day warm-up) with the default daily cycle: its first weekend comes before any weekly cycle
// could be learned, so the traffic of every service looks anomalous then, and the precision
// suffers (measured: recall 0.836, precision 0.376). The point incidents — spikes and dips — must
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
