package isoforest

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stacklens/omen/internal/odds"
	"github.com/stacklens/omen/internal/roc"
	"github.com/stacklens/omen/internal/testenv"
)

// sklearnReference is the part of ../shared/datasets/odds/sklearn_reference.json the test reads:
// scikit-learn 1.2.1's IsolationForest(n_estimators=100, max_samples=256, contamination='auto',
// random_state=seed, n_jobs=1) for seeds 0..9, fitted and scored on all rows, AUROC of
// −score_samples (the command is in ../shared/datasets/odds/README.md).
type sklearnReference struct {
	Datasets map[string]struct {
		AUROCMean float64 `json:"auroc_mean"`
		AUROCSEM  float64 `json:"auroc_sem"`
	} `json:"datasets"`
}

// TestAccuracyMatchesScikitLearn fits 100 trees with ψ = 256 on every row of each ODDS dataset
// for seeds 0..9 and requires the mean AUROC to be no lower than scikit-learn's mean minus the
// larger of 0.01 and three standard errors of the seed-to-seed noise (of both means, combined).
func TestAccuracyMatchesScikitLearn(t *testing.T) {
	dir := filepath.Join(testenv.Shared(t), "datasets", "odds")
	raw, err := os.ReadFile(filepath.Join(dir, "sklearn_reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref sklearnReference
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	for _, name := range odds.Names {
		t.Run(name, func(t *testing.T) {
			want, ok := ref.Datasets[name]
			if !ok {
				t.Fatalf("no scikit-learn reference for %s", name)
			}
			ds, err := odds.Load(name, filepath.Join(dir, name+".csv"))
			if err != nil {
				t.Fatal(err)
			}
			const seeds = 10
			aucs := make([]float64, seeds)
			scores := make([]float64, len(ds.X))
			for seed := range aucs {
				m, err := Fit(ds.X, Config{Trees: 100, SampleSize: 256, Seed: uint64(seed)})
				if err != nil {
					t.Fatal(err)
				}
				aucs[seed] = roc.AUC(m.ScoresTo(scores, ds.X), ds.Anomaly)
			}
			mean, sem := meanSEM(aucs)
			margin := max(0.01, 3*math.Hypot(sem, want.AUROCSEM))
			t.Logf("%s: AUROC %.4f ± %.4f (scikit-learn %.4f ± %.4f), floor %.4f", name, mean, sem, want.AUROCMean, want.AUROCSEM, want.AUROCMean-margin)
			if mean < want.AUROCMean-margin {
				t.Errorf("%s: mean AUROC %.4f over %d seeds is below scikit-learn's %.4f − %.4f", name, mean, seeds, want.AUROCMean, margin)
			}
		})
	}
}

// meanSEM returns the mean of v and its standard error, sd/√n with the n−1 sample deviation.
func meanSEM(v []float64) (mean, sem float64) {
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	var ss float64
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss/float64(len(v)-1)) / math.Sqrt(float64(len(v)))
}
