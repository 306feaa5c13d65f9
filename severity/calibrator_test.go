package severity

import (
	"math"
	"math/rand/v2"
	"testing"
)

// trainNormal returns a calibrator that learned n standard normal values.
func trainNormal(n int, seed uint64) *Calibrator {
	rng := rand.New(rand.NewPCG(seed, 0))
	c := New(Config{})
	for range n {
		c.Add(rng.NormFloat64())
	}
	return c
}

// TestCalibratorTailProbabilityNormal compares the calibrated tail probability of standard normal
// values with the exact survival function 0.5·erfc(x/√2). The body is the t-digest's; beyond the
// threshold the tail is held at ξ = 0 (the fit of a normal tail at moderate thresholds has ξ < 0),
// so estimates must be close below about 3 and conservative — higher than the truth, never much
// lower — further out.
func TestCalibratorTailProbabilityNormal(t *testing.T) {
	tests := []struct{ x, maxHigh float64 }{{0, 0.02}, {1, 0.02}, {2, 0.05}, {3, 0.3}, {3.5, 0.6}, {4, 1}, {5, 2.2}}
	for _, seed := range []uint64{1, 2, 3} {
		c := trainNormal(20000, seed)
		s := c.Snapshot()
		if !s.Warm || !s.TailFitted || math.Abs(s.Threshold-1.645) > 0.25 || s.Tail.Shape != 0 {
			t.Fatalf("seed %d: snapshot %+v", seed, s)
		}
		for _, tc := range tests {
			got := c.Calibrate(tc.x).Probability
			want := normalSF(tc.x)
			if r := math.Log10(got / want); r < -0.1 || r > tc.maxHigh {
				t.Errorf("seed %d: p(%g) = %.3g, exact %.3g (%.2f decades off)", seed, tc.x, got, want, r)
			}
		}
	}
}

// TestCalibratorProbabilityMonotone: P(X ≥ x) never increases with x, also across the
// threshold where the digest's body meets the GPD tail (seeds 2 and 3 of |N(0, 1)| values once
// gave a larger probability just above the threshold than just below it).
func TestCalibratorProbabilityMonotone(t *testing.T) {
	for seed := range uint64(6) {
		rng := rand.New(rand.NewPCG(seed, 0))
		c := New(Config{})
		for range 3000 {
			c.Add(math.Abs(rng.NormFloat64()))
		}
		th := c.Snapshot().Threshold
		prev, prevX := 1.0, 0.0
		for x := th - 0.05; x < th+0.05; x += 1e-4 {
			p := c.Calibrate(x).Probability
			if p > prev {
				t.Fatalf("seed %d (threshold %.5f): p(%.5f) = %.6g > p(%.5f) = %.6g", seed, th, x, p, prevX, prev)
			}
			prev, prevX = p, x
		}
	}
}

// TestCalibratorTailProbabilityPareto checks the GPD tail on heavy-tailed values, GPD(ξ = 0.3,
// σ = 1) drawn by inversion, whose exact survival function is (1 + 0.3x)^(−1/0.3): far beyond
// anything a 20,000-value empirical estimate can resolve (10⁻⁶ at x ≈ 205).
func TestCalibratorTailProbabilityPareto(t *testing.T) {
	truth := GPD{Shape: 0.3, Scale: 1}
	rng := rand.New(rand.NewPCG(11, 0))
	c := New(Config{})
	for range 20000 {
		c.Add(truth.Quantile(1 - rng.Float64()))
	}
	if s := c.Snapshot(); math.Abs(s.Tail.Shape-0.3) > 0.1 {
		t.Errorf("fitted tail %+v, want shape near 0.3", s.Tail)
	}
	for _, x := range []float64{5, 10, 30, 100, 205} {
		got, want := c.Calibrate(x).Probability, truth.Survival(x)
		if math.Abs(math.Log10(got/want)) > 0.3 {
			t.Errorf("p(%g) = %.3g, exact %.3g", x, got, want)
		}
	}
}

func TestCalibratorLevelsOnNormalData(t *testing.T) {
	c := trainNormal(5000, 2)
	rng := rand.New(rand.NewPCG(3, 0))
	counts := map[Level]int{}
	for range 10000 {
		counts[c.Calibrate(rng.NormFloat64()).Level]++
	}
	// Medium or above needs p ≤ 10^−1.5 ≈ 3.2 %; high needs p ≤ 10⁻³.
	if share := float64(counts[Medium]+counts[High]+counts[Critical]) / 10000; share < 0.015 || share > 0.05 {
		t.Errorf("share of normal values at medium or above %.4f, want about 0.032", share)
	}
	if counts[High]+counts[Critical] > 40 {
		t.Errorf("%d of 10000 normal values high or critical", counts[High]+counts[Critical])
	}
	for _, tc := range []struct {
		x    float64
		want Level
	}{{0, Low}, {2.5, Medium}, {3.6, High}, {6, Critical}} {
		if got := c.Calibrate(tc.x); got.Level != tc.want {
			t.Errorf("x = %g: %+v, want %v", tc.x, got, tc.want)
		}
	}
}

func TestCalibratorScoreMonotone(t *testing.T) {
	c := trainNormal(3000, 4)
	prev := -1.0
	for x := -5.0; x <= 12; x += 0.01 {
		s := c.Calibrate(x).Score
		if s < prev-1e-9 || s < 0 || s > 100 {
			t.Fatalf("score(%g) = %g after %g", x, s, prev)
		}
		prev = s
	}
	if prev != 100 {
		t.Errorf("score(12) = %g, want 100", prev)
	}
}

func TestCalibratorConfidence(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 0))
	c := New(Config{})
	var early, late Calibrated
	for i := range 2000 {
		c.Add(rng.NormFloat64())
		if i == 20 {
			early = c.Calibrate(2.8)
		}
	}
	late = c.Calibrate(2.8)
	if !(early.Confidence < late.Confidence) {
		t.Errorf("confidence after 21 values %g, after 2000 %g: want growth", early.Confidence, late.Confidence)
	}
	seen := map[float64]bool{}
	for x := -2.0; x < 8; x += 0.25 {
		conf := c.Calibrate(x).Confidence
		if conf < 0 || conf > 1 {
			t.Fatalf("confidence %g", conf)
		}
		seen[conf] = true
	}
	if len(seen) < 10 {
		t.Errorf("only %d distinct confidences", len(seen))
	}
	// Right at a level boundary the margin factor halves the confidence.
	onBoundary := c.Calibrate(c.valueWithScore(50))
	if onBoundary.Confidence > 0.55 {
		t.Errorf("confidence on the 50 boundary %g", onBoundary.Confidence)
	}
	if got := New(Config{}).Calibrate(1).Confidence; got != 0 {
		t.Errorf("empty calibrator: confidence %g", got)
	}
}

// valueWithScore finds by bisection the raw value whose score is s.
func (c *Calibrator) valueWithScore(s float64) float64 {
	lo, hi := -10.0, 100.0
	for range 200 {
		m := (lo + hi) / 2
		if c.Calibrate(m).Score < s {
			lo = m
		} else {
			hi = m
		}
	}
	return (lo + hi) / 2
}

func TestCalibratorAlarmsAreNotLearned(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 0))
	c := New(Config{WithholdAlarms: true})
	for range 3000 {
		c.Add(rng.NormFloat64())
	}
	before := c.Snapshot()
	res := c.Add(50)
	if res.Level != Critical || c.Snapshot() != before {
		t.Errorf("alarm %+v changed the state: %+v → %+v", res, before, c.Snapshot())
	}
	if z := c.AlarmThreshold(); !(z > 3 && z < 5) || math.Abs(c.Calibrate(z).Probability-1e-4) > 1e-9 {
		t.Errorf("alarm threshold %g (p %g)", z, c.Calibrate(z).Probability)
	}
	c.Add(math.NaN())
	c.Add(math.Inf(1))
	if c.Snapshot() != before {
		t.Error("NaN or Inf was learned")
	}
	if got := c.Calibrate(math.NaN()); got.Score != 0 || got.Confidence != 0 {
		t.Errorf("NaN: %+v", got)
	}
	if got := c.Calibrate(math.Inf(1)); got.Score != 100 {
		t.Errorf("+Inf: %+v", got)
	}
}

// TestCalibratorLearnMatchesAdd checks that Calibrate followed by Learn gives the calibrations
// and the state that Add gives, alarms withheld or not, on normal values mixed with NaN, ±Inf
// and, once the tail fit rests on enough excesses for alarms to be withheld, outliers.
func TestCalibratorLearnMatchesAdd(t *testing.T) {
	for _, withhold := range []bool{false, true} {
		rng := rand.New(rand.NewPCG(9, 0))
		cfg := Config{WithholdAlarms: withhold}
		add, learn := New(cfg), New(cfg)
		var zero Calibrator // the zero value learns with the default config
		normal := 0
		for i := range 5000 {
			x := rng.NormFloat64()
			switch {
			case i%97 == 0 && i > 3000:
				x = 8 + rng.Float64()
			case i%97 == 1:
				x = math.NaN()
			case i%97 == 2:
				x = math.Inf(1 - 2*(i%2))
			default:
				normal++
			}
			want := add.Add(x)
			got := learn.Calibrate(x)
			learn.Learn(x)
			if got != want {
				t.Fatalf("withhold %v, value %d (%g): Calibrate gave %+v, Add %+v", withhold, i, x, got, want)
			}
			if !withhold {
				zero.Learn(x)
			}
		}
		a, _ := add.MarshalBinary()
		b, _ := learn.MarshalBinary()
		if string(a) != string(b) {
			t.Errorf("withhold %v: the states differ: %+v, %+v", withhold, add.Snapshot(), learn.Snapshot())
		}
		if n := add.Snapshot().Count; withhold && n != normal {
			t.Errorf("withhold: %d values learned, want the %d normal ones", n, normal)
		}
		if c, _ := zero.MarshalBinary(); !withhold && string(c) != string(a) {
			t.Errorf("zero value: state %+v, want %+v", zero.Snapshot(), add.Snapshot())
		}
	}
}

func TestCalibratorWarmUpAndReset(t *testing.T) {
	var c Calibrator // zero value: defaults
	for i := range 199 {
		c.Add(float64(i % 10))
	}
	if c.Snapshot().Warm || !math.IsNaN(c.AlarmThreshold()) {
		t.Fatal("warm before 200 values")
	}
	// During warm-up a value above everything seen has p = 1/(n+1).
	if got := c.Calibrate(100).Probability; math.Abs(got-1.0/200) > 1e-12 {
		t.Errorf("p = %g, want 1/200", got)
	}
	c.Add(5)
	if s := c.Snapshot(); !s.Warm || s.Count != 200 {
		t.Errorf("snapshot %+v", s)
	}
	c.Reset()
	if c.Snapshot() != (Summary{}) {
		t.Errorf("after Reset: %+v", c.Snapshot())
	}
}

func TestCalibratorConstantStream(t *testing.T) {
	c := New(Config{WarmUp: 50})
	for range 500 {
		c.Add(3)
	}
	if got := c.Calibrate(3); got.Level != Low {
		t.Errorf("the constant itself: %+v", got)
	}
	// Above everything seen: at most 1/(n+1) rarity without a tail model.
	if got := c.Calibrate(3.0001); math.Abs(got.Probability-1.0/501) > 1e-12 {
		t.Errorf("just above the constant: %+v", got)
	}
}

func TestCalibratorBinaryRoundTrip(t *testing.T) {
	for _, n := range []int{0, 50, 3000} {
		c := trainNormal(n, 7)
		b, _ := c.MarshalBinary()
		var r Calibrator
		if err := r.UnmarshalBinary(b); err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		rng := rand.New(rand.NewPCG(8, 0))
		for range 1000 {
			x := rng.NormFloat64() * 1.3
			if a, b := c.Add(x), r.Add(x); a != b {
				t.Fatalf("n=%d: original %+v, restored %+v", n, a, b)
			}
		}
		for _, bad := range [][]byte{b[:len(b)-1], append(b[:len(b):len(b)], 0), {2}} {
			if r.UnmarshalBinary(bad) == nil {
				t.Errorf("n=%d: accepted corrupt encoding of %d bytes", n, len(bad))
			}
		}
	}
}

func TestConfigValidation(t *testing.T) {
	for _, cfg := range []Config{{WarmUp: -1}, {TailQuantile: 1}, {Risk: -0.1}, {Levels: Levels{Medium: 60}},
		// Settings that an encoding could not carry back.
		{Decades: math.NaN()}, {Decades: math.Inf(1)}, {Compression: math.NaN()}, {Compression: math.Inf(1)},
		{WarmUp: 2_000_000}, {MinPeaks: 2_000_000}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%+v) did not panic", cfg)
				}
			}()
			New(cfg)
		}()
	}
}

func TestLevelsValidate(t *testing.T) {
	for _, c := range []struct {
		ls Levels
		ok bool
	}{
		{Levels{}, true},
		{Levels{Medium: 10, High: 20, Critical: 100}, true},
		{Levels{Critical: 60}, true}, // 25 < 50 < 60
		{Levels{Medium: 60}, false},  // 60 > the default High 50
		{Levels{Medium: -1}, false},
		{Levels{Critical: 101}, false},
		{Levels{High: math.NaN()}, false},
		{Levels{Medium: 30, High: 30, Critical: 90}, false},
	} {
		if err := c.ls.Validate(); (err == nil) != c.ok {
			t.Errorf("%+v.Validate() = %v, want ok %v", c.ls, err, c.ok)
		}
	}
}

// TestCalibratorRefitSchedule: the tail is refitted only when the excesses have grown by a quarter
// since the last fit — 18 to 20 fits over 50,000 values — and in between, the alarm threshold z_q
// (the 1 − 10⁻⁴ quantile, the most extrapolated value the calibrator reports) stays close to that
// of a fit on all the excesses so far. Measured relative gaps once the fit rests on 100 excesses,
// mean and worst: normal 0.5 % and 3.1 %, exponential 0.4 % and 4.9 %, GPD(ξ = 0.3) 4.0 % and
// 45 % (one new extreme moves the fitted shape of a heavy tail, and its far quantile with it, by
// that much; the estimate's own sampling error is larger still). Refitting at half that rate (on
// growth by a half) cut the fits to 7–8 but doubled the worst gaps (exponential 11 %, GPD 65 %),
// so the schedule stays and the fit itself was made cheaper (Brent's method, FitGPD).
func TestCalibratorRefitSchedule(t *testing.T) {
	tests := []struct {
		name        string
		draw        func(*rand.Rand) float64
		maxFits     int
		mean, worst float64 // largest mean and worst relative gap allowed
	}{
		{"normal", func(r *rand.Rand) float64 { return r.NormFloat64() }, 20, 0.01, 0.05},
		{"exponential", func(r *rand.Rand) float64 { return r.ExpFloat64() }, 22, 0.01, 0.07},
		{"GPD(0.3, 1)", func(r *rand.Rand) float64 { return GPD{Shape: 0.3, Scale: 1}.Quantile(1 - r.Float64()) }, 20, 0.06, 0.55},
	}
	for _, tc := range tests {
		rng := rand.New(rand.NewPCG(5, 0))
		c := New(Config{})
		fits, lastPeaks := 0, 0
		var sum, worst float64
		var checks int
		for i := range 50000 {
			c.Add(tc.draw(rng))
			if c.tailOK && c.fitPeaks != lastPeaks {
				fits++
				lastPeaks = c.fitPeaks
			}
			if i%97 != 0 || !c.tailOK || c.exceed < 100 {
				continue
			}
			fresh := *c // fit reads the excess digest without changing it
			fresh.fit()
			gap := math.Abs(c.AlarmThreshold()-fresh.AlarmThreshold()) / fresh.AlarmThreshold()
			sum += gap
			worst = max(worst, gap)
			checks++
		}
		if mean := sum / float64(checks); fits > tc.maxFits || mean > tc.mean || worst > tc.worst {
			t.Errorf("%s: %d fits, relative gap of z_q mean %.4f, worst %.4f; want at most %d, %.2f and %.2f",
				tc.name, fits, mean, worst, tc.maxFits, tc.mean, tc.worst)
		}
	}
}

// TestCalibratorOverflowingExcess: a value whose excess over the threshold overflows
// (−1e308 values, then 1e308) updates the body but not the tail, and the state still round-trips.
func TestCalibratorOverflowingExcess(t *testing.T) {
	c := New(Config{WarmUp: 20})
	for range 20 {
		c.Add(-1e308)
	}
	c.Add(1e308)
	if s := c.Snapshot(); s.Count != 21 || s.Excesses != 0 {
		t.Errorf("snapshot %+v, want 21 values and no excess", s)
	}
	b, err := c.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var r Calibrator
	if err := r.UnmarshalBinary(b); err != nil {
		t.Fatalf("the calibrator's own encoding: %v", err)
	}
}

// TestEscalatorConfigValidation: After beyond what an encoding carries panics.
func TestEscalatorConfigValidation(t *testing.T) {
	for _, cfg := range []EscalationConfig{{After: -1}, {After: math.MaxInt32 + 1}, {From: Critical + 1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewEscalator(%+v) did not panic", cfg)
				}
			}()
			NewEscalator(cfg)
		}()
	}
}

// TestCalibratorSetLevels: new level boundaries grade the same scores differently and change
// nothing learned; an encoding carries them.
func TestCalibratorSetLevels(t *testing.T) {
	c := trainNormal(2000, 7)
	before := c.Calibrate(3)
	c.SetLevels(Levels{Medium: 10, High: 20, Critical: 30})
	after := c.Calibrate(3)
	if after.Score != before.Score || after.Probability != before.Probability || after.Level != Critical {
		t.Errorf("before %+v, after %+v (score %.1f should be critical)", before, after, after.Score)
	}
	b, _ := c.MarshalBinary()
	var r Calibrator
	if err := r.UnmarshalBinary(b); err != nil || r.Calibrate(3) != after {
		t.Errorf("restored: %+v, %v", r.Calibrate(3), err)
	}
	defer func() {
		if recover() == nil {
			t.Error("decreasing levels accepted")
		}
	}()
	c.SetLevels(Levels{Medium: 60, High: 50})
}
