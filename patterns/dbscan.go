package patterns

import "math"

// Noise is the label of a point that belongs to no cluster, as in scikit-learn.
const Noise = -1

// DefaultMinSamples is the MinSamples used when the field is zero (scikit-learn's default).
const DefaultMinSamples = 5

// DBSCANConfig holds the two DBSCAN hyperparameters. A zero field means its documented default.
type DBSCANConfig struct {
	// Eps is the neighbourhood radius in the units of the data: q is a neighbour of p when the
	// Euclidean distance ‖p − q‖ ≤ Eps. Zero means automatic: KneeEps(X, MinSamples).
	Eps float64
	// MinSamples is the number of neighbours, the point itself included, that makes a point a core
	// point. Zero means DefaultMinSamples.
	MinSamples int
}

func (c DBSCANConfig) minSamples() int {
	switch {
	case c.MinSamples < 0:
		panic("patterns: negative MinSamples")
	case c.MinSamples == 0:
		return DefaultMinSamples
	}
	return c.MinSamples
}

// Clustering is the result of DBSCAN.
type Clustering struct {
	// Labels[i] is the cluster of row i, numbered 0, 1, … in the order in which the lowest-numbered
	// core point of each cluster appears, or Noise.
	Labels []int
	// Core[i] reports whether row i is a core point.
	Core []bool
	// Clusters is the number of clusters.
	Clusters int
	// Eps is the radius used (the automatic one when the config's Eps was zero).
	Eps float64
}

// DBSCAN clusters the rows of X by density (Ester, Kriegel, Sander & Xu 1996) with exactly the
// semantics of scikit-learn's sklearn.cluster.DBSCAN with the Euclidean metric:
//
//   - the neighbourhood N(p) = {q : ‖p − q‖ ≤ Eps} includes p itself;
//   - p is a core point when |N(p)| ≥ MinSamples;
//   - clusters are grown from core points in row order: the first unlabelled core point starts
//     cluster 0, every point reachable through chains of core points joins it, and so on;
//   - a border point (not core, but in the neighbourhood of a core point) takes the label of the
//     first cluster that reaches it; every other point is Noise (−1).
//
// The labels are therefore deterministic and identical to scikit-learn's for the same rows in the
// same order. Neighbourhoods come from a k-d tree for up to 15 columns and from a linear scan above
// that; they are never stored, so memory is O(n·d) whatever Eps is. Cost is O(n log n) for
// well-separated low-dimensional data and O(n²) in the worst case. Core points are decided on up to
// GOMAXPROCS goroutines (each row independently, so the result does not depend on GOMAXPROCS);
// clusters are grown sequentially, and each core point's neighbourhood query skips the points
// already labelled, whole subtrees at a time.
//
// X is not modified. Errors: ErrEmpty for no rows; *InputError for a ragged row, NaN or ±Inf.
// Negative MinSamples, or a negative or NaN Eps, is misuse and panics.
func DBSCAN(X [][]float64, cfg DBSCANConfig) (*Clustering, error) {
	if cfg.Eps < 0 || math.IsNaN(cfg.Eps) {
		panic("patterns: Eps must be ≥ 0")
	}
	minSamples := cfg.minSamples()
	if _, err := checkMatrix(X); err != nil {
		return nil, err
	}
	tree := newKDTree(X)
	eps, kd2 := cfg.Eps, []float64(nil)
	if eps == 0 {
		eps, kd2 = kneeEps(tree, X, minSamples)
	}
	return dbscan(tree, X, eps, minSamples, kd2), nil
}

// dbscan runs DBSCAN on validated rows with their index. kd2, if not nil, holds the squared
// minSamples-distance of every row, which decides core points without another query: a row has at
// least minSamples points within squared distance r2 exactly when its squared minSamples-distance
// is at most r2.
func dbscan(tree *kdTree, X [][]float64, eps float64, minSamples int, kd2 []float64) *Clustering {
	n := len(X)
	r2 := squaredRadius(eps)
	c := &Clustering{Labels: make([]int, n), Core: make([]bool, n), Eps: eps}
	parallelFor(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			c.Labels[i] = Noise
			if kd2 != nil && minSamples <= n {
				c.Core[i] = kd2[i] <= r2
			} else {
				c.Core[i] = tree.countWithin(X[i], r2, minSamples) >= minSamples
			}
		}
	})
	// Clusters are the connected components of the core points, numbered in the row order of their
	// first core point. Non-core points are marked in the tree up front, so each core point's
	// query returns only the unlabelled core points it adds, and regions already absorbed are
	// skipped whole.
	for i, core := range c.Core {
		if !core {
			tree.mark(i)
		}
	}
	var stack, neighbours []int
	for i := range n {
		if c.Labels[i] != Noise || !c.Core[i] {
			continue
		}
		label := c.Clusters
		c.Clusters++
		c.Labels[i] = label
		tree.mark(i)
		stack = append(stack[:0], i)
		for len(stack) > 0 {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			neighbours = tree.unmarkedWithin(neighbours[:0], X[p], r2)
			for _, q := range neighbours {
				c.Labels[q] = label
				tree.mark(q)
				stack = append(stack, q)
			}
		}
	}
	// A border point joins the first cluster whose expansion reaches it. Clusters are expanded
	// one after the other in label order, so that is the smallest label among the core points
	// within Eps — exactly scikit-learn's assignment. Each point's answer depends on the core
	// labels alone, so this pass runs in parallel.
	parallelFor(n, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			if !c.Core[p] {
				c.Labels[p] = tree.minCoreLabel(X[p], r2, c.Core, c.Labels)
			}
		}
	})
	return c
}

// squaredRadius returns the largest r2 with √r2 ≤ eps, so that a squared distance d2 is within
// r2 exactly when its distance √d2 (correctly rounded, as KDistances reports it) is within eps:
// eps·eps alone can fall an ulp below d2 when eps = √d2, and the row whose k-distance is eps
// would not be a core point.
func squaredRadius(eps float64) float64 {
	if math.IsInf(eps, 1) {
		return eps // every distance is within
	}
	r2 := eps * eps
	for math.Sqrt(r2) > eps {
		r2 = math.Nextafter(r2, 0)
	}
	for next := math.Nextafter(r2, math.Inf(1)); math.Sqrt(next) <= eps; next = math.Nextafter(r2, math.Inf(1)) {
		r2 = next
	}
	return r2
}
