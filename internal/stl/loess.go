package stl

import "math"

// loessAt returns the local fit at position x (on the index scale
// 0, 1, …, len(y)−1; x may lie outside it) from the points y[left..right]
// (inclusive), as the Fortran routine stlest.
//
// The neighbourhood half-width is h = max(x−left, right−x), widened by
// ⌊(window−n)/2⌋ when the window exceeds the series length n. Points get the
// tricube weight (1−(d/h)³)³ of their distance d (1 when d ≤ 0.001h, 0 when
// d > 0.999h), multiplied by the robustness weight rw when rw is not nil.
// Degree 0 returns the weighted mean; degree 1 the weighted least-squares line
// evaluated at x, unless the weighted spread of the abscissae is below
// 0.001·(n−1), when the weighted mean is kept. ok is false when every weight is
// zero.
//
// k, when not empty, holds the tricube weights of a window of its length
// centred on x; it is used when [left, right] is such a window. There,
// without robustness weights, the weights are symmetric about x, so the
// local line's slope term vanishes and the fit is the kernel-weighted mean
// whatever the degree (the Fortran code computes a slope term that is zero up
// to rounding). w is scratch space of length len(y); only w[left..right] is
// written.
func loessAt(y []float64, window, degree int, x float64, left, right int, w, rw []float64, k kernel) (fit float64, ok bool) {
	n := len(y)
	h := math.Max(x-float64(left), float64(right)-x)
	if window > n {
		h += float64((window - n) / 2)
	}
	ws := w[left : right+1]
	sum := 0.0
	centred := len(k.weights) == len(ws) && x-float64(left) == float64(right)-x && window <= n
	if centred && rw == nil {
		for j, v := range y[left : right+1] {
			fit += k.normalised[j] * v
		}
		return fit, true
	}
	if centred {
		copy(ws, k.weights)
		if rw != nil {
			for j, r := range rw[left : right+1] {
				ws[j] *= r
			}
		}
		for _, v := range ws {
			sum += v
		}
	} else {
		hFar, hNear := 0.999*h, 0.001*h
		for j := range ws {
			ws[j] = tricube(math.Abs(float64(left+j)-x), h, hNear, hFar)
			if rw != nil {
				ws[j] *= rw[left+j]
			}
			sum += ws[j]
		}
	}
	if sum <= 0 {
		return 0, false
	}
	ys := y[left : right+1]
	if h <= 0 || degree == 0 {
		for j := range ws {
			ws[j] /= sum
			fit += ws[j] * ys[j]
		}
		return fit, true
	}
	mean := 0.0
	for j := range ws {
		ws[j] /= sum
		mean += ws[j] * float64(left+j)
	}
	spread := 0.0
	for j, v := range ws {
		d := float64(left+j) - mean
		spread += v * d * d
	}
	if math.Sqrt(spread) > 0.001*float64(n-1) {
		b := (x - mean) / spread
		for j := range ws {
			ws[j] *= b*(float64(left+j)-mean) + 1
			fit += ws[j] * ys[j]
		}
		return fit, true
	}
	for j, v := range ws {
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

// kernel holds the tricube weights of a window of odd length centred on its
// middle point, as loessAt computes them, and the same divided by their sum.
type kernel struct {
	weights, normalised []float64
}

// centredKernel fills a kernel for the window from buf (of length at least
// 2·window).
func centredKernel(window int, buf []float64) kernel {
	k := kernel{weights: buf[:window], normalised: buf[window : 2*window]}
	h := float64(window-1) / 2
	sum := 0.0
	for j := range k.weights {
		k.weights[j] = tricube(math.Abs(float64(j)-h), h, 0.001*h, 0.999*h)
		sum += k.weights[j]
	}
	for j, v := range k.weights {
		k.normalised[j] = v / sum
	}
	return k
}

// smooth writes to ys the loess smooth of y with the given window and degree,
// as the Fortran routine stless: the fit is computed at every jump-th point
// (and at the last one) and linearly interpolated in between. A point whose
// fit fails (all weights zero) keeps its own value. rw, when not nil, holds
// robustness weights; w is scratch space of length len(y).
//
// kernelBuf is scratch space of length at least 2·min(window, len(y)) for
// the weights of the interior windows, which all share one tricube kernel.
func smooth(y []float64, window, degree, jump int, rw, ys, w, kernelBuf []float64) {
	n := len(y)
	if n < 2 {
		ys[0] = y[0]
		return
	}
	jump = min(jump, n-1)
	var k kernel
	if window < n {
		k = centredKernel(window, kernelBuf)
	}
	fitAt := func(i, left, right int) {
		v, ok := loessAt(y, window, degree, float64(i), left, right, w, rw, k)
		if !ok {
			v = y[i]
		}
		ys[i] = v
	}
	var left, right int
	switch {
	case window >= n:
		left, right = 0, n-1
		for i := 0; i < n; i += jump {
			fitAt(i, left, right)
		}
	case jump == 1:
		half := (window + 1) / 2
		left, right = 0, window-1
		for i := range n {
			if i+1 > half && right != n-1 {
				left++
				right++
			}
			fitAt(i, left, right)
		}
	default:
		half := (window + 1) / 2
		for i := 0; i < n; i += jump {
			switch {
			case i+1 < half:
				left, right = 0, window-1
			case i+1 >= n-half+1:
				left, right = n-window, n-1
			default:
				left, right = i+1-half, i+window-half
			}
			fitAt(i, left, right)
		}
	}
	if jump == 1 {
		return
	}
	for i := 0; i+jump < n; i += jump {
		interpolate(ys, i, i+jump)
	}
	last := ((n - 1) / jump) * jump
	if last != n-1 {
		// The Fortran code reuses the neighbourhood of the last fitted point.
		fitAt(n-1, left, right)
		interpolate(ys, last, n-1)
	}
}

// interpolate fills ys[a+1..b−1] on the straight line from ys[a] to ys[b].
func interpolate(ys []float64, a, b int) {
	delta := (ys[b] - ys[a]) / float64(b-a)
	for j := a + 1; j < b; j++ {
		ys[j] = ys[a] + delta*float64(j-a)
	}
}
