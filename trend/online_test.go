package trend

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"testing"
)

// shiftedStream returns n standard normal values (seeded) with the mean
// raised by shift from index at on, on a level of base.
func shiftedStream(seed uint64, n, at int, base, sd, shift float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	y := make([]float64, n)
	for i := range y {
		y[i] = base + sd*rng.NormFloat64()
		if i >= at {
			y[i] += shift
		}
	}
	return y
}

// TestCUSUMByHand checks the recursion against values worked by hand with
// Target 10, Sigma 2, K 0.5, H 2.
func TestCUSUMByHand(t *testing.T) {
	// Target 10, Sigma 2, K 0.5 (default), H 2; z = (x − 10)/2.
	c := NewCUSUM(CUSUMConfig{Target: 10, Sigma: 2, H: 2})
	steps := []struct {
		x            float64
		upper, lower float64
		alarm        int
	}{
		{12, 0.5, 0, 0}, // z = 1: U = 0 + 1 − 0.5
		{13, 1.5, 0, 0}, // z = 1.5: U = 0.5 + 1.5 − 0.5
		{10, 1.0, 0, 0}, // z = 0: U = 1.5 − 0.5
		{14, 0, 0, 1},   // z = 2: U = 2.5 > 2, alarm; the sums restart
		{7, 0, 1, 0},    // z = −1.5: L = 0 + 1.5 − 0.5
		{6, 0, 2.5, -1}, // z = −2: L = 2.5 > 2, alarm, reported before restarting…
	}
	for i, s := range steps {
		got := c.Add(s.x)
		if s.alarm != 0 {
			// …so the returned sums are already zero.
			s.upper, s.lower = 0, 0
		}
		if math.Abs(got.Upper-s.upper) > 1e-12 || math.Abs(got.Lower-s.lower) > 1e-12 || got.Alarm != s.alarm || !got.Ready {
			t.Fatalf("step %d: %+v, want upper %g lower %g alarm %d", i, got, s.upper, s.lower, s.alarm)
		}
	}
	if got := c.Add(math.NaN()); got.Alarm != 0 || got.Upper != 0 || got.Lower != 0 {
		t.Fatalf("NaN changed the state: %+v", got)
	}
}

// TestCUSUMDetectsShift measures detection delay and false alarms of a
// chart with known parameters on a 1.5σ shift (tabulated zero-state ARL
// for k = 0.5, h = 5: about 7.5 after the shift, 465 without one), and
// checks that the zero value learns the baseline.
func TestCUSUMDetectsShift(t *testing.T) {
	falseAlarms := 0
	for seed := range uint64(20) {
		y := shiftedStream(seed, 400, 250, 100, 5, 7.5)
		c := NewCUSUM(CUSUMConfig{Target: 100, Sigma: 5})
		delay := -1
		for i, v := range y {
			st := c.Add(v)
			if st.Alarm != 0 && i < 250 {
				falseAlarms++
			}
			if st.Alarm != 0 && i >= 250 && delay < 0 {
				delay = i - 250
				if st.Alarm != 1 {
					t.Errorf("seed %d: alarm %d after an upward shift", seed, st.Alarm)
				}
			}
		}
		if delay < 0 || delay > 30 {
			t.Errorf("seed %d: detection delay %d, want 0…30", seed, delay)
		}
	}
	// 5000 in-control values at ARL 465: about 11 expected.
	if falseAlarms > 25 {
		t.Errorf("%d false alarms in 5000 in-control values", falseAlarms)
	}
	var c CUSUM
	for _, v := range shiftedStream(99, 30, 30, 100, 5, 0) {
		c.Add(v)
	}
	if st := c.State(); !st.Ready || math.Abs(st.Target-100) > 3 || math.Abs(st.Sigma-5) > 1.5 {
		t.Errorf("learned baseline %+v, want about 100 ± 5", st)
	}
}

func TestCUSUMMarshalRoundTrip(t *testing.T) {
	y := shiftedStream(5, 100, 60, 3, 1, 2)
	c := NewCUSUM(CUSUMConfig{WarmUp: 20, K: 0.25, H: 4})
	for _, v := range y[:70] {
		c.Add(v)
	}
	data, err := c.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var d CUSUM
	if err := d.UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}
	for _, v := range y[70:] {
		if a, b := c.Add(v), d.Add(v); a != b {
			t.Fatalf("restored chart diverged: %+v vs %+v", a, b)
		}
	}
	if err := d.UnmarshalBinary(data[:len(data)-1]); err == nil {
		t.Error("truncated encoding accepted")
	}
	// A fixed chart's encoding whose sd is not its Sigma (0 made every sum NaN) is rejected.
	fixed := NewCUSUM(CUSUMConfig{Target: 5, Sigma: 1})
	fixed.Add(5.5)
	enc, _ := fixed.MarshalBinary()
	binary.LittleEndian.PutUint64(enc[1+8*10:], math.Float64bits(0))
	if err := d.UnmarshalBinary(enc); err == nil {
		t.Error("a fixed chart with sd 0 accepted")
	}
	c.Reset()
	if st := c.State(); st.Ready || st.Upper != 0 || st.Lower != 0 {
		t.Errorf("after Reset: %+v", st)
	}
}

func TestBOCPDDetectsChanges(t *testing.T) {
	for seed := range uint64(10) {
		y := shiftedStream(seed, 300, 150, 50, 2, 8) // a 4σ shift
		var b BOCPD
		before, after := 0.0, 0.0
		for i, v := range y {
			st := b.Add(v)
			switch {
			case i >= 20 && i < 150:
				before = math.Max(before, st.ChangeProbability)
			case i >= 150 && i < 160:
				after = math.Max(after, st.ChangeProbability)
			}
			if i == 149 && st.RunLength < 100 {
				t.Errorf("seed %d: run length %d before the change, want ≥ 100", seed, st.RunLength)
			}
			if i == 170 && (st.RunLength < 15 || st.RunLength > 25) {
				t.Errorf("seed %d: run length %d 21 values after the change", seed, st.RunLength)
			}
		}
		if before > 0.3 || after < 0.8 {
			t.Errorf("seed %d: change probability peaks at %.3f before the change and %.3f within 10 after, want < 0.3 and > 0.8",
				seed, before, after)
		}
	}
	// A change in variance alone.
	rng := rand.New(rand.NewPCG(9, 9))
	b := NewBOCPD(BOCPDConfig{MaxRunLength: 100})
	detected := false
	for i := range 400 {
		sd := 1.0
		if i >= 200 {
			sd = 6
		}
		st := b.Add(sd * rng.NormFloat64())
		if i > 200 && i < 230 && st.ChangeProbability > 0.5 {
			detected = true
		}
		if len(b.prob) > 101 {
			t.Fatalf("run length posterior grew to %d entries, want ≤ 101", len(b.prob))
		}
	}
	if !detected {
		t.Error("variance change not detected")
	}
}

func TestBOCPDPosteriorIsDistribution(t *testing.T) {
	b := NewBOCPD(BOCPDConfig{MaxRunLength: 30, ExpectedRunLength: 20})
	y := shiftedStream(2, 200, 100, -4, 0.1, 1)
	y[50] = 1e6 // an extreme outlier must not break the arithmetic
	for i, v := range y {
		b.Add(v)
		sum := 0.0
		for _, p := range b.prob {
			if !(p >= 0) {
				t.Fatalf("step %d: probability %g", i, p)
			}
			sum += p
		}
		if math.Abs(sum-1) > 1e-9 {
			t.Fatalf("step %d: posterior sums to %g", i, sum)
		}
	}
}

func TestBOCPDMarshalRoundTrip(t *testing.T) {
	y := shiftedStream(4, 120, 80, 10, 1, 5)
	b := NewBOCPD(BOCPDConfig{MaxRunLength: 50, Window: 3})
	var empty BOCPD
	data, _ := empty.MarshalBinary()
	if err := new(BOCPD).UnmarshalBinary(data); err != nil {
		t.Fatalf("empty detector: %v", err)
	}
	for _, v := range y[:90] {
		b.Add(v)
	}
	data, err := b.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var d BOCPD
	if err := d.UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}
	for _, v := range y[90:] {
		if a, c := b.Add(v), d.Add(v); !reflect.DeepEqual(a, c) {
			t.Fatalf("restored detector diverged: %+v vs %+v", a, c)
		}
	}
	if err := d.UnmarshalBinary(append([]byte{2}, data[1:]...)); err == nil {
		t.Error("unknown version accepted")
	}
	// Run-length probabilities that are not a distribution (all zero: NaN change
	// probabilities after decoding) are rejected.
	zeroed := slices.Clone(data)
	m := int(math.Float64frombits(binary.LittleEndian.Uint64(zeroed[1+8*8:])))
	for r := range m {
		binary.LittleEndian.PutUint64(zeroed[1+8*(9+r):], 0)
	}
	if err := d.UnmarshalBinary(zeroed); err == nil {
		t.Error("all-zero run-length probabilities accepted")
	}
	b.Reset()
	if st := b.State(); st.N != 0 || st.ChangeProbability != 0 {
		t.Errorf("after Reset: %+v", st)
	}
}

func TestOnlineConfigPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"CUSUM negative sigma": func() { NewCUSUM(CUSUMConfig{Sigma: -1}) },
		"CUSUM warm-up 1":      func() { NewCUSUM(CUSUMConfig{WarmUp: 1}) },
		"BOCPD hazard":         func() { NewBOCPD(BOCPDConfig{ExpectedRunLength: 0.5}) },
		"BOCPD negative":       func() { NewBOCPD(BOCPDConfig{MaxRunLength: -1}) },
		"CUSUM infinite H":     func() { NewCUSUM(CUSUMConfig{H: math.Inf(1)}) },
		"CUSUM infinite sigma": func() { NewCUSUM(CUSUMConfig{Sigma: math.Inf(1)}) },
		"BOCPD huge window":    func() { NewBOCPD(BOCPDConfig{Window: 1<<20 + 1}) },
		"BOCPD huge run":       func() { NewBOCPD(BOCPDConfig{MaxRunLength: 1<<20 + 1}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

// TestBOCPDMatchesReference compares the run-length posterior after every
// value with an independent transcription using scipy.stats.t:
// ../testdata/trend/bocpd.py (/usr/bin/python3 bocpd.py).
func TestBOCPDMatchesReference(t *testing.T) {
	raw, err := os.ReadFile("../testdata/trend/bocpd.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		X                 []float64
		ExpectedRunLength float64 `json:"expected_run_length"`
		MaxRunLength      int     `json:"max_run_length"`
		Posterior         [][]float64
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.X) != 40 || len(ref.Posterior) != 40 {
		t.Fatalf("read %d values and %d posteriors, want 40", len(ref.X), len(ref.Posterior))
	}
	b := NewBOCPD(BOCPDConfig{ExpectedRunLength: ref.ExpectedRunLength, MaxRunLength: ref.MaxRunLength})
	for i, x := range ref.X {
		b.Add(x)
		want := ref.Posterior[i]
		if len(b.prob) != len(want) {
			t.Fatalf("step %d: %d run lengths, want %d", i, len(b.prob), len(want))
		}
		for r, p := range want {
			if math.Abs(b.prob[r]-p) > 1e-12 {
				t.Fatalf("step %d: P(r = %d) = %.17g, want %.17g", i, r, b.prob[r], p)
			}
		}
	}
}
