package trend

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/stacklens/omen/internal/order"
)

// materialiseLimit is the largest number of pairwise slopes kept in memory
// at once (32 MiB); beyond it order statistics are found by scanning.
const materialiseLimit = 1 << 22

// slopeOrderStatistics returns, for each rank r (0-based, < N = n(n−1)/2),
// the r-th smallest of the pairwise slopes (v_j − v_i)/(t_j − t_i), i < j, of
// the points (t, v) with increasing t.
//
// Up to materialiseLimit slopes it builds them all and selects. Beyond, it
// keeps memory small: it sorts a seeded random sample of slopes, brackets
// each rank between two sample values far enough apart that the bracket
// almost surely holds it, then makes one pass over all pairs counting the
// slopes below each bracket and collecting those inside, and selects within
// the bracket; a bracket that misses is widened and the pass repeated. The
// result is exact either way — the sample only steers the work.
func slopeOrderStatistics(t, v []float64, ranks []int) []float64 {
	n := len(v)
	total := n * (n - 1) / 2
	slope := func(i, j int) float64 { return (v[j] - v[i]) / (t[j] - t[i]) }
	out := make([]float64, len(ranks))
	if total <= materialiseLimit {
		all := make([]float64, 0, total)
		for j := range v {
			for i := range j {
				all = append(all, slope(i, j))
			}
		}
		order.SelectRanks(all, ranks...)
		for k, r := range ranks {
			out[k] = all[r]
		}
		return out
	}
	return scanOrderStatistics(t, v, ranks)
}

// scanOrderStatistics is slopeOrderStatistics without storing all slopes.
func scanOrderStatistics(t, v []float64, ranks []int) []float64 {
	n := len(v)
	total := n * (n - 1) / 2
	slope := func(i, j int) float64 { return (v[j] - v[i]) / (t[j] - t[i]) }
	out := make([]float64, len(ranks))
	const sampleSize = 1 << 18
	rng := rand.New(rand.NewPCG(0x5e1f, 0x7e11))
	sample := make([]float64, sampleSize)
	for k := range sample {
		i, j := rng.IntN(n), rng.IntN(n-1)
		if j >= i {
			j++
		} else {
			i, j = j, i
		}
		sample[k] = slope(i, j)
	}
	slices.Sort(sample)
	// A rank's position in the sample has standard deviation at most
	// √sampleSize/2; the first brackets span ±4 of them.
	width := 2 * math.Sqrt(sampleSize)
	found := make(map[int]float64, len(ranks))
	pending := slices.Compact(slices.Sorted(slices.Values(ranks)))
	for len(pending) > 0 {
		groups := bracket(pending, sample, total, width)
		for j := range v {
			for i := range j {
				s := slope(i, j)
				for _, g := range groups {
					switch {
					case s < g.lo:
						g.below++
					case s == g.lo:
						g.atLo++
					case s == g.hi:
						g.atHi++
					case s < g.hi:
						g.inside = append(g.inside, s)
					}
				}
			}
		}
		var missed []int
		for _, g := range groups {
			for _, r := range g.ranks {
				k := r - g.below - g.atLo
				switch {
				case r < g.below:
					missed = append(missed, r)
				case k < 0:
					found[r] = g.lo
				case k < len(g.inside):
					order.SelectRanks(g.inside, k)
					found[r] = g.inside[k]
				case k < len(g.inside)+g.atHi:
					found[r] = g.hi
				default:
					missed = append(missed, r)
				}
			}
		}
		pending = missed
		width *= 4
	}
	for k, r := range ranks {
		out[k] = found[r]
	}
	return out
}

// slopeGroup is a bracket [lo, hi] of slope values believed to hold the
// given ranks, with the counts of slopes below it and equal to either end,
// and the slopes strictly inside. Slopes equal to an end are only counted, so
// that ties (integer data give many) never fill memory: a value strictly
// inside lies strictly between two sample positions, so the slopes inside
// are about the bracket's share of the sample, whatever the ties.
type slopeGroup struct {
	lo, hi     float64
	ranks      []int
	below      int
	atLo, atHi int
	inside     []float64
}

// bracket returns, for sorted ranks, brackets from the sorted sample spanning
// ±width sample positions around each rank's expected position, merging
// brackets that overlap.
func bracket(ranks []int, sample []float64, total int, width float64) []*slopeGroup {
	m := len(sample)
	var groups []*slopeGroup
	for _, r := range ranks {
		p := float64(r) / float64(total) * float64(m)
		lo, hi := math.Inf(-1), math.Inf(1)
		if i := int(p - width); i >= 0 {
			lo = sample[i]
		}
		if i := int(p + width); i < m {
			hi = sample[i]
		}
		if k := len(groups) - 1; k >= 0 && lo <= groups[k].hi {
			groups[k].hi = math.Max(groups[k].hi, hi)
			groups[k].ranks = append(groups[k].ranks, r)
			continue
		}
		groups = append(groups, &slopeGroup{lo: lo, hi: hi, ranks: []int{r}})
	}
	return groups
}
