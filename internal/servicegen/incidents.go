package servicegen

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// incidentGap is the minimum number of normal windows between two incidents of a service.
const incidentGap = 12

// Alerting thresholds of Phase 4's rules, which ramps cross.
const (
	errorRateThreshold  = 5.0   // percent, rule_error_rate_high
	latencyP99Threshold = 500.0 // ms, rule_latency_p99_high
)

// timeline describes the windows of one service for planning: their number, the warm-up in
// windows, the windows per day (0 when the step does not divide a day) and the index of the first
// window that starts at midnight UTC (−1 when none does).
type timeline struct{ n, warm, perDay, midnight int }

// draft is an incident being planned: its label, its length in windows and how it changes the
// k-th window it covers.
type draft struct {
	label      Incident
	length     int
	dayAligned bool // the first window starts at midnight UTC
	first      int  // index of the first window, once placed
	apply      func(e *effect, k int)
}

// newDraft draws the length and magnitude of an incident of the given card on service p.
func newDraft(c card, p profile, tl timeline, r *rand.Rand) draft {
	kind := c.kind
	short := 1 + r.IntN(3)
	d := draft{label: Incident{Service: p.name, Kind: kind}, length: short}
	set := func(metrics []Metric, magnitude float64, description string, apply func(e *effect, k int)) {
		d.label.Metrics, d.label.Magnitude, d.label.Description, d.apply = slices.Clone(metrics), magnitude, description, apply
	}
	switch kind {
	case ErrorSpike:
		m := round(5+25*r.Float64(), 2)
		set([]Metric{ErrorRate}, m, fmt.Sprintf("error rate jumps to %.2f %% for %s", m, spellWindows(short)),
			func(e *effect, _ int) { e.errorRate, e.errorSpike = m, true })
	case LatencySpike:
		m := round(3+7*r.Float64(), 2)
		set(latencyMetrics, m, fmt.Sprintf("p95, p99 and mean latency ×%.2f for %s", m, spellWindows(short)),
			func(e *effect, _ int) { e.latency, e.latencyLow = m, 1+(m-1)/4 })
	case LatencyDip:
		m := round(0.2+0.2*r.Float64(), 2)
		set(latencyMetrics, m, fmt.Sprintf("latency falls to %.0f %% (fast failures) for %s", 100*m, spellWindows(short)),
			func(e *effect, _ int) { e.latency, e.latencyLow = m, m })
	case TrafficDip:
		m := round(0.1+0.2*r.Float64(), 2)
		set(trafficMetrics, m, fmt.Sprintf("requests fall to %.0f %% of normal for %s", 100*m, spellWindows(short)),
			func(e *effect, _ int) { e.traffic = m })
	case LevelShift:
		d.length = 24 + r.IntN(49)
		d.levelShift(p, r)
	case Ramp:
		d.ramp(p, c.p99, r)
	case VarianceChange:
		d.length = 12 + r.IntN(25)
		if r.IntN(2) == 0 {
			set(latencyMetrics, 3, fmt.Sprintf("latency noise ×3 for %s", spellWindows(d.length)),
				func(e *effect, _ int) { e.latencyNoise = 3 })
		} else {
			set(trafficMetrics, 3, fmt.Sprintf("request noise ×3 for %s", spellWindows(d.length)),
				func(e *effect, _ int) { e.trafficNoise = 3 })
		}
	case PatternChange:
		d.length = 12 + r.IntN(25)
		m := round(1.25+0.15*r.Float64(), 2)
		set([]Metric{UniqueUsers, UniqueIPs, RiskScore}, m,
			fmt.Sprintf("IPs per user ×%.2f, users −8 %%, risk score +0.03 together for %s", m, spellWindows(d.length)),
			func(e *effect, _ int) { e.ipsPerUser, e.users, e.riskShift = m, 0.92, 0.03 })
	case SeasonalityBreak:
		d.length, d.dayAligned = tl.perDay, tl.midnight >= 0
		if tl.perDay == 0 {
			d.length = 24
		}
		if r.IntN(2) == 0 {
			set(trafficMetrics, 0, "the daily traffic shape vanishes for a day",
				func(e *effect, _ int) { e.seasonFlat = true })
		} else {
			m := float64(4 + r.IntN(5))
			if r.IntN(2) == 0 {
				m = -m
			}
			set(trafficMetrics, m, fmt.Sprintf("the daily traffic shape shifts by %+.0f h for a day", m),
				func(e *effect, _ int) { e.seasonShift = m })
		}
	default:
		panic(fmt.Sprintf("servicegen: unknown kind %q", string(kind)))
	}
	return d
}

// levelShift makes d a level shift of the latency, the error rate or the traffic.
func (d *draft) levelShift(p profile, r *rand.Rand) {
	l := d.length
	switch r.IntN(3) {
	case 0:
		m := round(1.6+0.9*r.Float64(), 2)
		d.label.Metrics, d.label.Magnitude = slices.Clone(latencyMetrics), m
		d.label.Description = fmt.Sprintf("latency moves to ×%.2f for %s", m, spellWindows(l))
		d.apply = func(e *effect, _ int) { e.latency, e.latencyLow = m, m }
	case 1:
		// Stay below the 5 % threshold at peak load: p₀·m·1.3 ≤ 3.9.
		m := round(min(3+2*r.Float64(), 3/p.errorRate), 2)
		d.label.Metrics, d.label.Magnitude = []Metric{ErrorRate}, m
		d.label.Description = fmt.Sprintf("error rate moves to ×%.2f for %s", m, spellWindows(l))
		d.apply = func(e *effect, _ int) { e.errorFactor = m }
	default:
		m := round(0.5+0.2*r.Float64(), 2)
		if r.IntN(2) == 0 {
			m = round(1.5+0.5*r.Float64(), 2)
		}
		d.label.Metrics, d.label.Magnitude = slices.Clone(trafficMetrics), m
		d.label.Description = fmt.Sprintf("traffic moves to ×%.2f for %s", m, spellWindows(l))
		d.apply = func(e *effect, _ int) { e.traffic = m }
	}
}

// ramp makes d a slow ramp of the error rate, or of p99, that crosses the alerting threshold at
// its end and holds there for 1–2 windows.
func (d *draft) ramp(p profile, p99 bool, r *rand.Rand) {
	steps := 8 + r.IntN(17)
	hold := 1 + r.IntN(2)
	d.length = steps + hold
	frac := func(k int) float64 { return float64(min(k+1, steps)) / float64(steps) }
	if p99 {
		m := round(580+120*r.Float64(), 2)
		typical := p.p50 * (1 + 0.25*0.25) * p.p95Ratio * p.p99Ratio // p99 at half load
		d.label.Metrics, d.label.Magnitude, d.label.Threshold = []Metric{LatencyP95, LatencyP99, LatencyMean}, m, latencyP99Threshold
		d.label.Description = fmt.Sprintf("p99 latency ramps from about %.0f ms to %.0f ms over %s and holds %d", typical, m, spellWindows(steps), hold)
		d.apply = func(e *effect, k int) {
			e.p99Add = (m - typical) * frac(k)
			if k >= steps-1 {
				e.p99AtLeast = latencyP99Threshold
			}
		}
		return
	}
	m := round(6.5+2.5*r.Float64(), 2)
	d.label.Metrics, d.label.Magnitude, d.label.Threshold = []Metric{ErrorRate}, m, errorRateThreshold
	d.label.Description = fmt.Sprintf("error rate ramps from %.2f %% to %.2f %% over %s and holds %d", p.errorRate, m, spellWindows(steps), hold)
	d.apply = func(e *effect, k int) {
		e.errorRate = p.errorRate + (m-p.errorRate)*frac(k)
		if k >= steps-1 {
			e.errorAtLeast = errorRateThreshold
		}
	}
}

// card is one dealt incident: its kind and, for a ramp, whether it ramps p99 rather than the
// error rate.
type card struct {
	kind Kind
	p99  bool
}

// planDecks deals the incident kinds to the services: about IncidentsPerWeek·Days/7 per service
// (varied by ±1 between random pairs), from a shuffled deck that holds every kind in turn, so all
// kinds appear about equally often. Half the ramps (rounded down) ramp p99, on services with
// headroom below 500 ms; a ramp card is swapped with another card of such a service if needed.
func planDecks(cfg Config, profiles []profile, r *rand.Rand) [][]card {
	s := cfg.Services
	total := int(math.Round(cfg.IncidentsPerWeek * float64(cfg.Days) / 7 * float64(s)))
	counts := make([]int, s)
	base := total / s
	perm := r.Perm(s)
	for j, i := range perm {
		counts[i] = base
		if j < total%s {
			counts[i]++
		}
	}
	perm = r.Perm(s)
	for j := 0; j+1 < len(perm); j += 2 {
		if a, b := perm[j], perm[j+1]; r.IntN(2) == 0 && counts[a] > 1 && counts[a] >= base {
			counts[a]--
			counts[b]++
		}
	}
	deck := make([]card, total)
	for j := range deck {
		deck[j] = card{kind: Kinds[j%len(Kinds)]}
	}
	r.Shuffle(len(deck), func(i, j int) { deck[i], deck[j] = deck[j], deck[i] })
	owner := make([]int, 0, total) // owner[j] is the service of deck[j]
	for i, c := range counts {
		for range c {
			owner = append(owner, i)
		}
	}
	markP99Ramps(deck, owner, profiles)
	decks := make([][]card, s)
	for i, c := range counts {
		decks[i], deck = deck[:c], deck[c:]
	}
	return decks
}

// markP99Ramps marks half the ramp cards (rounded down) as p99 ramps, preferring ramps already
// dealt to services with headroom and otherwise swapping a ramp with a non-ramp card of such a
// service.
func markP99Ramps(deck []card, owner []int, profiles []profile) {
	var ramps []int
	for j, c := range deck {
		if c.kind == Ramp {
			ramps = append(ramps, j)
		}
	}
	quota := len(ramps) / 2
	for _, j := range ramps {
		if quota > 0 && profiles[owner[j]].p99Ramp {
			deck[j].p99 = true
			quota--
		}
	}
	for _, j := range ramps {
		if quota == 0 {
			return
		}
		if deck[j].p99 {
			continue
		}
		for k, c := range deck {
			if c.kind != Ramp && profiles[owner[k]].p99Ramp {
				deck[j], deck[k] = deck[k], card{kind: Ramp, p99: true}
				quota--
				break
			}
		}
	}
}

// place puts the drafts at random windows in [warm, n−2], longest first, so that any two are at
// least incidentGap windows apart; day-aligned drafts start at midnight UTC.
func place(drafts []draft, tl timeline, r *rand.Rand) error {
	order := make([]int, len(drafts))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(drafts[b].length, drafts[a].length) })
	for range 100 {
		if placeOnce(drafts, order, tl, r) {
			return nil
		}
	}
	return ErrNoRoom
}

func placeOnce(drafts []draft, order []int, tl timeline, r *rand.Rand) bool {
	var taken [][2]int
	for _, i := range order {
		d := &drafts[i]
		hi := tl.n - 1 - d.length // the last window stays normal
		if hi < tl.warm {
			return false
		}
		placed := false
		for range 200 {
			first := tl.warm + r.IntN(hi-tl.warm+1)
			if d.dayAligned { // round up to the next midnight
				first = tl.midnight + (first-tl.midnight+tl.perDay-1)/tl.perDay*tl.perDay
				if first > hi {
					continue
				}
			}
			last := first + d.length - 1
			if slices.ContainsFunc(taken, func(t [2]int) bool { return first-incidentGap <= t[1] && t[0] <= last+incidentGap }) {
				continue
			}
			d.first, placed = first, true
			taken = append(taken, [2]int{first, last})
			break
		}
		if !placed {
			return false
		}
	}
	return true
}

// finish returns the label of a placed draft; for a ramp it finds the crossing in the service's
// windows.
func (d draft) finish(windows []Window) Incident {
	in := d.label
	in.Start = windows[d.first].Time
	in.End = windows[d.first+d.length-1].Time
	if d.label.Kind == Ramp {
		m := ErrorRate
		if d.label.Threshold == latencyP99Threshold {
			m = LatencyP99
		}
		for _, w := range windows[d.first : d.first+d.length] {
			if w.Value(m) > d.label.Threshold {
				t := w.Time
				in.Cross = &t
				break
			}
		}
	}
	return in
}

// spellWindows spells a number of windows: "1 window", "3 windows".
func spellWindows(n int) string {
	if n == 1 {
		return "1 window"
	}
	return fmt.Sprintf("%d windows", n)
}
