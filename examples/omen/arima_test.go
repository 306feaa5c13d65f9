package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stacklens/omen/internal/testenv"
)

// referenceArima returns ../shared/reference/arima beside the repository (see its README for
// the R commands behind expected.json); testenv.Shared fails the test under CI when it is missing.
func referenceArima(t *testing.T) string {
	t.Helper()
	return filepath.Join(testenv.Shared(t), "reference", "arima")
}

type arimaOutput struct {
	Order    []int              `json:"order"`
	Seasonal []int              `json:"seasonal"`
	Coef     map[string]float64 `json:"coef"`
	SE       map[string]float64 `json:"se"`
	Sigma2   float64            `json:"sigma2"`
	LogLik   float64            `json:"loglik"`
	AIC      float64            `json:"aic"`
	AICc     float64            `json:"aicc"`
	BIC      float64            `json:"bic"`
	NObs     int                `json:"nobs"`
	Forecast struct {
		Mean, SE, Lower, Upper []float64
	} `json:"forecast"`
}

func runArimaCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = runMain(append([]string{"arima"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func near(got, want, rel float64) bool {
	return math.Abs(got-want) <= rel*math.Abs(want)+1e-9
}

// TestArimaUSAccDeaths runs the command of the issue and compares with R:
// arima(USAccDeaths, order = c(0,1,1), seasonal = list(order = c(0,1,1))) and
// predict(fit, n.ahead = 5) (expected.json, fixed.USAccDeaths_011_011).
func TestArimaUSAccDeaths(t *testing.T) {
	code, stdout, stderr := runArimaCLI(t, "-in", filepath.Join(referenceArima(t), "USAccDeaths.csv"), "-order", "0,1,1", "-seasonal", "0,1,1,12")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got arimaOutput
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, stdout)
	}
	want := map[string]float64{"ma1": -0.430269236217264, "sma1": -0.552791270185796}
	for k, w := range want {
		if !near(got.Coef[k], w, 1e-3) {
			t.Errorf("coef %s = %v, R %v", k, got.Coef[k], w)
		}
	}
	if !near(got.SE["ma1"], 0.122802743836814, 0.01) || !near(got.SE["sma1"], 0.178374236924909, 0.01) {
		t.Errorf("se = %v", got.SE)
	}
	checks := []struct {
		name      string
		got, want float64
		rel       float64
	}{
		{"sigma2", got.Sigma2, 99346.8899300853, 1e-3},
		{"loglik", got.LogLik, -425.439993553138, 1e-5},
		{"aic", got.AIC, 856.879987106275, 1e-5},
		{"aicc", got.AICc, 857.316350742639, 1e-5},
		{"bic", got.BIC, 863.112599437992, 1e-5},
	}
	for _, c := range checks {
		if !near(c.got, c.want, c.rel) {
			t.Errorf("%s = %v, R %v", c.name, c.got, c.want)
		}
	}
	if got.NObs != 59 || len(got.Order) != 3 || got.Seasonal[3] != 12 {
		t.Errorf("nobs %d order %v seasonal %v", got.NObs, got.Order, got.Seasonal)
	}
	wantMean := []float64{8336.06126629841, 7531.82914118518, 8314.64376018511, 8616.86875619251, 9488.91252223543}
	wantSE := []float64{315.448093202132, 363.005600812647, 405.01683036613, 443.062297506801, 478.089704961002}
	for i := range wantMean {
		if !near(got.Forecast.Mean[i], wantMean[i], 1e-4) || !near(got.Forecast.SE[i], wantSE[i], 1e-3) {
			t.Errorf("forecast %d: %v ± %v, R %v ± %v", i, got.Forecast.Mean[i], got.Forecast.SE[i], wantMean[i], wantSE[i])
		}
	}
}

// TestArimaAuto: auto.arima(lh) chooses ARIMA(1,0,0) with non-zero mean (expected.json,
// auto.lh).
func TestArimaAuto(t *testing.T) {
	code, stdout, stderr := runArimaCLI(t, "-in", filepath.Join(referenceArima(t), "lh.csv"), "-auto", "-h", "3", "-level", "80")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got arimaOutput
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatal(err)
	}
	if got.Order[0] != 1 || got.Order[1] != 0 || got.Order[2] != 0 || len(got.Coef) != 2 {
		t.Fatalf("auto chose %v %v", got.Order, got.Coef)
	}
	if !near(got.Coef["intercept"], 2.41328795771249, 1e-3) || len(got.Forecast.Mean) != 3 {
		t.Errorf("got %+v", got)
	}
}

func writeArimaFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestArimaMissingValues: empty cells and NA are missing values that keep their time step.
func TestArimaMissingValues(t *testing.T) {
	var b strings.Builder
	b.WriteString("t,y\n")
	for i := range 60 {
		v := math.Sin(float64(i)/3) * 10
		switch i {
		case 10:
			b.WriteString("10,\n")
		case 20:
			b.WriteString("20,NA\n")
		default:
			b.WriteString(strings.Join([]string{formatFloat(float64(i)), formatFloat(v)}, ",") + "\n")
		}
	}
	path := writeArimaFile(t, "gaps.csv", b.String())
	code, stdout, stderr := runArimaCLI(t, "-in", path, "-order", "1,0,0", "-mean")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got arimaOutput
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatal(err)
	}
	if got.NObs != 58 {
		t.Errorf("nobs = %d, want 58 (60 rows, 2 missing)", got.NObs)
	}
}

// In a one-column series a blank line is an empty cell: a missing value in its place, the same
// as NA — not a line to skip, which would shift every later value by a step.
func TestArimaBlankLineIsMissing(t *testing.T) {
	values := []string{"3.1", "2.7", "", "4.0", "3.3", "2.2", "3.9", "4.4", "3.0", "2.5", "3.6", "4.1", "3.2", "2.8"}
	fit := func(name, missing string, drop bool) string {
		var b strings.Builder
		b.WriteString("y\n")
		for _, v := range values {
			switch {
			case v != "":
				b.WriteString(v + "\n")
			case !drop:
				b.WriteString(missing + "\n")
			}
		}
		code, stdout, stderr := runArimaCLI(t, "-in", writeArimaFile(t, name, b.String()), "-order", "1,1,0", "-h", "1")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, stderr)
		}
		return stdout
	}
	blank, na, dropped := fit("blank.csv", "", false), fit("na.csv", "NA", false), fit("dropped.csv", "", true)
	if blank != na {
		t.Errorf("a blank line fits\n%s\nbut NA fits\n%s", blank, na)
	}
	if blank == dropped {
		t.Error("a blank line fits as if the row were absent")
	}
}

func TestArimaBadInput(t *testing.T) {
	good := writeArimaFile(t, "good.csv", "y\n1\n2\n3\n")
	cases := []struct {
		name string
		args []string
		want []string // substrings of the one stderr line
	}{
		{"missing file", []string{"-in", "/nonexistent/series.csv"}, []string{"/nonexistent/series.csv"}},
		{"no column y", []string{"-in", writeArimaFile(t, "x.csv", "x\n1\n2\n")}, []string{"x.csv", `no column "y"`}},
		{"non-numeric", []string{"-in", writeArimaFile(t, "bad.csv", "y\n1\n2\nabc\n4\n")}, []string{"bad.csv", "row 3", "line 4", `column "y"`, "abc"}},
		{"empty", []string{"-in", writeArimaFile(t, "empty.csv", "")}, []string{"empty.csv"}},
		{"header only", []string{"-in", writeArimaFile(t, "header.csv", "y\n")}, []string{"header.csv", "no data rows"}},
		{"infinite", []string{"-in", writeArimaFile(t, "inf.csv", "y\n1\nInf\n")}, []string{"inf.csv", "row 2", `column "y"`}},
		{"too short", []string{"-in", good, "-order", "2,1,1"}, []string{"good.csv", "too short", "needs at least"}},
		{"bad order", []string{"-in", good, "-order", "1,x,0"}, []string{"-order"}},
		{"huge horizon", []string{"-in", good, "-h", "2000000000"}, []string{"-h 2000000000", "from 0 to 1000000"}},
		{"huge magnitudes", []string{"-in", writeArimaFile(t, "huge.csv", "y\n1e200\n-3e200\n2e200\n5e199\n-1e200\n")}, []string{"huge.csv", "magnitudes beyond 1e150"}},
		{"bad method", []string{"-in", good, "-method", "foo"}, []string{"-method"}},
		{"no -in", []string{"-order", "1,0,0"}, []string{"-in"}},
		{"unknown flag", []string{"-in", good, "-bogus"}, []string{"bogus"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runArimaCLI(t, c.args...)
			if code == 0 {
				t.Fatalf("exit 0, stdout %q", stdout)
			}
			if stdout != "" {
				t.Errorf("partial output on failure: %q", stdout)
			}
			line := strings.TrimSuffix(stderr, "\n")
			if strings.Contains(line, "\n") {
				t.Errorf("stderr is not one line: %q", stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q lacks %q", stderr, w)
				}
			}
		})
	}
}

// FuzzArimaCLI: any CSV content given to `omen arima` either succeeds with one JSON object
// or fails with a one-line error and no output; it never panics.
func FuzzArimaCLI(f *testing.F) {
	f.Add("y\n1\n2\n3\n4\n5\n6\n7\n8\n", "1,0,0")
	f.Add("y\nNA\n\n3\n", "0,1,1")
	f.Add("x,y\n1,2\n3,abc\n", "0,0,0")
	f.Add("y\r\n1e308\r\n-1e308\r\n0\r\n1\r\n", "1,1,1")
	f.Add("\ufeffy\n5\n5\n5\n5\n5\n5\n", "0,0,1")
	f.Fuzz(func(t *testing.T, content, order string) {
		path := filepath.Join(t.TempDir(), "s.csv")
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := runArimaCLI(t, "-in", path, "-order", order, "-h", "2")
		if code == 0 {
			var out arimaOutput
			if err := json.Unmarshal([]byte(stdout), &out); err != nil {
				t.Fatalf("invalid JSON %q: %v", stdout, err)
			}
			return
		}
		if stdout != "" || strings.Count(strings.TrimSuffix(stderr, "\n"), "\n") > 0 {
			t.Fatalf("failure output: stdout %q stderr %q", stdout, stderr)
		}
	})
}

// TestArimaBlankHeaderCells: a spreadsheet export's trailing commas (several unnamed, empty
// columns) do not stop a fit of column y (unnamed columns once counted as repeated names).
func TestArimaBlankHeaderCells(t *testing.T) {
	var b strings.Builder
	b.WriteString("y,,\n")
	for i := range 12 {
		fmt.Fprintf(&b, "%d,,\n", 10+i%4)
	}
	code, _, stderr := runArimaCLI(t, "-in", writeArimaFile(t, "trailing.csv", b.String()), "-h", "1")
	if code != 0 {
		t.Errorf("exit %d: %s", code, stderr)
	}
}
