package arima

import (
	"math"
)

// problem holds one fit's data and scratch space; its objective functions are what the
// optimiser sees. It is used by one goroutine.
type problem struct {
	lay   layout
	y     []float64   // the series, copied
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
}

func newProblem(y []float64, lay layout, xreg [][]float64, fixed []float64, kappa float64) *problem {
	delta := differencingPolynomial(lay.d, lay.sd, lay.m)
	ss := newStateSpace(lay.fullP(), lay.fullQ(), delta)
	pr := &problem{
		lay: lay, y: y, xreg: xreg, fixed: fixed, kappa: kappa,
		ss:     ss,
		pn:     make([]float64, ss.rd*ss.rd),
		st:     filterState{a: make([]float64, ss.rd), p: make([]float64, ss.rd*ss.rd)},
		work:   newFilterWork(ss.rd),
		par:    make([]float64, lay.ncoef()),
		adj:    make([]float64, len(y)),
		arBuf:  make([]float64, lay.p),
		sarBuf: make([]float64, lay.sp),
	}
	for i, v := range fixed {
		if math.IsNaN(v) {
			pr.free = append(pr.free, i)
		}
	}
	pr.chandra = newChandrasekharWork(ss.r)
	if ss.d == 0 {
		pr.arma = ss
		pr.armaPn = pr.pn
	} else {
		a := newStateSpace(0, 0, nil)
		a.phi, a.theta, a.r, a.rd = ss.phi, ss.theta, ss.r, ss.r
		pr.arma = a
		pr.armaPn = make([]float64, a.rd*a.rd)
		pr.diffed = make([]float64, len(y)-ss.d)
	}
	return pr
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

// adjusted writes y − Xβ to pr.adj and returns it.
func (pr *problem) adjusted(par []float64) []float64 {
	if len(pr.xreg) == 0 {
		return pr.y // read-only for every caller
	}
	copy(pr.adj, pr.y)
	beta := par[pr.lay.narma():]
	for j, col := range pr.xreg {
		b := beta[j]
		for t, v := range col {
			pr.adj[t] -= b * v
		}
	}
	return pr.adj
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
	if sums.nu == 0 {
		return math.Inf(1)
	}
	s2 := sums.ssq / float64(sums.nu)
	return 0.5 * (math.Log(s2) + sums.sumlog/float64(sums.nu))
}

// differenced returns the regression-adjusted series differenced by δ; without regressors it
// is computed once.
func (pr *problem) differenced(par []float64) []float64 {
	x := pr.adjusted(par)
	d := pr.ss.delta
	if len(d) == 0 {
		return x
	}
	if pr.diffedDone && len(pr.xreg) == 0 {
		return pr.diffed
	}
	for t := range pr.diffed {
		v := x[t+len(d)]
		for _, k := range pr.ss.deltaIdx {
			v -= d[k] * x[t+len(d)-k-1]
		}
		pr.diffed[t] = v
	}
	pr.diffedDone = true
	return pr.diffed
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
	ssq, nu := pr.css(pr.adjusted(par), nil)
	if nu == 0 {
		return math.Inf(1)
	}
	return 0.5 * math.Log(ssq/float64(nu))
}

// css computes the conditional sum of squares of R's ARIMA_CSS: the series is differenced, the
// first ncond residuals are taken as zero, and e_t = w_t − Σ φ_j w_{t−j} − Σ θ_j e_{t−j}.
// Residuals that are NaN (from missing values) are not counted.
func (pr *problem) css(x []float64, resid []float64) (float64, int) {
	n := len(x)
	if len(pr.cssW) != n {
		pr.cssW = make([]float64, n)
		pr.cssResid = make([]float64, n)
	}
	w := pr.cssW
	if !pr.cssWDone || len(pr.xreg) > 0 {
		copy(w, x)
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
		// Without regressors x is always the series: its differences are computed once.
		pr.cssWDone = true
	}
	if resid == nil {
		resid = pr.cssResid
	}
	phi, theta := pr.ss.phi, pr.ss.theta
	ssq, nu := 0.0, 0
	ncond := pr.ncond
	for t := range min(ncond, n) {
		resid[t] = 0
	}
	// Two passes: the AR part u_t = w_t − Σ φ_j w_{t−j} has no recursion; the MA part
	// e_t = u_t − Σ θ_j e_{t−j} (over the residuals since ncond) is the only serial chain.
	p, q := len(phi), len(theta)
	switch {
	case ncond >= n:
	case p == 0:
		copy(resid[ncond:n], w[ncond:n])
	case p == 1:
		ph, u, prev := phi[0], resid[ncond:n], w[ncond-1:n-1]
		for t, v := range w[ncond:n] {
			u[t] = v - ph*prev[t]
		}
	case p == 2:
		ph1, ph2, u := phi[0], phi[1], resid[ncond:n]
		prev1, prev2 := w[ncond-1:n-1], w[ncond-2:n-2]
		for t, v := range w[ncond:n] {
			u[t] = v - ph1*prev1[t] - ph2*prev2[t]
		}
	default:
		// One pass per non-zero coefficient: each is independent of the others and streams.
		u := resid[ncond:n]
		copy(u, w[ncond:n])
		for _, j := range pr.ss.phiIdx {
			c, prev := phi[j], w[ncond-j-1:n-j-1]
			for t := range u {
				u[t] -= c * prev[t]
			}
		}
	}
	e := resid[ncond:n]
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
	ssq, nu = sumSquares(e)
	return ssq, nu
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
