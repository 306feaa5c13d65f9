package servicegen

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"sync"
	"testing"
	"time"
)

// defaultStream generates the default stream once per test binary.
var defaultStream = sync.OnceValues(func() (Stream, error) { return Generate(Config{Seed: 1}) })

// cleanStream is the default stream without incidents.
var cleanStream = sync.OnceValues(func() (Stream, error) { return Generate(Config{Seed: 1, NoIncidents: true}) })

func mustStream(t *testing.T, f func() (Stream, error)) Stream {
	t.Helper()
	s, err := f()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDeterminism(t *testing.T) {
	encode := func(cfg Config) []byte {
		s, err := Generate(cfg)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := WriteJSONLines(&b, s, Mixed); err != nil {
			t.Fatal(err)
		}
		if err := WriteLabels(&b, s.Incidents); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	for _, cfg := range []Config{{Seed: 7}, {Seed: 7, Services: 14, Days: 10, Step: 30 * time.Minute}} {
		a, b := encode(cfg), encode(cfg)
		if !bytes.Equal(a, b) {
			t.Errorf("%+v: two runs differ", cfg)
		}
		other := cfg
		other.Seed++
		if bytes.Equal(a, encode(other)) {
			t.Errorf("%+v: seeds %d and %d give the same bytes", cfg, cfg.Seed, other.Seed)
		}
	}
}

func TestDefaults(t *testing.T) {
	s := mustStream(t, defaultStream)
	want := Config{Seed: 1, Services: 8, Days: 14, Step: time.Hour, Start: DefaultStart, WarmUp: 72 * time.Hour, IncidentsPerWeek: 1.5}
	if s.Config != want {
		t.Errorf("Config = %+v, want %+v", s.Config, want)
	}
	wantServices := []string{"api", "auth", "cache", "db", "payments", "queue", "search", "web"}
	if !slices.Equal(s.Services, wantServices) {
		t.Errorf("Services = %v, want %v", s.Services, wantServices)
	}
	if got, want := len(s.Windows), 8*14*24; got != want {
		t.Errorf("%d windows, want %d", got, want)
	}
}

// TestWindowInvariants checks every window of the default stream and of a stream with another
// step, more services and an offset start.
func TestWindowInvariants(t *testing.T) {
	other, err := Generate(Config{Seed: 3, Services: 26, Days: 8, Step: 5 * time.Minute, Start: time.Date(2025, 3, 1, 12, 0, 0, 0, time.FixedZone("x", 3600))})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []Stream{mustStream(t, defaultStream), other} {
		checkWindows(t, s)
		breaks := 0
		for _, in := range s.Incidents {
			if in.Kind == SeasonalityBreak {
				breaks++
				if in.Start.Hour() != 0 || in.Start.Minute() != 0 || in.End.Sub(in.Start) != 24*time.Hour-s.Config.Step {
					t.Errorf("seasonality break from %v to %v, want a UTC day", in.Start, in.End)
				}
			}
		}
		if breaks == 0 {
			t.Errorf("step %v: no seasonality break", s.Config.Step)
		}
	}
}

func checkWindows(t *testing.T, s Stream) {
	t.Helper()
	n := len(s.Windows) / len(s.Services)
	if len(s.Windows) != n*len(s.Services) || n != s.Config.windows() {
		t.Fatalf("%d windows for %d services and %d steps", len(s.Windows), len(s.Services), s.Config.windows())
	}
	if !slices.IsSorted(s.Services) || len(slices.Compact(slices.Clone(s.Services))) != len(s.Services) {
		t.Errorf("services not sorted and distinct: %v", s.Services)
	}
	for i, w := range s.Windows {
		step, svc := i/len(s.Services), i%len(s.Services)
		if want := s.Config.Start.Add(time.Duration(step) * s.Config.Step); !w.Time.Equal(want) || w.Time.Location() != time.UTC {
			t.Fatalf("window %d at %v, want %v UTC", i, w.Time, want)
		}
		if w.Service != s.Services[svc] || w.Step != s.Config.Step {
			t.Fatalf("window %d is %s/%v, want %s/%v", i, w.Service, w.Step, s.Services[svc], s.Config.Step)
		}
		counts := []int64{w.TotalRequests, w.FailedRequests, w.UniqueUsers, w.UniqueIPs, w.HighRiskCount}
		if slices.Min(counts) < 0 || w.FailedRequests > w.TotalRequests || w.UniqueUsers > w.TotalRequests ||
			w.UniqueIPs > w.TotalRequests || w.HighRiskCount > w.TotalRequests {
			t.Fatalf("window %d: bad counts %+v", i, w)
		}
		if w.TotalRequests > 0 && (w.UniqueUsers < 1 || w.UniqueIPs < 1) {
			t.Fatalf("window %d: requests without users or IPs %+v", i, w)
		}
		wantRate := 0.0
		if w.TotalRequests > 0 {
			wantRate = 100 * float64(w.FailedRequests) / float64(w.TotalRequests)
		}
		if math.Abs(w.ErrorRate-wantRate) > 0.5e-4 {
			t.Fatalf("window %d: error rate %v, want %v", i, w.ErrorRate, wantRate)
		}
		if !(0 <= w.LatencyMin && w.LatencyMin <= w.LatencyP50 && w.LatencyP50 <= w.LatencyP95 && w.LatencyP95 <= w.LatencyP99 &&
			w.LatencyP99 <= w.LatencyMax && w.LatencyP50 <= w.LatencyMean && w.LatencyMean <= w.LatencyP95) {
			t.Fatalf("window %d: latencies out of order %+v", i, w)
		}
		if !(w.RiskScore >= 0 && w.RiskScore <= 1) {
			t.Fatalf("window %d: risk score %v", i, w.RiskScore)
		}
		for _, m := range Metrics {
			if v := w.Value(m); math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("window %d: %s = %v", i, m, v)
			}
		}
	}
}

func TestIncidentInvariants(t *testing.T) {
	s := mustStream(t, defaultStream)
	kinds := map[Kind]int{}
	perService := map[string][]Incident{}
	warmEnd := s.Config.Start.Add(s.Config.WarmUp)
	last := s.Windows[len(s.Windows)-1].Time
	for _, in := range s.Incidents {
		kinds[in.Kind]++
		perService[in.Service] = append(perService[in.Service], in)
		if err := in.validate(); err != nil {
			t.Errorf("%+v: %v", in, err)
		}
		if in.Start.Before(warmEnd) {
			t.Errorf("%s %s starts at %v, in the warm-up", in.Service, in.Kind, in.Start)
		}
		if !in.End.Before(last) {
			t.Errorf("%s %s ends at %v, the last window", in.Service, in.Kind, in.End)
		}
	}
	for _, k := range Kinds {
		if kinds[k] < 2 {
			t.Errorf("kind %s appears %d times, want ≥ 2", k, kinds[k])
		}
	}
	for _, svc := range s.Services {
		ins := perService[svc]
		if len(ins) < 2 || len(ins) > 4 {
			t.Errorf("%s has %d incidents, want 2–4", svc, len(ins))
		}
		for j := 1; j < len(ins); j++ {
			if gap := ins[j].Start.Sub(ins[j-1].End); gap <= incidentGap*time.Hour {
				t.Errorf("%s: incidents %v and %v only %v apart", svc, ins[j-1], ins[j], gap)
			}
		}
	}
	if !slices.IsSortedFunc(s.Incidents, func(a, b Incident) int { return a.Start.Compare(b.Start) }) {
		t.Error("incidents not sorted by start")
	}
}

// TestIncidentsChangeOnlyTheirWindows compares the default stream with the same stream without
// incidents: windows outside every incident are identical, and each incident changes each of its
// metrics in some window.
func TestIncidentsChangeOnlyTheirWindows(t *testing.T) {
	s, clean := mustStream(t, defaultStream), mustStream(t, cleanStream)
	for i, w := range s.Windows {
		inside := slices.ContainsFunc(s.Incidents, func(in Incident) bool { return in.Service == w.Service && in.Covers(w.Time, 0) })
		if !inside && w != clean.Windows[i] {
			t.Fatalf("window %d (%s %v) outside incidents differs:\n%+v\n%+v", i, w.Service, w.Time, w, clean.Windows[i])
		}
	}
	for _, in := range s.Incidents {
		for _, m := range in.Metrics {
			changed := false
			for i, w := range s.Windows {
				if w.Service == in.Service && in.Covers(w.Time, 0) && w.Value(m) != clean.Windows[i].Value(m) {
					changed = true
				}
			}
			if !changed {
				t.Errorf("%s %s at %v never changes %s", in.Service, in.Kind, in.Start, m)
			}
		}
	}
}

func TestRampsCrossTheirThreshold(t *testing.T) {
	s := mustStream(t, defaultStream)
	variants := map[float64]int{}
	for _, in := range s.Incidents {
		if in.Kind != Ramp {
			continue
		}
		variants[in.Threshold]++
		m := ErrorRate
		if in.Threshold == latencyP99Threshold {
			m = LatencyP99
		}
		times, values, _ := s.Series(in.Service, m)
		for i, tm := range times {
			switch {
			case tm.Equal(*in.Cross) && values[i] <= in.Threshold:
				t.Errorf("%s ramp: %s = %v at the crossing %v, not above %v", in.Service, m, values[i], tm, in.Threshold)
			case tm.Before(*in.Cross) && !tm.Before(in.Start) && values[i] > in.Threshold:
				t.Errorf("%s ramp: %s = %v at %v, above %v before the crossing", in.Service, m, values[i], tm, in.Threshold)
			case tm.Equal(in.End) && values[i] <= in.Threshold:
				t.Errorf("%s ramp: %s = %v at the end %v, not above %v", in.Service, m, values[i], tm, in.Threshold)
			}
		}
		if in.Cross.Sub(in.Start) < 3*time.Hour {
			t.Errorf("%s ramp crosses %v after its start: no room to warn", in.Service, in.Cross.Sub(in.Start))
		}
	}
	if variants[errorRateThreshold] == 0 || variants[latencyP99Threshold] == 0 {
		t.Errorf("ramps by threshold %v, want both error-rate and p99 ramps", variants)
	}
}

// TestRealism checks the structure of normal operation per service: weekly and daily
// seasonality, error rates of 0.2–1 %, latency rising with load, users tied to traffic.
func TestRealism(t *testing.T) {
	s := mustStream(t, cleanStream)
	var volumes []float64
	for _, svc := range s.Services {
		times, req, _ := s.Series(svc, TotalRequests)
		_, errRate, _ := s.Series(svc, ErrorRate)
		_, p50, _ := s.Series(svc, LatencyP50)
		_, users, _ := s.Series(svc, UniqueUsers)
		if r := autocorrelation(req, 24); r <= 0.5 {
			t.Errorf("%s: requests autocorrelation at lag 24 = %.3f, want > 0.5", svc, r)
		}
		var weekday, weekend []float64
		for i, tm := range times {
			if wd := tm.Weekday(); wd == time.Saturday || wd == time.Sunday {
				weekend = append(weekend, req[i])
			} else {
				weekday = append(weekday, req[i])
			}
		}
		if a, b := mean(weekend), mean(weekday); a >= 0.95*b {
			t.Errorf("%s: weekend mean requests %.0f, weekday %.0f: weekends not lower", svc, a, b)
		}
		if m := mean(errRate); m < 0.2 || m > 1 {
			t.Errorf("%s: mean error rate %.3f %%, want 0.2–1 %%", svc, m)
		}
		if r := correlation(req, p50); r < 0.3 {
			t.Errorf("%s: correlation of requests and p50 = %.3f, want ≥ 0.3", svc, r)
		}
		if r := correlation(req, users); r < 0.9 {
			t.Errorf("%s: correlation of requests and users = %.3f, want ≥ 0.9", svc, r)
		}
		volumes = append(volumes, mean(req))
	}
	if ratio := slices.Max(volumes) / slices.Min(volumes); ratio < 30 {
		t.Errorf("service volumes span ×%.0f, want levels differing by orders of magnitude", ratio)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{
		{Services: -1}, {Days: -2}, {Days: 40000}, {Step: time.Millisecond}, {Step: 25 * time.Hour}, {Step: -time.Hour},
		{WarmUp: -time.Hour}, {Services: 5000, Days: 100}, {Services: 1 << 40}, {IncidentsPerWeek: -1}, {IncidentsPerWeek: math.NaN()}, {IncidentsPerWeek: math.Inf(1)},
	} {
		if _, err := Generate(cfg); err == nil {
			t.Errorf("Generate(%+v) succeeded, want an error", cfg)
		}
	}
	if _, err := Generate(Config{Days: 4}); !errors.Is(err, ErrNoRoom) {
		t.Errorf("Generate(Days: 4) = %v, want ErrNoRoom", err)
	}
	s, err := Generate(Config{Days: 1, NoIncidents: true})
	if err != nil || len(s.Windows) != 8*24 || len(s.Incidents) != 0 {
		t.Errorf("Generate(Days: 1, NoIncidents) = %d windows, %d incidents, %v", len(s.Windows), len(s.Incidents), err)
	}
}

func autocorrelation(x []float64, lag int) float64 {
	m := mean(x)
	var num, den float64
	for i, v := range x {
		den += (v - m) * (v - m)
		if i >= lag {
			num += (v - m) * (x[i-lag] - m)
		}
	}
	return num / den
}

func correlation(x, y []float64) float64 {
	mx, my := mean(x), mean(y)
	var sxy, sxx, syy float64
	for i := range x {
		sxy += (x[i] - mx) * (y[i] - my)
		sxx += (x[i] - mx) * (x[i] - mx)
		syy += (y[i] - my) * (y[i] - my)
	}
	return sxy / math.Sqrt(sxx*syy)
}

func mean(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// TestIncidentsShowOnQuietWindows: error spikes on windows with little or no traffic still show
// in the data (seed 69 with 24 services once labelled an 8.7 % spike on a window of 19 requests
// and no failure).
func TestIncidentsShowOnQuietWindows(t *testing.T) {
	s, err := Generate(Config{Seed: 69, Services: 24})
	if err != nil {
		t.Fatal(err)
	}
	spikes := 0
	for _, in := range s.Incidents {
		if in.Kind != ErrorSpike {
			continue
		}
		spikes++
		for _, w := range s.Windows {
			if w.Service == in.Service && !w.Time.Before(in.Start) && !w.Time.After(in.End) && w.ErrorRate == 0 {
				t.Errorf("%s at %v: error rate 0 in a labelled spike", in.Service, w.Time)
			}
		}
	}
	if spikes == 0 {
		t.Fatal("no error spike")
	}
}

// TestRampCrossesOnQuietWindows: a ramp whose top falls on windows without requests still
// crosses its threshold, and its labels read back (seed 18 with minute steps once ended a ramp
// on an idle window: no crossing, and ReadLabels refused the labels).
func TestRampCrossesOnQuietWindows(t *testing.T) {
	s, err := Generate(Config{Seed: 18, Services: 24, Step: time.Minute, Days: 5, WarmUp: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range s.Incidents {
		if in.Kind == Ramp && in.Cross == nil {
			t.Errorf("%s ramp from %v without a crossing", in.Service, in.Start)
		}
	}
	var b bytes.Buffer
	if err := WriteLabels(&b, s.Incidents); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadLabels(&b); err != nil {
		t.Errorf("the labels do not read back: %v", err)
	}
}
