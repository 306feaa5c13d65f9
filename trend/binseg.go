package trend

import (
	"math"
	"slices"
)

// BinarySegmentation returns the change points of y found by binary
// segmentation (Scott and Knott 1974; changepoint's BinSeg): starting from
// the whole series it repeatedly splits, among all current segments, the one
// whose best split most reduces the cost, C(y[a:b]) − C(y[a:τ]) − C(y[τ:b]),
// with both parts at least MinSegment long; it stops after MaxChanges splits
// or when the best reduction no longer exceeds the penalty β. Change points
// are the first indices of new segments, in increasing order, as PELT's.
// Unlike PELT the result is not guaranteed optimal, but each step is O(n).
// Errors and panics are as for PELT. y is not modified.
func BinarySegmentation(y []float64, cfg ChangeConfig) ([]int, error) {
	c, err := newSegmentCost(y, cfg)
	if err != nil {
		return nil, err
	}
	type segment struct {
		a, b  int     // y[a:b]
		split int     // best split, or −1
		gain  float64 // its cost reduction
	}
	bestSplit := func(a, b int) segment {
		s := segment{a: a, b: b, split: -1, gain: math.Inf(-1)}
		whole := c.of(a, b)
		for tau := a + c.minSeg; tau <= b-c.minSeg; tau++ {
			if g := whole - c.of(a, tau) - c.of(tau, b); g > s.gain {
				s.split, s.gain = tau, g
			}
		}
		return s
	}
	segments := []segment{bestSplit(0, len(y))}
	var cps []int
	for len(cps) < c.nChanges {
		i := -1
		for k, s := range segments {
			if s.split >= 0 && (i < 0 || s.gain > segments[i].gain) {
				i = k
			}
		}
		if i < 0 || !(segments[i].gain > c.penalty) {
			break
		}
		s := segments[i]
		cps = append(cps, s.split)
		segments[i] = bestSplit(s.a, s.split)
		segments = append(segments, bestSplit(s.split, s.b))
	}
	slices.Sort(cps)
	return cps, nil
}
