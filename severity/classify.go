package severity

import (
	"errors"
	"math"
	"slices"
)

// Kind is the kind of a point deviation.
type Kind int8

const (
	// NoDeviation: the value is within MinZ robust standard deviations of what was expected.
	NoDeviation Kind = iota
	// Spike: the value is far above its robust baseline.
	Spike
	// Dip: the value is far below its robust baseline.
	Dip
	// SeasonalityBreak: the value is far from the value its seasonal pattern predicts.
	SeasonalityBreak
)

var kindNames = [...]string{"none", "spike", "dip", "seasonality_break"}

// String returns the lowercase name used in messages: none, spike, dip, seasonality_break.
func (k Kind) String() string {
	if k < NoDeviation || k > SeasonalityBreak {
		return "Kind(?)"
	}
	return kindNames[k]
}

// DefaultMinZ is the robust z-score from which a deviation counts when MinZ is zero.
const DefaultMinZ = 3

// Baseline is a robust centre and spread of a metric's recent values.
type Baseline struct {
	Center float64 // median
	Scale  float64 // 1.4826·MAD, the standard deviation for normal data
}

// ErrNoData is returned by RobustBaseline when the history holds no finite value.
var ErrNoData = errors.New("severity: no finite values")

// RobustBaseline returns the median and the normal-consistent MAD (1.4826·median |x − median|) of
// the finite values of history; NaN and ±Inf are skipped. The scale is 0 when more than half the
// values are equal. history is not modified. It returns ErrNoData when no finite value remains.
func RobustBaseline(history []float64) (Baseline, error) {
	xs := make([]float64, 0, len(history))
	for _, v := range history {
		if finite(v) {
			xs = append(xs, v)
		}
	}
	if len(xs) == 0 {
		return Baseline{}, ErrNoData
	}
	med := median(xs)
	for i := range xs {
		xs[i] = math.Abs(xs[i] - med)
	}
	return Baseline{Center: med, Scale: 1.482602218505602 * median(xs)}, nil
}

func median(xs []float64) float64 {
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// Deviation describes a value against what was expected.
type Deviation struct {
	Kind     Kind
	Value    float64 // the observed value
	Expected float64 // the baseline centre or the expected seasonal value
	// Effect is Value − Expected, in the metric's units (compare it with a minimum effect).
	Effect float64
	// Z is Effect / Scale: the size in robust standard deviations; ±Inf when the scale is 0 and the
	// value differs, 0 when it does not.
	Z float64
	// Percent is 100·Effect / |Expected|; ±Inf when Expected is 0 and the value differs.
	Percent float64
}

func deviation(value, expected, scale float64) Deviation {
	d := Deviation{Value: value, Expected: expected, Effect: value - expected}
	d.Z = ratio(d.Effect, scale)
	d.Percent = 100 * ratio(d.Effect, math.Abs(expected))
	return d
}

// ratio returns a/b with 0/0 = 0 and a/0 = ±Inf.
func ratio(a, b float64) float64 {
	if b == 0 {
		if a == 0 {
			return 0
		}
		return math.Copysign(math.Inf(1), a)
	}
	return a / b
}

// ClassifyPoint compares value with its robust baseline: a Spike when the robust z-score
// (value − median)/scale is at least minZ, a Dip when it is at most −minZ, NoDeviation otherwise.
// minZ zero means DefaultMinZ. A NaN value is NoDeviation with NaN fields.
func ClassifyPoint(value float64, b Baseline, minZ float64) Deviation {
	d := deviation(value, b.Center, b.Scale)
	minZ = defaultMinZ(minZ)
	switch {
	case d.Z >= minZ:
		d.Kind = Spike
	case d.Z <= -minZ:
		d.Kind = Dip
	}
	return d
}

// ClassifySeasonal compares value with the value its seasonal pattern predicts (for example the
// trend plus seasonal component of an STL decomposition): a SeasonalityBreak when the residual
// (value − expected) is at least minZ residual scales away in either direction, NoDeviation
// otherwise. residualScale is the robust spread of the residuals (e.g. RobustBaseline of past
// residuals). minZ zero means DefaultMinZ.
func ClassifySeasonal(value, expected, residualScale, minZ float64) Deviation {
	d := deviation(value, expected, residualScale)
	if math.Abs(d.Z) >= defaultMinZ(minZ) {
		d.Kind = SeasonalityBreak
	}
	return d
}

func defaultMinZ(z float64) float64 {
	if z < 0 || math.IsNaN(z) {
		panic("severity: negative or NaN minZ")
	}
	if z == 0 {
		return DefaultMinZ
	}
	return z
}
