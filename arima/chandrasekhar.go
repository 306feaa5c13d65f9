package arima

import "math"

// chandrasekharWork is scratch space for chandrasekhar.
type chandrasekharWork struct {
	a, k, w, tw []float64
}

// reuse sizes cw, or new scratch when cw is nil, for r states, keeping its arrays where they
// are large enough, and returns it.
func (cw *chandrasekharWork) reuse(r int) *chandrasekharWork {
	if cw == nil {
		cw = new(chandrasekharWork)
	}
	*cw = chandrasekharWork{a: zeroed(cw.a, r), k: zeroed(cw.k, r), w: zeroed(cw.w, r), tw: zeroed(cw.tw, r)}
	return cw
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
		// Predicted state and covariance quantities for the next step, in one pass over the
		// state: element i of a, T w, k and w needs element i+1 of the old a and w only.
		a0, u := a[0], w[0]
		fn := f + m*u*u
		mu := m * u
		ratio := u / fn
		ww := 0.0 // ‖w_{t+1}‖²
		last := r - 1
		for i := range last {
			a[i] = phi[i]*a0 + a[i+1] + k[i]*g
			twi := phi[i]*u + w[i+1]
			ki := k[i] + mu*twi
			wi := twi - ki*ratio
			k[i], w[i] = ki, wi
			ww += wi * wi
		}
		a[last] = phi[last]*a0 + k[last]*g
		twl := phi[last] * u
		kl := k[last] + mu*twl
		wl := twl - kl*ratio
		k[last], w[last] = kl, wl
		ww += wl * wl
		m *= fn / f
		// Converged when the whole rank-one correction is negligible: w moves through the
		// state by the shift in T, so a small first element alone is not enough.
		f = fn
		invF = 1 / f
		if math.Abs(m)*ww <= 1e-15*fn {
			// Steady state: F and k no longer change, only the state moves.
			rest := y[t+1:]
			sums.ssq += steadyInnovations(rest, a, k, phi, invF, w, tw)
			sums.sumlog += float64(len(rest)) * math.Log(f)
			break
		}
	}
	sums.sumlog += math.Log(prodF)
	sums.nu = len(y)
	return sums
}

// steadyInnovations filters y at the steady gain k and innovation variance 1/invF from the
// predicted state a (updated in place) and returns Σ v_t²/F. With g = k/F, the step
// a_{t+1} = T a_t + g v_t and v_t = y_t − a_t[0] is written a_{t+1}[i] = (φ_i − g_i) a_t[0] +
// a_t[i+1] + g_i y_t, so that only one fused multiply-add per step waits on the previous one;
// the state of the common small models (r ≤ 3) is held in registers. g and c are scratch of
// length r.
func steadyInnovations(y, a, k, phi []float64, invF float64, g, c []float64) float64 {
	var s0, s1 float64 // two accumulators for Σ v²
	switch len(a) {
	case 1:
		a0, g0 := a[0], k[0]*invF
		c0 := phi[0] - g0
		for _, yt := range y {
			v := yt - a0
			s0 += v * v
			a0 = math.FMA(c0, a0, g0*yt)
		}
		a[0] = a0
	case 2:
		a0, a1 := a[0], a[1]
		g0, g1 := k[0]*invF, k[1]*invF
		c0, c1 := phi[0]-g0, phi[1]-g1
		for _, yt := range y {
			v := yt - a0
			s0 += v * v
			a0, a1 = math.FMA(c0, a0, a1+g0*yt), math.FMA(c1, a0, g1*yt)
		}
		a[0], a[1] = a0, a1
	case 3:
		a0, a1, a2 := a[0], a[1], a[2]
		g0, g1, g2 := k[0]*invF, k[1]*invF, k[2]*invF
		c0, c1, c2 := phi[0]-g0, phi[1]-g1, phi[2]-g2
		for _, yt := range y {
			v := yt - a0
			s0 += v * v
			a0, a1, a2 = math.FMA(c0, a0, a1+g0*yt), math.FMA(c1, a0, a2+g1*yt), math.FMA(c2, a0, g2*yt)
		}
		a[0], a[1], a[2] = a0, a1, a2
	default:
		r := len(a)
		for i := range r {
			g[i] = k[i] * invF
			c[i] = phi[i] - g[i]
		}
		for t, yt := range y {
			v := yt - a[0]
			if t%2 == 0 {
				s0 += v * v
			} else {
				s1 += v * v
			}
			a0 := a[0]
			for i := 0; i < r-1; i++ {
				a[i] = math.FMA(c[i], a0, a[i+1]+g[i]*yt)
			}
			a[r-1] = math.FMA(c[r-1], a0, g[r-1]*yt)
		}
	}
	return (s0 + s1) * invF
}
