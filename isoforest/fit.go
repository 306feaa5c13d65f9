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
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < s.workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := newGrower(X, d, s)
			for t := int(next.Add(1) - 1); t < s.trees; t = int(next.Add(1) - 1) {
				trees[t] = g.grow(uint64(t))
			}
		}()
	}
	wg.Wait()

	m := assemble(trees, d, s)
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

// tree is one fitted tree in local indices, before assembly into the model's flat arrays.
type tree struct {
	nodes         []node
	planeFeatures []int32
	planeCoefs    []float64
	importance    []float64 // unnormalised feature credit of the tree's in-bag rows
}

// grower grows trees on X with reusable scratch space; one per worker goroutine.
type grower struct {
	X      [][]float64
	d      int
	s      settings
	rng    *rand.Rand
	depth  int
	rows   []int     // the current tree's subsample; nodes own contiguous ranges of it
	proj   []float64 // projections of rows onto an extended split's normal
	sizes  []int32   // rows reaching each node of the current tree
	feats  []int     // features available to the current tree
	cand   []int     // scratch permutation of feats
	picked []uint64  // bitset of the rows drawn by Floyd's algorithm, cleared after each draw
	t      tree
}

func newGrower(X [][]float64, d int, s settings) *grower {
	return &grower{
		X:      X,
		d:      d,
		s:      s,
		depth:  maxDepth(s.psi),
		rows:   make([]int, s.psi),
		proj:   make([]float64, s.psi),
		feats:  make([]int, d),
		cand:   make([]int, s.maxFeatures),
		picked: make([]uint64, (len(X)+63)/64),
	}
}

// grow grows tree number id.
func (g *grower) grow(id uint64) tree {
	g.rng = randstream.New(g.s.seed, id)
	g.sampleFeatures()
	g.sampleRows()
	g.t = tree{importance: make([]float64, g.d)}
	g.t.nodes = append(g.t.nodes, node{})
	g.sizes = append(g.sizes[:0], 0)
	g.split(0, 0, len(g.rows), 0)
	g.creditTraining()
	return g.t
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
	left := int32(len(g.t.nodes))
	nd.left = left
	g.t.nodes[i] = nd
	g.t.nodes = append(g.t.nodes, node{}, node{})
	g.sizes = append(g.sizes, 0, 0)
	g.split(left, lo, mid, depth+1)
	g.split(left+1, mid, hi, depth+1)
}

func (g *grower) leaf(i int32, n, depth int) {
	g.t.nodes[i] = leafNode(i, depth, n)
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
		mn, mx = math.Inf(1), math.Inf(-1)
		for _, r := range g.rows[lo:hi] {
			v := g.X[r][f] // finite: validated
			if v < mn {
				mn = v
			}
			if v > mx {
				mx = v
			}
		}
		if mx > mn {
			cand[0], cand[k] = cand[k], cand[0]
			return f, mn, mx, true
		}
	}
	return 0, 0, 0, false
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
	rows := g.rows
	mid := lo
	for k := lo; k < hi; k++ {
		if !(g.X[rows[k]][f] > t) {
			rows[k], rows[mid] = rows[mid], rows[k]
			mid++
		}
	}
	return node{split: int32(f), value: t}, mid, true
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
	off := int32(len(g.t.planeFeatures))
	for k := 0; k <= e; k++ {
		g.t.planeFeatures = append(g.t.planeFeatures, int32(cand[k]))
		g.t.planeCoefs = append(g.t.planeCoefs, g.rng.NormFloat64())
	}
	pf, pc := g.t.planeFeatures[off:], g.t.planeCoefs[off:]
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
		g.t.planeFeatures = g.t.planeFeatures[:off]
		g.t.planeCoefs = g.t.planeCoefs[:off]
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
	nodes, sizes := g.t.nodes, g.sizes
	w := make([]float64, len(nodes))
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
		distribute(g.t.importance, nd, credit, g.s.ext, g.t.planeFeatures, g.t.planeCoefs)
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
