package arima

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
	"gonum.org/v1/gonum/mat"
)

// rotate replaces the regressors X by X V, where X = U S Vᵀ is the singular value decomposition
// of the complete rows (R's arima does this for conditioning when there are several free
// regressors). It returns the rotated columns and V.
func rotate(cols [][]float64, missing []bool) ([][]float64, *mat.Dense, error) {
	k := len(cols)
	var rows int
	for _, mis := range missing {
		if !mis {
			rows++
		}
	}
	if rows < k {
		return nil, nil, ErrRankDeficient
	}
	x := mat.NewDense(rows, k, nil)
	r := 0
	for t, mis := range missing {
		if mis {
			continue
		}
		for j := range k {
			x.Set(r, j, cols[j][t])
		}
		r++
	}
	var svd mat.SVD
	if !svd.Factorize(x, mat.SVDThin) {
		return nil, nil, ErrRankDeficient
	}
	var v mat.Dense
	svd.VTo(&v)
	n := len(cols[0])
	out := make([][]float64, k)
	for j := range k {
		out[j] = make([]float64, n)
		for t := range n {
			s := 0.0
			for i := range k {
				s += cols[i][t] * v.At(i, j)
			}
			out[j][t] = s
		}
	}
	return out, &v, nil
}

// unrotate maps regression coefficients and their covariance back from the rotated basis.
func unrotate(coef, vcov []float64, v *mat.Dense, narma int, free []int) ([]float64, []float64) {
	k, _ := v.Dims()
	nc := len(coef)
	out := append([]float64(nil), coef...)
	for i := range k {
		s := 0.0
		for j := range k {
			s += v.At(i, j) * coef[narma+j]
		}
		out[narma+i] = s
	}
	if vcov == nil {
		return out, nil
	}
	a := make([]float64, nc*nc)
	for i := range nc {
		a[i*nc+i] = 1
	}
	for i := range k {
		for j := range k {
			a[(narma+i)*nc+narma+j] = v.At(i, j)
		}
	}
	f := len(free)
	res := make([]float64, f*f)
	for r := range f {
		for c := range f {
			s := 0.0
			for i := range f {
				ai := a[free[r]*nc+free[i]]
				if ai == 0 {
					continue
				}
				for j := range f {
					s += ai * vcov[i*f+j] * a[free[c]*nc+free[j]]
				}
			}
			res[r*f+c] = s
		}
	}
	return out, res
}

// initialRegression is R's starting point for the regression coefficients: least squares of
// the differenced series on the differenced regressors (complete rows only), falling back to
// the undifferenced data when the differenced regressors are all zero. It returns the
// coefficients and their standard errors.
func initialRegression(y []float64, cols [][]float64, lay layout) ([]float64, []float64, error) {
	diff := func(x []float64) []float64 {
		w := append([]float64(nil), x...)
		for range lay.d {
			w = diffLag(w, 1)
		}
		if lay.m > 1 {
			for range lay.sd {
				w = diffLag(w, lay.m)
			}
		}
		return w
	}
	dy := diff(y)
	dcols := make([][]float64, len(cols))
	allZero := true
	for j, c := range cols {
		dcols[j] = diff(c)
		for _, v := range dcols[j] {
			if v != 0 && !math.IsNaN(v) {
				allZero = false
			}
		}
	}
	if len(dy) > len(cols) && !allZero {
		if beta, se, ok := leastSquares(dy, dcols); ok {
			return beta, se, nil
		}
	}
	beta, se, ok := leastSquares(y, cols)
	if !ok {
		return nil, nil, ErrRankDeficient
	}
	return beta, se, nil
}

func diffLag(x []float64, lag int) []float64 {
	if len(x) <= lag {
		return nil
	}
	out := make([]float64, len(x)-lag)
	for i := range out {
		out[i] = x[i+lag] - x[i]
	}
	return out
}

// leastSquares regresses y on cols (no intercept) over the complete rows and returns the
// coefficients and their standard errors; ok is false when the design is rank deficient.
//
// It solves the normal equations XᵀX β = Xᵀy by the Cholesky factorisation XᵀX = UᵀU, and the
// standard errors are √(s² (XᵀX)⁻¹ⱼⱼ) with s² = RSS/(rows − k); ok is false when XᵀX is not
// positive definite or its condition number exceeds mat.ConditionTolerance. These are the
// BLAS and LAPACK calls of gonum's mat.Cholesky (Factorize, SolveVecTo, InverseTo) and
// VecDense.MulVec on the same values, made on one array of its own: the results are mat's to
// the bit, without the allocations of its wrappers.
func leastSquares(y []float64, cols [][]float64) (beta, se []float64, ok bool) {
	k := len(cols)
	complete := func(t int) bool {
		if math.IsNaN(y[t]) {
			return false
		}
		for _, c := range cols {
			if math.IsNaN(c[t]) {
				return false
			}
		}
		return true
	}
	nr := 0
	for t := range y {
		if complete(t) {
			nr++
		}
	}
	if nr < k || k == 0 {
		return nil, nil, false
	}
	buf := make([]float64, nr*k+2*nr+2*k*k+4*k)
	take := func(n int) []float64 {
		v := buf[:n:n]
		buf = buf[n:]
		return v
	}
	vec := func(v []float64) blas64.Vector { return blas64.Vector{N: len(v), Inc: 1, Data: v} }
	x := blas64.General{Rows: nr, Cols: k, Stride: k, Data: take(nr * k)}
	yv, fit := take(nr), take(nr)
	i := 0
	for t := range y {
		if complete(t) {
			for j := range k {
				x.Data[i*k+j] = cols[j][t]
			}
			yv[i] = y[t]
			i++
		}
	}
	// XᵀX in the upper triangle, factorised in place, and the reciprocal of its condition
	// number.
	u := blas64.Symmetric{Uplo: blas.Upper, N: k, Stride: k, Data: take(k * k)}
	blas64.Syrk(blas.Trans, 1, x, 1, u)
	work, iwork := take(3*k), make([]int, k)
	norm := lapack64.Lansy(mat.CondNorm, u, work[:k])
	chol, ok := lapack64.Potrf(u)
	if !ok {
		return nil, nil, false
	}
	cond := 1 / lapack64.Pocon(u, norm, work, iwork)
	// β from Xᵀy.
	b := take(k)
	blas64.Gemv(blas.Trans, 1, x, vec(yv), 0, vec(b))
	lapack64.Potrs(chol, blas64.General{Rows: k, Cols: 1, Stride: 1, Data: b})
	if cond > mat.ConditionTolerance {
		return nil, nil, false
	}
	blas64.Gemv(blas.NoTrans, 1, x, vec(b), 0, vec(fit))
	rss := 0.0
	for i := range nr {
		e := yv[i] - fit[i]
		rss += e * e
	}
	dof := float64(nr - k)
	s2 := math.NaN()
	if dof > 0 {
		s2 = rss / dof
	}
	// (XᵀX)⁻¹ from the factor, in the upper triangle of a copy.
	inv := take(k * k)
	for i := range k {
		copy(inv[i*k+i:(i+1)*k], chol.Data[i*k+i:(i+1)*k])
	}
	if _, ok := lapack64.Potri(blas64.Triangular{Uplo: blas.Upper, Diag: blas.NonUnit, N: k, Stride: k, Data: inv}); !ok {
		return nil, nil, false
	}
	out := make([]float64, 2*k)
	beta, se = out[:k:k], out[k:]
	copy(beta, b)
	for j := range k {
		se[j] = math.Sqrt(inv[j*k+j] * s2)
	}
	return beta, se, true
}

// wellConditioned reports whether the columns, over the rows where none is missing, have a
// smallest singular value of at least machine epsilon times the sum of the singular values
// (forecast's rank check of the regressors).
func wellConditioned(cols [][]float64) bool {
	var rows []int
	for t := range cols[0] {
		complete := true
		for _, c := range cols {
			if math.IsNaN(c[t]) {
				complete = false
			}
		}
		if complete {
			rows = append(rows, t)
		}
	}
	if len(rows) < len(cols) {
		return false
	}
	x := mat.NewDense(len(rows), len(cols), nil)
	for i, t := range rows {
		for j, c := range cols {
			x.Set(i, j, c[t])
		}
	}
	var svd mat.SVD
	if !svd.Factorize(x, mat.SVDNone) {
		return false
	}
	sv := svd.Values(nil)
	sum := 0.0
	for _, v := range sv {
		sum += v
	}
	return sv[len(sv)-1]/sum >= 0x1p-52
}
