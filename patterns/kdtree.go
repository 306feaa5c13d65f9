package patterns

import "math"

// bruteForceDim is the dimension above which a k-d tree prunes too little to pay for itself; above
// it the index degenerates to one leaf, i.e. a linear scan (scikit-learn switches to brute force
// above 15 features for the same reason).
const bruteForceDim = 15

// kdLeafSize is the largest number of points a leaf holds.
const kdLeafSize = 24

// kdTree is a static k-d tree over the rows of a matrix for exact Euclidean radius and k-nearest
// queries. Points are copied into one contiguous array in tree order; box bounds per node prune
// subtrees whose minimum possible distance exceeds the query radius.
type kdTree struct {
	d      int
	points []float64 // n×d, in tree order
	index  []int     // index[k] = original row of the k-th point in tree order
	pos    []int     // pos[i] = tree-order position of original row i
	leaf   []int32   // leaf[k] = leaf node holding position k
	marked []bool    // marked[k] reports whether position k was marked
	nodes  []kdNode
	lo, hi []float64 // per node bounding box, node×d
}

type kdNode struct {
	start, end  int   // points[start:end] in tree order
	left, right int32 // child node indices, −1 for a leaf
	dim         int   // split dimension: left points have x[dim] ≤ split, right ones ≥ split
	split       float64
	parent      int32 // −1 for the root
	unmarked    int32 // points of the subtree not yet marked (see mark)
}

// newKDTree builds the tree over X (rows of equal length d ≥ 1). X is not modified.
func newKDTree(X [][]float64) *kdTree {
	n, d := len(X), len(X[0])
	t := &kdTree{d: d, points: make([]float64, n*d), index: make([]int, n)}
	for i := range t.index {
		t.index[i] = i
	}
	leaf := kdLeafSize
	if d > bruteForceDim {
		leaf = n
	}
	t.build(X, 0, n, leaf, -1)
	t.pos = make([]int, n)
	t.leaf = make([]int32, n)
	t.marked = make([]bool, n)
	for k, i := range t.index {
		copy(t.points[k*d:(k+1)*d], X[i])
		t.pos[i] = k
	}
	for id, nd := range t.nodes {
		if nd.left < 0 {
			for k := nd.start; k < nd.end; k++ {
				t.leaf[k] = int32(id)
			}
		}
	}
	return t
}

// mark records that original row i needs no further visits: subtrees whose points are all marked
// are skipped by unmarkedWithin.
func (t *kdTree) mark(i int) {
	k := t.pos[i]
	if t.marked[k] {
		return
	}
	t.marked[k] = true
	for id := t.leaf[k]; id >= 0; id = t.nodes[id].parent {
		t.nodes[id].unmarked--
	}
}

// build creates the node for index[start:end] and its subtree, returning its node number.
func (t *kdTree) build(X [][]float64, start, end, leaf int, parent int32) int32 {
	id := int32(len(t.nodes))
	t.nodes = append(t.nodes, kdNode{start: start, end: end, left: -1, right: -1, parent: parent, unmarked: int32(end - start)})
	for range t.d {
		t.lo, t.hi = append(t.lo, math.Inf(1)), append(t.hi, math.Inf(-1))
	}
	lo, hi := t.lo[int(id)*t.d:], t.hi[int(id)*t.d:] // valid until the children are built
	for _, i := range t.index[start:end] {
		for j, v := range X[i] {
			lo[j] = min(lo[j], v)
			hi[j] = max(hi[j], v)
		}
	}
	if end-start <= leaf {
		return id
	}
	split := 0
	for j := 1; j < t.d; j++ {
		if hi[j]-lo[j] > hi[split]-lo[split] {
			split = j
		}
	}
	if hi[split] == lo[split] {
		return id // all points identical
	}
	mid := (start + end) / 2
	nthElement(t.index[start:end], mid-start, func(a, b int) bool { return X[a][split] < X[b][split] })
	t.nodes[id].dim, t.nodes[id].split = split, X[t.index[mid]][split]
	left := t.build(X, start, mid, leaf, id)
	right := t.build(X, mid, end, leaf, id)
	t.nodes[id].left, t.nodes[id].right = left, right
	return id
}

// nthElement partially orders idx so idx[k] holds the element a full sort would put there, with
// smaller elements before it and larger after (Hoare's quickselect, median-of-three pivot).
func nthElement(idx []int, k int, less func(a, b int) bool) {
	lo, hi := 0, len(idx)-1
	for hi > lo {
		mid := lo + (hi-lo)/2
		if less(idx[mid], idx[lo]) {
			idx[mid], idx[lo] = idx[lo], idx[mid]
		}
		if less(idx[hi], idx[lo]) {
			idx[hi], idx[lo] = idx[lo], idx[hi]
		}
		if less(idx[hi], idx[mid]) {
			idx[hi], idx[mid] = idx[mid], idx[hi]
		}
		pivot := idx[mid]
		i, j := lo, hi
		for i <= j {
			for less(idx[i], pivot) {
				i++
			}
			for less(pivot, idx[j]) {
				j--
			}
			if i <= j {
				idx[i], idx[j] = idx[j], idx[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return
		}
	}
}

// point returns the coordinates of the point at position k.
func (t *kdTree) point(k int) []float64 { return t.points[k*t.d : (k+1)*t.d] }

// boxDist2 is the squared distance from q to the bounding box of node id; the sum stops early once
// it exceeds limit.
func (t *kdTree) boxDist2(id int32, q []float64, limit float64) float64 {
	lo := t.lo[int(id)*t.d : int(id+1)*t.d]
	hi := t.hi[int(id)*t.d : int(id+1)*t.d]
	var s float64
	for j, v := range q {
		var g float64
		if v < lo[j] {
			g = lo[j] - v
		} else if v > hi[j] {
			g = v - hi[j]
		}
		s += g * g
		if s > limit {
			return s
		}
	}
	return s
}

// boxInside reports whether the whole bounding box of node id lies within squared distance r2 of q.
func (t *kdTree) boxInside(id int32, q []float64, r2 float64) bool {
	lo := t.lo[int(id)*t.d : int(id+1)*t.d]
	hi := t.hi[int(id)*t.d : int(id+1)*t.d]
	var s float64
	for j, v := range q {
		g := max(v-lo[j], hi[j]-v)
		s += g * g
		if s > r2 {
			return false
		}
	}
	return true
}

// dist2 is the squared distance from q to the point at position k; the sum stops early once it
// exceeds limit (the result is then only known to exceed limit). The coordinates are taken four at
// a time, with the test against limit after each four: a test per coordinate costs more in
// mispredicted branches than it saves.
func (t *kdTree) dist2(k int, q []float64, limit float64) float64 {
	p := t.points[k*t.d : (k+1)*t.d]
	var s float64
	for len(p) >= 4 && len(q) >= 4 {
		a, b, c, e := p[0]-q[0], p[1]-q[1], p[2]-q[2], p[3]-q[3]
		s += a * a // one term at a time: the same rounding as the plain sum
		s += b * b
		s += c * c
		s += e * e
		if s > limit {
			return s
		}
		p, q = p[4:], q[4:]
	}
	for i, v := range q {
		g := p[i] - v
		s += g * g
	}
	return s
}

// The queries below bound the distance from q to a subtree's cell incrementally (Arya & Mount
// 1993): off[j] is the distance along dimension j from q to the current cell, and rd = Σ off[j]²
// is a lower bound on the squared distance to any point of the cell. Crossing a split changes one
// term, so each step costs O(1) instead of O(d). off lives on the stack: the tree has internal
// nodes only for d ≤ bruteForceDim.

// near returns the child of internal node nd on q's side of the split, the other child, and the
// squared distance from q to the split plane.
func (nd *kdNode) near(q []float64) (near, far int32, gap float64) {
	diff := q[nd.dim] - nd.split
	if diff > 0 {
		return nd.right, nd.left, diff
	}
	return nd.left, nd.right, -diff
}

// countWithin counts the points p with ‖p − q‖² ≤ r2, stopping early once the count reaches limit.
func (t *kdTree) countWithin(q []float64, r2 float64, limit int) int {
	var off [bruteForceDim]float64
	return t.countNode(0, q, r2, limit, 0, 0, off[:])
}

func (t *kdTree) countNode(id int32, q []float64, r2 float64, limit, count int, rd float64, off []float64) int {
	nd := &t.nodes[id]
	if nd.left < 0 {
		if t.boxDist2(id, q, r2) > r2 {
			return count
		}
		if t.boxInside(id, q, r2) {
			return count + nd.end - nd.start
		}
		for k := nd.start; k < nd.end && count < limit; k++ {
			if t.dist2(k, q, r2) <= r2 {
				count++
			}
		}
		return count
	}
	near, far, gap := nd.near(q)
	count = t.countNode(near, q, r2, limit, count, rd, off)
	if count >= limit {
		return count
	}
	old := off[nd.dim]
	if rdFar := rd - old*old + gap*gap; rdFar <= r2 {
		off[nd.dim] = gap
		count = t.countNode(far, q, r2, limit, count, rdFar, off)
		off[nd.dim] = old
	}
	return count
}

// unmarkedWithin appends to dst the original rows of the unmarked points p with ‖p − q‖² ≤ r2.
// Marked points cost nothing: whole subtrees of marked points are skipped.
func (t *kdTree) unmarkedWithin(dst []int, q []float64, r2 float64) []int {
	var off [bruteForceDim]float64
	return t.unmarkedNode(0, dst, q, r2, 0, off[:])
}

func (t *kdTree) unmarkedNode(id int32, dst []int, q []float64, r2, rd float64, off []float64) []int {
	nd := &t.nodes[id]
	if nd.unmarked == 0 {
		return dst
	}
	if nd.left < 0 {
		if t.boxDist2(id, q, r2) > r2 {
			return dst
		}
		inside := t.boxInside(id, q, r2)
		for k := nd.start; k < nd.end; k++ {
			if !t.marked[k] && (inside || t.dist2(k, q, r2) <= r2) {
				dst = append(dst, t.index[k])
			}
		}
		return dst
	}
	near, far, gap := nd.near(q)
	dst = t.unmarkedNode(near, dst, q, r2, rd, off)
	old := off[nd.dim]
	if rdFar := rd - old*old + gap*gap; rdFar <= r2 {
		off[nd.dim] = gap
		dst = t.unmarkedNode(far, dst, q, r2, rdFar, off)
		off[nd.dim] = old
	}
	return dst
}

// minCoreLabel returns the smallest labels[i] over the core rows i (core[i]) with ‖x_i − q‖² ≤ r2,
// or Noise if there is none. labels of core rows must be ≥ 0.
func (t *kdTree) minCoreLabel(q []float64, r2 float64, core []bool, labels []int) int {
	var off [bruteForceDim]float64
	best := math.MaxInt
	t.minLabelNode(0, q, r2, 0, off[:], core, labels, &best)
	if best == math.MaxInt {
		return Noise
	}
	return best
}

func (t *kdTree) minLabelNode(id int32, q []float64, r2, rd float64, off []float64, core []bool, labels []int, best *int) {
	nd := &t.nodes[id]
	if nd.left < 0 {
		if t.boxDist2(id, q, r2) > r2 {
			return
		}
		for k := nd.start; k < nd.end && *best > 0; k++ {
			i := t.index[k]
			if core[i] && labels[i] < *best && t.dist2(k, q, r2) <= r2 {
				*best = labels[i]
			}
		}
		return
	}
	near, far, gap := nd.near(q)
	t.minLabelNode(near, q, r2, rd, off, core, labels, best)
	old := off[nd.dim]
	if rdFar := rd - old*old + gap*gap; rdFar <= r2 && *best > 0 {
		off[nd.dim] = gap
		t.minLabelNode(far, q, r2, rdFar, off, core, labels, best)
		off[nd.dim] = old
	}
}

// kthDist2 returns the squared distance from q to its k-th nearest point (k ≥ 1, counting a point
// equal to q itself), using h as scratch space.
func (t *kdTree) kthDist2(q []float64, k int, h *maxHeap) float64 {
	*h = (*h)[:0]
	var off [bruteForceDim]float64
	t.knnNode(0, q, k, h, 0, off[:])
	return (*h)[0]
}

func (t *kdTree) knnNode(id int32, q []float64, k int, h *maxHeap, rd float64, off []float64) {
	nd := &t.nodes[id]
	if nd.left < 0 {
		if len(*h) == k && t.boxDist2(id, q, (*h)[0]) > (*h)[0] {
			return
		}
		for p := nd.start; p < nd.end; p++ {
			if len(*h) < k {
				h.push(t.dist2(p, q, math.Inf(1)))
			} else if d2 := t.dist2(p, q, (*h)[0]); d2 < (*h)[0] {
				h.replaceTop(d2)
			}
		}
		return
	}
	near, far, gap := nd.near(q)
	t.knnNode(near, q, k, h, rd, off)
	old := off[nd.dim]
	if rdFar := rd - old*old + gap*gap; len(*h) < k || rdFar <= (*h)[0] {
		off[nd.dim] = gap
		t.knnNode(far, q, k, h, rdFar, off)
		off[nd.dim] = old
	}
}

// maxHeap is a binary max-heap of squared distances; the root (*h)[0] is the largest.
type maxHeap []float64

func (h *maxHeap) push(v float64) {
	*h = append(*h, v)
	a := *h
	for i := len(a) - 1; i > 0; {
		parent := (i - 1) / 2
		if a[parent] >= a[i] {
			break
		}
		a[parent], a[i] = a[i], a[parent]
		i = parent
	}
}

// replaceTop replaces the largest element by v and restores the heap order.
func (h maxHeap) replaceTop(v float64) {
	h[0] = v
	for i := 0; ; {
		largest, l, r := i, 2*i+1, 2*i+2
		if l < len(h) && h[l] > h[largest] {
			largest = l
		}
		if r < len(h) && h[r] > h[largest] {
			largest = r
		}
		if largest == i {
			return
		}
		h[i], h[largest] = h[largest], h[i]
		i = largest
	}
}
