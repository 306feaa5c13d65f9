package arima

import (
	"math"
	"math/cmplx"

	"gonum.org/v1/gonum/mat"
)

// pacfToAR maps unconstrained values raw to the coefficients of a stationary AR polynomial
// (Jones 1980): each raw value becomes a partial autocorrelation tanh(raw) in (−1, 1), and the
// Durbin–Levinson recursion turns the partial autocorrelations into AR coefficients. It writes
// len(raw) coefficients to dst.
func pacfToAR(dst, raw []float64) {
	p := len(raw)
	var buf [64]float64
	work := buf[:0]
	if p > len(buf) {
		work = make([]float64, p)
	} else {
		work = buf[:p]
	}
	for j := range p {
		dst[j] = math.Tanh(raw[j])
		work[j] = dst[j]
	}
	for j := 1; j < p; j++ {
		a := dst[j]
		for k := range j {
			work[k] -= a * dst[j-k-1]
		}
		copy(dst[:j], work[:j])
	}
}

// arToPACF inverts pacfToAR: it runs the Durbin–Levinson recursion backwards and applies atanh.
// The AR polynomial must be stationary.
func arToPACF(dst, phi []float64) {
	p := len(phi)
	work := make([]float64, p)
	copy(dst, phi)
	copy(work, phi)
	for j := p - 1; j > 0; j-- {
		a := dst[j]
		for k := range j {
			work[k] = (dst[k] + a*dst[j-k-1]) / (1 - a*a)
		}
		copy(dst[:j], work[:j])
	}
	for j := range p {
		dst[j] = math.Atanh(dst[j])
	}
}

// polyRoots returns the roots of c[0] + c[1] z + … + c[k] z^k, with trailing zero coefficients
// dropped. It uses the eigenvalues of the companion matrix.
func polyRoots(c []float64) []complex128 {
	k := len(c) - 1
	for k > 0 && c[k] == 0 {
		k--
	}
	if k <= 0 {
		return nil
	}
	if k == 1 {
		return []complex128{complex(-c[0]/c[1], 0)}
	}
	comp := mat.NewDense(k, k, nil)
	for j := range k {
		comp.Set(0, j, -c[k-1-j]/c[k])
	}
	for i := 1; i < k; i++ {
		comp.Set(i, i-1, 1)
	}
	var eig mat.Eigen
	if !eig.Factorize(comp, mat.EigenNone) {
		return nil
	}
	return eig.Values(nil)
}

// minRootModulus returns the smallest modulus of the roots of 1 + sign·(c1 z + … + ck z^k), or
// +Inf when the polynomial is constant. sign is −1 for an AR polynomial, +1 for an MA one.
func minRootModulus(coef []float64, sign float64) float64 {
	poly := make([]float64, len(coef)+1)
	poly[0] = 1
	for i, v := range coef {
		poly[i+1] = sign * v
	}
	roots := polyRoots(poly)
	m := math.Inf(1)
	for _, r := range roots {
		m = math.Min(m, cmplx.Abs(r))
	}
	if len(roots) == 0 && len(poly) > 1 {
		// Eigen failure on a non-constant polynomial: report a unit root.
		for _, v := range coef {
			if v != 0 {
				return 0
			}
		}
	}
	return m
}

// isStationary reports whether the AR polynomial 1 − φ1 z − … − φp z^p has all its roots outside
// the unit circle (R's arCheck).
func isStationary(phi []float64) bool {
	last := len(phi)
	for last > 0 && phi[last-1] == 0 {
		last--
	}
	if last == 0 {
		return true
	}
	return minRootModulus(phi[:last], -1) > 1
}

// invertMA reflects the roots of 1 + θ1 z + … + θq z^q that lie inside the unit circle to their
// reciprocals, giving the invertible MA polynomial with the same autocovariances up to scale
// (R's maInvert). It returns a new slice.
func invertMA(ma []float64) []float64 {
	out := append([]float64(nil), ma...)
	q0 := len(ma)
	for q0 > 0 && ma[q0-1] == 0 {
		q0--
	}
	if q0 == 0 {
		return out
	}
	poly := make([]float64, q0+1)
	poly[0] = 1
	copy(poly[1:], ma[:q0])
	roots := polyRoots(poly)
	inside := false
	for _, r := range roots {
		if cmplx.Abs(r) < 1 {
			inside = true
		}
	}
	if !inside || len(roots) != q0 {
		return out
	}
	if q0 == 1 {
		out[0] = 1 / ma[0]
		return out
	}
	for i, r := range roots {
		if cmplx.Abs(r) < 1 {
			roots[i] = 1 / r
		}
	}
	// Rebuild the polynomial with constant term 1: ∏ (1 − z/r).
	x := []complex128{1}
	for _, r := range roots {
		next := make([]complex128, len(x)+1)
		copy(next, x)
		for i := range x {
			next[i+1] -= x[i] / r
		}
		x = next
	}
	for i := range q0 {
		out[i] = real(x[i+1])
	}
	return out
}

// expandARMA multiplies the non-seasonal and seasonal polynomials into the full AR coefficients
// φ (length p + m·P) and MA coefficients θ (length q + m·Q), with R's sign conventions:
// (1 − Σφi B^i)(1 − ΣΦj B^(jm)) and (1 + Σθi B^i)(1 + ΣΘj B^(jm)).
func expandARMA(phi, theta []float64, ar, ma, sar, sma []float64, m int) {
	clear(phi)
	clear(theta)
	copy(phi, ar)
	copy(theta, ma)
	for j, s := range sar {
		phi[(j+1)*m-1] += s
		for i, a := range ar {
			phi[(j+1)*m+i] -= a * s
		}
	}
	for j, s := range sma {
		theta[(j+1)*m-1] += s
		for i, a := range ma {
			theta[(j+1)*m+i] += a * s
		}
	}
}

// differencingPolynomial returns δ such that (1 − B)^d (1 − B^m)^D = 1 − δ1 B − … − δk B^k.
func differencingPolynomial(d, D, m int) []float64 {
	poly := []float64{1}
	mul := func(b []float64) {
		out := make([]float64, len(poly)+len(b)-1)
		for i, x := range poly {
			for j, y := range b {
				out[i+j] += x * y
			}
		}
		poly = out
	}
	for range d {
		mul([]float64{1, -1})
	}
	for range D {
		b := make([]float64, m+1)
		b[0], b[m] = 1, -1
		mul(b)
	}
	delta := make([]float64, len(poly)-1)
	for i := range delta {
		delta[i] = -poly[i+1]
	}
	return delta
}
