package arima

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stacklens/omen/internal/testenv"
)

// The reference values in ../shared/reference/arima/expected.json (../shared beside the
// repository) were computed by R 4.2.2 with forecast 8.20 by generate_reference.R there
// (`Rscript generate_reference.R`); each entry carries its exact R call in r_call, which the
// tests print on failure.

// referenceDir returns ../shared/reference/arima; testenv.Shared fails the test under CI when
// ../shared is missing and skips it otherwise.
func referenceDir(t testing.TB) string {
	t.Helper()
	return filepath.Join(testenv.Shared(t), "reference", "arima")
}

type refForecast struct {
	Mean  []float64 `json:"mean"`
	SE    []float64 `json:"se"`
	Lower []float64 `json:"lower"`
	Upper []float64 `json:"upper"`
}

type refPkgForecast struct {
	Sigma2  float64   `json:"sigma2"`
	Mean    []float64 `json:"mean"`
	Lower95 []float64 `json:"lower95"`
	Upper95 []float64 `json:"upper95"`
}

type refFit struct {
	Series       string             `json:"series"`
	RCall        string             `json:"r_call"`
	Method       string             `json:"method"`
	Label        string             `json:"label"`
	Order        [3]int             `json:"order"`
	Seasonal     [4]int             `json:"seasonal"`
	IncludeMean  bool               `json:"include_mean"`
	IncludeDrift bool               `json:"include_drift"`
	Coef         map[string]float64 `json:"coef"`
	SE           map[string]float64 `json:"se"`
	Sigma2       float64            `json:"sigma2"`
	LogLik       *float64           `json:"loglik"`
	LogLikCSS    *float64           `json:"loglik_css"`
	AIC          *float64           `json:"aic"`
	AICc         *float64           `json:"aicc"`
	BIC          *float64           `json:"bic"`
	NObs         int                `json:"nobs"`
	Forecast     *refForecast       `json:"forecast"`
	ForecastPkg  *refPkgForecast    `json:"forecast_pkg"`
}

type refSeries struct {
	File      string `json:"file"`
	N         int    `json:"n"`
	Frequency int    `json:"frequency"`
}

type reference struct {
	Series map[string]refSeries `json:"series"`
	Fixed  map[string]refFit    `json:"fixed"`
	Auto   map[string]refFit    `json:"auto"`
	Extra  map[string]refFit    `json:"extra"`
	Ndiffs map[string]struct {
		RCall string `json:"r_call"`
		Value int    `json:"value"`
	} `json:"ndiffs"`
}

// loadReference reads expected.json of ../shared/reference/arima.
func loadReference(t testing.TB) *reference {
	t.Helper()
	path := filepath.Join(referenceDir(t), "expected.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ref reference
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &ref
}

// loadSeries reads a one-column CSV of ../shared/reference/arima with header y; NA is missing.
func loadSeries(t testing.TB, file string) []float64 {
	t.Helper()
	f, err := os.Open(filepath.Join(referenceDir(t), file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	y := make([]float64, 0, len(recs)-1)
	for _, r := range recs[1:] {
		if r[0] == "NA" || r[0] == "" {
			y = append(y, math.NaN())
			continue
		}
		v, err := strconv.ParseFloat(r[0], 64)
		if err != nil {
			t.Fatal(err)
		}
		y = append(y, v)
	}
	return y
}

func (r refFit) spec() Spec {
	return Spec{
		Order:    Order{r.Order[0], r.Order[1], r.Order[2]},
		Seasonal: Seasonal{r.Seasonal[0], r.Seasonal[1], r.Seasonal[2], r.Seasonal[3]},
		Mean:     r.IncludeMean,
		Drift:    r.IncludeDrift,
	}
}

func within(got, want, abs, rel float64) bool {
	d := math.Abs(got - want)
	return d <= abs || d <= rel*math.Abs(want)
}

// checkFit compares a fitted model with R's entry: loglik within 0.01, coefficients within 0.01
// or 1 %, standard errors within 2 %, σ² within 1 %, 5-step forecasts' mean and se within 1 %.
func checkFit(t *testing.T, m *Model, want refFit) {
	t.Helper()
	names, coef, se := m.Names(), m.Coef(), m.SE()
	if len(names) != len(want.Coef) {
		t.Errorf("%s: coefficients %v, R has %v", want.RCall, names, want.Coef)
	}
	for i, name := range names {
		w, ok := want.Coef[name]
		if !ok {
			t.Errorf("%s: unexpected coefficient %s", want.RCall, name)
			continue
		}
		if !within(coef[i], w, 0.01, 0.01) {
			t.Errorf("%s: %s = %.6g, R %.6g", want.RCall, name, coef[i], w)
		}
		if ws, ok := want.SE[name]; ok && !within(se[i], ws, 0, 0.02) {
			t.Errorf("%s: se(%s) = %.6g, R %.6g", want.RCall, name, se[i], ws)
		}
	}
	if !within(m.Sigma2(), want.Sigma2, 0, 0.01) {
		t.Errorf("%s: sigma2 = %.8g, R %.8g", want.RCall, m.Sigma2(), want.Sigma2)
	}
	if want.LogLik != nil && !within(m.LogLik(), *want.LogLik, 0.01, 0) {
		t.Errorf("%s: loglik = %.6f, R %.6f", want.RCall, m.LogLik(), *want.LogLik)
	}
	if want.LogLikCSS != nil && !within(m.LogLik(), *want.LogLikCSS, 0.01, 0) {
		t.Errorf("%s: CSS loglik = %.6f, R %.6f", want.RCall, m.LogLik(), *want.LogLikCSS)
	}
	if want.AIC != nil && !within(m.AIC(), *want.AIC, 0.02, 0) {
		t.Errorf("%s: aic = %.6f, R %.6f", want.RCall, m.AIC(), *want.AIC)
	}
	if want.AICc != nil && !within(m.AICc(), *want.AICc, 0.02, 0) {
		t.Errorf("%s: aicc = %.6f, R %.6f", want.RCall, m.AICc(), *want.AICc)
	}
	if want.BIC != nil && !within(m.BIC(), *want.BIC, 0.02, 0) {
		t.Errorf("%s: bic = %.6f, R %.6f", want.RCall, m.BIC(), *want.BIC)
	}
	if want.NObs != 0 && m.NObs() != want.NObs {
		t.Errorf("%s: nobs = %d, R %d", want.RCall, m.NObs(), want.NObs)
	}
}

func checkForecast(t *testing.T, f Forecast, want *refForecast, call string) {
	t.Helper()
	for i := range want.Mean {
		if !within(f.Mean[i], want.Mean[i], 0, 0.01) {
			t.Errorf("%s: forecast mean[%d] = %.8g, R %.8g", call, i, f.Mean[i], want.Mean[i])
		}
		if !within(f.SE[i], want.SE[i], 0, 0.01) {
			t.Errorf("%s: forecast se[%d] = %.8g, R %.8g", call, i, f.SE[i], want.SE[i])
		}
		if !within(f.Lower[i], want.Lower[i], 0, 0.01) || !within(f.Upper[i], want.Upper[i], 0, 0.01) {
			t.Errorf("%s: interval[%d] = [%.8g, %.8g], R [%.8g, %.8g]", call, i, f.Lower[i], f.Upper[i], want.Lower[i], want.Upper[i])
		}
	}
}

func TestReferenceFixed(t *testing.T) {
	ref := loadReference(t)
	for name, want := range ref.Fixed {
		t.Run(name, func(t *testing.T) {
			y := loadSeries(t, ref.Series[want.Series].File)
			m, err := Fit(y, want.spec(), Config{})
			if err != nil {
				t.Fatalf("%s: %v", want.RCall, err)
			}
			checkFit(t, m, want)
			checkForecast(t, m.Forecast(5, 95), want.Forecast, want.RCall)
			if want.ForecastPkg != nil {
				var f Forecast
				if err := m.ForecastTo(&f, 5, 95, ForecastConfig{AdjustedSigma2: true}); err != nil {
					t.Fatal(err)
				}
				if !within(m.Sigma2Adjusted(), want.ForecastPkg.Sigma2, 0, 0.01) {
					t.Errorf("%s: adjusted sigma2 = %.8g, forecast %.8g", want.RCall, m.Sigma2Adjusted(), want.ForecastPkg.Sigma2)
				}
				for i := range f.Lower {
					if !within(f.Lower[i], want.ForecastPkg.Lower95[i], 0, 0.01) || !within(f.Upper[i], want.ForecastPkg.Upper95[i], 0, 0.01) {
						t.Errorf("%s: adjusted interval[%d] = [%.8g, %.8g], forecast [%.8g, %.8g]", want.RCall, i, f.Lower[i], f.Upper[i], want.ForecastPkg.Lower95[i], want.ForecastPkg.Upper95[i])
					}
				}
			}
		})
	}
}

func TestReferenceExtra(t *testing.T) {
	ref := loadReference(t)
	for name, want := range ref.Extra {
		if want.Label != "" {
			continue // automatic selections are tested with Auto
		}
		t.Run(name, func(t *testing.T) {
			y := loadSeries(t, ref.Series[want.Series].File)
			spec := want.spec()
			var cfg Config
			switch want.Method {
			case "CSS":
				cfg.Method = CSS
			case "ML":
				cfg.Method = ML
			}
			_, hasMean := want.Coef["intercept"]
			spec.Mean = hasMean
			var future [][]float64
			if _, ok := want.Coef["year_minus_1920"]; ok {
				// xreg = time(LakeHuron) - 1920: the years 1875…1972.
				x := make([]float64, len(y))
				for i := range x {
					x[i] = float64(1875 + i - 1920)
				}
				spec.Xreg = [][]float64{x}
				spec.XregNames = []string{"year_minus_1920"}
				future = [][]float64{{53, 54, 55, 56, 57}}
			}
			m, err := Fit(y, spec, cfg)
			if err != nil {
				t.Fatalf("%s: %v", want.RCall, err)
			}
			checkFit(t, m, want)
			if want.Forecast != nil {
				var f Forecast
				if err := m.ForecastTo(&f, 5, 95, ForecastConfig{Xreg: future}); err != nil {
					t.Fatal(err)
				}
				checkForecast(t, f, want.Forecast, want.RCall)
			}
		})
	}
}
