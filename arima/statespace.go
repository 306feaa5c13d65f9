package arima

import (
	"errors"
	"math"
)

// stateSpace is the state-space form of an ARIMA model used by R's stats::arima (Harvey 1989,
// §3.4; Durbin & Koopman 2012, §3.4). The state has rd = r + d elements: the first
// r = max(p, q+1) follow the ARMA part in Harvey's form, and the last d hold the previous d
// undifferenced observations, so that
//
//	y_t = Z a_t,  Z = (1, 0, …, 0, δ1, …, δd),
//	a_{t+1} = T a_t + R e_{t+1},  R = (1, θ1, …, θ_{r−1}, 0, …, 0)ᵀ,
//
// where δ are the coefficients of the differencing polynomial (1 − B)^d (1 − B^m)^D. Variances
// are in units of σ²: the innovation variance is concentrated out of the likelihood.
type stateSpace struct {
	phi, theta, delta []float64 // expanded AR (length p), MA (length q) and differencing (length d)
	r, d, rd          int
	phiIdx, deltaIdx  []int // indices of the non-zero phi and delta

	buf, buf2 []float64 // scratch of initialCovariance
	phiDense  []float64 // scratch of densePhi
}

// densePhi returns φ padded with zeros to length r.
func (s *stateSpace) densePhi() []float64 {
	if cap(s.phiDense) < s.r {
		s.phiDense = make([]float64, s.r)
	}
	s.phiDense = s.phiDense[:s.r]
	clear(s.phiDense)
	copy(s.phiDense, s.phi)
	return s.phiDense
}

func (s *stateSpace) scratch(n int) []float64 {
	if cap(s.buf) < n {
		s.buf = make([]float64, n)
	}
	return s.buf[:n]
}

func (s *stateSpace) scratch2(n int) []float64 {
	if cap(s.buf2) < n {
		s.buf2 = make([]float64, n)
	}
	return s.buf2[:n]
}

// solveAugmented solves the k × k system held with its right-hand side as a k × (k+1)
// row-major augmented matrix, by Gaussian elimination with partial pivoting; the solution
// replaces the last column. It reports false for a (numerically) singular system.
func solveAugmented(a []float64, k int) bool {
	w := k + 1
	for c := range k {
		piv := c
		for r := c + 1; r < k; r++ {
			if math.Abs(a[r*w+c]) > math.Abs(a[piv*w+c]) {
				piv = r
			}
		}
		if !(math.Abs(a[piv*w+c]) > 1e-300) {
			return false
		}
		if piv != c {
			for j := range w {
				a[c*w+j], a[piv*w+j] = a[piv*w+j], a[c*w+j]
			}
		}
		inv := 1 / a[c*w+c]
		for r := c + 1; r < k; r++ {
			f := a[r*w+c] * inv
			if f == 0 {
				continue
			}
			for j := c; j < w; j++ {
				a[r*w+j] -= f * a[c*w+j]
			}
		}
	}
	for r := k - 1; r >= 0; r-- {
		v := a[r*w+k]
		for j := r + 1; j < k; j++ {
			v -= a[r*w+j] * a[j*w+k]
		}
		a[r*w+k] = v / a[r*w+r]
		if math.IsNaN(a[r*w+k]) || math.IsInf(a[r*w+k], 0) {
			return false
		}
	}
	return true
}

// newStateSpace sizes a state space for expanded polynomials of the given lengths.
func newStateSpace(p, q int, delta []float64) *stateSpace {
	return (*stateSpace)(nil).reuse(p, q, delta)
}

// reuse sizes s, or a new state space when s is nil, for expanded polynomials of the given
// lengths (coefficients zero), keeping its arrays where they are large enough, and returns it.
func (s *stateSpace) reuse(p, q int, delta []float64) *stateSpace {
	if s == nil {
		s = new(stateSpace)
	}
	r := stateDim(p, q)
	*s = stateSpace{
		phi:      zeroed(s.phi, p),
		theta:    zeroed(s.theta, q),
		delta:    delta,
		r:        r,
		d:        len(delta),
		rd:       r + len(delta),
		phiIdx:   s.phiIdx[:0],
		deltaIdx: s.deltaIdx[:0],
		buf:      s.buf, buf2: s.buf2, phiDense: s.phiDense, // scratch
	}
	for i, v := range delta {
		if v != 0 {
			s.deltaIdx = append(s.deltaIdx, i)
		}
	}
	return s
}

// forget drops s's references to a model's polynomials, so that reusing s cannot write to
// them.
func (s *stateSpace) forget() { s.phi, s.theta, s.delta = nil, nil, nil }

// stateDim returns the number r = max(p, q+1) of ARMA states for expanded polynomials of
// lengths p and q.
func stateDim(p, q int) int { return max(p, q+1) }

// refreshIndex records the non-zero positions of the expanded AR coefficients in s.phi.
func (s *stateSpace) refreshIndex() {
	s.phiIdx = s.phiIdx[:0]
	for i, v := range s.phi {
		if v != 0 {
			s.phiIdx = append(s.phiIdx, i)
		}
	}
}

// rcoef returns element i of R (1, θ1, θ2, …), zero past θq.
func (s *stateSpace) rcoef(i int) float64 {
	if i == 0 {
		return 1
	}
	if i-1 < len(s.theta) {
		return s.theta[i-1]
	}
	return 0
}

var errNonStationary = errors.New("arima: AR part is not stationary")

// initialCovariance writes the covariance of the initial state to pn (rd × rd, row-major): the
// stationary covariance Q0 of the ARMA block, solving Q0 = T Q0 Tᵀ + R Rᵀ exactly, and kappa on
// the diagonal of the differencing block (R's makeARIMA).
//
// Q0 is built from the autocovariances γ(h) and the MA(∞) weights ψ of the ARMA process: the
// first row is Cov(y_t, a_t[j]) = Σ_{k≥j} φ_{k+1} γ(k−j+1) + θ_k ψ_{k−j}, and the others follow
// from the Lyapunov equation read element-wise,
// P[i][j] = φ_i φ_j P[0][0] + φ_i P[0][j+1] + φ_j P[i+1][0] + P[i+1][j+1] + R_i R_j,
// filled from the bottom-right corner. The cost is O(p³ + r²).
func (s *stateSpace) initialCovariance(pn []float64, kappa float64) error {
	r, rd := s.r, s.rd
	clear(pn)
	p, q := len(s.phi), len(s.theta)
	// ψ weights up to lag r.
	buf := s.scratch2(2 * (r + 1))
	psi := buf[:r+1]
	for j := 0; j <= r; j++ {
		v := 0.0
		if j == 0 {
			v = 1
		} else if j <= q {
			v = s.theta[j-1]
		}
		for k := 1; k <= min(j, p); k++ {
			v += s.phi[k-1] * psi[j-k]
		}
		psi[j] = v
	}
	// Autocovariances γ(0..r).
	gamma := buf[r+1:]
	maTerm := func(h int) float64 { // Σ_{j=h}^{q} θ_j ψ_{j−h}, θ0 = 1
		v := 0.0
		for j := h; j <= q; j++ {
			th := 1.0
			if j > 0 {
				th = s.theta[j-1]
			}
			v += th * psi[j-h]
		}
		return v
	}
	if p > 0 {
		// Solve the (p+1) × (p+1) Yule–Walker-type system for γ(0..p).
		k := p + 1
		sys := s.scratch(k * (k + 1))
		clear(sys)
		for h := 0; h <= p; h++ {
			row := sys[h*(k+1) : (h+1)*(k+1)]
			row[h]++
			for j := 1; j <= p; j++ {
				lag := h - j
				if lag < 0 {
					lag = -lag
				}
				row[lag] -= s.phi[j-1]
			}
			row[k] = maTerm(h)
		}
		if !solveAugmented(sys, k) {
			return errNonStationary
		}
		for h := 0; h <= min(p, r); h++ {
			gamma[h] = sys[h*(k+1)+k]
		}
		for h := p + 1; h <= r; h++ {
			v := maTerm(h)
			for j := 1; j <= p; j++ {
				v += s.phi[j-1] * gamma[h-j]
			}
			gamma[h] = v
		}
	} else {
		for h := 0; h <= r; h++ {
			gamma[h] = maTerm(h)
		}
	}
	if !(gamma[0] > 0) || math.IsInf(gamma[0], 0) {
		return errNonStationary
	}
	phiAt := func(i int) float64 {
		if i < p {
			return s.phi[i]
		}
		return 0
	}
	// First row.
	pn[0] = gamma[0]
	for j := 1; j < r; j++ {
		v := 0.0
		for k := j; k < r; k++ {
			v += phiAt(k)*gamma[k-j+1] + s.rcoef(k)*psi[k-j]
		}
		pn[j] = v
		pn[j*rd] = v
	}
	at := func(i, j int) float64 {
		if i >= r || j >= r {
			return 0
		}
		return pn[i*rd+j]
	}
	for i := r - 1; i >= 1; i-- {
		for j := r - 1; j >= i; j-- {
			v := phiAt(i)*phiAt(j)*pn[0] + phiAt(i)*at(0, j+1) + phiAt(j)*at(i+1, 0) + at(i+1, j+1) + s.rcoef(i)*s.rcoef(j)
			pn[i*rd+j] = v
			pn[j*rd+i] = v
		}
	}
	for i := r; i < rd; i++ {
		pn[i*rd+i] = kappa
	}
	return nil
}

// transition writes T·x to dst for a state vector x (dst and x must differ).
func (s *stateSpace) transition(dst, x []float64) {
	r := s.r
	a0 := x[0]
	for i := 0; i < r-1; i++ {
		dst[i] = x[i+1]
	}
	dst[r-1] = 0
	for _, i := range s.phiIdx {
		dst[i] += s.phi[i] * a0
	}
	if s.d > 0 {
		v := a0
		for _, k := range s.deltaIdx {
			v += s.delta[k] * x[r+k]
		}
		for i := s.rd - 1; i > r; i-- {
			dst[i] = x[i-1]
		}
		dst[r] = v
	}
}

// observe returns Z·x.
func (s *stateSpace) observe(x []float64) float64 {
	v := x[0]
	for _, k := range s.deltaIdx {
		v += s.delta[k] * x[s.r+k]
	}
	return v
}

// predictCovariance writes T P Tᵀ + R Rᵀ to pnew, using mm as rd × rd scratch.
func (s *stateSpace) predictCovariance(pnew, p, mm []float64) {
	rd := s.rd
	// mm = T P, row by row: row i of T P is T applied to column j for every j.
	for j := range rd {
		s.transitionColumn(mm, p, j)
	}
	// pnew = (T mm')' = mm Tᵀ; since T P Tᵀ is symmetric, pnew = T (T P)ᵀ.
	// Apply T to each column of mmᵀ, i.e. to each row of mm.
	for j := range rd {
		s.transitionRow(pnew, mm, j)
	}
	q := len(s.theta)
	for i := 0; i <= q && i < s.r; i++ {
		ri := s.rcoef(i)
		for j := 0; j <= q && j < s.r; j++ {
			pnew[i*rd+j] += ri * s.rcoef(j)
		}
	}
}

// transitionColumn writes column j of T·src into column j of dst (both rd × rd row-major).
func (s *stateSpace) transitionColumn(dst, src []float64, j int) {
	rd, r := s.rd, s.r
	a0 := src[j]
	for i := 0; i < r-1; i++ {
		dst[i*rd+j] = src[(i+1)*rd+j]
	}
	dst[(r-1)*rd+j] = 0
	for _, i := range s.phiIdx {
		dst[i*rd+j] += s.phi[i] * a0
	}
	if s.d > 0 {
		v := a0
		for _, k := range s.deltaIdx {
			v += s.delta[k] * src[(r+k)*rd+j]
		}
		for i := rd - 1; i > r; i-- {
			dst[i*rd+j] = src[(i-1)*rd+j]
		}
		dst[r*rd+j] = v
	}
}

// transitionRow writes T applied to row j of src (as a column vector) into column j of dst.
func (s *stateSpace) transitionRow(dst, src []float64, j int) {
	rd, r := s.rd, s.r
	row := src[j*rd : (j+1)*rd]
	a0 := row[0]
	for i := 0; i < r-1; i++ {
		dst[i*rd+j] = row[i+1]
	}
	dst[(r-1)*rd+j] = 0
	for _, i := range s.phiIdx {
		dst[i*rd+j] += s.phi[i] * a0
	}
	if s.d > 0 {
		v := a0
		for _, k := range s.deltaIdx {
			v += s.delta[k] * row[r+k]
		}
		for i := rd - 1; i > r; i-- {
			dst[i*rd+j] = row[i-1]
		}
		dst[r*rd+j] = v
	}
}

// diffuseGain is R's threshold: an observation whose prediction variance (in units of σ²) is
// at least this large is dominated by the diffuse prior and left out of the likelihood.
const diffuseGain = 1e4

// steadyTol is the relative change of the prediction variance below which a step counts as
// calm; after more than rd calm steps in a row the filter is taken to have reached its steady
// state, and the covariance recursion is skipped until a missing value perturbs it.
const steadyTol = 1e-11

// filterState is the Kalman filter's state after some observations: the filtered state a, its
// covariance P (in units of σ²) and whether the filter is at its first step, where the
// predicted covariance is the initial one (st.p is then ignored).
type filterState struct {
	a, p  []float64
	start bool
}

// filterWork is scratch space for one filter run.
type filterWork struct {
	anew, pnew, mm, m []float64
}

func newFilterWork(rd int) *filterWork {
	return (*filterWork)(nil).reuse(rd)
}

// reuse sizes w, or new scratch when w is nil, for rd states, keeping its arrays where they
// are large enough, and returns it.
func (w *filterWork) reuse(rd int) *filterWork {
	if w == nil {
		w = new(filterWork)
	}
	*w = filterWork{
		anew: zeroed(w.anew, rd),
		pnew: zeroed(w.pnew, rd*rd),
		mm:   zeroed(w.mm, rd*rd),
		m:    zeroed(w.m, rd),
	}
	return w
}

// filterSums are the sums of R's ARIMA_Like: Σ v_t²/F_t, Σ log F_t and the number of
// observations counted, over the observations whose prediction variance F_t < diffuseGain.
type filterSums struct {
	ssq, sumlog float64
	nu          int
}

// filter runs the Kalman filter over y from state st, updating st in place, exactly as R's
// ARIMA_Like: missing values (NaN) skip the update step, and at the first step the predicted
// covariance is pn (st.p is ignored). When resid is non-nil, resid[t] receives the
// standardized innovation v_t/√F_t (NaN for missing y_t).
func (s *stateSpace) filter(y []float64, st *filterState, pn []float64, w *filterWork, resid []float64) filterSums {
	rd := s.rd
	var sums filterSums
	a, p := st.a, st.p
	anew, pnew, m := w.anew, w.pnew, w.m
	prevGain := math.NaN()
	calm := 0 // consecutive steps whose gain changed by less than steadyTol
	for t := 0; t < len(y); t++ {
		yt := y[t]
		s.transition(anew, a)
		if st.start {
			copy(pnew, pn)
			st.start = false
		} else {
			s.predictCovariance(pnew, p, w.mm)
		}
		if math.IsNaN(yt) {
			copy(a, anew)
			copy(p, pnew)
			prevGain = math.NaN()
			calm = 0
			if resid != nil {
				resid[t] = math.NaN()
			}
			continue
		}
		v := yt - s.observe(anew)
		// M = Pnew Zᵀ, gain = Z M.
		for i := range rd {
			row := pnew[i*rd : (i+1)*rd]
			mi := row[0]
			for _, k := range s.deltaIdx {
				mi += s.delta[k] * row[s.r+k]
			}
			m[i] = mi
		}
		gain := s.observe(m)
		logGain := math.Log(gain)
		if gain < diffuseGain {
			sums.nu++
			sums.ssq += v * v / gain
			sums.sumlog += logGain
		}
		if resid != nil {
			resid[t] = v / math.Sqrt(gain)
		}
		f := v / gain
		for i := range rd {
			a[i] = anew[i] + m[i]*f
		}
		for i := range rd {
			mi := m[i] / gain
			prow := p[i*rd : (i+1)*rd]
			nrow := pnew[i*rd : (i+1)*rd]
			for j := range rd {
				prow[j] = nrow[j] - mi*m[j]
			}
		}
		if math.Abs(gain-prevGain) <= steadyTol*gain {
			calm++
		} else {
			calm = 0
		}
		prevGain = gain
		if calm > rd && gain < diffuseGain {
			// Steady state: the gain and covariances no longer change, so only the state
			// moves until the next missing value. P stays the filtered steady covariance.
			for i := range rd {
				m[i] /= gain
			}
			var rest []float64
			if resid != nil {
				rest = resid[t+1:]
			}
			done := s.steadyRun(y[t+1:], a, anew, m, gain, rest, &sums)
			sums.sumlog += float64(done) * logGain
			t += done
			if t+1 < len(y) {
				// y[t+1] is missing: it is handled by the general step, which predicts the
				// covariance from the steady filtered P.
				calm = 0
				prevGain = math.NaN()
			}
		}
	}
	return sums
}

// steadyRun filters y at the steady-state gain vector k = M/F until the first missing value,
// updating a in place, and returns the number of observations processed. It adds to sums
// everything but Σ log F.
func (s *stateSpace) steadyRun(y, a, anew, k []float64, gain float64, resid []float64, sums *filterSums) int {
	invGain := 1 / gain
	invSqrt := 1 / math.Sqrt(gain)
	r := s.r
	ssq := 0.0
	var phi []float64
	if s.d == 0 {
		phi = s.densePhi()
		a = a[:r]
		k = k[:r]
	}
	for t, yt := range y {
		if math.IsNaN(yt) {
			sums.ssq += ssq
			sums.nu += t
			return t
		}
		var v float64
		if s.d == 0 {
			// a ← T a + k v with v = y − (T a)[0], in one pass over the dense φ.
			a0 := a[0]
			pred := phi[0] * a0
			if r > 1 {
				pred += a[1]
			}
			v = yt - pred
			for i := 0; i < r-1; i++ {
				a[i] = a[i+1] + phi[i]*a0 + k[i]*v
			}
			a[r-1] = phi[r-1]*a0 + k[r-1]*v
		} else {
			s.transition(anew, a)
			v = yt - s.observe(anew)
			for i, ki := range k {
				a[i] = anew[i] + ki*v
			}
		}
		ssq += v * v * invGain
		if resid != nil {
			resid[t] = v * invSqrt
		}
	}
	sums.ssq += ssq
	sums.nu += len(y)
	return len(y)
}
