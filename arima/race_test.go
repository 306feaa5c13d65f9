package arima

import (
	"math"
	"slices"
	"sync"
	"testing"
)

// TestConcurrentUse forecasts and updates one model from several goroutines (run with -race).
func TestConcurrentUse(t *testing.T) {
	y := loadSeries(t, "USAccDeaths.csv")
	m, err := Fit(y, Spec{Order: Order{0, 1, 1}, Seasonal: Seasonal{0, 1, 1, 12}}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	want := m.Forecast(12, 95)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var f Forecast
			for range 50 {
				if err := m.ForecastTo(&f, 12, 95, ForecastConfig{}); err != nil {
					t.Error(err)
					return
				}
				if f.Mean[11] != want.Mean[11] || f.SE[11] != want.SE[11] {
					t.Errorf("goroutine %d: forecast changed", g)
					return
				}
				if _, err := m.Update(9000, 9100); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestConcurrentFits runs fits and searches of series of different lengths and models on
// several goroutines at once, in different orders — the fits recycle their scratch through a
// pool shared by the goroutines — and checks that each model, read once all the fits are done,
// is bit for bit the one the fit gives run alone (run with -race).
func TestConcurrentFits(t *testing.T) {
	type job struct {
		y    []float64
		spec Spec
		auto bool
	}
	var jobs []job
	for i, n := range []int{24, 48, 100, 168, 300} {
		y := hourlySeries(n, i%2 == 0, uint64(i+1))
		jobs = append(jobs,
			job{y: y, auto: true},
			job{y: y, spec: Spec{Order: Order{1, 1, 1}, Drift: true}},
			job{y: y, spec: Spec{Order: Order{2, 0, 1}, Mean: true}},
			job{y: y, spec: Spec{Order: Order{0, 1, 1}, Seasonal: Seasonal{1, 0, 0, 12}}},
			job{y: y, spec: Spec{Order: Order{2, 0, 1}, Mean: true, Fixed: []float64{math.NaN(), 0.1, math.NaN(), math.NaN()}}},
		)
	}
	run := func(j job) *Model {
		if j.auto {
			m, _ := Auto(j.y, AutoConfig{NonSeasonal: true, MaxP: 1, MaxQ: 1, MaxD: 1})
			return m
		}
		m, _ := Fit(j.y, j.spec, Config{})
		return m
	}
	numbers := func(m *Model) []float64 {
		if m == nil {
			return nil
		}
		cov, free := m.Vcov()
		out := append(m.Coef(), cov...)
		for _, j := range free {
			out = append(out, float64(j))
		}
		out = append(out, m.Sigma2(), m.LogLik())
		out = append(out, m.Residuals()...)
		return append(out, m.Forecast(6, 95).Mean...)
	}
	same := func(a, b []float64) bool {
		return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
	}
	alone := make([]*Model, len(jobs))
	for i, j := range jobs {
		alone[i] = run(j)
	}
	const goroutines = 4
	models := make([][]*Model, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 2 * len(jobs) {
				models[g] = append(models[g], run(jobs[(k*(2*g+1)+g)%len(jobs)]))
			}
		}()
	}
	wg.Wait()
	for g, ms := range models {
		for k, m := range ms {
			i := (k*(2*g+1) + g) % len(jobs)
			if want := numbers(alone[i]); !same(numbers(m), want) || len(want) == 0 {
				t.Errorf("goroutine %d, job %d: the model differs from the fit run alone", g, i)
			}
		}
	}
}
