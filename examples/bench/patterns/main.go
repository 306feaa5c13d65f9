// Command patterns compares omen's patterns.DBSCAN with scikit-learn's DBSCAN side by side: the same
// rows in the same order, the same eps (omen's KneeEps, rounded to three significant digits so no
// distance sits exactly on the boundary) and min_samples 5. It checks that the labels are identical
// and prints a Markdown table of median times and omen's speed-up.
//
//	go run ./examples/bench/patterns [-repeats 5] [-python /usr/bin/python3]
//
// The datasets are generated here with fixed seeds: Gaussian blobs with 5 % uniform noise in 2 and
// 8 dimensions (i.i.d. features: the hard case for any spatial index), correlated "service" windows
// (8 metrics driven by 3 latent factors, as real service metrics are) and 20-dimensional blobs
// (above 15 columns both libraries scan without a tree). scikit-learn (Debian's python3-sklearn) is
// needed only here, never by omen itself.
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

// blobs returns n rows of d i.i.d. features: four Gaussian clusters with unit spread whose centres
// are 6 apart on every axis, and every 20th row uniform background noise.
func blobs(n, d int, seed uint64) [][]float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	X := make([][]float64, n)
	for i := range X {
		X[i] = make([]float64, d)
		for j := range X[i] {
			if i%20 == 19 {
				X[i][j] = -6 + 24*rng.Float64()
			} else {
				X[i][j] = float64(i%4*6) + rng.NormFloat64()
			}
		}
	}
	return X
}

// service returns n windows of 8 metrics driven by three latent factors (traffic, latency, errors)
// in three daily regimes, with 10 % independent noise, and every 50th window an incident.
func service(n int, seed uint64) [][]float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	regimes := [][3]float64{{-1.5, -0.5, -0.5}, {0, 0, 0}, {1.5, 1, 0.5}}
	loadings := [8][3]float64{
		{0, 0.3, 1}, {0.2, 1, 0}, {0.2, 1, 0.1}, {0.3, 1, 0.2},
		{0, 0.2, 0.8}, {1, 0.2, 0}, {1, 0, 0}, {1, 0.1, 0},
	}
	X := make([][]float64, n)
	for i := range X {
		r := regimes[i%3]
		f := [3]float64{r[0] + 0.3*rng.NormFloat64(), r[1] + 0.3*rng.NormFloat64(), r[2] + 0.3*rng.NormFloat64()}
		if i%50 == 49 {
			f = [3]float64{4 * rng.NormFloat64(), 4 * rng.NormFloat64(), 4 * rng.NormFloat64()}
		}
		X[i] = make([]float64, 8)
		for j, l := range loadings {
			X[i][j] = l[0]*f[0] + l[1]*f[1] + l[2]*f[2] + 0.1*rng.NormFloat64()
		}
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
