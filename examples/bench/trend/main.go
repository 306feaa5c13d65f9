// Command trend compares omen's trend package with statsmodels and scipy
// side by side: it generates seeded series, runs statsmodels' STL and scipy's
// kendalltau, theilslopes and linregress on them through python3 (bench.py,
// embedded), runs the omen equivalents, checks that the results agree, and
// prints a markdown table of median times and their ratios.
//
//	go run ./examples/bench/trend [-python /usr/bin/python3]
//
// It needs Debian's python3-numpy, python3-scipy and python3-statsmodels.
package main

import (
	_ "embed"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stacklens/omen/trend"
)

//go:embed bench.py
var script []byte

//go:embed bench.R
var rScript []byte

func main() {
	python := flag.String("python", "/usr/bin/python3", "Python interpreter with numpy, scipy and statsmodels")
	rscript := flag.String("rscript", "Rscript", "Rscript with the forecast and jsonlite packages (skipped when absent)")
	flag.Parse()
	if err := run(*python, *rscript); err != nil {
		fmt.Fprintln(os.Stderr, "trend bench:", err)
		os.Exit(1)
	}
}

// hourly returns n hourly values with a daily cycle, drift and noise.
func hourly(n int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, seed))
	y := make([]float64, n)
	for i := range y {
		t := float64(i)
		y[i] = 100 + 0.002*t + 10*math.Sin(2*math.Pi*t/24) + 3*rng.NormFloat64()
		if rng.IntN(200) == 0 {
			y[i] += 40 // occasional spikes for the robust fit
		}
	}
	return y
}

func writeCSV(path string, y []float64) error {
	var b strings.Builder
	b.WriteString("y\n")
	for _, v := range y {
		b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
		b.WriteByte('\n')
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// median returns the median duration in seconds of f over repeats runs.
func median(repeats int, f func()) float64 {
	times := make([]float64, repeats)
	for i := range times {
		start := time.Now()
		f()
		times[i] = time.Since(start).Seconds()
	}
	slices.Sort(times)
	return times[repeats/2]
}

func maxDiff(a, b []float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(a[i]-b[i]))
	}
	return d
}

type row struct {
	task, reference string
	n               int
	omen, ref       float64 // seconds
	diff            float64 // largest absolute difference of the results
	tol             float64
}

func run(python, rscript string) error {
	dir, err := os.MkdirTemp("", "omen-trend-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	y := hourly(10_000, 1)
	small := hourly(2_000, 2)
	for name, data := range map[string][]float64{"hourly": y, "small": small} {
		if err := writeCSV(filepath.Join(dir, name+".csv"), data); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "bench.py"), script, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "bench.R"), rScript, 0o644); err != nil {
		return err
	}
	cmd := exec.Command(python, filepath.Join(dir, "bench.py"), dir)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s bench.py: %w", python, err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "reference.json"))
	if err != nil {
		return err
	}
	var ref struct {
		STL struct {
			Seconds         float64
			Trend, Seasonal []float64
		} `json:"stl"`
		STLRobust struct {
			Seconds                  float64
			Trend, Seasonal, Weights []float64
		} `json:"stl_robust"`
		Kendall struct {
			Seconds float64
			TauB    float64 `json:"tau_b"`
		} `json:"kendalltau"`
		Linregress  struct{ Seconds, Slope, Intercept, Stderr float64 }
		TheilSlopes struct{ Seconds, Slope, Intercept, Low, High float64 }
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		return err
	}

	var rows []row
	// STL, R's defaults for period 24 and s.window 11.
	var d trend.Decomposition
	t := median(20, func() { d, err = trend.Decompose(y, trend.STLConfig{Period: 24}) })
	if err != nil {
		return err
	}
	rows = append(rows, row{"STL, period 24", "statsmodels STL", len(y), t, ref.STL.Seconds,
		math.Max(maxDiff(d.Trend, ref.STL.Trend), maxDiff(d.Seasonal, ref.STL.Seasonal)), 1e-9})

	odd := y[:len(y)-1]
	t = median(5, func() { d, err = trend.Decompose(odd, trend.STLConfig{Period: 24, Robust: true}) })
	if err != nil {
		return err
	}
	rows = append(rows, row{"robust STL, period 24", "statsmodels STL(robust)", len(odd), t, ref.STLRobust.Seconds,
		math.Max(maxDiff(d.Trend, ref.STLRobust.Trend), math.Max(maxDiff(d.Seasonal, ref.STLRobust.Seasonal),
			maxDiff(d.Weights, ref.STLRobust.Weights))), 1e-8})

	// Kendall's tau-b of (t, y) from Mann–Kendall's S: t has no ties, so
	// tau_b = S / √(n0·(n0 − n2)), n2 the tied pairs of y.
	var mk trend.MannKendallResult
	t = median(20, func() { mk, err = trend.MannKendall(y) })
	if err != nil {
		return err
	}
	n0 := float64(len(y)) * float64(len(y)-1) / 2
	tauB := float64(mk.S) / math.Sqrt(n0*(n0-tiedPairs(y)))
	rows = append(rows, row{"Mann–Kendall S / Kendall tau", "scipy kendalltau", len(y), t, ref.Kendall.Seconds,
		math.Abs(tauB - ref.Kendall.TauB), 1e-12})

	var ols trend.LinearFit
	t = median(50, func() { ols, err = trend.OLS(y) })
	if err != nil {
		return err
	}
	rows = append(rows, row{"OLS slope and SE", "scipy linregress", len(y), t, ref.Linregress.Seconds,
		math.Max(math.Abs(ols.Slope-ref.Linregress.Slope), math.Max(math.Abs(ols.Intercept-ref.Linregress.Intercept),
			math.Abs(ols.SlopeSE-ref.Linregress.Stderr))), 1e-9})

	var ts trend.TheilSenFit
	t = median(5, func() { ts, err = trend.TheilSen(small, 0.95) })
	if err != nil {
		return err
	}
	rows = append(rows, row{"Theil–Sen with 95 % CI", "scipy theilslopes", len(small), t, ref.TheilSlopes.Seconds,
		math.Max(math.Max(math.Abs(ts.Slope-ref.TheilSlopes.Slope), math.Abs(ts.Intercept-ref.TheilSlopes.Intercept)),
			math.Max(math.Abs(ts.Lower-ref.TheilSlopes.Low), math.Abs(ts.Upper-ref.TheilSlopes.High))), 1e-12})

	rRows, err := compareWithR(rscript, dir, y)
	if err != nil {
		return err
	}
	rows = append(rows, rRows...)

	fmt.Println("| task | n | omen (ms) | reference | reference (ms) | reference / omen | max abs diff | equal |")
	fmt.Println("|---|---:|---:|---|---:|---:|---:|---|")
	allEqual := true
	for _, r := range rows {
		equal := r.diff <= r.tol
		allEqual = allEqual && equal
		fmt.Printf("| %s | %d | %.3f | %s | %.3f | %.1f× | %.2g | %v |\n",
			r.task, r.n, 1e3*r.omen, r.reference, 1e3*r.ref, r.ref/r.omen, r.diff, equal)
	}
	if !allEqual {
		return fmt.Errorf("results differ beyond tolerance")
	}
	return nil
}

// compareWithR times R's stl and forecast::mstl on y and compares results;
// it returns no rows when Rscript cannot be found.
func compareWithR(rscript, dir string, y []float64) ([]row, error) {
	path, err := exec.LookPath(rscript)
	if err != nil {
		fmt.Fprintln(os.Stderr, "trend bench: Rscript not found; skipping the R comparisons")
		return nil, nil
	}
	cmd := exec.Command(path, filepath.Join(dir, "bench.R"), dir)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s bench.R: %w", rscript, err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "r.json"))
	if err != nil {
		return nil, err
	}
	var ref struct {
		STL struct {
			Seconds         []float64
			Trend, Seasonal []float64
		} `json:"stl"`
		STLRobust struct {
			Seconds        []float64
			Trend, Weights []float64
		} `json:"stl_robust"`
		MSTL struct {
			Seconds                        []float64
			Trend, Seasonal24, Seasonal168 []float64
		} `json:"mstl"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		return nil, err
	}
	var rows []row
	var d trend.Decomposition
	t := median(20, func() { d, err = trend.Decompose(y, trend.STLConfig{Period: 24}) })
	if err != nil {
		return nil, err
	}
	rows = append(rows, row{"STL, period 24", "R stats::stl", len(y), t, ref.STL.Seconds[0],
		math.Max(maxDiff(d.Trend, ref.STL.Trend), maxDiff(d.Seasonal, ref.STL.Seasonal)), 1e-9})
	t = median(5, func() { d, err = trend.Decompose(y, trend.STLConfig{Period: 24, Robust: true}) })
	if err != nil {
		return nil, err
	}
	rows = append(rows, row{"robust STL, period 24 (even n)", "R stats::stl(robust)", len(y), t, ref.STLRobust.Seconds[0],
		math.Max(maxDiff(d.Trend, ref.STLRobust.Trend), maxDiff(d.Weights, ref.STLRobust.Weights)), 1e-8})
	var m trend.MultipleDecomposition
	t = median(5, func() { m, err = trend.DecomposeMultiple(y, []int{24, 168}, trend.MSTLConfig{}) })
	if err != nil {
		return nil, err
	}
	rows = append(rows, row{"MSTL, periods 24 and 168", "R forecast::mstl", len(y), t, ref.MSTL.Seconds[0],
		math.Max(maxDiff(m.Trend, ref.MSTL.Trend), math.Max(maxDiff(m.Seasonal[0], ref.MSTL.Seasonal24),
			maxDiff(m.Seasonal[1], ref.MSTL.Seasonal168))), 1e-9})
	return rows, nil
}

// tiedPairs returns Σ t(t−1)/2 over groups of equal values.
func tiedPairs(y []float64) float64 {
	s := slices.Sorted(slices.Values(y))
	sum := 0.0
	for i := 0; i < len(s); {
		j := i + 1
		for j < len(s) && s[j] == s[i] {
			j++
		}
		sum += float64(j-i) * float64(j-i-1) / 2
		i = j
	}
	return sum
}
