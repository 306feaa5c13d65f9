package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/stacklens/omen/isoforest"
)

func init() {
	register("iforest", "fit an isolation forest and print each row's anomaly score", runIforest)
}

// runIforest implements
//
//	omen iforest -train TRAIN.csv [-score SCORE.csv] [-label label] [-trees 100] [-sample-size 256] [-seed 1] [-extension 0]
//
// and prints CSV: header "score", then s(x) in (0, 1] for each scored row, in order.
func runIforest(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("iforest", flag.ContinueOnError)
	train := fs.String("train", "", "training CSV with a header row (required)")
	score := fs.String("score", "", "CSV of rows to score (default: the training rows)")
	label := fs.String("label", "label", "name of a column that is not a feature (ignored if absent)")
	trees := fs.Int("trees", 100, "number of trees")
	sampleSize := fs.Int("sample-size", 256, "subsample size ψ per tree (reduced to the row count)")
	seed := fs.Uint64("seed", 1, "random seed")
	extension := fs.Int("extension", 0, "extension level: 0 axis-parallel, d-1 fully extended")
	if help, err := parseFlags(fs, args, stdout, "omen iforest -train TRAIN.csv [flags]"); help || err != nil {
		return err
	}
	if *train == "" {
		return errors.New("-train is required")
	}
	if *trees < 1 || *sampleSize < 2 {
		return fmt.Errorf("-trees must be ≥ 1 and -sample-size ≥ 2 (got %d and %d)", *trees, *sampleSize)
	}

	tt, err := readTable(*train)
	if err != nil {
		return err
	}
	X, names, err := tt.features(*label)
	if err != nil {
		return err
	}
	model, err := isoforest.Fit(X, isoforest.Config{
		Trees:          *trees,
		SampleSize:     *sampleSize,
		Seed:           *seed,
		ExtensionLevel: *extension,
	})
	if err != nil {
		return fmt.Errorf("%s: %w", *train, err)
	}

	rows := X
	if *score != "" {
		st, err := readTable(*score)
		if err != nil {
			return err
		}
		if rows, err = st.columns(names); err != nil {
			return err
		}
	}
	scores := model.Scores(rows)
	fmt.Fprintln(stdout, "score")
	for _, s := range scores {
		fmt.Fprintln(stdout, formatFloat(s))
	}
	return nil
}
