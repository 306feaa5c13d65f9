package omen

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/stacklens/omen/patterns"
	"github.com/stacklens/omen/severity"
)

// detPatternMetric is the metric name of pattern shifts, as in the original service.
const detPatternMetric = "service_pattern"

// detShapeNames name the coordinates in which patterns are found. Counts and latencies enter as
// logarithms and traffic-dependent counts as ratios (users per request, IPs per user), so that a
// pattern is a way the service behaves — how its errors, latencies, users and risk relate to each
// other and to its traffic — rather than a traffic level: the daily cycle moves a window along
// its pattern, a changed mix of clients moves it off every pattern.
var detShapeNames = [8]string{
	"log_error_rate", "log_latency_p99", "log_latency_p95", "log_latency_mean",
	"log_users_per_request", "log_ips_per_user", "risk_score", "log_total_requests",
}

// detShape returns the window's coordinates in the pattern space (detShapeNames).
func detShape(m Metrics) [8]float64 {
	req, users, ips := float64(m.TotalRequests), float64(m.UniqueUsers), float64(m.UniqueIPs)
	return [8]float64{
		math.Log1p(m.ErrorRate), math.Log1p(m.LatencyP99), math.Log1p(m.LatencyP95), math.Log1p(m.LatencyMean),
		math.Log1p(users) - math.Log1p(req), math.Log1p(ips) - math.Log1p(users), m.RiskScore, math.Log1p(req),
	}
}

// detMinShiftScore is the smallest calibrated score of a pattern distance reported as a shift:
// a run of windows just outside a pattern's radius, as early patterns found on few windows
// produce, is not a shift.
const detMinShiftScore = 25

// detMinPatternRadius is the smallest radius of a pattern, in the standardised units of the
// pattern space. A history of identical windows (an idle service: every count zero) makes a
// pattern of DBSCAN's tiny ε, against which any other window lies infinitely or absurdly far;
// with the floor such a window lies a finite distance outside it. Members of a pattern found
// in ordinary traffic lie about √8 ≈ 2.8 standard deviations from its centre, so the floor
// does not touch those.
const detMinPatternRadius = 0.5

// detSignature is one known pattern of a service.
type detSignature struct {
	id     int
	center [8]float64 // in the pattern space
	radius float64    // standardised: the cluster's robust radius (see reach)
	raw    [8]float64 // mean raw features of the members, in the order of FeatureNames
	size   int
	first  time.Time
	last   time.Time
	// born is the first window of the pattern when its ID was given: with the ID it names the
	// pattern's record, which must not change when a later training pulls an earlier window
	// into the pattern (first moves, born does not).
	born time.Time
	// occurrences counts the windows in the pattern: its members when found, then every window
	// observed within its radius.
	occurrences int
}

// reach returns the radius member distances are divided by: the cluster's, at least
// detMinPatternRadius.
func (sig *detSignature) reach() float64 {
	return max(sig.radius, detMinPatternRadius)
}

// detPatterns finds the service's patterns by DBSCAN (package patterns) at each training, keeps
// their IDs across trainings, and reports a pattern shift when ShiftWindows windows in a row lie
// outside every pattern.
type detPatterns struct {
	scale      [8]float64 // the training's standard scaler's scales in the pattern space
	sigs       []detSignature
	nextID     int
	shift      patterns.ShiftDetector
	calibrator severity.Calibrator
}

func newDetPatterns(cfg DetectorConfig) detPatterns {
	return detPatterns{
		nextID:     1,
		shift:      *patterns.NewShiftDetector(patterns.ShiftConfig{Windows: cfg.ShiftWindows}),
		calibrator: *severity.New(severity.Config{WarmUp: cfg.MinHistory, TailQuantile: 0.5, Levels: cfg.Levels}),
	}
}

// match returns the standardised distance of x to its nearest pattern and that pattern's index
// (the first pattern's when every distance is infinite), or +Inf and −1 without patterns:
// ‖(x − c_p)/s‖ / r_p, as patterns.Model.Match measures it.
func (p *detPatterns) match(x [8]float64) (float64, int) {
	if len(p.sigs) == 0 {
		return math.Inf(1), -1
	}
	best, at := math.Inf(1), 0
	for i := range p.sigs {
		if d := p.distance(x, p.sigs[i].center) / p.sigs[i].reach(); d < best {
			best, at = d, i
		}
	}
	return best, at
}

// distance is the scaled Euclidean distance between two points of the pattern space.
func (p *detPatterns) distance(a, b [8]float64) float64 {
	var ss float64
	for j := range a {
		z := (a[j] - b[j]) / p.scale[j]
		ss += z * z
	}
	return math.Sqrt(ss)
}

// observe matches m against the patterns and appends a pattern shift while the service stays
// away from all of them.
func (p *detPatterns) observe(s *detService, m Metrics, out []Anomaly) []Anomaly {
	if len(p.sigs) == 0 {
		p.shift.Add(math.NaN())
		return out
	}
	d, nearest := p.match(detShape(m))
	if d <= 1 {
		p.sigs[nearest].occurrences++
	}
	p.shift.Add(d)
	shifted := p.shift.Run() >= s.cfg.ShiftWindows // the Detector's, not a restored snapshot's
	cal := p.calibrator.Calibrate(d)
	if !shifted || cal.Score < detMinShiftScore {
		p.calibrator.Learn(d)
		return out
	}
	a := Anomaly{
		ID:               RecordID(s.name, string(PatternShift), detPatternMetric, m.Timestamp),
		Service:          s.name,
		Type:             PatternShift,
		Severity:         detSeverity(s.cfg.Levels.Of(cal.Score)),
		Score:            cal.Score,
		Timestamp:        m.Timestamp,
		Metric:           detPatternMetric,
		Value:            min(d, detMaxPercent),
		Baseline:         1,
		DeviationPercent: detPercent(100 * (d - 1)),
		Confidence:       cal.Confidence,
	}
	a.Description = fmt.Sprintf("behaviour outside every known pattern for %d windows: standardised distance %.2f to the nearest, pattern %d",
		p.shift.Run(), d, p.sigs[nearest].id)
	return append(out, a)
}

// train finds the patterns of the history, carries the IDs of earlier patterns over to the new
// clusters that match them, and returns the records of the patterns found and of those that
// disappeared (inactive).
func (p *detPatterns) train(s *detService) []Pattern {
	windows := s.history.all()
	X := make([][]float64, len(windows))
	for i, m := range windows {
		x := detShape(m)
		X[i] = x[:]
	}
	model, err := patterns.Fit(X, s.history.times(), patterns.Config{})
	if err != nil { // only for values too large to scale: keep the patterns known so far
		return nil
	}
	copy(p.scale[:], model.Scaler().Scale())

	labels := model.Labels()
	found := model.Patterns()
	next := make([]detSignature, len(found))
	for k, f := range found {
		sig := &next[k]
		copy(sig.center[:], f.Center)
		sig.radius, sig.size, sig.first, sig.last = f.Radius, f.Size, f.FirstSeen, f.LastSeen
		sig.born = sig.first
		sig.occurrences = f.Size
		for i, l := range labels {
			if l == f.ID {
				raw := windows[i].Features()
				for j := range raw {
					sig.raw[j] += raw[j] / float64(f.Size)
				}
			}
		}
	}
	matched := p.carryIDs(next)

	var out []Pattern
	for _, sig := range next {
		out = append(out, p.record(s, sig, true, len(windows)))
	}
	for i, old := range p.sigs {
		if !matched[i] {
			out = append(out, p.record(s, old, false, len(windows)))
		}
	}
	p.sigs = next
	return out
}

// carryIDs gives each new signature the ID of the earlier pattern it matches — the nearest whose
// centre lies within the larger of the two radii, closest pairs first, one to one — or a fresh
// one. It reports which earlier patterns were matched.
func (p *detPatterns) carryIDs(next []detSignature) []bool {
	type pair struct {
		k, o int
		d    float64
	}
	var pairs []pair
	for k := range next {
		for o := range p.sigs {
			d := p.distance(next[k].center, p.sigs[o].center)
			if d <= max(next[k].reach(), p.sigs[o].reach()) {
				pairs = append(pairs, pair{k, o, d})
			}
		}
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		return cmp.Or(cmp.Compare(a.d, b.d), cmp.Compare(a.k, b.k), cmp.Compare(a.o, b.o))
	})
	taken := make([]bool, len(next))
	matched := make([]bool, len(p.sigs))
	for _, pr := range pairs {
		if taken[pr.k] || matched[pr.o] {
			continue
		}
		taken[pr.k], matched[pr.o] = true, true
		old := p.sigs[pr.o]
		sig := &next[pr.k]
		sig.id, sig.born = old.id, old.born
		if old.first.Before(sig.first) {
			sig.first = old.first
		}
		if old.last.After(sig.last) {
			// Never back: the store takes a pattern's record only if it is as recent as the last.
			sig.last = old.last
		}
		sig.occurrences = max(sig.occurrences, old.occurrences)
	}
	for k := range next {
		if !taken[k] {
			next[k].id = p.nextID
			p.nextID++
		}
	}
	return matched
}

// record returns the Pattern record of a signature found in a history of n windows.
func (p *detPatterns) record(s *detService, sig detSignature, active bool, n int) Pattern {
	return Pattern{
		ID:          RecordID(s.name, "pattern", strconv.Itoa(sig.id), sig.born),
		Service:     s.name,
		Name:        patternName(s.name, sig.id),
		Type:        "behaviour",
		WindowSize:  sig.size,
		Confidence:  float64(sig.size) / float64(n),
		Vector:      slices.Clone(sig.raw[:]),
		Features:    slices.Clone(FeatureNames[:]),
		Occurrences: sig.occurrences,
		FirstSeen:   sig.first,
		LastSeen:    sig.last,
		Active:      active,
	}
}

// patternName returns "<service> pattern <id>", the service's name cut short (by characters)
// when the whole would exceed MaxServiceName characters, the width of the name column.
func patternName(service string, id int) string {
	suffix := " pattern " + strconv.Itoa(id)
	if keep := MaxServiceName - utf8.RuneCountInString(suffix); utf8.RuneCountInString(service) > keep {
		service = string([]rune(service)[:keep])
	}
	return service + suffix
}
