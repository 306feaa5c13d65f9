package patterns

import (
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
func kDistances2(tree *kdTree, X [][]float64, k int) []float64 {
	k = min(k, len(X))
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
