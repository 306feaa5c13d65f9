package trend

import (
	"errors"
	"math"
)

// Errors returned for data the functions cannot handle.
var (
	// ErrTooFew reports fewer (non-NaN) values than a method needs.
	ErrTooFew = errors.New("trend: too few values")
	// ErrNotFinite reports an infinite value (or a NaN where missing values
	// are not allowed).
	ErrNotFinite = errors.New("trend: series contains a non-finite value")
	// ErrNoPeriod reports a series without a significant autocorrelation peak.
	ErrNoPeriod = errors.New("trend: no significant period")
)

// countFinite returns the number of non-NaN values of y, or ErrNotFinite if
// one is infinite.
func countFinite(y []float64) (int, error) {
	n := 0
	for _, v := range y {
		switch {
		case math.IsInf(v, 0):
			return 0, ErrNotFinite
		case !math.IsNaN(v):
			n++
		}
	}
	return n, nil
}

// checkFinite returns ErrNotFinite if y holds a NaN or an infinity.
func checkFinite(y []float64) error {
	for _, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return ErrNotFinite
		}
	}
	return nil
}
