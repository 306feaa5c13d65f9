package stl

import "math"

// A kernel holds the loess weights of one neighbourhood, the fit at position
// x from the points y[left..right] as the Fortran routine stlest computes it
// (x is on the index scale 0, 1, …, n−1 of y and may lie outside it). The
// weights depend on the positions only, not on the data, so a kernel is
// computed once and serves every series smoothed with the same neighbourhood.
//
// The neighbourhood half-width is h = max(x−left, right−x), widened by
// ⌊(window−n)/2⌋ when the window exceeds the series length n. The point at
// position i has the tricube weight T_i = (1−(|d_i|/h)³)³ of its offset
// d_i = i − x (1 when |d_i| ≤ 0.001h, 0 when |d_i| > 0.999h).
type kernel struct {
	weights []float64 // T_i for i = left, …, right
	// operator gives the fit without robustness weights as a weighted sum,
	// Σ operator[i−left]·y_i; it is nil when every weight is zero.
	operator []float64
	// linear is set for a local line (degree 1 and h > 0), minSpread is its
	// 0.001·(n−1).
	linear    bool
	minSpread float64
}

// newKernel returns the kernel of the fit at x from y[left..right] for a
// series of length n, using 2·(right−left+1) values of buf.
//
// Its operator is computed as the Fortran code computes the fit: the weights
// normalised to sum to one, ŵ_i = T_i / ΣT, give the weighted mean Σŵ_i·y_i
// (degree 0), and the local line adds a slope term, operator_i =
// ŵ_i·(1 + (x−μ)(i−μ)/σ²) with μ = Σŵ_i·i and σ² = Σŵ_i·(i−μ)², unless the
// spread σ is at most 0.001·(n−1). For a window centred on x (window < n),
// the weights are symmetric about x, so μ = x and the operator is ŵ whatever
// the degree (the Fortran code computes a slope term that is zero up to
// rounding).
func newKernel(n, window, degree int, x float64, left, right int, buf []float64) kernel {
	length := right - left + 1
	h := math.Max(x-float64(left), float64(right)-x)
	centred := window < n && x-float64(left) == float64(right)-x
	if window > n {
		h += float64((window - n) / 2)
	}
	k := kernel{
		weights:   buf[:length:length],
		linear:    degree == 1 && h > 0,
		minSpread: 0.001 * float64(n-1),
	}
	hNear, hFar := 0.001*h, 0.999*h
	sum := 0.0
	for j := range k.weights {
		k.weights[j] = tricube(math.Abs(float64(left+j)-x), h, hNear, hFar)
		sum += k.weights[j]
	}
	if sum <= 0 {
		return k
	}
	op := buf[length : 2*length : 2*length]
	copy(op, k.weights)
	// Centred, the slope term vanishes: μ = x.
	k.operator = toOperator(op, sum, x, left, k.linear && !centred, k.minSpread)
	return k
}

// toOperator turns the loess weights w of the points left, left+1, … (their sum
// given) into the operator of the fit at x, in place, as the Fortran code
// computes the fit, in its order: w_i/Σw, then for a local line each scaled by
// 1 + (x−μ)(i−μ)/σ² (μ and σ² the normalised weights' mean and variance of the
// positions) unless σ is at most minSpread. It returns w.
func toOperator(w []float64, sum, x float64, left int, linear bool, minSpread float64) []float64 {
	if !linear {
		for j := range w {
			w[j] /= sum
		}
		return w
	}
	mean := 0.0
	for j := range w {
		w[j] /= sum
		mean += w[j] * float64(left+j)
	}
	spread := 0.0
	for j, v := range w {
		d := float64(left+j) - mean
		spread += v * d * d
	}
	if math.Sqrt(spread) > minSpread {
		b := (x - mean) / spread
		for j := range w {
			w[j] *= b*(float64(left+j)-mean) + 1
		}
	}
	return w
}

// fit returns the loess fit at x of the kernel's neighbourhood, which starts
// at left, from its values ys = y[left..right] and their robustness weights
// rws (nil for none); w is scratch space of len(ys). ok is false when every
// weight is zero. (A centred kernel serves every neighbourhood of its width:
// x and left are the fit's own.)
//
// Without robustness weights the fit is Σ operator_i·y_i. With them it is
// Σ o_i·y_i for the operator o that toOperator makes of the weights
// w_i = T_i·ρ_i, computed as the Fortran code computes it, in its order, so
// that the fifteen robustness passes of a robust decomposition, which amplify
// differences of rounding, stay with R's.
func (k *kernel) fit(ys, rws []float64, x float64, left int, w []float64) (fit float64, ok bool) {
	if rws == nil {
		if k.operator == nil {
			return 0, false
		}
		op := k.operator[:len(ys)]
		for j, v := range ys {
			fit += op[j] * v
		}
		return fit, true
	}
	w = w[:len(ys)]
	rws = rws[:len(ys)]
	sum := 0.0
	for j, t := range k.weights[:len(ys)] {
		w[j] = t * rws[j]
		sum += w[j]
	}
	if sum <= 0 {
		return 0, false
	}
	for j, v := range toOperator(w, sum, x, left, k.linear, k.minSpread) {
		fit += v * ys[j]
	}
	return fit, true
}

// tricube is the loess weight (1−(d/h)³)³ of a point at distance d, with 1
// for d ≤ near and 0 for d > far.
func tricube(d, h, near, far float64) float64 {
	switch {
	case d > far:
		return 0
	case d <= near:
		return 1
	}
	u := d / h
	u = 1 - u*u*u
	return u * u * u
}

// A smoother computes the loess smooth of series of one length n with one
// window, degree and jump, as the Fortran routine stless: the fit is computed
// at every jump-th point (and at the last one) and linearly interpolated in
// between. reset computes the kernels, which smooth then uses for every
// series (every pass of the inner loop): the interior windows share one
// kernel, and the others (near the ends, or all when the window is not
// shorter than the series) are kept unless they would hold more than 16
// weights per point of the series, when each is recomputed at its fit.
type smoother struct {
	n, window, degree, jump int
	centred                 kernel   // the kernel of the windows centred on their fit (window < n)
	edges                   []kernel // the other fits' kernels, in the order of the fits
	keepEdges               bool     // edges holds them; otherwise each is computed in scratch at its fit
	buf, scratch            []float64
	work                    []float64 // the robust fits' weights (kernel.fit)
}

// reset prepares s for series of length n.
func (s *smoother) reset(n, window, degree, jump int) {
	s.resetKeeping(n, window, degree, jump, 16*n)
}

// resetKeeping is reset keeping the edge kernels when they hold at most
// maxEdges weights in all.
func (s *smoother) resetKeeping(n, window, degree, jump, maxEdges int) {
	s.n, s.window, s.degree, s.jump = n, window, degree, min(jump, n-1)
	s.edges = s.edges[:0]
	if n < 2 {
		return
	}
	span := min(window, n) // the length of every neighbourhood
	s.work = resize(s.work, span)
	edgeLen := 0
	s.fits(func(i, left, right int) {
		if !s.isCentred(i, left, right) {
			edgeLen += right - left + 1
		}
	})
	s.keepEdges = edgeLen <= maxEdges
	size := 2 * edgeLen
	if !s.keepEdges {
		size = 2 * span // one edge kernel at a time
	}
	if window < n {
		size += 2 * window // the centred kernel
	}
	s.buf = resize(s.buf, size)
	rest := s.buf
	s.centred = kernel{}
	if window < n {
		h := (window - 1) / 2
		s.centred = newKernel(n, window, degree, float64(h), 0, window-1, rest)
		rest = rest[2*window:]
	}
	if !s.keepEdges {
		s.scratch = rest
		return
	}
	s.fits(func(i, left, right int) {
		if !s.isCentred(i, left, right) {
			s.edges = append(s.edges, newKernel(n, window, degree, float64(i), left, right, rest))
			rest = rest[2*(right-left+1):]
		}
	})
}

// fits calls f for each position i at which the smooth is fitted, in the
// order of the Fortran code, with its neighbourhood [left, right].
func (s *smoother) fits(f func(i, left, right int)) {
	n, window, jump := s.n, s.window, s.jump
	half := (window + 1) / 2
	var left, right int
	switch {
	case window >= n:
		left, right = 0, n-1
		for i := 0; i < n; i += jump {
			f(i, left, right)
		}
	case jump == 1:
		left, right = 0, window-1
		for i := range n {
			if i+1 > half && right != n-1 {
				left++
				right++
			}
			f(i, left, right)
		}
	default:
		for i := 0; i < n; i += jump {
			switch {
			case i+1 < half:
				left, right = 0, window-1
			case i+1 >= n-half+1:
				left, right = n-window, n-1
			default:
				left, right = i+1-half, i+window-half
			}
			f(i, left, right)
		}
	}
	if (n-1)%jump != 0 {
		// The Fortran code reuses the neighbourhood of the last fitted point.
		f(n-1, left, right)
	}
}

// isCentred reports whether the fit at i from [left, right] uses s.centred.
func (s *smoother) isCentred(i, left, right int) bool {
	return s.window < s.n && 2*i == left+right
}

// smooth writes to ys the smooth of y (both of length s.n); rw, when not
// nil, holds robustness weights. A point whose fit fails (all weights zero)
// keeps its own value.
func (s *smoother) smooth(y, rw, ys []float64) {
	n := s.n
	if n < 2 {
		ys[0] = y[0]
		return
	}
	e := 0
	s.fits(func(i, left, right int) {
		var k kernel
		switch {
		case s.isCentred(i, left, right):
			k = s.centred
		case s.keepEdges:
			k = s.edges[e]
			e++
		default:
			k = newKernel(n, s.window, s.degree, float64(i), left, right, s.scratch)
		}
		v, ok := k.fit(y[left:right+1], part(rw, left, right), float64(i), left, s.work)
		if !ok {
			v = y[i]
		}
		ys[i] = v
	})
	if s.jump == 1 {
		return
	}
	for i := 0; i+s.jump < n; i += s.jump {
		interpolate(ys, i, i+s.jump)
	}
	if last := (n - 1) / s.jump * s.jump; last != n-1 {
		interpolate(ys, last, n-1)
	}
}

// A cycleSmoother smooths cycle-subseries of one length k as the Fortran
// routine stlss: the smooth at positions 0, …, k−1 and one more fit before
// the first value and after the last, at −1 and k.
type cycleSmoother struct {
	smoother
	before, after kernel
	buf           []float64
}

// reset prepares c for subseries of length k.
func (c *cycleSmoother) reset(k, window, degree, jump int) {
	c.smoother.reset(k, window, degree, jump)
	span := min(window, k)
	c.buf = resize(c.buf, 4*span)
	c.before = newKernel(k, window, degree, -1, 0, span-1, c.buf)
	c.after = newKernel(k, window, degree, float64(k), k-span, k-1, c.buf[2*span:])
}

// smooth writes to out (length k+2) the fits of the subseries x (length k)
// at positions −1, 0, …, k; rw, when not nil, holds robustness weights. A
// failed fit at −1 or k takes its neighbour's value.
func (c *cycleSmoother) smooth(x, rw, out []float64) {
	k, span := len(x), len(c.before.weights)
	c.smoother.smooth(x, rw, out[1:k+1])
	v, ok := c.before.fit(x[:span], part(rw, 0, span-1), -1, 0, c.work)
	if !ok {
		v = out[1]
	}
	out[0] = v
	v, ok = c.after.fit(x[k-span:], part(rw, k-span, k-1), float64(k), k-span, c.work)
	if !ok {
		v = out[k]
	}
	out[k+1] = v
}

// interpolate fills ys[a+1..b−1] on the straight line from ys[a] to ys[b].
func interpolate(ys []float64, a, b int) {
	delta := (ys[b] - ys[a]) / float64(b-a)
	for j := a + 1; j < b; j++ {
		ys[j] = ys[a] + delta*float64(j-a)
	}
}

// part returns x[left..right], or nil when x is nil.
func part(x []float64, left, right int) []float64 {
	if x == nil {
		return nil
	}
	return x[left : right+1]
}

// resize returns buf with length n, reusing its array when it is large
// enough.
func resize(buf []float64, n int) []float64 {
	if cap(buf) < n {
		return make([]float64, n)
	}
	return buf[:n]
}
