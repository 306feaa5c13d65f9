package arima

import (
	"math"
	"sync"
)

// problem holds one fit's data and scratch space; its objective functions are what the
// optimiser sees. It is used by one goroutine, and recycled (newProblem, release).
type problem struct {
	lay   layout
	y     []float64   // the series (the design's copy, read-only)
	xreg  [][]float64 // regression columns, possibly rotated
	fixed []float64   // full coefficient vector with NaN for free ones
	free  []int       // indices of the free coefficients
	trans bool        // optimise AR parts through the PACF transform
	kappa float64
	ncond int

	ss   *stateSpace
	pn   []float64
	st   filterState
	work *filterWork

	// exact selects the exactly diffuse likelihood for the optimiser: with no missing values
	// it is the likelihood of the differenced series under the ARMA model, the limit of R's
	// large-κ likelihood, evaluated on the smaller state space arma (r states, not r + d).
	exact      bool
	arma       *stateSpace
	armaPn     []float64
	chandra    *chandrasekharWork
	diffed     []float64
	diffedDone bool

	cssW, cssResid, cssThetaRev []float64 // scratch of css
	cssWDone                    bool      // cssW holds the differenced series (no regressors)
	thetaIdx                    []int

	par, adj      []float64
	arBuf, sarBuf []float64

	opt optimizer // the optimiser, whose arrays its minimisations reuse
}

// problems recycles the problems of finished fits: a new problem reuses the arrays of an old
// one where they are large enough, so that the fits of a search, which differ little in size,
// and repeated fits of similar series do not allocate them anew.
var problems = sync.Pool{New: func() any { return new(problem) }}

// newProblem returns the problem of fitting the layout to y with the regressors xreg and the
// coefficients fixed (NaN for the free ones); release gives it back when the fit is done.
func newProblem(y []float64, lay layout, xreg [][]float64, fixed []float64, kappa float64) *problem {
	pr := problems.Get().(*problem)
	old := *pr
	if old.arma == old.ss { // without differencing the two are one
		old.arma = nil
	}
	delta := differencingPolynomial(lay.d, lay.sd, lay.m)
	ss := old.ss.reuse(lay.fullP(), lay.fullQ(), delta)
	*pr = problem{
		lay: lay, y: y, xreg: xreg, fixed: fixed, kappa: kappa,
		free:        old.free[:0],
		ss:          ss,
		pn:          zeroed(old.pn, ss.rd*ss.rd),
		st:          filterState{a: zeroed(old.st.a, ss.rd), p: zeroed(old.st.p, ss.rd*ss.rd)},
		work:        old.work.reuse(ss.rd),
		chandra:     old.chandra.reuse(ss.r),
		cssW:        old.cssW[:0],
		cssResid:    old.cssResid[:0],
		cssThetaRev: old.cssThetaRev[:0],
		thetaIdx:    old.thetaIdx[:0],
		par:         zeroed(old.par, lay.ncoef()),
		adj:         zeroed(old.adj, len(y)),
		arBuf:       zeroed(old.arBuf, lay.p),
		sarBuf:      zeroed(old.sarBuf, lay.sp),
		opt:         old.opt,
	}
	for i, v := range fixed {
		if math.IsNaN(v) {
			pr.free = append(pr.free, i)
		}
	}
	if ss.d == 0 {
		pr.arma = ss
		pr.armaPn = pr.pn
	} else {
		// The ARMA part alone: the same polynomials, its own scratch.
		a := old.arma
		if a == nil {
			a = new(stateSpace)
		}
		*a = stateSpace{phi: ss.phi, theta: ss.theta, r: ss.r, rd: ss.r, buf: a.buf, buf2: a.buf2, phiDense: a.phiDense}
		pr.arma = a
		pr.armaPn = zeroed(old.armaPn, a.rd*a.rd)
		pr.diffed = zeroed(old.diffed, len(y)-ss.d)
	}
	return pr
}

// release gives the problem back for a later fit to reuse. Nothing of it may be used
// afterwards: what a Model keeps of a fit is copied.
func (pr *problem) release() {
	// Not to keep the caller's data and the fit alive.
	pr.y, pr.xreg, pr.fixed = nil, nil, nil
	pr.opt.f, pr.opt.parscale = nil, nil
	problems.Put(pr)
}

// zeroed returns buf resized to n zeros, in its own array when that is large enough.
func zeroed[T any](buf []T, n int) []T {
	if cap(buf) < n {
		return make([]T, n)
	}
	buf = buf[:n]
	clear(buf)
	return buf
}

// fill returns the full coefficient vector with the free ones set from x.
func (pr *problem) fill(x []float64) []float64 {
	copy(pr.par, pr.fixed)
	for i, j := range pr.free {
		pr.par[j] = x[i]
	}
	return pr.par
}

// setARMA expands par's ARMA coefficients into the state space, mapping the AR blocks through
// the PACF transform when trans is set (R's ARIMA_transPars).
func (pr *problem) setARMA(par []float64, trans bool) {
	l := pr.lay
	ar := par[:l.p]
	ma := par[l.p : l.p+l.q]
	sar := par[l.p+l.q : l.p+l.q+l.sp]
	sma := par[l.p+l.q+l.sp : l.narma()]
	if trans {
		pacfToAR(pr.arBuf, ar)
		pacfToAR(pr.sarBuf, sar)
		ar, sar = pr.arBuf, pr.sarBuf
	}
	expandARMA(pr.ss.phi, pr.ss.theta, ar, ma, sar, sma, l.m)
	pr.ss.refreshIndex()
}

// adjusted writes y − Xβ to pr.adj and returns it; without regressors it returns y itself,
// which every caller only reads.
func (pr *problem) adjusted(par []float64) []float64 {
	return pr.adjustedTo(pr.adj, par)
}

// adjustedTo writes y − Xβ to dst (of length n) and returns it, subtracting the columns' terms
// βⱼxⱼ in their order; without regressors it returns y itself.
func (pr *problem) adjustedTo(dst, par []float64) []float64 {
	if len(pr.xreg) == 0 {
		return pr.y
	}
	beta := par[pr.lay.narma():]
	if len(pr.xreg) == 1 { // the usual mean or drift alone: one pass
		b, col := beta[0], pr.xreg[0]
		dst, col = dst[:len(pr.y)], col[:len(pr.y)]
		for t, v := range pr.y {
			dst[t] = v - b*col[t]
		}
		return dst
	}
	copy(dst, pr.y)
	for j, col := range pr.xreg {
		b := beta[j]
		col = col[:len(dst)]
		for t, v := range col {
			dst[t] -= b * v
		}
	}
	return dst
}

// mlObjective is R's armafn: ½ (log(S/ν) + Σ log F_t / ν), the negative concentrated Gaussian
// log-likelihood per counted observation up to a constant.
func (pr *problem) mlObjective(x []float64) float64 {
	par := pr.fill(x)
	pr.setARMA(par, pr.trans)
	var sums filterSums
	if pr.exact {
		pr.arma.phiIdx = pr.ss.phiIdx
		if err := pr.arma.initialCovariance(pr.armaPn, 0); err != nil {
			return math.Inf(1)
		}
		sums = pr.arma.chandrasekhar(pr.differenced(par), pr.armaPn, pr.chandra)
	} else {
		if err := pr.ss.initialCovariance(pr.pn, pr.kappa); err != nil {
			return math.Inf(1)
		}
		sums = pr.runFilter(pr.adjusted(par), nil)
	}
	return mlValue(sums)
}

// mlValue is mlObjective from the filter's sums: ½ (log(S/ν) + Σ log F_t / ν), +Inf when no
// observation was counted.
func mlValue(sums filterSums) float64 {
	if sums.nu == 0 {
		return math.Inf(1)
	}
	s2 := sums.ssq / float64(sums.nu)
	return 0.5 * (math.Log(s2) + sums.sumlog/float64(sums.nu))
}

// differenced returns the regression-adjusted series differenced by δ; without regressors it
// is computed once.
func (pr *problem) differenced(par []float64) []float64 {
	d := pr.ss.delta
	if len(d) == 0 {
		return pr.adjusted(par)
	}
	if pr.diffedDone && len(pr.xreg) == 0 {
		return pr.diffed
	}
	if len(d) == 1 && d[0] == 1 && len(pr.xreg) == 1 { // a drift alone, the usual case
		pr.adjustedDiff(pr.diffed, par)
		return pr.diffed
	}
	x := pr.adjusted(par)
	if len(d) == 1 && d[0] == 1 { // one first difference: x_{t+1} − x_t
		for t, v := range x[1 : len(pr.diffed)+1] {
			pr.diffed[t] = v - x[t]
		}
	} else {
		for t := range pr.diffed {
			v := x[t+len(d)]
			for _, k := range pr.ss.deltaIdx {
				v -= d[k] * x[t+len(d)-k-1]
			}
			pr.diffed[t] = v
		}
	}
	pr.diffedDone = true
	return pr.diffed
}

// adjustedDiff writes the first differences x_{t+1} − x_t of the adjusted series
// x_t = y_t − β c_t of a problem with one regressor c to dst (length n − 1), in one pass with
// the values formed as adjustedTo forms them, and returns x_0.
func (pr *problem) adjustedDiff(dst, par []float64) float64 {
	b, y, col := par[pr.lay.narma()], pr.y, pr.xreg[0]
	x0 := y[0] - b*col[0]
	prev := x0
	next := col[1 : len(dst)+1]
	for t, v := range y[1 : len(dst)+1] {
		cur := v - b*next[t]
		dst[t] = cur - prev
		prev = cur
	}
	return x0
}

// runFilter filters x from the initial state (after initialCovariance).
func (pr *problem) runFilter(x []float64, resid []float64) filterSums {
	clear(pr.st.a)
	pr.st.start = true
	return pr.ss.filter(x, &pr.st, pr.pn, pr.work, resid)
}

// cssObjective is R's armaCSS: ½ log(Σ e_t² / ν) over the conditional residuals.
func (pr *problem) cssObjective(x []float64) float64 {
	par := pr.fill(x)
	pr.setARMA(par, false)
	ssq, nu := pr.css(par, nil)
	if nu == 0 {
		return math.Inf(1)
	}
	return 0.5 * math.Log(ssq/float64(nu))
}

// css computes the conditional sum of squares of R's ARIMA_CSS at the coefficients par (with
// the ARMA part already in pr.ss): the regression-adjusted series is differenced, the first
// ncond residuals are taken as zero, and e_t = w_t − Σ φ_j w_{t−j} − Σ θ_j e_{t−j}. Residuals
// that are NaN (from missing values) are not counted.
func (pr *problem) css(par []float64, resid []float64) (float64, int) {
	n := len(pr.y)
	if len(pr.cssW) != n {
		pr.cssW = zeroed(pr.cssW, n)
		pr.cssResid = zeroed(pr.cssResid, n)
	}
	w := pr.cssW
	switch {
	case pr.cssWDone && len(pr.xreg) == 0:
		// Without regressors the series' differences are computed once.
	case len(pr.xreg) == 1 && pr.lay.d == 1 && pr.lay.sd == 0: // a drift alone, the usual case
		w[0] = pr.adjustedDiff(w[1:], par)
	default:
		if len(pr.xreg) > 0 {
			pr.adjustedTo(w, par)
		} else {
			copy(w, pr.y)
		}
		for range pr.lay.d {
			for t := n - 1; t > 0; t-- {
				w[t] -= w[t-1]
			}
		}
		m := pr.lay.m
		for range pr.lay.sd {
			for t := n - 1; t >= m; t-- {
				w[t] -= w[t-m]
			}
		}
		pr.cssWDone = true
	}
	if resid == nil {
		resid = pr.cssResid
	}
	phi, theta := pr.ss.phi, pr.ss.theta
	ncond := pr.ncond
	for t := range min(ncond, n) {
		resid[t] = 0
	}
	// The AR part u_t = w_t − Σ φ_j w_{t−j} has no recursion; the MA part
	// e_t = u_t − Σ θ_j e_{t−j} (over the residuals since ncond) is the only serial chain.
	e := resid[ncond:n]
	if len(phi) == 1 && len(theta) == 1 && ncond < n {
		// ARMA(1, 1), the commonest model: u_t is formed in the MA recursion's pass, where it
		// does not wait on the chain.
		ph, th, e1 := phi[0], theta[0], 0.0
		prev := w[ncond-1 : n-1]
		for t, v := range w[ncond:n] {
			u := v - ph*prev[t]
			e1 = math.FMA(-th, e1, u)
			e[t] = e1
		}
	} else {
		pr.cssAR(resid, w)
		pr.cssMA(e)
	}
	return sumSquares(e)
}

// cssAR writes the AR part u_t = w_t − Σ φ_j w_{t−j} of the conditional residuals to u[t] for
// t ≥ ncond.
func (pr *problem) cssAR(u, w []float64) {
	n, ncond := len(w), pr.ncond
	phi, p := pr.ss.phi, len(pr.ss.phi)
	switch {
	case ncond >= n:
	case p == 0:
		copy(u[ncond:n], w[ncond:n])
	case p == 1:
		ph, u, prev := phi[0], u[ncond:n], w[ncond-1:n-1]
		for t, v := range w[ncond:n] {
			u[t] = v - ph*prev[t]
		}
	case p == 2:
		ph1, ph2, u := phi[0], phi[1], u[ncond:n]
		prev1, prev2 := w[ncond-1:n-1], w[ncond-2:n-2]
		for t, v := range w[ncond:n] {
			u[t] = v - ph1*prev1[t] - ph2*prev2[t]
		}
	default:
		// One pass per non-zero coefficient: each is independent of the others and streams.
		u := u[ncond:n]
		copy(u, w[ncond:n])
		for _, j := range pr.ss.phiIdx {
			c, prev := phi[j], w[ncond-j-1:n-j-1]
			for t := range u {
				u[t] -= c * prev[t]
			}
		}
	}
}

// cssMA runs the MA recursion e_t = u_t − Σ θ_j e_{t−j} in place over e, which holds u on
// entry, with the residuals before e taken as zero.
func (pr *problem) cssMA(e []float64) {
	theta, q := pr.ss.theta, len(pr.ss.theta)
	switch {
	case q == 0:
	case q == 1:
		th, e1 := theta[0], 0.0
		for t, u := range e {
			v := math.FMA(-th, e1, u)
			e[t], e1 = v, v
		}
	case q == 2:
		th1, th2, e1, e2 := theta[0], theta[1], 0.0, 0.0
		for t, u := range e {
			v := math.FMA(-th1, e1, u-th2*e2)
			e[t], e1, e2 = v, v, e1
		}
	case q == 3:
		th1, th2, th3, e1, e2, e3 := theta[0], theta[1], theta[2], 0.0, 0.0, 0.0
		for t, u := range e {
			v := math.FMA(-th1, e1, u-th2*e2-th3*e3)
			e[t], e1, e2, e3 = v, v, e1, e2
		}
	case q == 4:
		th1, th2, th3, th4 := theta[0], theta[1], theta[2], theta[3]
		e1, e2, e3, e4 := 0.0, 0.0, 0.0, 0.0
		for t, u := range e {
			v := math.FMA(-th1, e1, u-th2*e2-th3*e3-th4*e4)
			e[t], e1, e2, e3, e4 = v, v, e1, e2, e3
		}
	case q == 5:
		th1, th2, th3, th4, th5 := theta[0], theta[1], theta[2], theta[3], theta[4]
		e1, e2, e3, e4, e5 := 0.0, 0.0, 0.0, 0.0, 0.0
		for t, u := range e {
			v := math.FMA(-th1, e1, u-th2*e2-th3*e3-th4*e4-th5*e5)
			e[t], e1, e2, e3, e4, e5 = v, v, e1, e2, e3, e4
		}
	default:
		thIdx := pr.thetaIdx[:0]
		for j, v := range theta {
			if v != 0 {
				thIdx = append(thIdx, j)
			}
		}
		pr.thetaIdx = thIdx
		head := min(q, len(e))
		for t := range head { // fewer than q earlier residuals
			v := e[t]
			for _, j := range thIdx {
				if j >= t {
					break
				}
				v -= theta[j] * e[t-j-1]
			}
			e[t] = v
		}
		if len(thIdx)*4 < q { // sparse, as a seasonal MA polynomial
			for t := head; t < len(e); t++ {
				v := e[t]
				for _, j := range thIdx {
					v -= theta[j] * e[t-j-1]
				}
				e[t] = v
			}
			break
		}
		if cap(pr.cssThetaRev) < q {
			pr.cssThetaRev = make([]float64, q)
		}
		thRev := pr.cssThetaRev[:q]
		for j, v := range theta {
			thRev[q-1-j] = v
		}
		// Only the newest residual's term waits on the previous step: the older ones are
		// summed first.
		older, th1 := thRev[:q-1], theta[0]
		for t := head; t < len(e); t++ {
			v := e[t]
			win := e[t-q : t-1]
			for j, c := range older {
				v -= c * win[j]
			}
			e[t] = math.FMA(-th1, e[t-1], v)
		}
	}
}

// sumSquares returns the sum of squares of the numbers in e and how many there are (NaNs are
// left out), with four accumulators so that the additions do not wait on each other.
func sumSquares(e []float64) (float64, int) {
	var s0, s1, s2, s3 float64
	nu := 0
	i := 0
	for ; i+4 <= len(e); i += 4 {
		a, b, c, d := e[i], e[i+1], e[i+2], e[i+3]
		if a != a || b != b || c != c || d != d { // a NaN among them
			break
		}
		s0 += a * a
		s1 += b * b
		s2 += c * c
		s3 += d * d
		nu += 4
	}
	for ; i < len(e); i++ {
		if v := e[i]; v == v {
			s0 += v * v
			nu++
		}
	}
	return (s0 + s1) + (s2 + s3), nu
}
