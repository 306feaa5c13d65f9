package arima

import (
	"math"
	"sync"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
	"gonum.org/v1/gonum/mat"
)

// positiveDiagonal reports whether every diagonal element of the k × k matrix v is positive.
func positiveDiagonal(v []float64, k int) bool {
	for i := range k {
		if !(v[i*k+i] > 0) {
			return false
		}
	}
	return true
}

// invertScaled returns (h·n)⁻¹ as a flat k × k matrix, or NaNs when h·n is singular (exactly,
// or with a condition number above mat.ConditionTolerance). It makes the LAPACK calls of gonum's
// mat.Dense.Inverse — the LU factorisation, the condition estimate, the inverse from the
// factors, with the same workspace sizes — on its own arrays, so the inverse is mat's to the
// bit without the allocations of its wrappers.
func invertScaled(h []float64, k int, n float64) []float64 {
	out := make([]float64, k*k)
	for i, v := range h[:k*k] {
		out[i] = v * n
	}
	a := blas64.General{Rows: k, Cols: k, Stride: k, Data: out}
	ws := inverseWorks.Get().(*inverseWork)
	defer inverseWorks.Put(ws)
	work := zeroed(ws.work, 4*k) // at least 4k for the condition estimate
	ipiv, iwork := zeroed(ws.ipiv, k), zeroed(ws.iwork, k)
	norm := lapack64.Lange(mat.CondNorm, a, work)
	ok := lapack64.Getrf(a, ipiv)
	if ok {
		rcond := lapack64.Gecon(mat.CondNorm, a, norm, work, iwork)
		lapack64.Getri(a, ipiv, work, -1) // the workspace it asks for
		if l := int(work[0]); l > len(work) {
			work = zeroed(work, l)
		}
		ok = lapack64.Getri(a, ipiv, work, len(work)) && rcond != 0 && !(1/rcond > mat.ConditionTolerance)
	}
	ws.work, ws.ipiv, ws.iwork = work, ipiv, iwork
	if !ok {
		for i := range out {
			out[i] = math.NaN()
		}
	}
	return out
}

// inverseWork is the workspace of invertScaled, recycled through inverseWorks.
type inverseWork struct {
	work        []float64
	ipiv, iwork []int
}

var inverseWorks = sync.Pool{New: func() any { return new(inverseWork) }}

// transformCovariance maps the covariance v of the free raw (PACF-transformed) parameters to
// the covariance of the AR coefficients by the delta method, Aᵀ v A with A the Jacobian of the
// transform by forward differences of step 1e-3 (R's ARIMA_Gradtrans).
func transformCovariance(v []float64, raw []float64, free []int, lay layout) []float64 {
	nc := len(raw)
	a := make([]float64, nc*nc) // a[i*nc+j] = ∂new_j/∂raw_i
	for i := range nc {
		a[i*nc+i] = 1
	}
	block := func(off, k int) {
		if k == 0 {
			return
		}
		w1 := append([]float64(nil), raw[off:off+k]...)
		w2 := make([]float64, k)
		w3 := make([]float64, k)
		pacfToAR(w2, w1)
		for i := range k {
			w1[i] += 1e-3
			pacfToAR(w3, w1)
			for j := range k {
				a[(off+i)*nc+off+j] = (w3[j] - w2[j]) / 1e-3
			}
			w1[i] -= 1e-3
		}
	}
	block(0, lay.p)
	block(lay.p+lay.q, lay.sp)
	k := len(free)
	out := make([]float64, k*k)
	for r := range k {
		for c := range k {
			s := 0.0
			for i := range k {
				ai := a[free[i]*nc+free[r]]
				if ai == 0 {
					continue
				}
				for j := range k {
					s += ai * v[i*k+j] * a[free[j]*nc+free[c]]
				}
			}
			out[r*k+c] = s
		}
	}
	return out
}

// undoTransform maps the raw AR blocks of coef to AR coefficients in place.
func undoTransform(coef []float64, lay layout) {
	ar := append([]float64(nil), coef[:lay.p]...)
	pacfToAR(coef[:lay.p], ar)
	s0 := lay.p + lay.q
	sar := append([]float64(nil), coef[s0:s0+lay.sp]...)
	pacfToAR(coef[s0:s0+lay.sp], sar)
}
