package arima

import (
	"math"
	"strings"
	"testing"
)

// TestReferenceAuto checks every automatic selection of expected.json (forecast::auto.arima
// with defaults, plus the exhaustive search of extra.WWWusage_auto_full): Auto must choose R's
// model or one whose AICc is no worse than R's, and when it chooses R's model the fit must
// match R's as the fixed-order fits do.
func TestReferenceAuto(t *testing.T) {
	ref := loadReference(t)
	cases := map[string]refFit{}
	for name, want := range ref.Auto {
		cases[name] = want
	}
	for name, want := range ref.Extra {
		if want.Label != "" {
			cases[name] = want
		}
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			series := ref.Series[want.Series]
			y := loadSeries(t, series.File)
			cfg := AutoConfig{Period: series.Frequency}
			if strings.Contains(want.RCall, "stepwise = FALSE") {
				cfg.Exhaustive = true
				cfg.Approximation = ApproxOff
			}
			m, err := Auto(y, cfg)
			if err != nil {
				t.Fatalf("%s: %v", want.RCall, err)
			}
			same := m.Order() == Order{want.Order[0], want.Order[1], want.Order[2]} &&
				(want.Seasonal[3] == 1 || m.Seasonal() == Seasonal{want.Seasonal[0], want.Seasonal[1], want.Seasonal[2], want.Seasonal[3]})
			if !same {
				if m.AICc() > *want.AICc+1e-6 {
					t.Fatalf("%s: chose %v%v with AICc %.4f, R chose %s with AICc %.4f", want.RCall, m.Order(), m.Seasonal(), m.AICc(), want.Label, *want.AICc)
				}
				t.Logf("%s: chose %v%v with AICc %.4f ≤ R's %s (%.4f)", want.RCall, m.Order(), m.Seasonal(), m.AICc(), want.Label, *want.AICc)
				return
			}
			checkFit(t, m, want)
			checkForecast(t, m.Forecast(5, 95), want.Forecast, want.RCall)
		})
	}
}

// TestReferenceDiffs checks the unit-root tests against forecast's ndiffs and nsdiffs (the
// seasonal-strength heuristic and OCSB); the CH test is not implemented and its entry is skipped.
func TestReferenceDiffs(t *testing.T) {
	ref := loadReference(t)
	for key, want := range ref.Ndiffs {
		name := key[:strings.Index(key, "_")]
		var series refSeries
		for sname, s := range ref.Series {
			if sname == name {
				series = s
			}
		}
		y := loadSeries(t, series.File)
		var got int
		switch {
		case strings.HasSuffix(key, "_kpss"):
			got = NDiffs(y, 2)
		case strings.HasSuffix(key, "_nsdiffs_seas"):
			got = NSDiffs(y, series.Frequency, 1)
		case strings.HasSuffix(key, "_nsdiffs_ocsb"):
			got = NSDiffsOCSB(y, series.Frequency, 1)
		default:
			continue
		}
		if got != want.Value {
			t.Errorf("%s: got %d, R %d", want.RCall, got, want.Value)
		}
	}
}

// TestOCSBStatistic compares the statistic with forecast 8.20:
// forecast:::ocsb.test(x, maxlag = 3, lag.method = "AIC")$statistics and calcOCSBCritVal(12).
func TestOCSBStatistic(t *testing.T) {
	for _, c := range []struct {
		file string
		log  bool
		want float64
	}{
		{"USAccDeaths.csv", false, -2.227109},
		{"AirPassengers.csv", false, 1.518762},
		{"AirPassengers.csv", true, -1.95083},
	} {
		y := loadSeries(t, c.file)
		if c.log {
			for i := range y {
				y[i] = math.Log(y[i])
			}
		}
		stat, crit, err := OCSB(y, 12)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(stat-c.want) > 1e-5 || math.Abs(crit+1.802963) > 1e-6 {
			t.Errorf("%s (log %v): OCSB %.6f (critical %.6f), forecast %.6f (-1.802963)", c.file, c.log, stat, crit, c.want)
		}
	}
}
