// Package order finds order statistics of float64 slices in linear expected time, without
// sorting them.
package order

import (
	"math"
	"math/bits"
	"slices"
)

// SelectRanks rearranges a so that a[r] holds the r-th smallest value
// (0-based) for every r in ranks, as if a were sorted, in O(len(a)) expected
// time per rank: quickselect with a median-of-three pivot, falling back to
// sorting a part whose partitions keep coming out lopsided. ranks must lie
// in [0, len(a)); a must hold no NaN.
func SelectRanks(a []float64, ranks ...int) {
	rs := slices.Sorted(slices.Values(ranks))
	// From the largest rank down: after placing rank r, a[:r] holds the r
	// smallest values, where the smaller ranks are found.
	end := len(a)
	for i := len(rs) - 1; i >= 0; i-- {
		r := rs[i]
		if r >= end {
			continue // already placed by an equal rank
		}
		selectKth(a[:end], r)
		end = r
	}
}

// selectKth rearranges a so that a[:k] ≤ a[k] ≤ a[k+1:].
func selectKth(a []float64, k int) {
	lo, hi := 0, len(a)-1
	budget := 2 * bits.Len(uint(len(a)))
	for hi > lo {
		if budget == 0 {
			slices.Sort(a[lo : hi+1])
			return
		}
		budget--
		// Median of three as pivot, placed at lo.
		mid := lo + (hi-lo)/2
		if a[mid] < a[lo] {
			a[mid], a[lo] = a[lo], a[mid]
		}
		if a[hi] < a[lo] {
			a[hi], a[lo] = a[lo], a[hi]
		}
		if a[hi] < a[mid] {
			a[hi], a[mid] = a[mid], a[hi]
		}
		a[lo], a[mid] = a[mid], a[lo]
		pivot := a[lo]
		// Hoare partition of a[lo+1..hi] around pivot.
		i, j := lo+1, hi
		for {
			for i <= j && a[i] < pivot {
				i++
			}
			for i <= j && a[j] > pivot {
				j--
			}
			if i >= j {
				break
			}
			a[i], a[j] = a[j], a[i]
			i++
			j--
		}
		a[lo], a[j] = a[j], a[lo] // pivot to its place j
		switch {
		case k < j:
			hi = j - 1
		case k > j:
			lo = j + 1
		default:
			return
		}
	}
}

// Median returns the median of a, the mean of its two middle values when len(a) is even,
// rearranging a (NaN when a is empty). a must hold no NaN.
func Median(a []float64) float64 {
	n := len(a)
	if n == 0 {
		return math.NaN()
	}
	hi := n / 2
	selectKth(a, hi)
	if n%2 == 1 {
		return a[hi]
	}
	// a[:hi] holds the hi smallest values: the lower middle one is their largest.
	return (slices.Max(a[:hi]) + a[hi]) / 2
}
