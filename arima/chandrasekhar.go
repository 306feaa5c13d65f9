package arima

import "math"

// chandrasekharWork is scratch space for chandrasekhar.
type chandrasekharWork struct {
	a, k, w, tw []float64
}

func newChandrasekharWork(r int) *chandrasekharWork {
	return &chandrasekharWork{a: make([]float64, r), k: make([]float64, r), w: make([]float64, r), tw: make([]float64, r)}
}

// chandrasekhar computes the sums of the exact Gaussian likelihood of a complete series y
// under the ARMA state space s (no differencing states), starting from the stationary
// covariance q0 (r × r). It gives the same result as the Kalman filter in O(r) operations per
// step instead of O(r²), by the Chandrasekhar recursions (Morf, Sidhu & Kailath 1974; Herbst
// 2015): with a stationary start the predicted covariances change by a rank-one term,
// P_{t+1} − P_t = M_t w_t w_tᵀ, and
//
//	F_{t+1} = F_t + M_t (Z w_t)²,         k_{t+1} = k_t + M_t (Z w_t) T w_t,
//	w_{t+1} = T w_t − k_{t+1} (Z w_t)/F_{t+1},   M_{t+1} = M_t F_{t+1}/F_t,
//
// from F_1 = Z q0 Zᵀ, k_1 = w_1 = T q0 Zᵀ and M_1 = −1/F_1, where k_t = T P_t Zᵀ and F_t is the
// innovation variance. The predicted state moves as a_{t+1} = T a_t + k_t v_t/F_t.
func (s *stateSpace) chandrasekhar(y []float64, q0 []float64, cw *chandrasekharWork) filterSums {
	r := s.r
	phi := s.densePhi()
	a, k, w, tw := cw.a[:r], cw.k[:r], cw.w[:r], cw.tw[:r]
	clear(a)
	// k_1 = T q0 Zᵀ: T applied to the first column of q0.
	c0 := q0[0]
	for i := 0; i < r-1; i++ {
		k[i] = phi[i]*c0 + q0[(i+1)*r]
	}
	k[r-1] = phi[r-1] * c0
	copy(w, k)
	f := c0
	invF := 1 / f
	m := -invF
	// Σ log F_t is accumulated as a product, renormalised before it can overflow, so that
	// the logarithm is taken rarely rather than at every step.
	prodF := 1.0
	var sums filterSums
	for t, yt := range y {
		v := yt - a[0]
		g := v * invF
		sums.ssq += v * g
		prodF *= f
		if prodF > 1e150 || prodF < 1e-150 {
			sums.sumlog += math.Log(prodF)
			prodF = 1
		}
		// Predicted state.
		a0 := a[0]
		for i := 0; i < r-1; i++ {
			a[i] = phi[i]*a0 + a[i+1] + k[i]*g
		}
		a[r-1] = phi[r-1]*a0 + k[r-1]*g
		// Covariance quantities for the next step.
		u := w[0]
		mu2 := m * u * u
		fn := f + mu2
		w0 := w[0]
		for i := 0; i < r-1; i++ {
			tw[i] = phi[i]*w0 + w[i+1]
		}
		tw[r-1] = phi[r-1] * w0
		mu := m * u
		for i := range r {
			k[i] += mu * tw[i]
		}
		ratio := u / fn
		for i := range r {
			w[i] = tw[i] - k[i]*ratio
		}
		m *= fn / f
		// Converged when the whole rank-one correction is negligible: w moves through the
		// state by the shift in T, so a small first element alone is not enough.
		ww := 0.0
		for _, x := range w {
			ww += x * x
		}
		f = fn
		invF = 1 / f
		if math.Abs(m)*ww <= 1e-15*fn {
			// Steady state: F and k no longer change, only the state moves.
			rest := y[t+1:]
			sums.ssq += steadyInnovations(rest, a, k, phi, invF)
			sums.sumlog += float64(len(rest)) * math.Log(f)
			break
		}
	}
	sums.sumlog += math.Log(prodF)
	sums.nu = len(y)
	return sums
}

// steadyInnovations filters y at the steady gain k and innovation variance 1/invF from the
// predicted state a (updated in place) and returns Σ v_t²/F. The state of the common small
// models (r ≤ 3) is held in registers: the recursion is a serial chain, so every load and
// store on its path costs latency.
func steadyInnovations(y, a, k, phi []float64, invF float64) float64 {
	ssq := 0.0
	switch len(a) {
	case 1:
		a0, p0, k0 := a[0], phi[0], k[0]*invF
		for _, yt := range y {
			v := yt - a0
			ssq += v * v
			a0 = p0*a0 + k0*v
		}
		a[0] = a0
	case 2:
		a0, a1 := a[0], a[1]
		p0, p1, k0, k1 := phi[0], phi[1], k[0]*invF, k[1]*invF
		for _, yt := range y {
			v := yt - a0
			ssq += v * v
			a0, a1 = p0*a0+a1+k0*v, p1*a0+k1*v
		}
		a[0], a[1] = a0, a1
	case 3:
		a0, a1, a2 := a[0], a[1], a[2]
		p0, p1, p2 := phi[0], phi[1], phi[2]
		k0, k1, k2 := k[0]*invF, k[1]*invF, k[2]*invF
		for _, yt := range y {
			v := yt - a0
			ssq += v * v
			a0, a1, a2 = p0*a0+a1+k0*v, p1*a0+a2+k1*v, p2*a0+k2*v
		}
		a[0], a[1], a[2] = a0, a1, a2
	default:
		r := len(a)
		for _, yt := range y {
			v := yt - a[0]
			ssq += v * v
			g := v * invF
			a0 := a[0]
			for i := 0; i < r-1; i++ {
				a[i] = phi[i]*a0 + a[i+1] + k[i]*g
			}
			a[r-1] = phi[r-1]*a0 + k[r-1]*g
		}
	}
	return ssq * invF
}
