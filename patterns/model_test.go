package patterns

import (
	"math"
	"slices"
	"testing"
	"time"
)

// The original's tests 11–18 (ORIGINAL-SYSTEM.md §5), ported with real inputs. The original fed
// ndarrays to a function that expected records, so 13–16 and 18 passed vacuously and 17 failed with
// zero clusters at eps 0.5.

// hourly returns n hourly timestamps starting at t0.
func hourly(n int) []time.Time {
	t0 := time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)
	ts := make([]time.Time, n)
	for i := range ts {
		ts[i] = t0.Add(time.Duration(i) * time.Hour)
	}
	return ts
}

// Test 11: an analyzer (here a fitted model) exists.
// Test 17: 100 normal rows form at least one pattern.
func TestOriginal11And17NormalRowsFormAPattern(t *testing.T) {
	for _, scaling := range []Scaling{Standard, Robust} {
		m, err := Fit(normalRows(100), hourly(100), Config{Scaling: scaling})
		if err != nil || m == nil {
			t.Fatalf("Fit: %v", err)
		}
		ps := m.Patterns()
		if len(ps) < 1 {
			t.Fatalf("scaling %d: no pattern in 100 normal rows (eps %g)", scaling, m.Eps())
		}
		members := 0
		for _, p := range ps {
			members += p.Size
		}
		if members < 50 {
			t.Errorf("scaling %d: only %d of 100 normal rows belong to a pattern", scaling, members)
		}
	}
}

// Test 12: a feature vector has 8 finite entries, also after scaling.
func TestOriginal12FeatureVector(t *testing.T) {
	m, _ := Fit(normalRows(100), nil, Config{})
	x := []float64{0.5, 50, 100, 150, 0.3, 10000, 500, 1000} // the original's extract_features call, alphabetical
	z := m.Scaler().Transform(x)
	if len(z) != 8 {
		t.Fatalf("len %d", len(z))
	}
	for j, v := range z {
		if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 4 {
			t.Errorf("scaled feature %s = %g, want a finite value near 0", featureNames[j], v)
		}
	}
}

// Tests 13, 14 and 18: patterns carry an 8-vector centre with finite values, an ID, a size, a
// positive radius and first/last-seen times within the history.
func TestOriginal13And14And18PatternFields(t *testing.T) {
	X, ts := normalRows(100), hourly(100)
	m, _ := Fit(X, ts, Config{})
	ps := m.Patterns()
	if len(ps) == 0 {
		t.Fatal("no patterns")
	}
	ids := map[int]bool{}
	for _, p := range ps {
		if len(p.Center) != 8 || p.ID <= 0 || ids[p.ID] || p.Size < DefaultMinSamples || !(p.Radius > 0) {
			t.Errorf("bad pattern %+v", p)
		}
		ids[p.ID] = true
		for _, v := range p.Center {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("pattern %d centre has %g", p.ID, v)
			}
		}
		if p.FirstSeen.Before(ts[0]) || p.LastSeen.After(ts[99]) || p.LastSeen.Before(p.FirstSeen) {
			t.Errorf("pattern %d seen %v–%v outside the history", p.ID, p.FirstSeen, p.LastSeen)
		}
	}
	// The centre is in raw units: close to the generating means.
	want := []float64{0.5, 50, 100, 150, 0.3, 10000, 500, 1000}
	for j, v := range ps[0].Center {
		if math.Abs(v-want[j]) > 0.2*want[j] {
			t.Errorf("centre %s = %g, want about %g", featureNames[j], v, want[j])
		}
	}
}

// Test 15: patterns from normal[:50]; a later normal row matches with a finite distance and no shift.
func TestOriginal15LaterNormalRowMatches(t *testing.T) {
	X := normalRows(100)
	m, _ := Fit(X[:50], nil, Config{})
	if len(m.Patterns()) == 0 {
		t.Fatal("no patterns in 50 normal rows")
	}
	inPattern := 0
	for _, x := range X[50:] {
		match := m.Match(x)
		if math.IsNaN(match.Distance) || match.Distance < 0 {
			t.Fatalf("distance %g", match.Distance)
		}
		if match.Pattern != Noise {
			inPattern++
		}
	}
	if inPattern < 40 {
		t.Errorf("only %d of 50 later normal rows match a pattern", inPattern)
	}
}

// Test 16: an anomalous row deviates more than a normal one — here every anomalous row deviates
// more than every normal row, and is noise.
func TestOriginal16AnomalousDeviatesMore(t *testing.T) {
	X := normalRows(100)
	m, _ := Fit(X[:50], nil, Config{})
	var worstNormal float64
	for _, x := range X {
		worstNormal = max(worstNormal, m.Match(x).Distance)
	}
	for i, a := range anomalousRows(20) {
		match := m.Match(a)
		if match.Distance <= worstNormal || match.Pattern != Noise {
			t.Errorf("anomalous row %d: distance %g (worst normal %g), pattern %d", i, match.Distance, worstNormal, match.Pattern)
		}
	}
}

func TestRefitKeepsIDs(t *testing.T) {
	// Two well-separated behaviours; the refit sees them in the opposite order and adds a third.
	a, b := normalRows(60), anomalousRows(60)
	first, err := Fit(append(slices.Clone(a[:40]), b[:40]...), hourly(80), Config{})
	if err != nil {
		t.Fatal(err)
	}
	old := first.Patterns()
	if len(old) != 2 {
		t.Fatalf("first fit: %d patterns", len(old))
	}
	third := make([][]float64, 30)
	for i := range third {
		third[i] = slices.Clone(a[i])
		third[i][0] += 3 // error rate 3.5: a third behaviour
	}
	X := slices.Concat(b[20:], a[20:], third)
	ts := hourly(80 + len(X))[80:]
	second, err := first.Refit(X, ts)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range old {
		match := second.Match(p.Center)
		if match.Pattern != p.ID {
			t.Errorf("old pattern %d: its centre now matches pattern %d", p.ID, match.Pattern)
		}
	}
	ps := second.Patterns()
	if len(ps) != 3 || ps[2].ID != 3 {
		t.Fatalf("refit patterns %+v, want IDs 1, 2 and a new 3", ps)
	}
	for k, p := range ps[:2] {
		if !p.FirstSeen.Equal(old[k].FirstSeen) || !p.LastSeen.Equal(ts[[]int{79, 39}[k]]) {
			t.Errorf("pattern %d seen %v–%v, want from the first fit's %v", p.ID, p.FirstSeen, p.LastSeen, old[k].FirstSeen)
		}
	}
	third2, _ := second.Refit(a, nil)
	if ps := third2.Patterns(); len(ps) != 1 || ps[0].ID != old[0].ID {
		t.Errorf("refit on normal rows only: %+v", ps)
	}
}

func TestFitNoClusterIsNotAnError(t *testing.T) {
	X := [][]float64{{0, 0}, {10, 0}, {0, 10}}
	m, err := Fit(X, nil, Config{DBSCAN: DBSCANConfig{Eps: 0.1}})
	if err != nil {
		t.Fatal(err)
	}
	match := m.Match([]float64{0, 0})
	if len(m.Patterns()) != 0 || match.Pattern != Noise || match.Nearest != Noise || !math.IsInf(match.Distance, 1) {
		t.Errorf("patterns %v, match %+v", m.Patterns(), match)
	}
	if !slices.Equal(m.Labels(), []int{Noise, Noise, Noise}) {
		t.Errorf("labels %v", m.Labels())
	}
}

func TestMatchNaNAndNoAlloc(t *testing.T) {
	m, _ := Fit(normalRows(100), nil, Config{})
	x := normalRows(1)[0]
	if allocs := testing.AllocsPerRun(20, func() { m.Match(x) }); allocs != 0 {
		t.Errorf("Match allocates %v times", allocs)
	}
	x[3] = math.NaN()
	if got := m.Match(x); got.Pattern != Noise || got.Nearest != Noise || !math.IsNaN(got.Distance) {
		t.Errorf("NaN input: %+v", got)
	}
	// Infinitely far (and far enough to overflow): noise, but the model still names a nearest.
	for _, v := range []float64{math.Inf(1), 1e300} {
		x[3] = v
		if got := m.Match(x); got.Pattern != Noise || got.Nearest == Noise || !math.IsInf(got.Distance, 1) {
			t.Errorf("x[3] = %v: %+v", v, got)
		}
	}
}

func TestShiftDetectorPersistence(t *testing.T) {
	var d ShiftDetector // zero value: threshold 1, 3 windows
	distances := []float64{0.5, 2, 3, math.NaN(), 2, 2, 2, 2, 0.9, 5}
	want := []bool{false, false, false, false, false, false, true, true, false, false}
	for i, dist := range distances {
		if got := d.Add(dist); got != want[i] {
			t.Errorf("window %d (distance %g): shifted %v, want %v (run %d)", i, dist, got, want[i], d.Run())
		}
	}
	d.Reset()
	if d.Run() != 0 || d.Shifted() {
		t.Error("Reset kept the run")
	}
}

func TestShiftDetectorOnFixtures(t *testing.T) {
	// A service that turns anomalous for 5 windows after 10 normal ones: the shift is reported from
	// the third anomalous window on, and never during the normal windows.
	m, _ := Fit(normalRows(100), nil, Config{})
	stream := slices.Concat(normalRows(110)[100:], anomalousRows(5))
	d := NewShiftDetector(ShiftConfig{Windows: 3})
	for i, x := range stream {
		shifted := d.Add(m.Match(x).Distance)
		if shifted != (i >= 12) {
			t.Errorf("window %d: shifted %v", i, shifted)
		}
	}
}

func TestShiftDetectorBinaryRoundTrip(t *testing.T) {
	d := NewShiftDetector(ShiftConfig{Threshold: 2.5, Windows: 4})
	d.Add(3)
	d.Add(4)
	b, _ := d.MarshalBinary()
	var e ShiftDetector
	if err := e.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if e.Run() != 2 || e.cfg != d.cfg {
		t.Errorf("restored %+v, want %+v", e, *d)
	}
	if e.Add(3); !e.Add(3) {
		t.Error("restored detector lost its config")
	}
	for _, bad := range [][]byte{nil, {2}, b[:len(b)-1], append(slices.Clone(b), 0)} {
		if err := e.UnmarshalBinary(bad); err == nil {
			t.Errorf("UnmarshalBinary(%v) accepted", bad)
		}
	}
}

// TestShiftConfigPanics: NewShiftDetector refuses every config whose detector could not be
// restored from its own encoding.
func TestShiftConfigPanics(t *testing.T) {
	for name, cfg := range map[string]ShiftConfig{
		"negative threshold": {Threshold: -1},
		"NaN threshold":      {Threshold: math.NaN()},
		"infinite threshold": {Threshold: math.Inf(1)},
		"negative windows":   {Windows: -1},
		"huge windows":       {Windows: math.MaxInt32 + 1},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			NewShiftDetector(cfg)
		}()
	}
}
