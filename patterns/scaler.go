package patterns

import (
	"math"
	"slices"
)

// madToSigma makes the median absolute deviation a consistent estimator of the standard deviation
// of a normal distribution: 1/Φ⁻¹(3/4).
const madToSigma = 1.482602218505602

// Scaler maps each column j to (x_j − Center_j) / Scale_j. A Scaler is immutable and safe for
// concurrent use.
type Scaler struct {
	center, scale []float64
}

// FitStandard fits scikit-learn's StandardScaler: Center is the column mean and Scale the population
// standard deviation sqrt(Σ(x−μ)²/n). A constant column — detected, as scikit-learn does, by
// var ≤ n·ε·var + (n·μ·ε)² — gets Scale 1, so it maps to 0 instead of dividing by zero.
//
// X is not modified. It returns ErrEmpty for no rows or no columns, an *InputError naming the row
// and column of a ragged row, NaN or ±Inf, and ErrOverflow (wrapped, naming the row and column)
// for a value beyond ±1e150.
func FitStandard(X [][]float64) (*Scaler, error) {
	d, err := checkMatrix(X)
	if err != nil {
		return nil, err
	}
	n := float64(len(X))
	s := &Scaler{center: make([]float64, d), scale: make([]float64, d)}
	for j := range d {
		var sum float64
		for _, row := range X {
			sum += row[j]
		}
		mean := sum / n
		var ss float64
		for _, row := range X {
			dev := row[j] - mean
			ss += dev * dev
		}
		variance := ss / n
		s.center[j] = mean
		s.scale[j] = math.Sqrt(variance)
		const eps = 0x1p-52
		if !math.IsInf(variance, 0) && variance <= n*eps*variance+(n*mean*eps)*(n*mean*eps) {
			s.scale[j] = 1
		}
	}
	return s, nil
}

// FitRobust fits a robust scaler: Center is the column median and Scale the median absolute
// deviation times 1.4826, which equals the standard deviation for normal data but ignores up to half
// of the rows being outliers. A column whose MAD is zero (more than half its values equal) gets
// Scale 1. Errors as for FitStandard; X is not modified.
func FitRobust(X [][]float64) (*Scaler, error) {
	d, err := checkMatrix(X)
	if err != nil {
		return nil, err
	}
	s := &Scaler{center: make([]float64, d), scale: make([]float64, d)}
	col := make([]float64, len(X))
	for j := range d {
		for i, row := range X {
			col[i] = row[j]
		}
		med := median(col)
		for i := range col {
			col[i] = math.Abs(col[i] - med)
		}
		mad := median(col) * madToSigma
		s.center[j] = med
		s.scale[j] = mad
		if mad == 0 {
			s.scale[j] = 1
		}
	}
	return s, nil
}

// median returns the median of xs, reordering xs in place. xs must be non-empty.
func median(xs []float64) float64 {
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// Dim returns the number of columns the scaler was fitted on.
func (s *Scaler) Dim() int { return len(s.center) }

// Center returns a copy of the per-column centres (mean or median).
func (s *Scaler) Center() []float64 { return slices.Clone(s.center) }

// Scale returns a copy of the per-column scales (standard deviation or scaled MAD; 1 for constant
// columns).
func (s *Scaler) Scale() []float64 { return slices.Clone(s.scale) }

// Transform returns the scaled copy of x. It panics if len(x) != Dim().
func (s *Scaler) Transform(x []float64) []float64 { return s.TransformTo(nil, x) }

// TransformTo writes (x − Center) / Scale into dst and returns it. A nil dst is allocated; otherwise
// len(dst) must equal Dim() and nothing is allocated. dst may alias x. It panics on a length mismatch.
func (s *Scaler) TransformTo(dst, x []float64) []float64 {
	dst = s.prepare(dst, x)
	for j, v := range x {
		dst[j] = (v - s.center[j]) / s.scale[j]
	}
	return dst
}

// Inverse returns the raw-unit copy of the scaled vector z. It panics if len(z) != Dim().
func (s *Scaler) Inverse(z []float64) []float64 { return s.InverseTo(nil, z) }

// InverseTo writes z·Scale + Center into dst and returns it, with the dst rules of TransformTo.
func (s *Scaler) InverseTo(dst, z []float64) []float64 {
	dst = s.prepare(dst, z)
	for j, v := range z {
		dst[j] = v*s.scale[j] + s.center[j]
	}
	return dst
}

// TransformAll returns the scaled copy of every row of X. It panics if a row's length is not Dim().
func (s *Scaler) TransformAll(X [][]float64) [][]float64 {
	d := s.Dim()
	flat := make([]float64, len(X)*d)
	out := make([][]float64, len(X))
	for i, row := range X {
		out[i] = s.TransformTo(flat[i*d:(i+1)*d:(i+1)*d], row)
	}
	return out
}

func (s *Scaler) prepare(dst, x []float64) []float64 {
	if len(x) != len(s.center) {
		panic("patterns: vector length does not match the scaler's dimension")
	}
	if dst == nil {
		return make([]float64, len(x))
	}
	if len(dst) != len(x) {
		panic("patterns: dst length does not match the scaler's dimension")
	}
	return dst
}
