// Command arima compares omen's arima with R's stats::arima / forecast::auto.arima and with
// statsmodels' ARIMA side by side: the same series, the same models, in one run. It prints a
// Markdown table of log-likelihoods and median fit times, and how many times faster omen is.
//
//	go run ./examples/bench/arima [-shared ../shared] [-reps 5] [-python /usr/bin/python3] [-rscript Rscript] [-skip-statsmodels]
//
// R (r-base, r-cran-forecast) and statsmodels (python3-statsmodels) are needed only here,
// never by omen itself. omen runs on one goroutine (GOMAXPROCS=1) for a fair comparison.
package main

import (
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stacklens/omen/arima"
)

type benchCase struct {
	name   string
	file   string
	spec   arima.Spec // fixed-order fits
	period int
	auto   bool
	reps   int // repetitions cap for the slow reference tools
}

type outcome struct {
	LogLik float64 `json:"loglik"`
	MS     float64 `json:"ms"`
	Order  string  `json:"order"`
}

func main() {
	shared := flag.String("shared", "../shared", "the shared data folder")
	reps := flag.Int("reps", 5, "fits per tool and case (the median time is reported)")
	python := flag.String("python", "/usr/bin/python3", "Python with statsmodels")
	rscript := flag.String("rscript", "Rscript", "R's Rscript with the forecast package")
	skipSM := flag.Bool("skip-statsmodels", false, "leave statsmodels out")
	flag.Parse()
	log.SetFlags(0)
	runtime.GOMAXPROCS(1)

	_, self, _, _ := runtime.Caller(0)
	dir := filepath.Dir(self)
	ref := filepath.Join(*shared, "reference", "arima")
	gen := filepath.Join(dir, "..", "..", "..", "testdata", "arima")
	tmp, err := os.MkdirTemp("", "omen-bench-arima")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	sim := filepath.Join(tmp, "sim211.csv")
	if err := writeSeries(sim, arima.Simulate(arima.Spec{Order: arima.Order{P: 2, D: 1, Q: 1}}, []float64{0.5, -0.3, 0.4}, 1, 1000, rand.New(rand.NewPCG(1, 1)))); err != nil {
		log.Fatal(err)
	}

	airline := func(m int) arima.Spec {
		return arima.Spec{Order: arima.Order{D: 1, Q: 1}, Seasonal: arima.Seasonal{D: 1, Q: 1, Period: m}}
	}
	cases := []benchCase{
		{name: "ARIMA(2,1,1), n = 1,000 (simulated)", file: sim, spec: arima.Spec{Order: arima.Order{P: 2, D: 1, Q: 1}}, period: 1, reps: *reps},
		{name: "ARIMA(1,0,0)+mean, lh (n = 48)", file: filepath.Join(ref, "lh.csv"), spec: arima.Spec{Order: arima.Order{P: 1}, Mean: true}, period: 1, reps: *reps},
		{name: "airline (0,1,1)(0,1,1)12, USAccDeaths", file: filepath.Join(ref, "USAccDeaths.csv"), spec: airline(12), period: 12, reps: *reps},
		{name: "airline, log AirPassengers", file: filepath.Join(ref, "logAirPassengers.csv"), spec: airline(12), period: 12, reps: *reps},
		{name: "(1,0,1)(1,1,1)24, n = 1,000", file: filepath.Join(gen, "hourly24.csv"), spec: arima.Spec{Order: arima.Order{P: 1, Q: 1}, Seasonal: arima.Seasonal{P: 1, D: 1, Q: 1, Period: 24}}, period: 24, reps: 1},
		{name: "ARIMA(2,1,1), n = 10,000", file: filepath.Join(gen, "long10000.csv"), spec: arima.Spec{Order: arima.Order{P: 2, D: 1, Q: 1}}, period: 1, reps: min(*reps, 3)},
		{name: "auto, WWWusage (n = 100)", file: filepath.Join(ref, "WWWusage.csv"), period: 1, auto: true, reps: *reps},
		{name: "auto, ARIMA(2,1,1) n = 1,000 (simulated)", file: sim, period: 1, auto: true, reps: min(*reps, 3)},
		{name: "auto, AirPassengers (m = 12)", file: filepath.Join(ref, "AirPassengers.csv"), period: 12, auto: true, reps: min(*reps, 3)},
		{name: "auto with 2 regressors, n = 300 (simulated)", file: filepath.Join(gen, "xreg.csv"), period: 1, auto: true, reps: min(*reps, 3)},
	}

	rv, _ := exec.Command(*rscript, "-e", `cat(R.version.string, "/ forecast", as.character(packageVersion("forecast")))`).Output()
	smv := []byte("not run")
	if !*skipSM {
		smv, _ = exec.Command(*python, "-c", "import statsmodels; print(statsmodels.__version__)").Output()
	}
	fmt.Printf("omen arima (%s, one goroutine) vs %s vs statsmodels %s, same series, median of up to %d fits each.\n\n",
		runtime.Version(), strings.TrimSpace(string(rv)), strings.TrimSpace(string(smv)), *reps)
	fmt.Println("| model | loglik omen | loglik R | loglik statsmodels | time omen | time R | time statsmodels | R / omen | statsmodels / omen |")
	fmt.Println("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, c := range cases {
		y, xreg, err := readSeries(c.file)
		if err != nil {
			log.Fatal(err)
		}
		ours, err := runOmen(c, y, xreg, *reps)
		if err != nil {
			log.Fatalf("%s: omen: %v", c.name, err)
		}
		r, err := runR(*rscript, filepath.Join(dir, "r_arima.R"), c)
		if err != nil {
			log.Fatalf("%s: R: %v", c.name, err)
		}
		sm := outcome{LogLik: 0, MS: 0}
		smOK := !*skipSM && !c.auto
		if smOK {
			if sm, err = runStatsmodels(*python, filepath.Join(dir, "statsmodels_arima.py"), c); err != nil {
				log.Printf("%s: statsmodels: %v", c.name, err)
				smOK = false
			}
		}
		name := c.name
		if c.auto {
			name += fmt.Sprintf(" → omen %s, R %s", ours.Order, r.Order)
		}
		smLL, smT, smRatio := "—", "—", "—"
		if smOK {
			smLL, smT, smRatio = fmt.Sprintf("%.4f", sm.LogLik), ms(sm.MS), fmt.Sprintf("%.0f×", sm.MS/ours.MS)
		}
		fmt.Printf("| %s | %.4f | %.4f | %s | %s | %s | %s | %.1f× | %s |\n", name, ours.LogLik, r.LogLik, smLL, ms(ours.MS), ms(r.MS), smT, r.MS/ours.MS, smRatio)
	}
}

func ms(v float64) string {
	if v < 1 {
		return fmt.Sprintf("%.3f ms", v)
	}
	return fmt.Sprintf("%.1f ms", v)
}

// runOmen fits the case reps times (at least 10 when fast) and reports the median time. Auto
// takes the regressors xreg (the series file's other columns); the fixed-order cases have none.
func runOmen(c benchCase, y []float64, xreg [][]float64, reps int) (outcome, error) {
	var times []float64
	var m *arima.Model
	var err error
	start := time.Now()
	for i := 0; i < max(reps, 3) || (i < 50 && time.Since(start) < time.Second); i++ {
		t0 := time.Now()
		if c.auto {
			m, err = arima.Auto(y, arima.AutoConfig{Period: c.period, Xreg: xreg})
		} else {
			m, err = arima.Fit(y, c.spec, arima.Config{})
		}
		if err != nil {
			return outcome{}, err
		}
		times = append(times, float64(time.Since(t0).Nanoseconds())/1e6)
	}
	slices.Sort(times)
	o, s := m.Order(), m.Seasonal()
	return outcome{LogLik: m.LogLik(), MS: times[len(times)/2], Order: fmt.Sprintf("%d,%d,%d,%d,%d,%d", o.P, o.D, o.Q, s.P, s.D, s.Q)}, nil
}

func orderArgs(c benchCase) []string {
	o, s := c.spec.Order, c.spec.Seasonal
	return []string{strconv.Itoa(o.P), strconv.Itoa(o.D), strconv.Itoa(o.Q), strconv.Itoa(s.P), strconv.Itoa(s.D), strconv.Itoa(s.Q), strconv.Itoa(c.period), b01(c.spec.Mean)}
}

func b01(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func runR(rscript, script string, c benchCase) (outcome, error) {
	args := append([]string{script, c.file}, orderArgs(c)...)
	args = append(args, b01(c.auto), strconv.Itoa(c.reps))
	return runJSON(exec.Command(rscript, args...))
}

func runStatsmodels(python, script string, c benchCase) (outcome, error) {
	args := append([]string{script, c.file}, orderArgs(c)...)
	args = append(args, strconv.Itoa(c.reps))
	return runJSON(exec.Command(python, args...))
}

func runJSON(cmd *exec.Cmd) (outcome, error) {
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return outcome{}, err
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var o outcome
	err = json.Unmarshal([]byte(lines[len(lines)-1]), &o)
	return o, err
}

// readSeries reads the column y of a CSV file and its other columns, the regressors.
func readSeries(path string) (y []float64, xreg [][]float64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, nil, err
	}
	if !slices.Contains(recs[0], "y") {
		return nil, nil, fmt.Errorf("%s: no column y", path)
	}
	cols := make([][]float64, len(recs[0]))
	for _, r := range recs[1:] {
		for j, cell := range r {
			v, err := strconv.ParseFloat(cell, 64)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %v", path, err)
			}
			cols[j] = append(cols[j], v)
		}
	}
	for j, name := range recs[0] {
		if name == "y" {
			y = cols[j]
		} else {
			xreg = append(xreg, cols[j])
		}
	}
	return y, xreg, nil
}

func writeSeries(path string, y []float64) error {
	var b strings.Builder
	b.WriteString("y\n")
	for _, v := range y {
		b.WriteString(strconv.FormatFloat(v, 'g', -1, 64) + "\n")
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
