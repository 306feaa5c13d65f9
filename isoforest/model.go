package isoforest

import (
	"fmt"
	"math"
)

// node is one node of a tree, 16 bytes, in one flat array shared by all trees; it is all the
// memory a tree needs.
//
// A leaf points to itself, and its value is a NaN, with which every comparison is false, so every
// descent can take exactly ceil(log2 ψ) steps without testing for leaves: the steps past a leaf
// stay on it. That lets scoring advance several trees in lockstep, independent loads the
// processor overlaps. The NaN's payload holds the leaf's depth and its number of training rows.
type node struct {
	// left is the index of the left child; the right child is left+1. A leaf's left is its own
	// index.
	left int32
	// split is the feature of an axis-parallel split, or the offset of an extended split's
	// ExtensionLevel+1 terms in Model.planeFeatures and Model.planeCoefs. Zero for a leaf.
	split int32
	// value is the threshold of a split: x > value goes right, anything else (including NaN)
	// left. For a leaf, a NaN carrying depth and size (see leafNode).
	value float64
}

// A leaf's value is the quiet NaN 0x7ff8 with the depth in bits 32–39 and the row count in bits
// 0–31 of its payload.
const (
	leafTag       = 0x7ff8_0000_0000_0000
	leafDepthBits = 32
)

// leafNode returns a leaf at index i, depth depth, holding size training rows.
func leafNode(i int32, depth, size int) node {
	return node{left: i, value: math.Float64frombits(leafTag | uint64(depth)<<leafDepthBits | uint64(uint32(size)))}
}

// isLeaf reports whether node i is a leaf.
func (m *Model) isLeaf(i int32) bool { return m.nodes[i].left == i }

// leafSize returns the training rows in leaf nd.
func leafSize(nd node) int { return int(uint32(math.Float64bits(nd.value))) }

// pathLength returns the path length of leaf nd: its depth plus c(rows in it).
func (m *Model) pathLength(nd node) float64 {
	bits := math.Float64bits(nd.value)
	depth, size := float64(uint8(bits>>leafDepthBits)), uint32(bits)
	if size < uint32(len(m.cTable)) {
		return depth + m.cTable[size]
	}
	return depth + averagePathLength(int(size), m.sklearn)
}

// Model is a fitted isolation forest. It is immutable and safe for concurrent use.
type Model struct {
	dim           int
	psi           int
	ext           int
	sklearn       bool
	contamination float64
	threshold     float64
	norm          float64 // c(ψ)
	roots         []int32
	depth         int // ceil(log2 ψ), the depth limit
	nodes         []node
	cTable        []float64 // c(m) for m = 0..min(ψ, maxTable)
	planeFeatures []int32
	planeCoefs    []float64
	centre        []float64 // extended forests: the point projections are taken from
	importance    []float64 // normalised to sum 1
}

// assemble concatenates the trees into the model's flat arrays, in tree order, shifting each
// tree's local child indices and plane offsets by the position of its first node and term; the
// feature credit of tree t, importance[t·d : (t+1)·d], is summed in tree order. The arrays are
// allocated at their final size: a model holds no spare capacity.
func assemble(trees []tree, importance []float64, d int, s settings) *Model {
	m := &Model{
		dim:           d,
		psi:           s.psi,
		depth:         maxDepth(s.psi),
		ext:           s.ext,
		sklearn:       s.sklearn,
		contamination: s.contamination,
		threshold:     0.5,
		norm:          averagePathLength(s.psi, s.sklearn),
		cTable:        pathLengthTable(s.psi, s.sklearn),
		centre:        s.centre,
		roots:         make([]int32, len(trees)),
		importance:    make([]float64, d),
	}
	var nodes, planes int
	for _, tr := range trees {
		nodes += tr.node1 - tr.node0
		planes += tr.plane1 - tr.plane0
	}
	m.nodes = make([]node, 0, nodes)
	if planes > 0 {
		m.planeFeatures = make([]int32, 0, planes)
		m.planeCoefs = make([]float64, 0, planes)
	}
	for t, tr := range trees {
		nodeOff, planeOff := int32(len(m.nodes)), int32(len(m.planeFeatures))
		m.roots[t] = nodeOff
		for i, nd := range tr.part.nodes[tr.node0:tr.node1] {
			if s.ext > 0 && nd.left != int32(i) {
				nd.split += planeOff
			}
			nd.left += nodeOff
			m.nodes = append(m.nodes, nd)
		}
		m.planeFeatures = append(m.planeFeatures, tr.part.planeFeatures[tr.plane0:tr.plane1]...)
		m.planeCoefs = append(m.planeCoefs, tr.part.planeCoefs[tr.plane0:tr.plane1]...)
		for j, v := range importance[t*d : (t+1)*d] {
			m.importance[j] += v
		}
	}
	normalize(m.importance)
	return m
}

// maxTable bounds the table of c(m): larger leaves, which only a huge SampleSize or constant data
// make, compute c directly.
const maxTable = 1 << 12

// pathLengthTable returns c(m) for m = 0..min(ψ, maxTable).
func pathLengthTable(psi int, sklearn bool) []float64 {
	c := make([]float64, min(psi, maxTable)+1)
	for m := range c {
		c[m] = averagePathLength(m, sklearn)
	}
	return c
}

// Dim returns the number of features d the model was fitted on.
func (m *Model) Dim() int { return m.dim }

// Trees returns the number of trees.
func (m *Model) Trees() int { return len(m.roots) }

// SampleSize returns ψ, the subsample size each tree was grown on.
func (m *Model) SampleSize() int { return m.psi }

// Threshold returns the score above which a point is an anomaly: 0.5 without Contamination,
// otherwise the (1 − Contamination) quantile of the training scores.
func (m *Model) Threshold() float64 { return m.threshold }

// Score returns the anomaly score s(x) = 2^(−E[h(x)]/c(ψ)) in (0, 1]; higher is more anomalous.
// It panics if len(x) ≠ Dim(). A NaN feature follows the left branch at every split on it (the
// test is x > threshold for the right branch); ±Inf follow the side of their sign.
func (m *Model) Score(x []float64) float64 {
	m.mustBeFitted()
	if len(x) != m.dim {
		panic(fmt.Sprintf("isoforest: Score of a point with %d features, model has %d", len(x), m.dim))
	}
	return m.score(x)
}

// IsAnomaly reports whether Score(x) > Threshold().
func (m *Model) IsAnomaly(x []float64) bool { return m.Score(x) > m.threshold }

// Scores returns the scores of the rows of X in a new slice.
func (m *Model) Scores(X [][]float64) []float64 { return m.ScoresTo(nil, X) }

// ScoresTo writes the score of each row of X into dst and returns it. A nil dst is allocated;
// otherwise len(dst) must equal len(X). It allocates nothing when dst is given, and panics on a
// dst of the wrong length or a row of the wrong width.
func (m *Model) ScoresTo(dst []float64, X [][]float64) []float64 {
	m.mustBeFitted()
	if dst == nil {
		dst = make([]float64, len(X))
	}
	if len(dst) != len(X) {
		panic(fmt.Sprintf("isoforest: ScoresTo with len(dst) = %d for %d rows", len(dst), len(X)))
	}
	for i, x := range X {
		if len(x) != m.dim {
			panic(fmt.Sprintf("isoforest: ScoresTo row %d has %d features, model has %d", i, len(x), m.dim))
		}
	}
	if m.ext == 0 {
		m.axisScoresTo(dst, X)
		return dst
	}
	for i, x := range X {
		dst[i] = m.score(x)
	}
	return dst
}

// mustBeFitted panics on a zero Model: there is no unfitted state to score with.
func (m *Model) mustBeFitted() {
	if len(m.roots) == 0 {
		panic("isoforest: Score on a Model not made by Fit or UnmarshalBinary")
	}
}

func (m *Model) score(x []float64) float64 {
	var sum float64
	if m.ext == 0 {
		sum = m.axisPathLengthSum(x)
	} else {
		for _, root := range m.roots {
			sum += m.pathLength(m.nodes[m.leaf(root, x)])
		}
	}
	return m.fromPathLengthSum(sum)
}

// axisPathLengthSum returns Σ_t h_t(x) for an axis-parallel forest, summed in tree order. It
// descends eight trees at a time for the fixed number of steps (see node): eight independent
// chains of loads that the processor overlaps (with four, Score took 40 % longer), and the
// remaining trees one by one.
func (m *Model) axisPathLengthSum(x []float64) float64 {
	nodes, roots := m.nodes, m.roots
	var sum float64
	t := 0
	for ; t+8 <= len(roots); t += 8 {
		a, b, c, d := roots[t], roots[t+1], roots[t+2], roots[t+3]
		e, f, g, h := roots[t+4], roots[t+5], roots[t+6], roots[t+7]
		for range m.depth {
			na, nb, nc, nd := nodes[a], nodes[b], nodes[c], nodes[d]
			ne, nf, ng, nh := nodes[e], nodes[f], nodes[g], nodes[h]
			a = na.left + right(x[na.split], na.value)
			b = nb.left + right(x[nb.split], nb.value)
			c = nc.left + right(x[nc.split], nc.value)
			d = nd.left + right(x[nd.split], nd.value)
			e = ne.left + right(x[ne.split], ne.value)
			f = nf.left + right(x[nf.split], nf.value)
			g = ng.left + right(x[ng.split], ng.value)
			h = nh.left + right(x[nh.split], nh.value)
		}
		sum += m.pathLength(nodes[a])
		sum += m.pathLength(nodes[b])
		sum += m.pathLength(nodes[c])
		sum += m.pathLength(nodes[d])
		sum += m.pathLength(nodes[e])
		sum += m.pathLength(nodes[f])
		sum += m.pathLength(nodes[g])
		sum += m.pathLength(nodes[h])
	}
	for ; t < len(roots); t++ {
		sum += m.pathLength(nodes[m.descend(roots[t], x)])
	}
	return sum
}

// descend returns the leaf x reaches from root in an axis-parallel tree.
func (m *Model) descend(root int32, x []float64) int32 {
	i := root
	for range m.depth {
		n := m.nodes[i]
		i = n.left + right(x[n.split], n.value)
	}
	return i
}

// scoreBlock is the number of rows ScoresTo scores together, tree by tree, so that each tree's
// nodes are read from the nearest cache for the whole block.
const scoreBlock = 64

// axisScoresTo scores the rows of X tree by tree in blocks of rows, eight rows in lockstep (as
// axisPathLengthSum descends eight trees). The path lengths of a row are summed in tree order, so
// each score equals Score's bit for bit.
func (m *Model) axisScoresTo(dst []float64, X [][]float64) {
	nodes := m.nodes
	var acc [scoreBlock]float64
	for lo := 0; lo < len(X); lo += scoreBlock {
		rows := X[lo:min(lo+scoreBlock, len(X))]
		sums := acc[:len(rows)]
		clear(sums)
		for _, root := range m.roots {
			r := 0
			for ; r+8 <= len(rows); r += 8 {
				xa, xb, xc, xd := rows[r], rows[r+1], rows[r+2], rows[r+3]
				xe, xf, xg, xh := rows[r+4], rows[r+5], rows[r+6], rows[r+7]
				a, b, c, d := root, root, root, root
				e, f, g, h := root, root, root, root
				for range m.depth {
					na, nb, nc, nd := nodes[a], nodes[b], nodes[c], nodes[d]
					ne, nf, ng, nh := nodes[e], nodes[f], nodes[g], nodes[h]
					a = na.left + right(xa[na.split], na.value)
					b = nb.left + right(xb[nb.split], nb.value)
					c = nc.left + right(xc[nc.split], nc.value)
					d = nd.left + right(xd[nd.split], nd.value)
					e = ne.left + right(xe[ne.split], ne.value)
					f = nf.left + right(xf[nf.split], nf.value)
					g = ng.left + right(xg[ng.split], ng.value)
					h = nh.left + right(xh[nh.split], nh.value)
				}
				sums[r] += m.pathLength(nodes[a])
				sums[r+1] += m.pathLength(nodes[b])
				sums[r+2] += m.pathLength(nodes[c])
				sums[r+3] += m.pathLength(nodes[d])
				sums[r+4] += m.pathLength(nodes[e])
				sums[r+5] += m.pathLength(nodes[f])
				sums[r+6] += m.pathLength(nodes[g])
				sums[r+7] += m.pathLength(nodes[h])
			}
			for ; r < len(rows); r++ {
				sums[r] += m.pathLength(nodes[m.descend(root, rows[r])])
			}
		}
		for r, sum := range sums {
			dst[lo+r] = m.fromPathLengthSum(sum)
		}
	}
}

// fromPathLengthSum turns Σ_t h_t(x) into s(x) = 2^(−E[h(x)]/c(ψ)).
func (m *Model) fromPathLengthSum(sum float64) float64 {
	return math.Exp2(-sum / float64(len(m.roots)) / m.norm)
}

// right is 1 when v > threshold, the step from a left child to its right sibling.
func right(v, threshold float64) int32 {
	var r int32
	if v > threshold {
		r = 1
	}
	return r
}

// leaf returns the index of the leaf that x reaches from root.
func (m *Model) leaf(root int32, x []float64) int32 {
	i := root
	for {
		nd := m.nodes[i]
		if m.isLeaf(i) {
			return i
		}
		i = nd.left + right(m.splitValue(nd, x), nd.value)
	}
}

// splitValue is the quantity a split compares with its threshold: x's feature for an axis split,
// its projection on the normal for an extended one.
func (m *Model) splitValue(nd node, x []float64) float64 {
	if m.ext == 0 {
		return x[nd.split]
	}
	span := int32(m.ext + 1)
	return project(x, m.planeFeatures[nd.split:nd.split+span], m.planeCoefs[nd.split:nd.split+span], m.centre)
}

// Explain returns per-feature contributions to the isolation of x, non-negative and summing to 1
// (all zero if no tree splits at all). See the package documentation for the credit rule. It
// panics if len(x) ≠ Dim().
func (m *Model) Explain(x []float64) []float64 { return m.ExplainTo(nil, x) }

// ExplainTo writes Explain(x) into dst (allocated if nil, otherwise of length Dim()) and returns
// it. It allocates nothing when dst is given.
func (m *Model) ExplainTo(dst, x []float64) []float64 {
	m.mustBeFitted()
	if len(x) != m.dim {
		panic(fmt.Sprintf("isoforest: Explain of a point with %d features, model has %d", len(x), m.dim))
	}
	if dst == nil {
		dst = make([]float64, m.dim)
	}
	if len(dst) != m.dim {
		panic(fmt.Sprintf("isoforest: ExplainTo with len(dst) = %d, model has %d features", len(dst), m.dim))
	}
	clear(dst)
	for _, root := range m.roots {
		h := m.pathLength(m.nodes[m.leaf(root, x)])
		if h <= 0 {
			continue
		}
		n := m.psi // every tree holds ψ rows
		for i := root; !m.isLeaf(i); {
			nd := m.nodes[i]
			child := nd.left + right(m.splitValue(nd, x), nd.value)
			nc := m.subtreeSize(child)
			credit := (1 - float64(nc)/float64(n)) / h
			distribute(dst, nd, credit, m.ext, m.planeFeatures, m.planeCoefs)
			i, n = child, nc
		}
	}
	normalize(dst)
	return dst
}

// subtreeSize returns the training rows in the subtree of node i, the sum over its leaves. The
// model keeps no per-node counts; Explain, the only reader, walks the subtrees on its path.
func (m *Model) subtreeSize(i int32) int {
	nd := m.nodes[i]
	if nd.left == i {
		return leafSize(nd)
	}
	return m.subtreeSize(nd.left) + m.subtreeSize(nd.left+1)
}

// FeatureImportance returns the explanation credit of each feature averaged over the in-bag rows
// of every tree, normalised to sum to 1. The slice is a copy.
func (m *Model) FeatureImportance() []float64 {
	return append([]float64(nil), m.importance...)
}

// distribute adds credit to the feature of an axis split, or shares it among the features of an
// extended split in proportion to |coefficient|.
func distribute(dst []float64, nd node, credit float64, ext int, planeFeatures []int32, planeCoefs []float64) {
	if ext == 0 {
		dst[nd.split] += credit
		return
	}
	span := int32(ext + 1)
	features, coefs := planeFeatures[nd.split:nd.split+span], planeCoefs[nd.split:nd.split+span]
	var total float64
	for _, c := range coefs {
		total += math.Abs(c)
	}
	if total == 0 {
		return
	}
	for k, f := range features {
		dst[f] += credit * math.Abs(coefs[k]) / total
	}
}

// normalize scales v to sum to 1, leaving an all-zero v unchanged.
func normalize(v []float64) {
	var sum float64
	for _, x := range v {
		sum += x
	}
	if sum > 0 {
		for i := range v {
			v[i] /= sum
		}
	}
}
