package trend

import (
	"encoding/csv"
	"errors"
	"math"
	"os"
	"slices"
	"strconv"
	"testing"
)

// stlInput reads column y of ../internal/stl/testdata/name.csv (R's
// built-in data sets written by that directory's generate.R).
func stlInput(t *testing.T, name string) []float64 {
	t.Helper()
	f, err := os.Open("../internal/stl/testdata/" + name + ".csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	y := make([]float64, len(rows)-1)
	for i, row := range rows[1:] {
		if y[i], err = strconv.ParseFloat(row[0], 64); err != nil {
			t.Fatal(err)
		}
	}
	return y
}

// TestStrengthMatchesR compares with the definition evaluated in R on R's
// own decompositions:
//
//	f <- stl(nottem, s.window = "periodic"); ts <- f$time.series; r <- ts[, "remainder"]
//	c(max(0, 1 - var(r)/var(ts[, "trend"] + r)), max(0, 1 - var(r)/var(ts[, "seasonal"] + r)))
//	# 0.20548800242391874 0.94383342296931294
//	(the same for stl(co2, s.window = 13, robust = TRUE))
//	# 0.99975354772661806 0.98726618775815056
//	forecast:::seas.heuristic(AirPassengers)   # 0.94067249031021838
func TestStrengthMatchesR(t *testing.T) {
	cases := []struct {
		file                string
		cfg                 STLConfig
		wantTrend, wantSeas float64
	}{
		{"nottem_periodic", STLConfig{Period: 12, Periodic: true}, 0.20548800242391874, 0.94383342296931294},
		{"co2_s13_robust", STLConfig{Period: 12, SeasonalWindow: 13, Robust: true}, 0.99975354772661806, 0.98726618775815056},
	}
	for _, c := range cases {
		d, err := Decompose(stlInput(t, c.file), c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		ft, fs := Strength(d)
		if math.Abs(ft-c.wantTrend) > 1e-10 || math.Abs(fs-c.wantSeas) > 1e-10 {
			t.Errorf("%s: strengths %.17g %.17g, want %.17g %.17g", c.file, ft, fs, c.wantTrend, c.wantSeas)
		}
	}
	air := stlInput(t, "air_mstl")
	m, err := DecomposeMultiple(air, []int{12}, MSTLConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if s := SeasonalStrengths(m); len(s) != 1 || math.Abs(s[0]-0.94067249031021838) > 1e-10 {
		t.Errorf("AirPassengers seasonal strength %v, want 0.94067249031021838", s)
	}
}

func TestDecomposeErrors(t *testing.T) {
	y := make([]float64, 30)
	if _, err := Decompose(y, STLConfig{Period: 15}); !errors.Is(err, ErrTooFew) {
		t.Errorf("two periods: %v, want ErrTooFew", err)
	}
	y[3] = math.NaN()
	if _, err := Decompose(y, STLConfig{Period: 4}); !errors.Is(err, ErrNotFinite) {
		t.Errorf("NaN: %v, want ErrNotFinite", err)
	}
	if _, err := DecomposeMultiple(y, []int{4}, MSTLConfig{}); !errors.Is(err, ErrNotFinite) {
		t.Errorf("MSTL NaN: %v, want ErrNotFinite", err)
	}
	if _, err := DecomposeMultiple(make([]float64, 30), []int{20}, MSTLConfig{}); !errors.Is(err, ErrTooFew) {
		t.Errorf("MSTL too short: %v, want ErrTooFew", err)
	}
	if _, err := Decompose(make([]float64, 30), STLConfig{Period: 1}); err == nil {
		t.Error("period 1 accepted")
	}
}

// TestHourlyMSTL decomposes four weeks of synthetic hourly data with daily
// and weekly cycles and checks that each component is recovered.
func TestHourlyMSTL(t *testing.T) {
	n := 24 * 7 * 4
	y := make([]float64, n)
	daily := make([]float64, n)
	weekly := make([]float64, n)
	for i := range y {
		daily[i] = 10 * math.Sin(2*math.Pi*float64(i)/24)
		weekly[i] = 5 * math.Cos(2*math.Pi*float64(i)/168)
		y[i] = 100 + 0.01*float64(i) + daily[i] + weekly[i]
	}
	d, err := DecomposeMultiple(y, []int{168, 24}, MSTLConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Periods, []int{24, 168}) {
		t.Fatalf("periods %v", d.Periods)
	}
	for i := 168; i < n-168; i++ {
		if math.Abs(d.Seasonal[0][i]-daily[i]) > 0.5 || math.Abs(d.Seasonal[1][i]-weekly[i]) > 0.5 {
			t.Fatalf("at %d: daily %g (want %g), weekly %g (want %g)", i, d.Seasonal[0][i], daily[i], d.Seasonal[1][i], weekly[i])
		}
	}
	s := SeasonalStrengths(d)
	if s[0] < 0.99 || s[1] < 0.99 {
		t.Errorf("seasonal strengths %v, want both near 1", s)
	}
}

func TestDetectPeriod(t *testing.T) {
	hourly := make([]float64, 24*7*3)
	for i := range hourly {
		hourly[i] = 50 + 10*math.Sin(2*math.Pi*float64(i)/24) + 3*math.Sin(float64(i*i)) // deterministic noise
	}
	p, err := DetectPeriod(hourly, PeriodConfig{})
	if err != nil || p[0].Lag != 24 {
		t.Fatalf("daily cycle: %v, %v; want lag 24 first", p, err)
	}
	weekly := make([]float64, 24*7*4)
	for i := range weekly {
		weekly[i] = 10*math.Sin(2*math.Pi*float64(i)/24) + 20*math.Sin(2*math.Pi*float64(i)/168)
	}
	p, err = DetectPeriod(weekly, PeriodConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if p[0].Lag != 168 {
		t.Errorf("daily and weekly cycles: candidates %v, want 168 first", p)
	}
	// R: acf(nottem, lag.max = 24, plot = FALSE)$acf[13] = 0.884306148444291
	// (lag 12); its lag 24 (0.866) is the only other peak up to 30.
	p, err = DetectPeriod(stlInput(t, "nottem_periodic"), PeriodConfig{MaxPeriod: 30})
	if err != nil || len(p) != 2 || p[0].Lag != 12 || math.Abs(p[0].ACF-0.884306148444291) > 1e-12 || p[1].Lag != 24 {
		t.Errorf("nottem: %v, %v; want lag 12 with ACF 0.884306148444291, then 24", p, err)
	}
	ramp := make([]float64, 100)
	for i := range ramp {
		ramp[i] = float64(i)
	}
	if _, err := DetectPeriod(ramp, PeriodConfig{}); !errors.Is(err, ErrNoPeriod) {
		t.Errorf("ramp: %v, want ErrNoPeriod", err)
	}
	if _, err := DetectPeriod(make([]float64, 50), PeriodConfig{}); !errors.Is(err, ErrNoPeriod) {
		t.Errorf("constant: %v, want ErrNoPeriod", err)
	}
	if _, err := DetectPeriod([]float64{1, 2, 3, 4}, PeriodConfig{}); !errors.Is(err, ErrTooFew) {
		t.Errorf("four values: %v, want ErrTooFew", err)
	}
}
