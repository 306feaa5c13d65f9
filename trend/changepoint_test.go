package trend

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
)

// TestChangePointsAgainstReference compares with exact optimal partitioning
// and greedy binary segmentation computed independently by
// ../testdata/trend/changepoints.py (/usr/bin/python3 changepoints.py).
func TestChangePointsAgainstReference(t *testing.T) {
	b, err := os.ReadFile("../testdata/trend/changepoints.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Name, Cost, Penalty string
		Y                   []float64
		Variance            float64
		MinSegment          int `json:"min_segment"`
		PELT, BinSeg        []int
	}
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) != 8 {
		t.Fatalf("%d cases, want 8", len(cases))
	}
	for _, c := range cases {
		cfg := ChangeConfig{Variance: c.Variance, MinSegment: c.MinSegment}
		if c.Cost == "meanvar" {
			cfg.Cost = NormalMeanVar
		}
		if c.Penalty == "BIC" {
			cfg.Penalty = BIC
		}
		got, err := PELT(c.Y, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, c.PELT) {
			t.Errorf("%s: PELT %v, want %v", c.Name, got, c.PELT)
		}
		got, err = BinarySegmentation(c.Y, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, c.BinSeg) {
			t.Errorf("%s: BinarySegmentation %v, want %v", c.Name, got, c.BinSeg)
		}
	}
}

// TestPELTIsExact checks PELT against an unpruned optimal partitioning on
// random piecewise-constant series, for both costs and penalties.
func TestPELTIsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 40 {
		n := 20 + rng.IntN(60)
		y := make([]float64, n)
		level, scale := 0.0, 1.0
		for i := range y {
			if rng.IntN(15) == 0 {
				level, scale = 4*rng.NormFloat64(), 0.3+2*rng.Float64()
			}
			y[i] = level + scale*rng.NormFloat64()
		}
		for _, cfg := range []ChangeConfig{
			{Variance: 1}, {Cost: NormalMeanVar}, {Penalty: BIC, MinSegment: 3},
			{Cost: NormalMeanVar, Penalty: Manual, PenaltyValue: 2},
		} {
			got, err := PELT(y, cfg)
			if err != nil {
				t.Fatal(err)
			}
			want := optimalPartitioning(t, y, cfg)
			if !slices.Equal(got, want) {
				t.Fatalf("trial %d %+v: PELT %v, optimal partitioning %v", trial, cfg, got, want)
			}
		}
	}
}

// optimalPartitioning is the O(n²) dynamic programme without pruning.
func optimalPartitioning(t *testing.T, y []float64, cfg ChangeConfig) []int {
	c, err := newSegmentCost(y, cfg)
	if err != nil {
		t.Fatal(err)
	}
	n := len(y)
	f := make([]float64, n+1)
	last := make([]int, n+1)
	for i := range f {
		f[i] = math.Inf(1)
	}
	f[0] = -c.penalty
	for tt := c.minSeg; tt <= n; tt++ {
		for s := 0; s <= tt-c.minSeg; s++ {
			if v := f[s] + c.of(s, tt) + c.penalty; v < f[tt] {
				f[tt], last[tt] = v, s
			}
		}
	}
	return backtrack(last, n)
}

func TestChangePointEdgeCases(t *testing.T) {
	flat := make([]float64, 50)
	for _, f := range []func([]float64, ChangeConfig) ([]int, error){PELT, BinarySegmentation} {
		for _, cfg := range []ChangeConfig{{}, {Cost: NormalMeanVar}} {
			cps, err := f(flat, cfg)
			if err != nil || len(cps) != 0 {
				t.Errorf("constant series %+v: %v, %v; want no change", cfg, cps, err)
			}
		}
		if _, err := f([]float64{1}, ChangeConfig{}); !errors.Is(err, ErrTooFew) {
			t.Errorf("one value: %v, want ErrTooFew", err)
		}
		if _, err := f([]float64{1, math.NaN(), 3}, ChangeConfig{}); !errors.Is(err, ErrNotFinite) {
			t.Errorf("NaN: %v, want ErrNotFinite", err)
		}
		step := make([]float64, 40)
		for i := 20; i < 40; i++ {
			step[i] = 10
		}
		// The default variance estimate uses the differences' MAD, which a
		// clean step leaves at zero; the fallback keeps the step detectable.
		if cps, err := f(step, ChangeConfig{}); err != nil || !slices.Equal(cps, []int{20}) {
			t.Errorf("clean step: %v, %v; want [20]", cps, err)
		}
	}
}

// A large level does not change the change points: the costs are shift invariant, and computed
// so (a level of 10⁹ with unit noise used to give dozens of spurious changes).
func TestChangePointsShiftInvariant(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	base := make([]float64, 1000)
	for i := range base {
		base[i] = r.NormFloat64()
		if i >= 500 {
			base[i] += 3
		}
	}
	for _, level := range []float64{0, 1e6, 1e9} {
		y := make([]float64, len(base))
		for i, v := range base {
			y[i] = level + v
		}
		for name, f := range map[string]func([]float64, ChangeConfig) ([]int, error){"PELT": PELT, "BinarySegmentation": BinarySegmentation} {
			for _, cost := range []Cost{NormalMean, NormalMeanVar} {
				cps, err := f(y, ChangeConfig{Cost: cost})
				if err != nil || !slices.Equal(cps, []int{500}) {
					t.Errorf("%s, cost %v, level %g: %v, %v; want [500]", name, cost, level, cps, err)
				}
			}
		}
	}
}

// TestPELTMatchesStrucchange: for a normal mean cost with BIC, the optimal
// segmentation with the number of changes PELT chooses must be the
// least-squares optimal partition with that many breaks, which R's
// strucchange computes by dynamic programming. From ../testdata/trend:
//
//	Rscript -e 'library(strucchange); library(jsonlite);
//	  cases <- fromJSON("changepoints.json", simplifyVector = FALSE)
//	  for (c in cases) if (c$cost == "mean" && c$penalty == "BIC")
//	    print(breakpoints(unlist(c$y) ~ 1, h = 5, breaks = length(c$pelt))$breakpoints)'
//	# mean_shifts/BIC: 79 140 240; subtle/BIC: 113
//
// (strucchange's breakpoints are 1-based last indices of segments, which are
// PELT's 0-based first indices of the next.)
func TestPELTMatchesStrucchange(t *testing.T) {
	b, err := os.ReadFile("../testdata/trend/changepoints.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Name     string
		Y        []float64
		Variance float64
	}
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	want := map[string][]int{"mean_shifts/BIC": {79, 140, 240}, "subtle/BIC": {113}}
	checked := 0
	for _, c := range cases {
		w, ok := want[c.Name]
		if !ok {
			continue
		}
		got, err := PELT(c.Y, ChangeConfig{Penalty: BIC, Variance: c.Variance, MinSegment: 5})
		if err != nil || !slices.Equal(got, w) {
			t.Errorf("%s: PELT %v, %v; strucchange %v", c.Name, got, err, w)
		}
		checked++
	}
	if checked != len(want) {
		t.Fatalf("checked %d cases, want %d", checked, len(want))
	}
}

// TestNoiseVarianceFallback: differences with zero MAD (more than half of them equal) give
// half their sample variance, Var(Δy) = 2σ² for white noise; equal differences give 1.
func TestNoiseVarianceFallback(t *testing.T) {
	cases := []struct {
		name string
		y    []float64
		want float64
	}{
		// Δy = 0 0 0 3 −2 0 0 0 0 0 1 2 −1 0 −1: mean 2/15, Σ(Δ−mean)² = 20 − 4/15, variance 296/210.
		{"zero MAD", []float64{0, 0, 0, 0, 3, 1, 1, 1, 1, 1, 1, 2, 4, 3, 3, 2}, 296.0 / 210 / 2},
		{"constant steps", []float64{1, 2, 3, 4, 5}, 1},
		// Δy = 1 −2 3 −1: median 0, |Δ| sorted 1 1 2 3, MAD 1.5.
		{"MAD", []float64{0, 1, -1, 2, 1}, 1.4826 * 1.4826 * 1.5 * 1.5 / 2},
	}
	for _, c := range cases {
		if got := noiseVariance(c.y); math.Abs(got-c.want) > 1e-12*c.want {
			t.Errorf("%s: noiseVariance = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestMagnitudeLimits: a series with a value beyond ±1e150, or all of whose values lie within
// ±1e-150 (not all zero), is
// ErrMagnitude for every function: its squares overflow or underflow, and PELT found no change,
// DetectPeriod no period and OLS a t-statistic of 0 or +Inf on a series that at ordinary scale
// has them all. Within the limits, an exact scaling gives the answers of ordinary scale.
func TestMagnitudeLimits(t *testing.T) {
	base := make([]float64, 200)
	for i := range base {
		base[i] = math.Sin(2*math.Pi*float64(i)/12) + 0.1*float64(i%7)
		if i >= 100 {
			base[i] += 5
		}
	}
	calls := map[string]func(y []float64) error{
		"PELT":               func(y []float64) error { _, err := PELT(y, ChangeConfig{}); return err },
		"BinarySegmentation": func(y []float64) error { _, err := BinarySegmentation(y, ChangeConfig{}); return err },
		"DetectPeriod":       func(y []float64) error { _, err := DetectPeriod(y, PeriodConfig{}); return err },
		"OLS":                func(y []float64) error { _, err := OLS(y); return err },
		"TheilSen":           func(y []float64) error { _, err := TheilSen(y, 0.95); return err },
		"MannKendall":        func(y []float64) error { _, err := MannKendall(y); return err },
		"HamedRao":           func(y []float64) error { _, err := HamedRao(y, HamedRaoConfig{}); return err },
		"SeasonalMannKendall": func(y []float64) error {
			_, err := SeasonalMannKendall(y, 12)
			return err
		},
		"Decompose": func(y []float64) error { _, err := Decompose(y, STLConfig{Period: 12}); return err },
	}
	scaled := func(k float64) []float64 {
		y := make([]float64, len(base))
		for i, v := range base {
			y[i] = k * v
		}
		return y
	}
	for name, call := range calls {
		for _, k := range []float64{1e160, 1e-170} {
			if err := call(scaled(k)); !errors.Is(err, ErrMagnitude) {
				t.Errorf("%s ×%g: %v, want ErrMagnitude", name, k, err)
			}
		}
	}
	ordinary, err := PELT(base, ChangeConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []float64{0x1p460, 0x1p-460} { // about 1e138 and 1e-139, exact scalings
		if got, err := PELT(scaled(k), ChangeConfig{}); err != nil || !slices.Equal(got, ordinary) {
			t.Errorf("PELT ×%g: %v, %v; at ordinary scale %v", k, got, err, ordinary)
		}
	}
}
