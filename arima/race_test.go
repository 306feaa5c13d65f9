package arima

import (
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
