package isoforest

import (
	"errors"
	"fmt"
	"runtime"
)

// Config holds the hyperparameters of Fit. The zero value of every field selects its documented
// default, so Config{} is scikit-learn's IsolationForest() with contamination="auto".
type Config struct {
	// Trees is the number of trees T. Default 100.
	Trees int

	// SampleSize is the subsample size ψ drawn for each tree. Default min(256, n); a value above n
	// is reduced to n.
	SampleSize int

	// MaxFeatures is the number of features each tree may split on, drawn without replacement per
	// tree. Default all d features.
	MaxFeatures int

	// Bootstrap draws each tree's subsample with replacement instead of without.
	Bootstrap bool

	// Contamination is the expected fraction of anomalies. Zero selects the fixed threshold
	// s = 0.5; a fraction q in (0, 0.5] sets the threshold to the (1−q) quantile of the training
	// scores.
	Contamination float64

	// ExtensionLevel is the number of extra non-zero components of each split's normal vector:
	// 0 gives axis-parallel splits, d−1 the fully Extended Isolation Forest. At most
	// min(d, MaxFeatures) − 1.
	ExtensionLevel int

	// Seed seeds the random streams. Equal X, Config and Seed give an identical model.
	Seed uint64

	// Workers is the number of goroutines that grow trees (and score the training rows when
	// Contamination is set). Default GOMAXPROCS. It never changes the result.
	Workers int

	// SklearnCompatible uses scikit-learn's approximation H(k) ≈ ln k + γ in c(m), so scores equal
	// the negation of scikit-learn's score_samples for the same trees. Otherwise H is exact.
	SklearnCompatible bool
}

const (
	defaultTrees      = 100
	defaultSampleSize = 256
)

// ErrNoData is returned by Fit for a matrix without rows or without columns.
var ErrNoData = errors.New("isoforest: no data")

// ErrTooFewRows is returned by Fit when X has a single row: a forest needs two rows to measure
// isolation.
var ErrTooFewRows = errors.New("isoforest: need at least 2 rows")

// DataError reports a bad value or row shape in the input of Fit, naming its 0-based row and
// column.
type DataError struct {
	Row, Col int
	Reason   string
}

func (e *DataError) Error() string {
	if e.Col < 0 {
		return fmt.Sprintf("isoforest: row %d: %s", e.Row, e.Reason)
	}
	return fmt.Sprintf("isoforest: row %d, column %d: %s", e.Row, e.Col, e.Reason)
}

// settings are a Config with its defaults resolved against the data.
type settings struct {
	trees, psi, maxFeatures, ext, workers int
	bootstrap, sklearn                    bool
	contamination                         float64
	seed                                  uint64
	centre                                []float64 // extended forests: featureCentres of the training rows
}

func (cfg Config) resolve(n, d int) (settings, error) {
	s := settings{
		trees:         cfg.Trees,
		psi:           cfg.SampleSize,
		maxFeatures:   cfg.MaxFeatures,
		ext:           cfg.ExtensionLevel,
		workers:       cfg.Workers,
		bootstrap:     cfg.Bootstrap,
		sklearn:       cfg.SklearnCompatible,
		contamination: cfg.Contamination,
		seed:          cfg.Seed,
	}
	switch {
	case s.trees < 0:
		return s, fmt.Errorf("isoforest: Trees = %d, want ≥ 1 (0 for the default %d)", s.trees, defaultTrees)
	case s.psi < 0:
		return s, fmt.Errorf("isoforest: SampleSize = %d, want ≥ 2 (0 for the default)", s.psi)
	case s.maxFeatures < 0 || s.maxFeatures > d:
		return s, fmt.Errorf("isoforest: MaxFeatures = %d, want 1..%d (0 for all)", s.maxFeatures, d)
	case !(s.contamination >= 0 && s.contamination <= 0.5):
		return s, fmt.Errorf("isoforest: Contamination = %v, want a fraction in (0, 0.5] (0 for the fixed threshold 0.5)", s.contamination)
	case s.workers < 0:
		return s, fmt.Errorf("isoforest: Workers = %d, want ≥ 1 (0 for GOMAXPROCS)", s.workers)
	}
	if s.trees == 0 {
		s.trees = defaultTrees
	}
	if s.psi == 0 {
		s.psi = defaultSampleSize
	}
	s.psi = min(s.psi, n)
	if s.psi < 2 {
		return s, fmt.Errorf("isoforest: SampleSize = %d, want ≥ 2", s.psi)
	}
	if s.maxFeatures == 0 {
		s.maxFeatures = d
	}
	if s.ext < 0 || s.ext > s.maxFeatures-1 {
		return s, fmt.Errorf("isoforest: ExtensionLevel = %d, want 0..%d (features per tree − 1)", s.ext, s.maxFeatures-1)
	}
	if s.workers == 0 {
		s.workers = runtime.GOMAXPROCS(0)
	}
	s.workers = min(s.workers, s.trees)
	return s, nil
}
