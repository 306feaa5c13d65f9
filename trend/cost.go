package trend

import (
	"math"
	"slices"
)

// Cost is the segment cost of the offline change-point methods: twice the
// negative log-likelihood of a segment under a normal model, up to terms
// that do not depend on the segmentation (as R's changepoint package).
type Cost int

const (
	// NormalMean detects changes in the mean of normal data with a common
	// variance σ²: C = Σ (y − ȳ)² / σ².
	NormalMean Cost = iota
	// NormalMeanVar detects changes in mean and variance together:
	// C = m·(log 2π + log σ̂² + 1), σ̂² = Σ (y − ȳ)²/m for a segment of m values,
	// σ̂² floored at 1e−11 as in changepoint.
	NormalMeanVar
)

// Penalty chooses the penalty β added for each change point.
type Penalty int

const (
	// MBIC is the modified BIC of Zhang and Siegmund (2007) as changepoint
	// implements it, the default: β = (p+2)·log n and each segment's cost
	// carries an extra log(segment length); p is 1 for NormalMean and 2 for
	// NormalMeanVar.
	MBIC Penalty = iota
	// BIC is the Schwarz criterion: β = (p+1)·log n.
	BIC
	// Manual uses ChangeConfig.PenaltyValue.
	Manual
)

// ChangeConfig holds the settings of PELT and BinarySegmentation; zero
// fields mean the defaults given with each.
type ChangeConfig struct {
	// Cost is the segment cost; the zero value is NormalMean.
	Cost Cost
	// Penalty is the penalty kind; the zero value is MBIC.
	Penalty Penalty
	// PenaltyValue is β for the Manual penalty (it must be ≥ 0).
	PenaltyValue float64
	// MinSegment is the smallest segment length; zero means 1 for NormalMean
	// and 2 for NormalMeanVar (changepoint's minseglen).
	MinSegment int
	// Variance is σ² for NormalMean; zero means it is estimated robustly as
	// (1.4826·MAD(Δy)/√2)², the median absolute deviation of the first
	// differences, which a change in mean barely affects (a series whose
	// differences have zero MAD falls back to half their variance, then to 1).
	// changepoint instead assumes σ² = 1 on data the user has scaled.
	Variance float64
	// MaxChanges bounds the number of changes BinarySegmentation finds; zero
	// means 5 (changepoint's Q). PELT ignores it.
	MaxChanges int
}

// segmentCost evaluates segment costs in O(1) from prefix sums.
type segmentCost struct {
	s1, s2   []float64 // prefix sums of y and y²
	cost     Cost
	invVar   float64 // 1/σ² for NormalMean
	mbic     bool
	logLen   []float64 // logLen[m] = log m for MBIC's length terms, else 0
	minSeg   int
	penalty  float64
	nChanges int
}

// newSegmentCost validates cfg for y and prepares the costs.
func newSegmentCost(y []float64, cfg ChangeConfig) (*segmentCost, error) {
	if err := checkFinite(y); err != nil {
		return nil, err
	}
	if cfg.Cost != NormalMean && cfg.Cost != NormalMeanVar {
		panic("trend: unknown Cost")
	}
	if cfg.MinSegment < 0 || !(cfg.Variance >= 0) || cfg.MaxChanges < 0 || !(cfg.PenaltyValue >= 0) {
		panic("trend: negative ChangeConfig field")
	}
	n := len(y)
	c := &segmentCost{cost: cfg.Cost, minSeg: cfg.MinSegment, nChanges: cfg.MaxChanges}
	params := 1.0
	if c.minSeg == 0 {
		c.minSeg = 1
	}
	if cfg.Cost == NormalMeanVar {
		params = 2
		if cfg.MinSegment == 0 {
			c.minSeg = 2
		}
	}
	if n < c.minSeg || n < 2 {
		return nil, ErrTooFew
	}
	logN := math.Log(float64(n))
	switch cfg.Penalty {
	case MBIC:
		c.penalty = (params + 2) * logN
		c.mbic = true
	case BIC:
		c.penalty = (params + 1) * logN
	case Manual:
		c.penalty = cfg.PenaltyValue
	default:
		panic("trend: unknown Penalty")
	}
	c.logLen = make([]float64, n+1) // zeros unless MBIC
	if c.mbic {
		for m := 1; m <= n; m++ {
			c.logLen[m] = math.Log(float64(m))
		}
	}
	if c.nChanges == 0 {
		c.nChanges = 5
	}
	// The sums are of y minus its mean: every cost is unchanged by a shift of the data, and a
	// segment's Σy² − (Σy)²/m cancels catastrophically when the level dwarfs the noise (a
	// counter near 10⁹ varying by units made two-point segments look free).
	centre := 0.0
	for _, v := range y {
		centre += v / float64(n)
	}
	c.s1 = make([]float64, n+1)
	c.s2 = make([]float64, n+1)
	for i, v := range y {
		v -= centre
		c.s1[i+1] = c.s1[i] + v
		c.s2[i+1] = c.s2[i] + v*v
	}
	if cfg.Cost == NormalMean {
		v := cfg.Variance
		if v == 0 {
			v = noiseVariance(y)
		}
		c.invVar = 1 / v
	}
	return c, nil
}

// of returns the cost of the segment y[a:b] (with the MBIC length term).
// It is small enough to be inlined in the search loops.
func (c *segmentCost) of(a, b int) float64 {
	m := float64(b - a)
	sum := c.s1[b] - c.s1[a]
	ss := (c.s2[b] - c.s2[a]) - sum*sum/m
	if c.cost == NormalMeanVar {
		return meanVarCost(ss, m) + c.logLen[b-a]
	}
	return ss*c.invVar + c.logLen[b-a]
}

// lastSegmentValues sets values[i] = f[s] + C(y[s:t]) for each candidate s =
// candidates[i], or +Inf when y[s:t] is shorter than the minimum segment: the
// inner loop of PELT, specialised per cost.
func (c *segmentCost) lastSegmentValues(t int, candidates []int, f, values []float64) {
	s1t, s2t := c.s1[t], c.s2[t]
	values = values[:len(candidates)]
	meanVar := c.cost == NormalMeanVar
	for i, s := range candidates {
		if t-s < c.minSeg {
			values[i] = math.Inf(1)
			continue
		}
		m := float64(t - s)
		sum := s1t - c.s1[s]
		ss := (s2t - c.s2[s]) - sum*sum/m
		cost := ss * c.invVar
		if meanVar {
			cost = meanVarCost(ss, m)
		}
		values[i] = f[s] + cost + c.logLen[t-s]
	}
}

// meanVarCost is m·(log 2π + log σ̂² + 1) with σ̂² = ss/m floored at 1e−11.
func meanVarCost(ss, m float64) float64 {
	v := ss / m
	if v <= 0 {
		v = 1e-11
	}
	return m * (math.Log(2*math.Pi) + math.Log(v) + 1)
}

// noiseVariance estimates σ² as (1.4826·MAD(Δy))²/2; when more than half the differences Δy
// equal their median (zero MAD), as var(Δy)/2, and 1 when the differences are all equal.
func noiseVariance(y []float64) float64 {
	if len(y) < 2 {
		return 1
	}
	d := make([]float64, len(y)-1)
	for i := range d {
		d[i] = y[i+1] - y[i]
	}
	fallback := variance(d, nil) / 2
	slices.Sort(d)
	med := median(d)
	for i := range d {
		d[i] = math.Abs(d[i] - med)
	}
	slices.Sort(d)
	mad := 1.4826 * median(d)
	if mad > 0 {
		return mad * mad / 2
	}
	if fallback > 0 {
		return fallback
	}
	return 1
}
