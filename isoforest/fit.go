package isoforest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/stacklens/omen/internal/randstream"
)

// Fit grows an isolation forest on the rows of X (n rows of d features) and returns the model.
//
// Fit validates X: it returns ErrNoData when X has no rows or no columns, ErrTooFewRows for a
// single row, and a *DataError naming the row and column of a ragged row or of a NaN or ±Inf
// value. Config fields out of range are reported as errors too. X is not modified, and the model
// keeps no reference to it.
//
// Each tree reads only its own ψ subsampled rows, so the cost of Fit does not grow with n
// (except with Contamination > 0, which scores every training row to place the threshold). The
// result depends only on X, cfg and cfg.Seed; it is identical for any Workers or GOMAXPROCS.
func Fit(X [][]float64, cfg Config) (*Model, error) {
	d, err := validate(X)
	if err != nil {
		return nil, err
	}
	s, err := cfg.resolve(len(X), d)
	if err != nil {
		return nil, err
	}
	if s.ext > 0 {
		s.centre = featureCentres(X, d)
	}

	trees := make([]tree, s.trees)
	importance := make([]float64, s.trees*d) // tree t's credit in importance[t·d : (t+1)·d]
	growers := make([]*grower, s.workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range growers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := newGrower(X, d, s)
			for t := int(next.Add(1) - 1); t < s.trees; t = int(next.Add(1) - 1) {
				trees[t] = g.grow(uint64(t), importance[t*d:(t+1)*d])
			}
			growers[w] = g
		}()
	}
	wg.Wait()

	m := assemble(trees, importance, d, s)
	for _, g := range growers {
		g.release()
	}
	if s.contamination > 0 {
		m.threshold = trainingQuantile(m, X, 1-s.contamination, s.workers)
	}
	return m, nil
}

// validate checks that X is a non-empty matrix of finite values and returns its width.
func validate(X [][]float64) (int, error) {
	if len(X) == 0 || len(X[0]) == 0 {
		return 0, ErrNoData
	}
	d := len(X[0])
	for i, row := range X {
		if len(row) != d {
			return 0, &DataError{Row: i, Col: -1, Reason: fmt.Sprintf("has %d columns, row 0 has %d", len(row), d)}
		}
		for j, v := range row {
			if v-v != 0 { // NaN or ±Inf
				return 0, &DataError{Row: i, Col: j, Reason: fmt.Sprintf("value %v is not finite", v)}
			}
		}
	}
	if len(X) < 2 {
		return 0, ErrTooFewRows
	}
	return d, nil
}

// tree locates one fitted tree in the forest part of the grower that grew it: its nodes are
// part.nodes[node0:node1] and its extended-split terms part.planeFeatures[plane0:plane1] (and
// planeCoefs), in local indices (children and plane offsets count from the tree's first node and
// term), until assemble copies them into the model.
type tree struct {
	part           *forestPart
	node0, node1   int
	plane0, plane1 int
}

// forestPart holds the trees one grower grew, one after the other.
type forestPart struct {
	nodes         []node
	planeFeatures []int32
	planeCoefs    []float64
}

// grower grows trees on X with reusable scratch space; one per worker goroutine.
type grower struct {
	X      [][]float64
	d      int
	s      settings
	pcg    rand.PCG   // the source of rng, re-seeded for each tree
	rng    *rand.Rand // draws from pcg
	depth  int
	rows   []int     // the current tree's subsample; nodes own contiguous ranges of it
	proj   []float64 // projections of rows onto an extended split's normal
	sizes  []int32   // rows reaching each node of the current tree
	credit []float64 // creditTraining's W of each node of the current tree
	feats  []int     // features available to the current tree
	cand   []int     // scratch permutation of feats
	picked []uint64  // bitset of the rows drawn by Floyd's algorithm, cleared after each draw

	// The current tree, in local indices: its nodes, its extended-split terms and the
	// unnormalised feature credit of its in-bag rows.
	nodes         []node
	planeFeatures []int32
	planeCoefs    []float64
	importance    []float64

	part forestPart // the trees grown so far
}

// growerPool recycles growers, with their scratch space and forest parts, from one Fit to the
// next: a service's detector refits small forests again and again, and would otherwise allocate
// all of it each time.
var growerPool = sync.Pool{New: func() any {
	g := new(grower)
	g.rng = rand.New(&g.pcg)
	return g
}}

// newGrower returns a grower for X from the pool, its scratch space sized for X and s.
func newGrower(X [][]float64, d int, s settings) *grower {
	g := growerPool.Get().(*grower)
	g.X, g.d, g.s, g.depth = X, d, s, maxDepth(s.psi)
	g.rows = resize(g.rows, s.psi)
	g.proj = resize(g.proj, s.psi)
	g.feats = resize(g.feats, d)
	g.cand = resize(g.cand, s.maxFeatures)
	g.picked = resize(g.picked, (len(X)+63)/64)
	clear(g.picked)
	g.part.nodes = g.part.nodes[:0]
	g.part.planeFeatures, g.part.planeCoefs = g.part.planeFeatures[:0], g.part.planeCoefs[:0]
	return g
}

// maxPooledNodes bounds the forest part a pooled grower keeps: the few MB of a large forest are
// not worth holding on to until the next Fit.
const maxPooledNodes = 1 << 18

// release returns g to the pool once its trees are assembled, without its references to the
// caller's data.
func (g *grower) release() {
	g.X, g.s, g.importance = nil, settings{}, nil
	if cap(g.part.nodes) > maxPooledNodes {
		g.part = forestPart{}
	}
	growerPool.Put(g)
}

// resize returns s with length n, reusing its memory when large enough; the contents are not
// preserved.
func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// grow grows tree number id, adds the credit of its in-bag rows to importance (d zeros) and
// appends the tree to the grower's forest part.
func (g *grower) grow(id uint64, importance []float64) tree {
	randstream.Seed(&g.pcg, g.s.seed, id) // g.rng now draws what randstream.New(seed, id) would
	g.sampleFeatures()
	g.sampleRows()
	g.nodes = append(g.nodes[:0], node{})
	g.sizes = append(g.sizes[:0], 0)
	g.planeFeatures, g.planeCoefs = g.planeFeatures[:0], g.planeCoefs[:0]
	g.importance = importance
	g.split(0, 0, len(g.rows), 0)
	g.creditTraining()

	p := &g.part
	t := tree{part: p, node0: len(p.nodes), plane0: len(p.planeFeatures)}
	p.nodes = append(p.nodes, g.nodes...)
	p.planeFeatures = append(p.planeFeatures, g.planeFeatures...)
	p.planeCoefs = append(p.planeCoefs, g.planeCoefs...)
	t.node1, t.plane1 = len(p.nodes), len(p.planeFeatures)
	return t
}

// sampleFeatures puts the features of the current tree in feats[:maxFeatures].
func (g *grower) sampleFeatures() {
	for j := range g.feats {
		g.feats[j] = j
	}
	if g.s.maxFeatures < g.d {
		for k := 0; k < g.s.maxFeatures; k++ {
			j := k + g.rng.IntN(g.d-k)
			g.feats[k], g.feats[j] = g.feats[j], g.feats[k]
		}
	}
}

// sampleRows draws the tree's ψ rows: with replacement for Bootstrap, otherwise a uniform subset
// by Floyd's algorithm, which touches only ψ row numbers whatever n is.
func (g *grower) sampleRows() {
	n, psi := len(g.X), g.s.psi
	switch {
	case g.s.bootstrap:
		for i := range g.rows {
			g.rows[i] = g.rng.IntN(n)
		}
	case psi == n:
		for i := range g.rows {
			g.rows[i] = i
		}
	default:
		k := 0
		for j := n - psi; j < n; j++ {
			r := g.rng.IntN(j + 1)
			if g.picked[r/64]&(1<<(r%64)) != 0 {
				r = j
			}
			g.picked[r/64] |= 1 << (r % 64)
			g.rows[k] = r
			k++
		}
		for _, r := range g.rows {
			g.picked[r/64] = 0
		}
	}
}

// split makes node i from rows[lo:hi] at the given depth: a leaf, or a split whose two children
// are appended to the tree and grown depth first.
func (g *grower) split(i int32, lo, hi, depth int) {
	n := hi - lo
	g.sizes[i] = int32(n)
	if depth >= g.depth || n <= 1 {
		g.leaf(i, n, depth)
		return
	}
	var mid int
	var nd node
	var ok bool
	if g.s.ext == 0 {
		nd, mid, ok = g.axisSplit(lo, hi)
	} else {
		nd, mid, ok = g.extendedSplit(lo, hi)
	}
	if !ok {
		g.leaf(i, n, depth)
		return
	}
	left := int32(len(g.nodes))
	nd.left = left
	g.nodes[i] = nd
	g.nodes = append(g.nodes, node{}, node{})
	g.sizes = append(g.sizes, 0, 0)
	g.split(left, lo, mid, depth+1)
	g.split(left+1, mid, hi, depth+1)
}

func (g *grower) leaf(i int32, n, depth int) {
	g.nodes[i] = leafNode(i, depth, n)
}

// nonConstantFeature draws features of the tree uniformly without replacement until one is not
// constant on rows[lo:hi], and returns it with its range; ok is false if all are constant. It
// leaves the chosen feature in cand[0] and the untried ones after it.
func (g *grower) nonConstantFeature(lo, hi int) (f int, mn, mx float64, ok bool) {
	cand := g.cand
	copy(cand, g.feats[:g.s.maxFeatures])
	for k := range cand {
		j := k + g.rng.IntN(len(cand)-k)
		cand[k], cand[j] = cand[j], cand[k]
		f = cand[k]
		if mn, mx = featureRange(g.rows[lo:hi], g.X, f); mx > mn {
			cand[0], cand[k] = cand[k], cand[0]
			return f, mn, mx, true
		}
	}
	return 0, 0, 0, false
}

// featureRange returns the smallest and largest X[r][f] over the rows r of rows (±Inf reversed
// for no rows).
func featureRange(rows []int, X [][]float64, f int) (mn, mx float64) {
	mn, mx = math.Inf(1), math.Inf(-1)
	for _, r := range rows {
		v := X[r][f] // finite: validated
		if v < mn {
			mn = v
		}
		if v > mx {
			mx = v
		}
	}
	return mn, mx
}

// uniformThreshold draws t uniformly in [mn, mx); rows with value ≤ t go left, so both sides
// are non-empty. A range wider than the largest float64 is interpolated between its ends.
func (g *grower) uniformThreshold(mn, mx float64) float64 {
	u := g.rng.Float64()
	t := mn + u*(mx-mn)
	if math.IsInf(mx-mn, 1) {
		t = mn*(1-u) + mx*u
	}
	if t >= mx { // rounding
		t = mn
	}
	return t
}

func (g *grower) axisSplit(lo, hi int) (node, int, bool) {
	f, mn, mx, ok := g.nonConstantFeature(lo, hi)
	if !ok {
		return node{}, 0, false
	}
	t := g.uniformThreshold(mn, mx)
	return node{split: int32(f), value: t}, partition(g.rows[lo:hi], g.X, f, t) + lo, true
}

// partition moves the rows r of rows with X[r][f] ≤ t before the others, keeping the order in
// which a conditional swap of each such row with the first row of the right side leaves them,
// and returns their number. The swap is made by selecting values rather than by branching on
// the comparison, whose outcome a processor predicts no better than a coin.
func partition(rows []int, X [][]float64, f int, t float64) int {
	mid := 0
	for k, r := range rows {
		a, b, step := r, rows[mid], 0
		if !(X[r][f] > t) {
			a, b, step = b, a, 1
		}
		rows[k], rows[mid] = a, b
		mid += step
	}
	return mid
}

// extendedSplit draws a hyperplane whose normal has ExtensionLevel+1 standard-normal components:
// one on a feature that is not constant in the node, the others on features drawn at random from
// the rest of the tree's features. The intercept is uniform in the range of the projections.
func (g *grower) extendedSplit(lo, hi int) (node, int, bool) {
	if _, _, _, ok := g.nonConstantFeature(lo, hi); !ok {
		return node{}, 0, false
	}
	e := g.s.ext
	cand := g.cand
	for k := 1; k <= e; k++ {
		j := k + g.rng.IntN(len(cand)-k)
		cand[k], cand[j] = cand[j], cand[k]
	}
	off := int32(len(g.planeFeatures))
	for k := 0; k <= e; k++ {
		g.planeFeatures = append(g.planeFeatures, int32(cand[k]))
		g.planeCoefs = append(g.planeCoefs, g.rng.NormFloat64())
	}
	pf, pc := g.planeFeatures[off:], g.planeCoefs[off:]
	mn, mx := math.Inf(1), math.Inf(-1)
	for k := lo; k < hi; k++ {
		p := project(g.X[g.rows[k]], pf, pc, g.s.centre)
		g.proj[k] = p
		if p < mn {
			mn = p
		}
		if p > mx {
			mx = p
		}
	}
	if !(mx > mn) || math.IsInf(mn, 0) || math.IsInf(mx, 0) { // components cancel, or overflow
		g.planeFeatures = g.planeFeatures[:off]
		g.planeCoefs = g.planeCoefs[:off]
		return node{}, 0, false
	}
	t := g.uniformThreshold(mn, mx)
	rows, proj := g.rows, g.proj
	mid := lo
	for k := lo; k < hi; k++ {
		if !(proj[k] > t) {
			rows[k], rows[mid] = rows[mid], rows[k]
			proj[k], proj[mid] = proj[mid], proj[k]
			mid++
		}
	}
	return node{split: off, value: t}, mid, true
}

// project returns Σ_k coefs[k]·(x[f_k] − centre[f_k]), f_k = features[k], summed in order;
// fitting and scoring share it so that both see bit-identical projections.
func project(x []float64, features []int32, coefs []float64, centre []float64) float64 {
	var p float64
	for k, f := range features {
		p += coefs[k] * (x[f] - centre[f])
	}
	return p
}

// featureCentres returns the midrange of each of the d features of X, (min + max)/2 without
// overflow. Extended splits project x − centre rather than x: a feature far from zero (a
// timestamp in nanoseconds, 1.7·10¹⁸) would otherwise swamp the others in the projection's
// rounding, and the nodes, seeing constant projections, would stop splitting.
func featureCentres(X [][]float64, d int) []float64 {
	centre := make([]float64, d)
	for j := range centre {
		mn, mx := X[0][j], X[0][j]
		for _, row := range X {
			mn, mx = min(mn, row[j]), max(mx, row[j])
		}
		centre[j] = mn/2 + mx/2
	}
	return centre
}

// creditTraining adds to t.importance the explanation credit of every in-bag row. Let W(v) be the
// sum of 1/h over the rows in the subtree of v (h the path length of their leaf); a split of node
// v with n rows into children c of n_c rows credits (1 − n_c/n)·W(c) for each child. Children have
// larger indices than parents, so one backward pass computes W.
func (g *grower) creditTraining() {
	nodes, sizes := g.nodes, g.sizes
	if cap(g.credit) < len(nodes) {
		g.credit = make([]float64, len(nodes))
	}
	w := g.credit[:len(nodes)]
	clear(w)
	for i := len(nodes) - 1; i >= 0; i-- {
		nd := nodes[i]
		if nd.left == int32(i) {
			depth := uint8(math.Float64bits(nd.value) >> leafDepthBits)
			if h := float64(depth) + averagePathLength(int(sizes[i]), g.s.sklearn); h > 0 {
				w[i] = float64(sizes[i]) / h
			}
			continue
		}
		l, r := nd.left, nd.left+1
		w[i] = w[l] + w[r]
		n := float64(sizes[i])
		credit := (1-float64(sizes[l])/n)*w[l] + (1-float64(sizes[r])/n)*w[r]
		distribute(g.importance, nd, credit, g.s.ext, g.planeFeatures, g.planeCoefs)
	}
}

// trainingQuantile returns the q quantile (linear interpolation between order statistics, as
// NumPy's default) of the scores of all rows of X.
func trainingQuantile(m *Model, X [][]float64, q float64, workers int) float64 {
	scores := make([]float64, len(X))
	chunk := (len(X) + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < len(X); lo += chunk {
		hi := min(lo+chunk, len(X))
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.ScoresTo(scores[lo:hi], X[lo:hi])
		}()
	}
	wg.Wait()
	slices.Sort(scores)
	pos := q * float64(len(scores)-1)
	i := int(pos)
	if i >= len(scores)-1 {
		return scores[len(scores)-1]
	}
	frac := pos - float64(i)
	return scores[i] + frac*(scores[i+1]-scores[i])
}
