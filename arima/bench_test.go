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
