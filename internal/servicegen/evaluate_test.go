package servicegen

import (
	"maps"
	"math"
	"slices"
	"testing"
	"time"
)

func at(h int) time.Time {
	return time.Date(2024, 1, 5, 0, 0, 0, 0, time.UTC).Add(time.Duration(h) * time.Hour)
}

func TestEvaluate(t *testing.T) {
	incidents := []Incident{
		{Service: "api", Kind: ErrorSpike, Start: at(10), End: at(11)},
		{Service: "api", Kind: LevelShift, Start: at(30), End: at(40)},
		{Service: "db", Kind: TrafficDip, Start: at(10), End: at(10)},
	}
	flag := func(svc string, h int) Flag { return Flag{Service: svc, Time: at(h)} }
	for _, tc := range []struct {
		name       string
		flags      []Flag
		tolerance  time.Duration
		detected   []bool
		delays     []time.Duration
		tp, nflags int
	}{
		{"no flags", nil, 0, []bool{false, false, false}, []time.Duration{0, 0, 0}, 0, 0},
		{"exact", []Flag{flag("api", 11), flag("api", 30), flag("db", 10)}, 0, []bool{true, true, true}, []time.Duration{time.Hour, 0, 0}, 3, 3},
		{"wrong service", []Flag{flag("db", 11), flag("web", 30)}, 0, []bool{false, false, false}, []time.Duration{0, 0, 0}, 0, 2},
		{"after the end", []Flag{flag("api", 12), flag("api", 41), flag("db", 11)}, 0, []bool{false, false, false}, []time.Duration{0, 0, 0}, 0, 3},
		{"after the end with tolerance", []Flag{flag("api", 12), flag("api", 41), flag("db", 11)}, time.Hour, []bool{true, true, true}, []time.Duration{2 * time.Hour, 11 * time.Hour, time.Hour}, 3, 3},
		{"before the start", []Flag{flag("api", 9), flag("api", 29)}, time.Hour, []bool{false, false, false}, []time.Duration{0, 0, 0}, 0, 2},
		{"earliest flag and duplicates", []Flag{flag("api", 35), flag("api", 33), flag("api", 33), flag("api", 50)}, 0, []bool{false, true, false}, []time.Duration{0, 3 * time.Hour, 0}, 2, 3},
		{"same instant in another zone", []Flag{{Service: "db", Time: at(10).In(time.FixedZone("x", 7200))}, flag("db", 10)}, 0, []bool{false, false, true}, []time.Duration{0, 0, 0}, 1, 1},
	} {
		e := Evaluate(tc.flags, incidents, tc.tolerance)
		var detected []bool
		var delays []time.Duration
		n := 0
		for _, d := range e.Detections {
			detected, delays = append(detected, d.Detected), append(delays, d.Delay)
			if d.Detected {
				n++
			}
		}
		if !slices.Equal(detected, tc.detected) || !slices.Equal(delays, tc.delays) || e.TruePositive != tc.tp || e.Flags != tc.nflags || e.Detected != n {
			t.Errorf("%s: detected %v delays %v tp %d/%d, want %v %v %d/%d", tc.name, detected, delays, e.TruePositive, e.Flags, tc.detected, tc.delays, tc.tp, tc.nflags)
		}
		wantPrecision := 1.0
		if tc.nflags > 0 {
			wantPrecision = float64(tc.tp) / float64(tc.nflags)
		}
		if math.Abs(e.Recall-float64(n)/3) > 1e-15 || math.Abs(e.Precision-wantPrecision) > 1e-15 {
			t.Errorf("%s: recall %v precision %v, want %v %v", tc.name, e.Recall, e.Precision, float64(n)/3, wantPrecision)
		}
		var maxDelay, sum time.Duration
		for _, d := range delays {
			maxDelay, sum = max(maxDelay, d), sum+d
		}
		if e.MaxDelay != maxDelay || (n > 0 && e.MeanDelay != sum/time.Duration(n)) {
			t.Errorf("%s: delays mean %v max %v, want %v %v", tc.name, e.MeanDelay, e.MaxDelay, sum/time.Duration(max(n, 1)), maxDelay)
		}
	}
	ramp := Incident{Service: "api", Kind: Ramp, Start: at(0), End: at(10), Cross: new(at(7))}
	e := Evaluate([]Flag{flag("api", 5), flag("api", 9)}, append(slices.Clone(incidents), ramp), 0)
	if d := e.Detections[3]; d.Lead != 2*time.Hour || d.Delay != 5*time.Hour {
		t.Errorf("ramp detection %+v, want lead 2h and delay 5h", d)
	}
	if d := e.Detections[0]; d.Lead != 0 {
		t.Errorf("lead %v for a spike, want 0", d.Lead)
	}
	if got, want := e.RecallByKind(), map[Kind]float64{ErrorSpike: 0, LevelShift: 0, TrafficDip: 0, Ramp: 1}; !maps.Equal(got, want) {
		t.Errorf("RecallByKind = %v, want %v", got, want)
	}
	if e := Evaluate(nil, nil, 0); e.Recall != 1 || e.Precision != 1 || e.Incidents != 0 {
		t.Errorf("empty evaluation %+v, want recall and precision 1", e)
	}
}

// TestEvaluateOracle flags exactly the windows the incidents changed (found by comparison with the
// stream without incidents): every incident is detected with precision 1.
func TestEvaluateOracle(t *testing.T) {
	s, clean := mustStream(t, defaultStream), mustStream(t, cleanStream)
	var flags []Flag
	for i, w := range s.Windows {
		if w != clean.Windows[i] {
			flags = append(flags, Flag{Service: w.Service, Time: w.Time})
		}
	}
	e := Evaluate(flags, s.Incidents, 0)
	if e.Recall != 1 || e.Precision != 1 {
		t.Errorf("oracle: %v, want recall and precision 1", e)
	}
	if e.String() == "" {
		t.Error("empty String")
	}
}

func TestFlagsFromMask(t *testing.T) {
	got := FlagsFromMask("api", []time.Time{at(0), at(1), at(2)}, []bool{true, false, true})
	want := []Flag{{"api", at(0)}, {"api", at(2)}}
	if !slices.Equal(got, want) {
		t.Errorf("FlagsFromMask = %v, want %v", got, want)
	}
	defer func() {
		if recover() == nil {
			t.Error("no panic on a length mismatch")
		}
	}()
	FlagsFromMask("api", []time.Time{at(0)}, nil)
}

func TestEvaluatePanicsOnNegativeTolerance(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic on a negative tolerance")
		}
	}()
	Evaluate(nil, nil, -time.Second)
}

func TestSeries(t *testing.T) {
	s := mustStream(t, defaultStream)
	for _, svc := range s.Services {
		for _, m := range Metrics {
			times, values, mask := s.Series(svc, m)
			if len(times) != 14*24 || len(values) != len(times) || len(mask) != len(times) {
				t.Fatalf("%s/%s: lengths %d %d %d", svc, m, len(times), len(values), len(mask))
			}
			incidents := s.IncidentsFor(svc, m)
			inside := 0
			for _, in := range incidents {
				if in.Service != svc || !in.Affects(m) {
					t.Fatalf("IncidentsFor(%s, %s) returned %+v", svc, m, in)
				}
				inside += int(in.End.Sub(in.Start)/time.Hour) + 1
			}
			count := 0
			for i, b := range mask {
				if b {
					count++
				}
				if j := slices.IndexFunc(s.Windows, func(w Window) bool { return w.Service == svc && w.Time.Equal(times[i]) }); s.Windows[j].Value(m) != values[i] {
					t.Fatalf("%s/%s: value %d mismatch", svc, m, i)
				}
			}
			if count != inside {
				t.Errorf("%s/%s: %d masked windows, incidents cover %d", svc, m, count, inside)
			}
		}
		if all := s.IncidentsFor(svc, ""); len(all) < 2 {
			t.Errorf("IncidentsFor(%s, \"\") = %d incidents", svc, len(all))
		}
	}
	if times, _, _ := s.Series("nope", ErrorRate); len(times) != 0 {
		t.Errorf("unknown service gives %d windows", len(times))
	}
}

func TestValuePanicsOnUnknownMetric(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic on an unknown metric")
		}
	}()
	Window{}.Value("cpu")
}
