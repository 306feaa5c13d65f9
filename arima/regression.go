package arima

import (
	"math"

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
func leastSquares(y []float64, cols [][]float64) (beta, se []float64, ok bool) {
	k := len(cols)
	var rows []int
	for t := range y {
		good := !math.IsNaN(y[t])
		for _, c := range cols {
			if math.IsNaN(c[t]) {
				good = false
			}
		}
		if good {
			rows = append(rows, t)
		}
	}
	if len(rows) < k || k == 0 {
		return nil, nil, false
	}
	x := mat.NewDense(len(rows), k, nil)
	yv := mat.NewVecDense(len(rows), nil)
	for i, t := range rows {
		for j := range k {
			x.Set(i, j, cols[j][t])
		}
		yv.SetVec(i, y[t])
	}
	var xtx mat.SymDense
	xtx.SymOuterK(1, x.T())
	var chol mat.Cholesky
	if !chol.Factorize(&xtx) {
		return nil, nil, false
	}
	var xty mat.VecDense
	xty.MulVec(x.T(), yv)
	var b mat.VecDense
	if err := chol.SolveVecTo(&b, &xty); err != nil {
		return nil, nil, false
	}
	var fit mat.VecDense
	fit.MulVec(x, &b)
	rss := 0.0
	for i := range rows {
		e := yv.AtVec(i) - fit.AtVec(i)
		rss += e * e
	}
	dof := float64(len(rows) - k)
	s2 := math.NaN()
	if dof > 0 {
		s2 = rss / dof
	}
	var inv mat.SymDense
	if err := chol.InverseTo(&inv); err != nil {
		return nil, nil, false
	}
	beta = make([]float64, k)
	se = make([]float64, k)
	for j := range k {
		beta[j] = b.AtVec(j)
		se[j] = math.Sqrt(inv.At(j, j) * s2)
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
