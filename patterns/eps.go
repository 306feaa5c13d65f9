package patterns

import (
	"cmp"
	"math"
	"slices"
)

// KDistances returns, sorted ascending, the distance from every row of X to its k-th nearest row,
// counting the row itself as the first (so k = MinSamples gives the smallest Eps that makes each row
// a core point, matching DBSCAN's convention). It panics if k < 1 and returns the errors of DBSCAN
// for bad input. With k > len(X), k is taken as len(X). X is not modified.
func KDistances(X [][]float64, k int) ([]float64, error) {
	if k < 1 {
		panic("patterns: k must be ≥ 1")
	}
	if _, err := checkMatrix(X); err != nil {
		return nil, err
	}
	d := kDistances2(newKDTree(X), X, k)
	for i, v := range d {
		d[i] = math.Sqrt(v)
	}
	slices.Sort(d)
	return d, nil
}

// kDistances2 returns the squared k-distance of every row, in row order. The rows are queried in
// the tree's order, so that consecutive queries walk the same few leaves while they are in cache.
// Up to pairRows rows, pairs of rows are compared instead (pairKDistances2).
func kDistances2(tree *kdTree, X [][]float64, k int) []float64 {
	k = min(k, len(X))
	if len(X) <= pairRows {
		return pairKDistances2(tree, k)
	}
	out := make([]float64, len(X))
	d := tree.d
	parallelFor(len(X), func(lo, hi int) {
		h := make(maxHeap, 0, k)
		for p := lo; p < hi; p++ {
			out[tree.index[p]] = tree.kthDist2(tree.points[p*d:(p+1)*d], k, &h)
		}
	})
	return out
}

// pairRows is the number of rows up to which kDistances2 compares pairs of rows rather than
// searching the tree row by row. A few hundred rows of several features leave a search little to
// prune: each row's search computes most of the n − 1 distances, and so every distance twice.
const pairRows = 256

// pairKDistances2 returns the squared k-distance of every row of the tree (1 ≤ k ≤ n), in row
// order. It computes the squared distance of each pair of rows at most once and offers it to the
// k nearest of both rows (kNearest): first the pairs within each leaf, then those of two leaves,
// the pairs of leaves in ascending order of the squared gap between their boxes. It skips a pair
// of leaves whose gap exceeds the current k-th distance of every row of both, and a row of the
// first leaf whose distance to the box of the second exceeds its own k-th distance and those of
// the second leaf's rows: no distance across such a gap could enter their k nearest.
//
// Each k-th distance is the k-th smallest of the same float64 distances the row-by-row search
// computes: a distance is summed as dist2 sums it, coordinate by coordinate from the first, and
// the two rows of a pair see differences of opposite signs, whose squares are equal. The
// skipping is exact too: the squared gap between two boxes (or between a point and a box) never
// exceeds a computed squared distance between their points, since rounding preserves the order
// of the differences, of their squares and of the partial sums.
func pairKDistances2(t *kdTree, k int) []float64 {
	n := len(t.index)
	nn := newKNearest(n, k)
	var leaves []int32
	for id, nd := range t.nodes {
		if nd.left < 0 {
			leaves = append(leaves, int32(id))
			for p := nd.start; p < nd.end; p++ {
				t.offerPairs(nn, p, p+1, nd.end)
			}
		}
	}
	type leafPair struct {
		a, b int32
		gap  float64
	}
	pairs := make([]leafPair, 0, len(leaves)*(len(leaves)-1)/2)
	for i, a := range leaves {
		for _, b := range leaves[i+1:] {
			pairs = append(pairs, leafPair{a, b, t.boxGap2(a, b)})
		}
	}
	slices.SortFunc(pairs, func(x, y leafPair) int { return cmp.Compare(x.gap, y.gap) })
	for _, pr := range pairs {
		a, b := &t.nodes[pr.a], &t.nodes[pr.b]
		topB := nn.largest(b.start, b.end)
		if pr.gap > max(nn.largest(a.start, a.end), topB) {
			continue
		}
		for p := a.start; p < a.end; p++ {
			if limit := max(nn.top(p), topB); t.boxDist2(pr.b, t.point(p), limit) <= limit {
				t.offerPairs(nn, p, b.start, b.end)
			}
		}
	}
	out := make([]float64, n)
	for p, i := range t.index {
		out[i] = nn.top(p)
	}
	return out
}

// offerPairs offers the squared distance of the point at position p to each point at positions
// lo..hi−1 to the k nearest of both.
func (t *kdTree) offerPairs(nn *kNearest, p, lo, hi int) {
	a := t.point(p)
	topP := nn.top(p)
	for q := lo; q < hi; q++ {
		b := t.point(q)
		b = b[:len(a)]
		var s float64
		for j, v := range a {
			g := b[j] - v
			s += g * g
		}
		if s < topP {
			topP = nn.add(p, s)
		}
		if s < nn.top(q) {
			nn.add(q, s)
		}
	}
}

// boxGap2 is the squared distance between the bounding boxes of nodes a and b: Σ_j g_j², g_j the
// gap between their extents along dimension j (0 where they overlap).
func (t *kdTree) boxGap2(a, b int32) float64 {
	d := t.d
	loA, hiA := t.lo[int(a)*d:int(a+1)*d], t.hi[int(a)*d:int(a+1)*d]
	loB, hiB := t.lo[int(b)*d:int(b+1)*d], t.hi[int(b)*d:int(b+1)*d]
	var s float64
	for j := range loA {
		var g float64
		if loB[j] > hiA[j] {
			g = loB[j] - hiA[j]
		} else if loA[j] > hiB[j] {
			g = loA[j] - hiB[j]
		}
		s += g * g
	}
	return s
}

// kNearest keeps, for each of n points, the k smallest squared distances offered to it, in a
// max-heap of k values that starts as the point's distance 0 to itself and k − 1 times +Inf:
// the top of the heap is the point's current k-th distance, +Inf until k − 1 distances have been
// added. Only a distance below the top is to be added, in place of the top. An infinite distance
// (the difference of two huge coordinates overflows) is thus never added, and a point left with
// fewer than k − 1 finite distances has an infinite k-th, as it should.
type kNearest struct {
	k     int
	heaps []float64 // point p's heap in heaps[p·k : (p+1)·k]
}

func newKNearest(n, k int) *kNearest {
	nn := &kNearest{k: k, heaps: make([]float64, n*k)}
	for p := range n {
		h := nn.heap(p)
		for i := range h {
			h[i] = math.Inf(1)
		}
		h[k-1] = 0 // a leaf of the heap
	}
	return nn
}

// heap returns the heap of point p.
func (nn *kNearest) heap(p int) maxHeap { return nn.heaps[p*nn.k : (p+1)*nn.k] }

// top returns the k-th smallest distance offered to point p so far.
func (nn *kNearest) top(p int) float64 { return nn.heaps[p*nn.k] }

// add adds the squared distance s < top(p) to the k nearest of point p and returns the new top.
func (nn *kNearest) add(p int, s float64) float64 {
	h := nn.heap(p)
	h.replaceTop(s)
	return h[0]
}

// largest returns the largest top of the points lo..hi−1.
func (nn *kNearest) largest(lo, hi int) float64 {
	top := nn.top(lo)
	for p := lo + 1; p < hi; p++ {
		top = max(top, nn.top(p))
	}
	return top
}

// KneeEps chooses DBSCAN's Eps for X at the knee of its sorted k-distance curve, k = minSamples
// (zero means DefaultMinSamples), following the k-dist plot of Ester et al. (1996).
//
// The knee is found by the Kneedle rule (Satopää, Albrecht, Irwin & Raghavan 2011): with the sorted
// k-distances d₀ ≤ … ≤ d_{n−1} normalised to x_i = i/(n−1) and y_i = (d_i − d₀)/(d_{n−1} − d₀), the
// knee is the i that maximises x_i − y_i, the point of the convex curve farthest below the chord
// from its first to its last point; Eps = d_i. Rows whose k-distance is at most Eps are core
// points, so the dense bulk of the data forms clusters while the steep tail becomes noise.
//
// Special cases: a single row, or all k-distances equal, gives Eps = d_{n−1}; if that is 0 (all
// rows identical) Eps is the smallest positive float64, which still joins identical rows.
// Errors as for DBSCAN; X is not modified.
func KneeEps(X [][]float64, minSamples int) (float64, error) {
	k := DBSCANConfig{MinSamples: minSamples}.minSamples()
	if _, err := checkMatrix(X); err != nil {
		return 0, err
	}
	eps, _ := kneeEps(newKDTree(X), X, k)
	return eps, nil
}

// kneeEps returns the knee Eps and the squared k-distances of the rows, in row order.
func kneeEps(tree *kdTree, X [][]float64, k int) (float64, []float64) {
	kd2 := kDistances2(tree, X, k)
	d := make([]float64, len(kd2))
	for i, v := range kd2 {
		d[i] = math.Sqrt(v)
	}
	slices.Sort(d)
	return knee(d), kd2
}

// knee applies the Kneedle rule to an ascending curve d.
func knee(d []float64) float64 {
	n := len(d)
	first, last := d[0], d[n-1]
	eps := last
	if n > 1 && last > first {
		best := math.Inf(-1)
		for i, v := range d {
			diff := float64(i)/float64(n-1) - (v-first)/(last-first)
			if diff > best {
				best, eps = diff, v
			}
		}
	}
	if eps == 0 {
		eps = math.SmallestNonzeroFloat64
	}
	return eps
}
