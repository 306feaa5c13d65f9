package trend

import (
	"bufio"
	"encoding/json"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

// referenceSeries reads ../testdata/trend/series.csv, written with
// expected.json by ../testdata/trend/reference.py (see its docstring for the
// exact commands).
func referenceSeries(t testing.TB) map[string][]float64 {
	t.Helper()
	f, err := os.Open("../testdata/trend/series.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := make(map[string][]float64)
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	sc.Scan() // header
	for sc.Scan() {
		name, values, _ := strings.Cut(sc.Text(), ",")
		for _, cell := range strings.Fields(values) {
			v, err := strconv.ParseFloat(cell, 64)
			if err != nil {
				t.Fatal(err)
			}
			out[name] = append(out[name], v)
		}
	}
	return out
}

type mkExpected struct {
	S               int
	VarS, Z, P, Tau float64
	N               int
	Correction      float64
}

type expectedStats struct {
	OLS      struct{ Slope, Intercept, SlopeSE, P float64 }
	TheilSen struct {
		Slope, Intercept, Lower, Upper float64
	} `json:"theil_sen"`
	TheilSen90          struct{ Lower, Upper float64 } `json:"theil_sen_90"`
	MannKendall         mkExpected                     `json:"mann_kendall"`
	HamedRao            mkExpected                     `json:"hamed_rao"`
	SeasonalMannKendall *mkExpected                    `json:"seasonal_mann_kendall"`
	SeasonalSen         *float64                       `json:"seasonal_sen"`
}

func referenceExpected(t testing.TB) map[string]expectedStats {
	t.Helper()
	b, err := os.ReadFile("../testdata/trend/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]expectedStats
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// close reports whether got is within rel relative (or 1e-300 absolute)
// error of want.
func close(got, want, rel float64) bool {
	return math.Abs(got-want) <= rel*math.Max(math.Abs(want), 1e-300/rel) || got == want
}

func checkMK(t *testing.T, what string, got MannKendallResult, want mkExpected) {
	t.Helper()
	if got.S != want.S || got.N != want.N {
		t.Errorf("%s: S=%d N=%d, want S=%d N=%d", what, got.S, got.N, want.S, want.N)
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"VarS", got.VarS, want.VarS}, {"Z", got.Z, want.Z}, {"P", got.P, want.P}, {"Tau", got.Tau, want.Tau}} {
		// P: scipy's 2·(1 − Φ(|z|)) loses relative precision for tiny p.
		if !close(c.got, c.want, 1e-9) && !(c.name == "P" && math.Abs(c.got-c.want) < 1e-14) {
			t.Errorf("%s: %s = %.17g, want %.17g", what, c.name, c.got, c.want)
		}
	}
	if want.Correction != 0 && !close(got.Correction, want.Correction, 1e-9) {
		t.Errorf("%s: Correction = %.17g, want %.17g", what, got.Correction, want.Correction)
	}
}

func TestAgainstReference(t *testing.T) {
	series := referenceSeries(t)
	expected := referenceExpected(t)
	if len(series) != 5 || len(expected) != 5 {
		t.Fatalf("read %d series and %d expectations, want 5", len(series), len(expected))
	}
	for name, y := range series {
		want := expected[name]
		t.Run(name, func(t *testing.T) {
			ols, err := OLS(y)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				name      string
				got, want float64
			}{
				{"OLS slope", ols.Slope, want.OLS.Slope}, {"OLS intercept", ols.Intercept, want.OLS.Intercept},
				{"OLS SE", ols.SlopeSE, want.OLS.SlopeSE}, {"OLS p", ols.P, want.OLS.P},
			} {
				if !close(c.got, c.want, 1e-8) {
					t.Errorf("%s = %.17g, want %.17g", c.name, c.got, c.want)
				}
			}
			ts, err := TheilSen(y, 0)
			if err != nil {
				t.Fatal(err)
			}
			ts90, err := TheilSen(y, 0.9)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				name      string
				got, want float64
			}{
				{"Theil–Sen slope", ts.Slope, want.TheilSen.Slope}, {"intercept", ts.Intercept, want.TheilSen.Intercept},
				{"lower", ts.Lower, want.TheilSen.Lower}, {"upper", ts.Upper, want.TheilSen.Upper},
				{"lower 90", ts90.Lower, want.TheilSen90.Lower}, {"upper 90", ts90.Upper, want.TheilSen90.Upper},
			} {
				if !close(c.got, c.want, 1e-12) {
					t.Errorf("%s = %.17g, want %.17g", c.name, c.got, c.want)
				}
			}
			mk, err := MannKendall(y)
			if err != nil {
				t.Fatal(err)
			}
			checkMK(t, "MannKendall", mk, want.MannKendall)
			hr, err := HamedRao(y, HamedRaoConfig{})
			if err != nil {
				t.Fatal(err)
			}
			checkMK(t, "HamedRao", hr, want.HamedRao)
			if want.SeasonalMannKendall != nil {
				smk, err := SeasonalMannKendall(y, 12)
				if err != nil {
					t.Fatal(err)
				}
				checkMK(t, "SeasonalMannKendall", smk, *want.SeasonalMannKendall)
				sen, err := SeasonalSen(y, 12)
				if err != nil {
					t.Fatal(err)
				}
				if !close(sen, *want.SeasonalSen, 1e-12) {
					t.Errorf("SeasonalSen = %.17g, want %.17g", sen, *want.SeasonalSen)
				}
			}
		})
	}
}
