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
	// ErrMagnitude reports a value beyond ±1e150, or a series whose largest magnitude is below
	// 1e-150 (and not zero): sums of squares of such values overflow or underflow float64, and
	// the statistics would be silently wrong. Rescale the series.
	ErrMagnitude = errors.New("trend: magnitudes beyond 1e150, or all below 1e-150; rescale the series")
)

// maxMagnitude bounds the absolute values the functions accept, and minMagnitude the largest
// absolute value of a series that is not all zero.
const (
	maxMagnitude = 1e150
	minMagnitude = 1e-150
)

// checkMagnitude returns ErrMagnitude when largest, the largest absolute value of a series, is
// outside the accepted magnitudes.
func checkMagnitude(largest float64) error {
	if largest > maxMagnitude || (largest > 0 && largest < minMagnitude) {
		return ErrMagnitude
	}
	return nil
}

// countFinite returns the number of non-NaN values of y, or ErrNotFinite if
// one is infinite (ErrMagnitude for magnitudes outside those accepted).
func countFinite(y []float64) (int, error) {
	n, largest := 0, 0.0
	for _, v := range y {
		switch {
		case math.IsInf(v, 0):
			return 0, ErrNotFinite
		case !math.IsNaN(v):
			largest = max(largest, math.Abs(v))
			n++
		}
	}
	return n, checkMagnitude(largest)
}

// checkFinite returns ErrNotFinite if y holds a NaN or an infinity, and
// ErrMagnitude for magnitudes outside those accepted.
func checkFinite(y []float64) error {
	largest := 0.0
	for _, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return ErrNotFinite
		}
		largest = max(largest, math.Abs(v))
	}
	return checkMagnitude(largest)
}
