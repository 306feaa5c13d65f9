package servicegen

import (
	"math"
	"slices"
	"testing"
	"time"
)

// seasonalFlags is a naive reference detector: it flags the windows whose log1p value departs
// from the median of the same hour on up to seven previous days of the same type (weekday or
// weekend) by more than k robust deviations (1.4826 × the median absolute residual of the
// previous week's unflagged windows). It learns nothing until a same-type day and 24 residuals
// are available.
func seasonalFlags(times []time.Time, values []float64, k float64) []bool {
	weekend := func(t time.Time) bool { wd := t.Weekday(); return wd == time.Saturday || wd == time.Sunday }
	x := make([]float64, len(values))
	for i, v := range values {
		x[i] = math.Log1p(v)
	}
	res := make([]float64, len(x))
	has := make([]bool, len(x))
	flags := make([]bool, len(x))
	for t := range x {
		var same []float64
		for d := 1; d <= 7 && t-24*d >= 0; d++ {
			if weekend(times[t-24*d]) == weekend(times[t]) {
				same = append(same, x[t-24*d])
			}
		}
		if len(same) == 0 {
			continue
		}
		slices.Sort(same)
		res[t], has[t] = x[t]-same[len(same)/2], true
		var past []float64
		for u := max(0, t-168); u < t; u++ {
			if has[u] && !flags[u] {
				past = append(past, math.Abs(res[u]))
			}
		}
		if len(past) < 24 {
			continue
		}
		slices.Sort(past)
		flags[t] = math.Abs(res[t]) > k*1.4826*past[len(past)/2]
	}
	return flags
}

func referenceFlags(s Stream) []Flag {
	var flags []Flag
	for _, svc := range s.Services {
		for _, m := range Metrics {
			times, values, _ := s.Series(svc, m)
			flags = append(flags, FlagsFromMask(svc, times, seasonalFlags(times, values, 6))...)
		}
	}
	return flags
}

// TestIncidentsStandOut checks that incidents are sized against the noise: the naive reference
// detector at 6 robust deviations raises no flag on normal operation, and finds every spike, dip
// and seasonality break of the default stream.
func TestIncidentsStandOut(t *testing.T) {
	if flags := referenceFlags(mustStream(t, cleanStream)); len(flags) > 0 {
		t.Errorf("the reference detector flags %d windows of normal operation, first %v", len(flags), flags[0])
	}
	s := mustStream(t, defaultStream)
	e := Evaluate(referenceFlags(s), s.Incidents, time.Hour)
	t.Logf("reference detector on the default stream: %v; by kind %v", e, e.RecallByKind())
	byKind := e.RecallByKind()
	for _, k := range []Kind{ErrorSpike, LatencySpike, LatencyDip, TrafficDip, SeasonalityBreak} {
		if byKind[k] != 1 {
			t.Errorf("the reference detector finds %.2f of the %s incidents, want all", byKind[k], k)
		}
	}
}
