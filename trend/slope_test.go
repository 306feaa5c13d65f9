package trend

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func TestSlopeEdgeCases(t *testing.T) {
	line := []float64{1, 3, 5, 7, 9}
	ols, err := OLS(line)
	if err != nil || ols.Slope != 2 || ols.Intercept != 1 || ols.SlopeSE != 0 || ols.P != 0 {
		t.Errorf("exact line: %+v, %v", ols, err)
	}
	flat, err := OLS([]float64{4, 4, 4, 4})
	if err != nil || flat.Slope != 0 || flat.P != 1 {
		t.Errorf("constant: %+v, %v; want slope 0, P 1", flat, err)
	}
	if _, err := OLS([]float64{1, math.NaN(), 2}); !errors.Is(err, ErrTooFew) {
		t.Errorf("two values: %v, want ErrTooFew", err)
	}
	if _, err := TheilSen([]float64{1, math.Inf(1)}, 0); !errors.Is(err, ErrNotFinite) {
		t.Errorf("Inf: %v, want ErrNotFinite", err)
	}
	if _, err := TheilSen([]float64{math.NaN(), 1}, 0); !errors.Is(err, ErrTooFew) {
		t.Errorf("one value: %v, want ErrTooFew", err)
	}
	if _, err := SeasonalSen([]float64{1, 2, 3}, 4); !errors.Is(err, ErrTooFew) {
		t.Errorf("no season with two values: %v, want ErrTooFew", err)
	}
	if _, err := MannKendall([]float64{7}); !errors.Is(err, ErrTooFew) {
		t.Errorf("one value: %v, want ErrTooFew", err)
	}
	if _, err := HamedRao([]float64{1, 2}, HamedRaoConfig{}); !errors.Is(err, ErrTooFew) {
		t.Errorf("Hamed–Rao two values: %v, want ErrTooFew", err)
	}
	mk, err := MannKendall([]float64{5, 5, 5, 5, 5})
	if err != nil || mk.S != 0 || mk.Z != 0 || mk.P != 1 || mk.VarS != 0 {
		t.Errorf("constant: %+v, %v", mk, err)
	}
	for name, f := range map[string]func(){
		"TheilSen level":   func() { TheilSen(line, 1.5) },
		"SeasonalSen":      func() { SeasonalSen(line, 0) },
		"SeasonalMK":       func() { SeasonalMannKendall(line, 0) },
		"HamedRao alpha":   func() { HamedRao(line, HamedRaoConfig{Alpha: 1}) },
		"LegacyTrend":      func() { LegacyTrend(line, 0) },
		"LegacyTrendChnge": func() { LegacyTrendChange(line, -1, 0.3) },
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

// TestMannKendallSMatchesPairs checks the O(n log n) S against the
// definition on random series with many ties and missing values.
func TestMannKendallSMatchesPairs(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for trial := range 200 {
		n := 2 + rng.IntN(120)
		y := make([]float64, n)
		for i := range y {
			y[i] = float64(rng.IntN(1 + rng.IntN(20)))
			if rng.IntN(10) == 0 {
				y[i] = math.NaN()
			}
		}
		want, valid := 0, 0
		for j := range y {
			if math.IsNaN(y[j]) {
				continue
			}
			valid++
			for i := range j {
				switch {
				case math.IsNaN(y[i]):
				case y[j] > y[i]:
					want++
				case y[j] < y[i]:
					want--
				}
			}
		}
		got, err := MannKendall(y)
		if valid < 2 {
			if !errors.Is(err, ErrTooFew) {
				t.Fatalf("trial %d: %d valid values, error %v", trial, valid, err)
			}
			continue
		}
		if err != nil || got.S != want || got.N != valid || !(got.P > 0 && got.P <= 1) {
			t.Fatalf("trial %d: %+v, %v; want S %d N %d", trial, got, err, want, valid)
		}
	}
}

// TestTheilSenResistsOutliers: a quarter of the points wrecked leaves the
// Theil–Sen slope near the truth while OLS goes astray.
func TestTheilSenResistsOutliers(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	y := make([]float64, 80)
	for i := range y {
		y[i] = 3 + 0.5*float64(i) + rng.NormFloat64()
		if i%4 == 0 && i > 40 {
			y[i] -= 200
		}
	}
	ts, err := TheilSen(y, 0)
	if err != nil {
		t.Fatal(err)
	}
	ols, _ := OLS(y)
	if math.Abs(ts.Slope-0.5) > 0.1 || !(ts.Lower <= ts.Slope && ts.Slope <= ts.Upper) {
		t.Errorf("Theil–Sen %+v, want slope 0.5 ± 0.1 inside its interval", ts)
	}
	if math.Abs(ols.Slope-0.5) < 0.5 {
		t.Errorf("OLS slope %g unexpectedly close to 0.5", ols.Slope)
	}
}
