// Command iforest compares omen's isoforest with scikit-learn's IsolationForest side by side: the
// same ODDS datasets, the same configuration (100 trees, ψ = 256, contamination "auto", seeds
// 0..N−1, one thread, fitted and scored on all rows), in one run. It prints a Markdown table of
// mean AUROC, median fit+score time, median time to score one row, and omen's speed-up.
//
//	go run ./examples/bench/iforest [-shared ../shared] [-seeds 10] [-python /usr/bin/python3]
//
// scikit-learn is needed only here (Debian's python3-sklearn), never by omen itself.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/stacklens/omen/internal/odds"
	"github.com/stacklens/omen/internal/roc"
	"github.com/stacklens/omen/isoforest"
)

type result struct {
	auroc    []float64
	fitScore []time.Duration
	oneRow   time.Duration
}

func main() {
	shared := flag.String("shared", "../shared", "the shared data folder")
	seeds := flag.Int("seeds", 10, "seeds 0..N-1 per dataset")
	python := flag.String("python", "/usr/bin/python3", "Python with scikit-learn")
	flag.Parse()
	log.SetFlags(0)

	_, self, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(self), "sklearn_iforest.py")
	version, err := exec.Command(*python, "-c", "import sklearn; print(sklearn.__version__)").Output()
	if err != nil {
		log.Fatalf("scikit-learn is not importable by %s (apt-get install python3-sklearn): %v", *python, err)
	}

	fmt.Printf("omen isoforest vs scikit-learn %s IsolationForest: 100 trees, ψ = 256, seeds 0..%d, one thread, fitted and scored on all rows (%s, GOMAXPROCS=%d).\n\n",
		trim(version), *seeds-1, runtime.Version(), runtime.GOMAXPROCS(0))
	fmt.Println("| dataset | rows × features | AUROC omen | AUROC scikit-learn | fit+score omen | fit+score scikit-learn | speed-up | one row omen | one row scikit-learn | speed-up |")
	fmt.Println("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, name := range odds.Names {
		path := filepath.Join(*shared, "datasets", "odds", name+".csv")
		ds, err := odds.Load(name, path)
		if err != nil {
			log.Fatal(err)
		}
		ours := runOmen(ds, *seeds)
		theirs, err := runSklearn(*python, script, path, *seeds)
		if err != nil {
			log.Fatalf("%s: %v", name, err)
		}
		fo, fs := median(ours.fitScore), median(theirs.fitScore)
		fmt.Printf("| %s | %d × %d | %.4f | %.4f | %s | %s | %.0f× | %s | %s | %.0f× |\n",
			name, len(ds.X), len(ds.X[0]), mean(ours.auroc), mean(theirs.auroc),
			ms(fo), ms(fs), float64(fs)/float64(fo), us(ours.oneRow), us(theirs.oneRow), float64(theirs.oneRow)/float64(ours.oneRow))
	}
}

func runOmen(ds *odds.Dataset, seeds int) result {
	var r result
	scores := make([]float64, len(ds.X))
	var model *isoforest.Model
	for seed := range seeds {
		start := time.Now()
		m, err := isoforest.Fit(ds.X, isoforest.Config{Trees: 100, SampleSize: 256, Seed: uint64(seed), Workers: 1})
		if err != nil {
			log.Fatal(err)
		}
		m.ScoresTo(scores, ds.X)
		r.fitScore = append(r.fitScore, time.Since(start))
		r.auroc = append(r.auroc, roc.AUC(scores, ds.Anomaly))
		model = m
	}
	var oneRow []time.Duration
	for i := range 50 {
		const reps = 1000 // one call is too short for the clock: time a thousand
		start := time.Now()
		for range reps {
			model.Score(ds.X[i])
		}
		oneRow = append(oneRow, time.Since(start)/reps)
	}
	r.oneRow = median(oneRow)
	return r
}

func runSklearn(python, script, path string, seeds int) (result, error) {
	out, err := exec.Command(python, script, path, fmt.Sprint(seeds)).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return result{}, fmt.Errorf("%v: %s", err, ee.Stderr)
		}
		return result{}, err
	}
	var raw struct {
		AUROC     []float64 `json:"auroc"`
		FitScoreS []float64 `json:"fit_score_s"`
		OneRowS   float64   `json:"one_row_s"`
	}
	if err := json.Unmarshal(out, &raw); err != nil {
		return result{}, fmt.Errorf("reading the scikit-learn script's output: %w", err)
	}
	r := result{auroc: raw.AUROC, oneRow: seconds(raw.OneRowS)}
	for _, s := range raw.FitScoreS {
		r.fitScore = append(r.fitScore, seconds(s))
	}
	return r, nil
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
func us(d time.Duration) string { return fmt.Sprintf("%.1f µs", float64(d)/float64(time.Microsecond)) }

func trim(b []byte) string {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return string(b)
}
