package arima

import (
	"math/rand/v2"
	"testing"
)

// benchSeries returns n values of a simulated series for benchmarks (fixed seed).
func benchSeries(spec Spec, coef []float64, n int, seed uint64) []float64 {
	return Simulate(spec, coef, 1, n, rand.New(rand.NewPCG(seed, 1)))
}

func BenchmarkFitARIMA211N1000(b *testing.B) {
	spec := Spec{Order: Order{2, 1, 1}}
	y := benchSeries(spec, []float64{0.5, -0.3, 0.4}, 1000, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Fit(y, spec, Config{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFitSeasonal24N1000(b *testing.B) {
	spec := Spec{Order: Order{1, 0, 1}, Seasonal: Seasonal{1, 1, 1, 24}}
	y := benchSeries(spec, []float64{0.6, 0.3, 0.4, -0.5}, 1000, 2)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Fit(y, spec, Config{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAutoNonSeasonalN1000(b *testing.B) {
	spec := Spec{Order: Order{2, 1, 1}}
	y := benchSeries(spec, []float64{0.5, -0.3, 0.4}, 1000, 3)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Auto(y, AutoConfig{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAutoAirPassengers(b *testing.B) {
	y := loadSeries(b, "AirPassengers.csv")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Auto(y, AutoConfig{Period: 12}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkForecast24(b *testing.B) {
	y := loadSeries(b, "logAirPassengers.csv")
	m, err := Fit(y, Spec{Order: Order{0, 1, 1}, Seasonal: Seasonal{0, 1, 1, 12}}, Config{})
	if err != nil {
		b.Fatal(err)
	}
	var f Forecast
	b.ReportAllocs()
	for b.Loop() {
		if err := m.ForecastTo(&f, 24, 95, ForecastConfig{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAutoXregN300 selects a regression with ARIMA errors on the two regressors of
// testdata/arima/xreg.csv (n = 300, so with the CSS approximation).
func BenchmarkAutoXregN300(b *testing.B) {
	y, cols := loadGeneratedSeries(b, "xreg")
	cfg := AutoConfig{Xreg: [][]float64{cols["x1"], cols["x2"]}, XregNames: []string{"x1", "x2"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Auto(y, cfg); err != nil {
			b.Fatal(err)
		}
	}
}

// hourlySeries returns n values like a metric of the predictive alerter (fixed seed): a level
// of 50 plus an AR(1) with φ = 0.7 (walk false) or a random walk (walk true), plus white
// noise.
func hourlySeries(n int, walk bool, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 2))
	phi := 0.7
	if walk {
		phi = 1
	}
	y := make([]float64, n)
	u := 0.0
	for i := range y {
		u = phi*u + rng.NormFloat64()
		y[i] = 50 + u + 0.5*rng.NormFloat64()
	}
	return y
}

// BenchmarkAutoShortHourly is the predictive alerter's model choice: a non-seasonal search
// with p, q ≤ 1 and d ≤ 1 on a week (n = 168) or two days (n = 48) of hourly values.
func BenchmarkAutoShortHourly(b *testing.B) {
	cfg := AutoConfig{NonSeasonal: true, MaxP: 1, MaxQ: 1, MaxD: 1}
	for _, c := range []struct {
		name string
		n    int
		walk bool
	}{{"AR1/n=168", 168, false}, {"AR1/n=48", 48, false}, {"Walk/n=168", 168, true}, {"Walk/n=48", 48, true}} {
		y := hourlySeries(c.n, c.walk, 4)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Auto(y, cfg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFitShort is the predictive alerter's re-estimation of chosen orders on a week of
// hourly values: ARIMA(1,1,1) with drift on a random walk, ARIMA(1,0,1) with mean on an AR(1).
func BenchmarkFitShort(b *testing.B) {
	for _, c := range []struct {
		name string
		spec Spec
		walk bool
	}{
		{"ARIMA111Drift", Spec{Order: Order{1, 1, 1}, Drift: true}, true},
		{"ARIMA101Mean", Spec{Order: Order{1, 0, 1}, Mean: true}, false},
	} {
		y := hourlySeries(168, c.walk, 5)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Fit(y, c.spec, Config{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
