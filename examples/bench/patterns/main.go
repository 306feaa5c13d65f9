// Command patterns compares omen's patterns.DBSCAN with scikit-learn's DBSCAN side by side: the same
// rows in the same order, the same eps (omen's KneeEps, rounded to three significant digits so no
// distance sits exactly on the boundary) and min_samples 5. It checks that the labels are identical
// and prints a Markdown table of median times and omen's speed-up.
//
//	go run ./examples/bench/patterns [-repeats 5] [-python /usr/bin/python3]
//
// The datasets are made here with fixed seeds: Gaussian blobs as scikit-learn's make_blobs draws
// them (four clusters of unit spread, centres uniform in [−10, 10] on every axis) with 5 % uniform
// background noise, in 2 and 8 dimensions (i.i.d. features: the hard case for any spatial index)
// and in 20 (above 15 columns both libraries scan without a tree); and "service" windows: the 8
// metrics of one service of omen's labelled stream generator (internal/servicegen, incidents
// included), counts and latencies on the log scale, standardised — correlated, low-dimensional
// data as real service metrics are. scikit-learn (Debian's python3-sklearn) is needed only here,
// never by omen itself.
package main

import (
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stacklens/omen/internal/servicegen"
	"github.com/stacklens/omen/patterns"
)

const minSamples = 5

type dataset struct {
	name string
	X    [][]float64
}

func main() {
	repeats := flag.Int("repeats", 5, "timed runs per dataset and library (the median is reported)")
	python := flag.String("python", "/usr/bin/python3", "Python with scikit-learn")
	flag.Parse()
	log.SetFlags(0)

	_, self, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(self), "sklearn_dbscan.py")
	version, err := exec.Command(*python, "-c", "import sklearn; print(sklearn.__version__)").Output()
	if err != nil {
		log.Fatalf("scikit-learn is not importable by %s (apt-get install python3-sklearn): %v", *python, err)
	}
	dir, err := os.MkdirTemp("", "omen-bench-patterns")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	fmt.Printf("omen patterns.DBSCAN vs scikit-learn %s DBSCAN (algorithm auto, one thread): min_samples %d, eps from omen's KneeEps; median of %d runs (%s, GOMAXPROCS=%d).\n\n",
		strings.TrimSpace(string(version)), minSamples, *repeats, runtime.Version(), runtime.GOMAXPROCS(0))
	fmt.Println("| dataset | rows × features | eps | clusters | noise | labels equal | omen | scikit-learn | speed-up |")
	fmt.Println("|---|--:|--:|--:|--:|:-:|--:|--:|--:|")
	allEqual := true
	for _, ds := range datasets() {
		eps, err := patterns.KneeEps(ds.X, minSamples)
		if err != nil {
			log.Fatal(err)
		}
		eps = roundSignificant(eps, 3)
		var ours *patterns.Clustering
		var times []time.Duration
		for range *repeats {
			start := time.Now()
			ours, err = patterns.DBSCAN(ds.X, patterns.DBSCANConfig{Eps: eps, MinSamples: minSamples})
			times = append(times, time.Since(start))
			if err != nil {
				log.Fatal(err)
			}
		}
		path := filepath.Join(dir, ds.name+".csv")
		if err := writeCSV(path, ds.X); err != nil {
			log.Fatal(err)
		}
		theirs, err := runSklearn(*python, script, path, eps, *repeats)
		if err != nil {
			log.Fatalf("%s: %v", ds.name, err)
		}
		equal := slices.Equal(ours.Labels, theirs.Labels)
		allEqual = allEqual && equal
		noise := 0
		for _, l := range ours.Labels {
			if l == patterns.Noise {
				noise++
			}
		}
		omen := median(times)
		sk := time.Duration(medianFloat(theirs.Seconds) * float64(time.Second))
		fmt.Printf("| %s | %d × %d | %g | %d | %d | %s | %s | %s | %.1f× |\n",
			ds.name, len(ds.X), len(ds.X[0]), eps, ours.Clusters, noise, yesNo(equal),
			round(omen), round(sk), float64(sk)/float64(omen))
	}
	if !allEqual {
		log.Fatal("labels differ from scikit-learn's on at least one dataset")
	}
}

func datasets() []dataset {
	var out []dataset
	for _, n := range []int{1000, 10000} {
		out = append(out,
			dataset{fmt.Sprintf("blobs-2d-%d", n), blobs(n, 2, 1)},
			dataset{fmt.Sprintf("blobs-8d-%d", n), blobs(n, 8, 2)},
			dataset{fmt.Sprintf("service-8d-%d", n), service(n, 3)},
			dataset{fmt.Sprintf("blobs-20d-%d", n), blobs(n, 20, 4)},
		)
	}
	return out
}

// blobs returns n rows of d i.i.d. features, as make_blobs(n, d, centers=4, cluster_std=1,
// center_box=(−10, 10)) draws them, except that every 20th row is uniform background noise over
// the box widened by 3 on every side.
func blobs(n, d int, seed uint64) [][]float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	centres := make([][]float64, 4)
	for c := range centres {
		centres[c] = make([]float64, d)
		for j := range centres[c] {
			centres[c][j] = -10 + 20*rng.Float64()
		}
	}
	X := make([][]float64, n)
	for i := range X {
		X[i] = make([]float64, d)
		c := centres[rng.IntN(len(centres))]
		for j := range X[i] {
			if i%20 == 19 {
				X[i][j] = -13 + 26*rng.Float64()
			} else {
				X[i][j] = c[j] + rng.NormFloat64()
			}
		}
	}
	return X
}

// serviceMetrics are the features of a service window: the log of the counts and latencies, whose
// noise is multiplicative, and the error rate as it is.
var serviceMetrics = []struct {
	m   servicegen.Metric
	log bool
}{
	{servicegen.TotalRequests, true}, {servicegen.ErrorRate, false},
	{servicegen.LatencyP50, true}, {servicegen.LatencyP95, true}, {servicegen.LatencyP99, true},
	{servicegen.LatencyMean, true}, {servicegen.UniqueUsers, true}, {servicegen.UniqueIPs, true},
}

// service returns the first n hourly windows of one generated service (with its incidents), as
// standardised rows of serviceMetrics.
func service(n int, seed uint64) [][]float64 {
	days := (n + 23) / 24
	s, err := servicegen.Generate(servicegen.Config{Seed: seed, Services: 1, Days: days})
	if err != nil {
		log.Fatal(err)
	}
	X := make([][]float64, n)
	for i, w := range s.Windows[:n] {
		X[i] = make([]float64, len(serviceMetrics))
		for j, f := range serviceMetrics {
			v := w.Value(f.m)
			if f.log {
				v = math.Log1p(v)
			}
			X[i][j] = v
		}
	}
	scaler, err := patterns.FitStandard(X)
	if err != nil {
		log.Fatal(err)
	}
	for i, x := range X {
		X[i] = scaler.Transform(x)
	}
	return X
}

// writeCSV writes X with a header, every value with full precision so both libraries see the same
// numbers.
func writeCSV(path string, X [][]float64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	header := make([]string, len(X[0]))
	for j := range header {
		header[j] = "x" + strconv.Itoa(j)
	}
	w.Write(header)
	row := make([]string, len(X[0]))
	for _, x := range X {
		for j, v := range x {
			row[j] = strconv.FormatFloat(v, 'g', -1, 64)
		}
		w.Write(row)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

type sklearnResult struct {
	Labels  []int     `json:"labels"`
	Seconds []float64 `json:"seconds"`
}

func runSklearn(python, script, path string, eps float64, repeats int) (sklearnResult, error) {
	var r sklearnResult
	cmd := exec.Command(python, script, path, strconv.FormatFloat(eps, 'g', -1, 64), strconv.Itoa(minSamples), strconv.Itoa(repeats))
	cmd.Env = append(os.Environ(), "OMP_NUM_THREADS=1", "OPENBLAS_NUM_THREADS=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return r, err
	}
	return r, json.Unmarshal(out, &r)
}

func roundSignificant(v float64, digits int) float64 {
	scale := math.Pow(10, float64(digits)-math.Ceil(math.Log10(math.Abs(v))))
	return math.Round(v*scale) / scale
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func medianFloat(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func round(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "**no**"
}
