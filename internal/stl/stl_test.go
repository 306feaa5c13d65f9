package stl

import (
	"encoding/csv"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// readColumns reads testdata/name.csv (written by testdata/generate.R) into
// its named columns.
func readColumns(t testing.TB, name string) map[string][]float64 {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name+".csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	cols := make(map[string][]float64)
	for _, row := range rows[1:] {
		for j, cell := range row {
			v, err := strconv.ParseFloat(cell, 64)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			cols[rows[0][j]] = append(cols[rows[0][j]], v)
		}
	}
	return cols
}

// assertClose fails unless got and want agree within tol·max(1, max|y|):
// the components of y carry rounding errors on the scale of y.
func assertClose(t *testing.T, what string, got, want, y []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: length %d, want %d", what, len(got), len(want))
	}
	scale := 1.0
	for _, v := range y {
		scale = math.Max(scale, math.Abs(v))
	}
	for i := range want {
		if d := math.Abs(got[i] - want[i]); !(d <= tol*scale) {
			t.Fatalf("%s[%d] = %.17g, want %.17g (|diff| %.3g)", what, i, got[i], want[i], d)
		}
	}
}

// TestDecomposeMatchesR compares with R's stl; the commands are in
// testdata/generate.R (Rscript generate.R, R 4.x stats::stl).
func TestDecomposeMatchesR(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
	}{
		// stl(nottem, s.window = "periodic")
		{"nottem_periodic", Config{Period: 12, Periodic: true}},
		// stl(nottem, s.window = 7)
		{"nottem_s7", Config{Period: 12, SeasonalWindow: 7}},
		// stl(nottem, s.window = "periodic", robust = TRUE)
		{"nottem_periodic_robust", Config{Period: 12, Periodic: true, Robust: true}},
		// stl(co2, s.window = 13, robust = TRUE)
		{"co2_s13_robust", Config{Period: 12, SeasonalWindow: 13, Robust: true}},
		// stl(co2, s.window = 21, s.degree = 1, t.window = 31, l.window = 13,
		//     t.jump = 1, l.jump = 1, s.jump = 1, inner = 3)
		{"co2_custom", Config{Period: 12, SeasonalWindow: 21, SeasonalDegree: Linear,
			TrendWindow: 31, LowPassWindow: 13, SeasonalJump: 1, TrendJump: 1, LowPassJump: 1, Inner: 3}},
		// stl(AirPassengers, s.window = 10, t.window = 20): even windows.
		{"air_s10_even", Config{Period: 12, SeasonalWindow: 10, TrendWindow: 20}},
		// stl(AirPassengers, s.window = 10): the defaults derive from the even
		// window (t.window 23, s.jump 1) before it is made odd.
		{"air_s10_defaults", Config{Period: 12, SeasonalWindow: 10}},
		// stl(ts(s3, frequency = 3), s.window = "periodic", robust = TRUE): 74 values
		// of period 3 with spikes (the Alerter's daily profile of 8-hour windows),
		// whose fifteen robustness passes amplify differences of rounding.
		{"spiky3_periodic_robust", Config{Period: 3, Periodic: true, Robust: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := readColumns(t, c.name)
			got, err := Decompose(want["y"], c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			const tol = 1e-12
			assertClose(t, "trend", got.Trend, want["trend"], want["y"], tol)
			assertClose(t, "seasonal", got.Seasonal, want["seasonal"], want["y"], tol)
			assertClose(t, "remainder", got.Remainder, want["remainder"], want["y"], tol)
			assertClose(t, "weights", got.Weights, want["weights"], want["y"], tol)
		})
	}
}

// TestDecomposeMultipleMatchesR compares with forecast::mstl (forecast 8.20);
// the commands are in testdata/generate.R.
func TestDecomposeMultipleMatchesR(t *testing.T) {
	cases := []struct {
		name    string
		periods []int
		cfg     MultipleConfig
	}{
		{"air_mstl", []int{12}, MultipleConfig{}},                                         // mstl(AirPassengers)
		{"taylor_mstl", []int{336, 48}, MultipleConfig{}},                                 // mstl(msts(…, c(48, 336)))
		{"hourly_mstl_robust", []int{24, 168}, MultipleConfig{STL: Config{Robust: true}}}, // mstl(…, robust = TRUE)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := readColumns(t, c.name)
			got, err := DecomposeMultiple(want["y"], c.periods, c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			const tol = 1e-12
			assertClose(t, "trend", got.Trend, want["trend"], want["y"], tol)
			for k, p := range got.Periods {
				assertClose(t, "seasonal"+strconv.Itoa(p), got.Seasonal[k], want["seasonal"+strconv.Itoa(p)], want["y"], tol)
			}
			assertClose(t, "remainder", got.Remainder, want["remainder"], want["y"], tol)
		})
	}
}

func TestDecomposeErrors(t *testing.T) {
	y := make([]float64, 24)
	cases := []struct {
		name string
		y    []float64
		cfg  Config
		want error
	}{
		{"two periods exactly", y, Config{Period: 12}, ErrTooShort},
		{"empty", nil, Config{Period: 2}, ErrTooShort},
		{"NaN", append(make([]float64, 30), math.NaN()), Config{Period: 12}, ErrNotFinite},
		{"Inf", append(make([]float64, 30), math.Inf(-1)), Config{Period: 12}, ErrNotFinite},
		{"period beyond any series", y, Config{Period: 1 << 62}, ErrTooShort},
	}
	for _, c := range cases {
		if _, err := Decompose(c.y, c.cfg); !errors.Is(err, c.want) {
			t.Errorf("%s: error %v, want %v", c.name, err, c.want)
		}
	}
	for _, cfg := range []Config{
		{Period: 1}, {Period: 0}, {Period: 4, TrendWindow: -1}, {Period: 4, Inner: -2},
		{Period: 4, SeasonalDegree: 3}, {Period: 4, LowPassDegree: -1},
	} {
		if _, err := Decompose(make([]float64, 100), cfg); err == nil {
			t.Errorf("Decompose with %+v: no error", cfg)
		}
	}
}

func TestDecomposeMultipleErrors(t *testing.T) {
	y := make([]float64, 100)
	if _, err := DecomposeMultiple(y, []int{50, 60}, MultipleConfig{}); !errors.Is(err, ErrTooShort) {
		t.Errorf("all periods too long: error %v, want ErrTooShort", err)
	}
	if _, err := DecomposeMultiple(y, []int{1}, MultipleConfig{}); err == nil {
		t.Error("period 1: no error")
	}
	if _, err := DecomposeMultiple(y, []int{4, 6, 8}, MultipleConfig{SeasonalWindows: []int{7, 9}}); err == nil {
		t.Error("too few windows: no error")
	}
	if _, err := DecomposeMultiple(y, []int{1 << 62}, MultipleConfig{}); !errors.Is(err, ErrTooShort) {
		t.Errorf("period 2⁶²: error %v, want ErrTooShort", err)
	}
	if _, err := DecomposeMultiple(y, []int{4}, MultipleConfig{Iterations: -1}); err == nil {
		t.Error("negative iterations: no error")
	}
	// A seasonal window of 1 is raised to 3 (it used to hang: see TestDecomposeProperties).
	if _, err := DecomposeMultiple(y, []int{4}, MultipleConfig{SeasonalWindows: []int{1}}); err != nil {
		t.Errorf("seasonal window 1: %v", err)
	}
	res, err := DecomposeMultiple(y, []int{7, 4, 60, 4}, MultipleConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Periods) != 2 || res.Periods[0] != 4 || res.Periods[1] != 7 {
		t.Errorf("periods %v, want [4 7] (sorted, deduplicated, too long dropped)", res.Periods)
	}
}

// TestDecomposeProperties checks the identities every decomposition obeys:
// the components add up to the input, the input is not modified, a constant
// series has zero seasonal and remainder, and periodic seasonals repeat.
func TestDecomposeProperties(t *testing.T) {
	y := make([]float64, 97)
	for i := range y {
		y[i] = 5 + 0.3*float64(i) + 4*math.Sin(2*math.Pi*float64(i)/7) + math.Cos(float64(i*i))
	}
	orig := append([]float64(nil), y...)
	for _, cfg := range []Config{
		{Period: 7}, {Period: 7, Periodic: true}, {Period: 7, Robust: true},
		{Period: 7, SeasonalWindow: 5, SeasonalDegree: Linear, TrendDegree: Constant},
		// Windows below 3 are raised to 3, and the defaults derived from them with it (R's
		// formula on a seasonal window of 1 gave a negative trend window, jumps of 0 and a
		// loop that never ended).
		{Period: 4, SeasonalWindow: 1}, {Period: 4, SeasonalWindow: 2, TrendWindow: 1, LowPassWindow: 1},
	} {
		r, err := Decompose(y, cfg)
		if err != nil {
			t.Fatal(err)
		}
		for i := range y {
			if y[i] != orig[i] {
				t.Fatalf("%+v: input modified", cfg)
			}
			if d := math.Abs(r.Trend[i] + r.Seasonal[i] + r.Remainder[i] - y[i]); d > 1e-12 {
				t.Fatalf("%+v: components differ from y by %g at %d", cfg, d, i)
			}
			if w := r.Weights[i]; !(w >= 0 && w <= 1) || (!cfg.Robust && w != 1) {
				t.Fatalf("%+v: weight %g at %d", cfg, w, i)
			}
			if cfg.Periodic && i >= 7 && r.Seasonal[i] != r.Seasonal[i-7] {
				t.Fatalf("periodic seasonal not periodic at %d", i)
			}
		}
	}
	c := make([]float64, 50)
	for i := range c {
		c[i] = 3.5
	}
	r, err := Decompose(c, Config{Period: 4, Robust: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range c {
		if math.Abs(r.Trend[i]-3.5) > 1e-12 || math.Abs(r.Seasonal[i]) > 1e-12 || math.Abs(r.Remainder[i]) > 1e-12 {
			t.Fatalf("constant series: trend %g seasonal %g remainder %g at %d", r.Trend[i], r.Seasonal[i], r.Remainder[i], i)
		}
	}
}

// TestDecomposeReusesWorkspaces checks that decompositions of different
// sizes and settings, sharing pooled workspaces one after another and
// concurrently, give the results of the same calls made in another order.
func TestDecomposeReusesWorkspaces(t *testing.T) {
	type call struct {
		n   int
		cfg Config
	}
	var calls []call
	for _, n := range []int{49, 168, 1000} {
		for _, cfg := range []Config{
			{Period: 24, Periodic: true, Robust: true}, {Period: 24}, {Period: 7, Robust: true},
			{Period: 12, SeasonalWindow: 21, SeasonalDegree: Linear, SeasonalJump: 1, TrendJump: 1},
		} {
			calls = append(calls, call{n, cfg})
		}
	}
	decompose := func(c call) Result {
		r, err := Decompose(hourly(c.n), c.cfg)
		if err != nil {
			t.Error(err)
		}
		return r
	}
	want := make([]Result, len(calls))
	for i, c := range calls {
		want[i] = decompose(c)
	}
	check := func(i int, got Result) {
		for j := range got.Trend {
			if got.Trend[j] != want[i].Trend[j] || got.Seasonal[j] != want[i].Seasonal[j] || got.Weights[j] != want[i].Weights[j] {
				t.Errorf("n = %d, %+v: result differs at %d", calls[i].n, calls[i].cfg, j)
				return
			}
		}
	}
	for i := len(calls) - 1; i >= 0; i-- {
		check(i, decompose(calls[i]))
	}
	done := make(chan struct{})
	for i := range calls {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 3 {
				check(i, decompose(calls[i]))
			}
		}()
	}
	for range calls {
		<-done
	}
}
