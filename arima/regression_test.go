package arima

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// leastSquaresMat is leastSquares written with gonum's mat types, as it was: the reference
// that leastSquares reproduces bit for bit.
func leastSquaresMat(y []float64, cols [][]float64) (beta, se []float64, ok bool) {
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

// TestLeastSquaresIsMat: leastSquares gives the coefficients, standard errors and verdict of
// its mat formulation bit for bit, for designs of 1 to 5 columns — the intercept and drift
// columns of the searches among them — with missing values, exact and near collinearity,
// and as many rows as columns.
func TestLeastSquaresIsMat(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for run := range 300 {
		k := 1 + run%5
		n := k + rng.IntN(200)
		y := make([]float64, n)
		cols := make([][]float64, k)
		for j := range cols {
			cols[j] = make([]float64, n)
		}
		for i := range n {
			y[i] = 50 + 10*rng.NormFloat64()
			for j := range k {
				cols[j][i] = rng.NormFloat64()
			}
			switch run % 6 {
			case 1: // intercept and drift
				cols[0][i] = 1
				if k > 1 {
					cols[1][i] = float64(i + 1)
				}
			case 2: // exactly collinear
				if k > 1 {
					cols[k-1][i] = 2 * cols[0][i]
				}
			case 3: // nearly collinear
				if k > 1 {
					cols[k-1][i] = cols[0][i] + 1e-12*rng.NormFloat64()
				}
			}
		}
		if run%4 == 0 {
			for range 3 {
				y[rng.IntN(n)] = math.NaN()
				cols[rng.IntN(k)][rng.IntN(n)] = math.NaN()
			}
		}
		beta, se, ok := leastSquares(y, cols)
		wantBeta, wantSE, wantOK := leastSquaresMat(y, cols)
		same := func(a, b []float64) bool {
			return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
		}
		if ok != wantOK || !same(beta, wantBeta) || !same(se, wantSE) {
			t.Errorf("run %d (k = %d, n = %d): %v %v %v; mat: %v %v %v", run, k, n, beta, se, ok, wantBeta, wantSE, wantOK)
		}
	}
}
