package trend

import (
	"math"
	"testing"
)

func linspace(a, b float64, n int) []float64 {
	y := make([]float64, n)
	for i := range y {
		y[i] = a + (b-a)*float64(i)/float64(n-1)
	}
	return y
}

// TestLegacyAgainstOriginal checks the values measured on the original
// service (ORIGINAL-SYSTEM.md §4.5). The full-precision numbers come from a
// NumPy transcription of the three functions,
// ../testdata/trend/legacy.py (/usr/bin/python3 legacy.py).
func TestLegacyAgainstOriginal(t *testing.T) {
	v := append(linspace(10, 15, 25), linspace(15, 10, 25)...)
	steps := append(make([]float64, 0, 19), 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 4, 8, 16, 32, 64)
	sine := linspace(0, 4*math.Pi, 50)
	for i, x := range sine {
		sine[i] = 10 + 5*math.Sin(x)
	}
	flat := make([]float64, 50)
	for i := range flat {
		flat[i] = 15
	}
	cases := []struct {
		name      string
		got, want float64
		tol       float64
	}{
		{"trend(linspace(10,20,50)) §4.5: 0.013605", LegacyTrend(linspace(10, 20, 50), 5), 0.013605442176870654, 1e-15},
		{"trend(linspace(20,10,50)) §4.5: −0.013605", LegacyTrend(linspace(20, 10, 50), 5), -0.013605442176870841, 1e-15},
		{"trend(15·ones(50)) §4.5: about 1e−16", LegacyTrend(flat, 5), 0, 1e-15},
		{"trend([10,11,12,15,16,18,20]) §4.5: 1.9/14.571 = 0.1304", LegacyTrend([]float64{10, 11, 12, 15, 16, 18, 20}, 5), 0.13039215686274505, 1e-15},
		{"seasonality(10+5 sin(0..4π, 50)) §4.5: 0.4961", LegacySeasonality(sine, 24), 0.4960632511340255, 1e-13},
		{"trend_change(V) magnitude §4.5: 0.0333", second(LegacyTrendChange(v, 5, 0.3)), 0.03333333333333341, 1e-15},
		{"trend_change(steps) magnitude §4.5: 1.0", second(LegacyTrendChange(steps, 5, 0.3)), 1, 0},
		{"fewer than window → 0", LegacyTrend([]float64{1, 2, 3}, 5), 0, 0},
		{"fewer than 2·period → 0", LegacySeasonality(sine[:47], 24), 0, 0},
		{"negative mean divides by 1", LegacyTrend([]float64{-5, -4, -3, -2, -1}, 5), 1, 0},
		{"clipped at −1", LegacyTrend([]float64{1, 1, 1, 1, 1, 1.2, 0.6, 0, -0.6, -1.2}, 5), -1, 0},
	}
	for _, c := range cases {
		if math.Abs(c.got-c.want) > c.tol {
			t.Errorf("%s: got %.17g, want %.17g", c.name, c.got, c.want)
		}
	}
	if changed, _ := LegacyTrendChange(v, 5, 0.3); changed {
		t.Error("the V shape was detected; the original misses it")
	}
	if changed, _ := LegacyTrendChange(steps, 5, 0.3); !changed {
		t.Error("the exponential steps were not detected")
	}
	if changed, m := LegacyTrendChange(v[:9], 5, 0.3); changed || m != 0 {
		t.Error("fewer than 2·window values must give (false, 0)")
	}
	if got := LegacyTrend([]float64{1, 2, math.NaN(), 4, 5}, 5); !math.IsNaN(got) {
		t.Errorf("NaN input gave %g, want NaN", got)
	}
}

func second(_ bool, m float64) float64 { return m }
