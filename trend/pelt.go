package trend

import (
	"math"
	"slices"
)

// PELT returns the change points of y found by Pruned Exact Linear Time
// search (Killick, Fearnhead and Eckley 2012): the segmentation minimising
//
//	Σ_segments C(segment) + β·(number of changes)
//
// over all segmentations with segments of at least MinSegment values, with
// the cost and penalty of cfg. The optimal costs F(t) of y[:t] satisfy
// F(t) = min_s F(s) + C(y[s:t]) + β, F(0) = −β, and a candidate s is dropped
// for good from t = u + MinSegment on once F(s) + C(y[s:u]) − δ > F(u),
// where δ bounds how much splitting a segment can raise its cost (0 for the
// likelihood costs, log(n/4) for MBIC's length terms): then no later end can
// have s as its best last change, so the result equals the exhaustive
// optimum. Ties go to the earliest last change.
//
// A change point τ is the index of the first value of a new segment, so the
// segments are y[0:τ₁], y[τ₁:τ₂], …; numerically these are R changepoint's
// cpts() (the 1-based last index of each segment but the last). It returns
// ErrNotFinite for a NaN or infinite value and ErrTooFew for fewer than
// max(2, MinSegment) values; an unknown Cost or Penalty or a negative (or NaN) field
// panics. Time is O(n·L) for segments of typical length L — linear in n when
// changes keep occurring — and O(n²) at worst; memory O(n). y is not
// modified.
func PELT(y []float64, cfg ChangeConfig) ([]int, error) {
	c, err := newSegmentCost(y, cfg)
	if err != nil {
		return nil, err
	}
	n := len(y)
	f := make([]float64, n+1)
	last := make([]int, n+1)
	f[0] = -c.penalty
	for t := 1; t < c.minSeg && t <= n; t++ {
		f[t] = math.Inf(1)
	}
	// The pruning slack: 0 for the likelihood costs, for which splitting a
	// segment never raises the cost; with MBIC's length terms a split can
	// raise it by log a + log b − log(a+b) = log(ab/(a+b)) ≤ log(n/4).
	slack := 0.0
	if c.mbic && n > 4 {
		slack = math.Log(float64(n) / 4)
	}
	// pruneAt[s] is the time from which candidate s can be dropped: a test
	// failed at time u rules s out for ends T ≥ u + MinSegment, which can
	// also be reached through u (a later drop is merely slower).
	pruneAt := make([]int, n+1)
	for i := range pruneAt {
		pruneAt[i] = math.MaxInt
	}
	candidates := []int{0}
	values := make([]float64, 0, 64) // F(s) + C(y[s:t]) per candidate
	for t := c.minSeg; t <= n; t++ {
		kept := candidates[:0]
		for _, s := range candidates {
			if pruneAt[s] <= t {
				continue
			}
			kept = append(kept, s)
		}
		candidates = kept
		values = slices.Grow(values[:0], len(candidates))[:len(candidates)]
		c.lastSegmentValues(t, candidates, f, values)
		best, arg := math.Inf(1), 0
		for i, v := range values {
			if v < best {
				best, arg = v, candidates[i]
			}
		}
		f[t], last[t] = best+c.penalty, arg
		for i, s := range candidates {
			if t-s >= c.minSeg && values[i]-slack > f[t] && pruneAt[s] == math.MaxInt {
				pruneAt[s] = t + c.minSeg
			}
		}
		candidates = append(candidates, t-c.minSeg+1)
	}
	return backtrack(last, n), nil
}

// backtrack follows the last-change pointers from n to 0 and returns the
// change points in increasing order.
func backtrack(last []int, n int) []int {
	var cps []int
	for t := last[n]; t > 0; t = last[t] {
		cps = append(cps, t)
	}
	for i, j := 0, len(cps)-1; i < j; i, j = i+1, j-1 {
		cps[i], cps[j] = cps[j], cps[i]
	}
	return cps
}
