package isoforest_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/stacklens/omen/isoforest"
)

// windows returns 500 ordinary service windows (error rate %, p99 latency ms) around 1 % and
// 150 ms.
func windows() [][]float64 {
	rng := rand.New(rand.NewPCG(1, 2))
	X := make([][]float64, 500)
	for i := range X {
		X[i] = []float64{1 + 0.2*rng.NormFloat64(), 150 + 15*rng.NormFloat64()}
	}
	return X
}

func ExampleFit() {
	model, err := isoforest.Fit(windows(), isoforest.Config{Seed: 1})
	if err != nil {
		panic(err)
	}
	fmt.Println(model.Trees(), "trees of", model.SampleSize(), "rows over", model.Dim(), "features")
	// Output: 100 trees of 256 rows over 2 features
}

func ExampleFit_errors() {
	_, err := isoforest.Fit([][]float64{{1, 150}, {1.2, 155}, {1.1}}, isoforest.Config{})
	fmt.Println(err)
	// Output: isoforest: row 2: has 1 columns, row 0 has 2
}

func ExampleModel_Score() {
	model, _ := isoforest.Fit(windows(), isoforest.Config{Seed: 1})
	fmt.Printf("ordinary window %.2f\n", model.Score([]float64{1.0, 152}))
	fmt.Printf("error burst     %.2f\n", model.Score([]float64{6.5, 900}))
	// Output:
	// ordinary window 0.40
	// error burst     0.75
}

func ExampleModel_IsAnomaly() {
	model, _ := isoforest.Fit(windows(), isoforest.Config{Seed: 1})
	fmt.Println(model.IsAnomaly([]float64{1.0, 152}), model.IsAnomaly([]float64{6.5, 900}))
	// Output: false true
}

func ExampleModel_Threshold() {
	fixed, _ := isoforest.Fit(windows(), isoforest.Config{Seed: 1})
	quantile, _ := isoforest.Fit(windows(), isoforest.Config{Seed: 1, Contamination: 0.05})
	fmt.Printf("%.2f %.2f\n", fixed.Threshold(), quantile.Threshold())
	// Output: 0.50 0.58
}

func ExampleModel_ScoresTo() {
	X := windows()
	model, _ := isoforest.Fit(X, isoforest.Config{Seed: 1})
	scores := make([]float64, len(X)) // reused across calls: no allocation
	model.ScoresTo(scores, X)
	fmt.Println(len(scores))
	// Output: 500
}

func ExampleModel_Explain() {
	model, _ := isoforest.Fit(windows(), isoforest.Config{Seed: 1})
	contrib := model.Explain([]float64{1.0, 600}) // normal error rate, very slow
	fmt.Printf("error rate %.2f, p99 latency %.2f\n", contrib[0], contrib[1])
	// Output: error rate 0.26, p99 latency 0.74
}

func ExampleModel_FeatureImportance() {
	model, _ := isoforest.Fit(windows(), isoforest.Config{Seed: 1})
	imp := model.FeatureImportance()
	fmt.Printf("%.2f %.2f\n", imp[0], imp[1])
	// Output: 0.51 0.49
}

func ExampleModel_MarshalBinary() {
	model, _ := isoforest.Fit(windows(), isoforest.Config{Seed: 1})
	data, _ := model.MarshalBinary()

	var restored isoforest.Model
	if err := restored.UnmarshalBinary(data); err != nil {
		panic(err)
	}
	x := []float64{6.5, 900}
	fmt.Println(restored.Score(x) == model.Score(x))
	// Output: true
}

func ExampleConfig_extended() {
	// ExtensionLevel d−1 grows the fully Extended Isolation Forest: oblique splits.
	model, _ := isoforest.Fit(windows(), isoforest.Config{Seed: 1, ExtensionLevel: 1})
	fmt.Println(model.IsAnomaly([]float64{6.5, 900}))
	// Output: true
}

func ExampleModel_Scores() {
	model, _ := isoforest.Fit(windows(), isoforest.Config{Seed: 1})
	scores := model.Scores([][]float64{{1.0, 152}, {6.5, 900}})
	fmt.Printf("%.2f %.2f\n", scores[0], scores[1])
	// Output: 0.40 0.75
}

func ExampleModel_ExplainTo() {
	model, _ := isoforest.Fit(windows(), isoforest.Config{Seed: 1})
	contrib := make([]float64, model.Dim())     // reused across calls: no allocation
	model.ExplainTo(contrib, []float64{9, 150}) // error burst at normal latency
	fmt.Printf("error rate %.2f, p99 latency %.2f\n", contrib[0], contrib[1])
	// Output: error rate 0.78, p99 latency 0.22
}

func ExampleModel_UnmarshalBinary() {
	var model isoforest.Model
	err := model.UnmarshalBinary([]byte("not a model"))
	fmt.Println(errors.Is(err, isoforest.ErrEncoding))
	// Output: true
}

func ExampleDataError() {
	_, err := isoforest.Fit([][]float64{{1, 150}, {math.NaN(), 155}}, isoforest.Config{})
	var de *isoforest.DataError
	if errors.As(err, &de) {
		fmt.Println("bad value at row", de.Row, "column", de.Col)
	}
	// Output: bad value at row 1 column 0
}
