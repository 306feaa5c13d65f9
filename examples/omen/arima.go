package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/stacklens/omen/arima"
)

func init() {
	register("arima", "fit a seasonal ARIMA model (fixed order or -auto) and forecast", runARIMA)
}

// maxHorizon bounds -h: a million steps print about 64 MB; beyond, a typo (-h 2000000000) ran the
// machine out of memory without a word.
const maxHorizon = 1_000_000

// runARIMA implements `omen arima` per the CLI contract: it reads column y of -in (an empty
// cell or NA is missing), fits the model, and prints one JSON object with the fit and the
// forecasts.
func runARIMA(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("arima", flag.ContinueOnError)
	in := fs.String("in", "", "CSV file with a header and a column y")
	order := fs.String("order", "0,0,0", "non-seasonal order p,d,q")
	seasonal := fs.String("seasonal", "", "seasonal order P,D,Q,m")
	period := fs.Int("period", 0, "seasonal period m (R's frequency)")
	mean := fs.Bool("mean", false, "include a mean (when d+D = 0)")
	drift := fs.Bool("drift", false, "include a drift (when d+D = 1)")
	auto := fs.Bool("auto", false, "choose the model as forecast::auto.arima")
	method := fs.String("method", "css-ml", "estimation method: css-ml, ml or css")
	h := fs.Int("h", 5, "forecast horizon")
	level := fs.Float64("level", 95, "prediction interval level in percent")
	if help, err := parseFlags(fs, args, stdout, "omen arima -in SERIES.csv [flags]"); help || err != nil {
		return err
	}
	if *in == "" {
		return fmt.Errorf("-in SERIES.csv is required")
	}
	if *h < 0 || *h > maxHorizon {
		return fmt.Errorf("-h %d: the horizon must be from 0 to %d", *h, maxHorizon)
	}
	if !(*level > 0 && *level < 100) {
		return fmt.Errorf("-level %v: must be in (0, 100)", *level)
	}
	meth, err := arima.ParseMethod(strings.ToUpper(*method))
	if err != nil {
		return fmt.Errorf("-method %q: want css-ml, ml or css", *method)
	}
	ord, err := parseInts("-order", *order, 3)
	if err != nil {
		return err
	}
	spec := arima.Spec{Order: arima.Order{P: ord[0], D: ord[1], Q: ord[2]}, Mean: *mean, Drift: *drift}
	m := *period
	if m < 0 {
		return fmt.Errorf("-period %d: must be at least 1", m)
	}
	if *seasonal != "" {
		s, err := parseInts("-seasonal", *seasonal, 4)
		if err != nil {
			return err
		}
		if s[3] < 1 {
			return fmt.Errorf("-seasonal %s: the period m must be at least 1", *seasonal)
		}
		if m != 0 && m != s[3] {
			return fmt.Errorf("-seasonal period %d differs from -period %d", s[3], m)
		}
		m = s[3]
		spec.Seasonal = arima.Seasonal{P: s[0], D: s[1], Q: s[2], Period: m}
	}
	if m == 0 {
		m = 1
	}
	y, err := readSeries(*in)
	if err != nil {
		return err
	}
	var model *arima.Model
	if *auto {
		model, err = arima.Auto(y, arima.AutoConfig{Period: m, Method: meth})
	} else {
		if spec.Seasonal.Period == 0 {
			spec.Seasonal.Period = m
		}
		model, err = arima.Fit(y, spec, arima.Config{Method: meth})
	}
	if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	var f arima.Forecast
	if err := model.ForecastTo(&f, *h, *level, arima.ForecastConfig{}); err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	_, err = stdout.Write(arimaJSON(model, f, m))
	return err
}

// readSeries reads column y of a CSV file; an empty cell or NA is a missing value (NaN).
func readSeries(path string) ([]float64, error) {
	t, err := readTable(path)
	if err != nil {
		return nil, err
	}
	col, err := t.column("y")
	if err != nil {
		return nil, err
	}
	y := make([]float64, len(t.rows))
	for r := range t.rows {
		cell := strings.TrimSpace(t.rows[r][col])
		if cell == "" || cell == "NA" {
			y[r] = math.NaN()
			continue
		}
		if y[r], err = t.number(r, col); err != nil {
			return nil, err
		}
	}
	return y, nil
}

// parseInts parses n comma-separated non-negative integers.
func parseInts(flagName, s string, n int) ([]int, error) {
	parts := strings.Split(s, ",")
	if len(parts) != n {
		return nil, fmt.Errorf("%s %q: want %d comma-separated integers", flagName, s, n)
	}
	out := make([]int, n)
	for i, p := range parts {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || v < 0 {
			return nil, fmt.Errorf("%s %q: %q is not a non-negative integer", flagName, s, p)
		}
		out[i] = v
	}
	return out, nil
}

// arimaJSON renders the contract's JSON object with keys in a fixed order and numbers at full
// precision; a value that JSON cannot hold (NaN, ±Inf) is null.
func arimaJSON(model *arima.Model, f arima.Forecast, m int) []byte {
	var b bytes.Buffer
	o, s := model.Order(), model.Seasonal()
	fmt.Fprintf(&b, `{"order":[%d,%d,%d],"seasonal":[%d,%d,%d,%d],`, o.P, o.D, o.Q, s.P, s.D, s.Q, m)
	names, coef, se := model.Names(), model.Coef(), model.SE()
	writeMap := func(key string, vals []float64) {
		fmt.Fprintf(&b, "%q:{", key)
		for i, name := range names {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%q:%s", name, jsonNumber(vals[i]))
		}
		b.WriteString("},")
	}
	writeMap("coef", coef)
	writeMap("se", se)
	fmt.Fprintf(&b, `"sigma2":%s,"loglik":%s,"aic":%s,"aicc":%s,"bic":%s,"nobs":%d,`,
		jsonNumber(model.Sigma2()), jsonNumber(model.LogLik()), jsonNumber(model.AIC()),
		jsonNumber(model.AICc()), jsonNumber(model.BIC()), model.NObs())
	writeArray := func(key string, vals []float64) {
		fmt.Fprintf(&b, "%q:[", key)
		for i, v := range vals {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(jsonNumber(v))
		}
		b.WriteByte(']')
	}
	b.WriteString(`"forecast":{`)
	writeArray("mean", f.Mean)
	b.WriteByte(',')
	writeArray("se", f.SE)
	b.WriteByte(',')
	writeArray("lower", f.Lower)
	b.WriteByte(',')
	writeArray("upper", f.Upper)
	b.WriteString("}}\n")
	return b.Bytes()
}

func jsonNumber(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "null"
	}
	return formatFloat(v)
}
