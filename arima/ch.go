package arima

import (
	"errors"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"
)

//go:generate Rscript chtables.R
//go:generate gofmt -w chtables.go

// CH returns the joint statistic of the Canova–Hansen test of seasonal stability at period m
// (Canova & Hansen 1995) and its p-value, as uroot::ch.test(x, type = "trigonometric") with
// its defaults, which forecast::nsdiffs(x, test = "ch") uses.
//
// The series is regressed on a constant and the m − 1 trigonometric seasonal regressors
// f_t = (cos(2πjt/m), sin(2πjt/m) for j = 1 … ⌈m/2⌉ − 1, and (−1)^t when m is even). With
// ê_t the residuals, F_t = Σ_{s≤t} f_s ê_s the partial sums and Ω̂ the Newey–West long-run
// covariance of f_t ê_t with Bartlett weights 1 − i/(L+1) and L = round(m (n/100)^¼) lags,
//
//	L_CH = tr(Ω̂⁻¹ Σ_t F_t F_tᵀ) / n²,
//
// large when the seasonal pattern wanders (a seasonal unit root). The p-value comes from the
// response surfaces of Díaz-Emparanza & Moral (2013): the quantiles of the statistic's null
// distribution for n − m residual degrees of freedom and period m, and a local cubic
// generalised least-squares fit of the χ²(2) quantile on the 13 quantiles nearest the
// statistic, as uroot's ch.rs.pvalue.
//
// Missing values are left out of the regression; the seasonal regressors keep their time
// index. CH returns an error for m < 4 (uroot's ch.test stops there: its lookup of the
// surfaces for one and two degrees of freedom fails, so forecast takes no seasonal
// difference), for fewer than m + 2 observations, and when the regression or Ω̂ is singular.
func CH(x []float64, m int) (stat, pvalue float64, err error) {
	if m < 4 {
		return 0, 0, errors.New("arima: the Canova–Hansen test needs a seasonal period m ≥ 4, as uroot's ch.test")
	}
	var times []int
	var y []float64
	for t, v := range x {
		if !math.IsNaN(v) {
			times = append(times, t+1)
			y = append(y, v)
		}
	}
	n := len(y)
	if n < m+2 {
		return 0, 0, &TooShortError{Have: n, Need: m + 2}
	}
	k := m - 1
	f := trigSeasonal(times, m)
	// Residuals of y on (1, f).
	design := mat.NewDense(n, m, nil)
	for i := range n {
		design.Set(i, 0, 1)
		for j := range k {
			design.Set(i, j+1, f.At(i, j))
		}
	}
	var qr mat.QR
	qr.Factorize(design)
	var beta mat.VecDense
	yv := mat.NewVecDense(n, y)
	if err := qr.SolveVecTo(&beta, false, yv); err != nil {
		return 0, 0, errors.New("arima: the Canova–Hansen regression is singular")
	}
	var fitted mat.VecDense
	fitted.MulVec(design, &beta)
	// Scores f_t ê_t, in place of f.
	for i := range n {
		e := y[i] - fitted.AtVec(i)
		for j := range k {
			f.Set(i, j, f.At(i, j)*e)
		}
	}
	omega := neweyWest(f, int(math.RoundToEven(float64(m)*math.Pow(float64(n)/100, 0.25))))
	var chol mat.Cholesky
	if !chol.Factorize(omega) {
		return 0, 0, errors.New("arima: the Canova–Hansen long-run covariance is singular")
	}
	var inv mat.SymDense
	if err := chol.InverseTo(&inv); err != nil {
		return 0, 0, errors.New("arima: the Canova–Hansen long-run covariance is singular")
	}
	// Σ F_t F_tᵀ.
	sum := make([]float64, k)
	fpf := mat.NewSymDense(k, nil)
	sv := mat.NewVecDense(k, sum)
	for i := range n {
		for j := range k {
			sum[j] += f.At(i, j)
		}
		fpf.SymRankOne(fpf, 1, sv)
	}
	tr := 0.0
	for i := range k {
		for j := range k {
			tr += inv.At(i, j) * fpf.At(j, i)
		}
	}
	stat = tr / float64(n*n)
	pvalue, err = chPValue(stat, m, n-m)
	return stat, pvalue, err
}

// trigSeasonal returns the n × (m−1) trigonometric seasonal regressors of uroot's ch.test at
// the 1-based times: cos and sin pairs of the frequencies 2πj/m below π, then (−1)^t for even m.
func trigSeasonal(times []int, m int) *mat.Dense {
	pairs := m/2 - 1 + m%2
	f := mat.NewDense(len(times), m-1, nil)
	for i, t := range times {
		for j := 1; j <= pairs; j++ {
			w := 2 * float64(j) * math.Pi / float64(m) * float64(t)
			f.Set(i, 2*j-2, math.Cos(w))
			f.Set(i, 2*j-1, math.Sin(w))
		}
		if m%2 == 0 {
			f.Set(i, m-2, float64(1-2*(t%2)))
		}
	}
	return f
}

// neweyWest returns the long-run covariance (1/n)(C_0 + Σ_{i=1}^{L} (1 − i/(L+1)) (C_i + C_iᵀ))
// of the rows u_t of u, where C_i = Σ_t u_t u_{t+i}ᵀ.
func neweyWest(u *mat.Dense, lags int) *mat.SymDense {
	n, k := u.Dims()
	acc := mat.NewDense(k, k, nil)
	var c mat.Dense
	c.Mul(u.T(), u)
	acc.Add(acc, &c)
	for i := 1; i <= lags && i < n; i++ {
		w := 1 - float64(i)/float64(lags+1)
		c.Reset()
		c.Mul(u.Slice(0, n-i, 0, k).T(), u.Slice(i, n, 0, k))
		for a := range k {
			for b := range k {
				acc.Set(a, b, acc.At(a, b)+w*(c.At(a, b)+c.At(b, a)))
			}
		}
	}
	out := mat.NewSymDense(k, nil)
	for a := range k {
		for b := a; b < k; b++ {
			out.SetSym(a, b, acc.At(a, b)/float64(n))
		}
	}
	return out
}

// chRSProbs are the probabilities of the tabulated quantiles of the response surfaces.
var chRSProbs = func() []float64 {
	p := []float64{1e-4, 2e-4, 5e-4}
	for i := 1; i <= 10; i++ {
		p = append(p, 0.001*float64(i))
	}
	for i := range 195 {
		p = append(p, 0.015+0.005*float64(i))
	}
	for i := range 10 {
		p = append(p, 0.99+0.001*float64(i))
	}
	return append(p, 0.9995, 0.9998, 0.9999)
}()

// chPValue is uroot's ch.rs.pvalue for the trigonometric test without a lagged dependent
// variable: the p-value of the joint statistic x at period m ≥ 4 with nc residual
// degrees of freedom. The surface gives the quantiles Q(p) = c·z of the null distribution with
// z = (1, 1/nc, 1/nc², m/nc, m/nc², m − 1, (m − 1)²). Around the quantile
// nearest x, the χ²(2) quantiles of 13 neighbouring probabilities are fitted by a cubic in Q by
// generalised least squares, with the covariance of the quantile estimates
// Σ_ij = s_i s_j √(p_i(1−p_j)/(p_j(1−p_i))) for p_i ≤ p_j; the p-value is the χ²(2) upper tail
// at the fitted value.
func chPValue(x float64, m, nc int) (float64, error) {
	nf, mf := float64(nc), float64(m)
	z := []float64{1, 1 / nf, 1 / (nf * nf), mf / nf, mf / (nf * nf), mf - 1, (mf - 1) * (mf - 1)}
	rows := chSurface
	nq := len(rows)
	q := make([]float64, nq)
	se := make([]float64, nq)
	for i, r := range rows {
		for j, c := range z {
			q[i] += r[j] * c
		}
		se[i] = r[len(z)]
	}
	sort.Float64s(q) // as uroot, which sorts the quantiles but not their standard errors
	switch {
	case x < q[0]:
		return 1, nil
	case x > q[nq-1]:
		return 0, nil
	}
	nearest := 0
	for i := range q {
		if math.Abs(q[i]-x) < math.Abs(q[nearest]-x) {
			nearest = i
		}
	}
	const window = 13
	lo := max(nearest-window/2, 0)
	hi := min(nearest+window/2, nq-1)
	if hi == nq-1 {
		lo = hi - window + 1
	}
	k := hi - lo + 1
	sigma := mat.NewSymDense(k, nil)
	for i := range k {
		for j := i; j < k; j++ {
			pi, pj := chRSProbs[lo+i], chRSProbs[lo+j]
			sigma.SetSym(i, j, se[lo+i]*se[lo+j]*math.Sqrt(pi/(1-pi))/math.Sqrt(pj/(1-pj)))
		}
	}
	var chol mat.Cholesky
	if !chol.Factorize(sigma) {
		return 0, errors.New("arima: the Canova–Hansen p-value surface is singular")
	}
	// Whiten by L⁻¹ (Σ = L Lᵀ) and solve the least-squares problem.
	var l mat.TriDense
	chol.LTo(&l)
	xm := mat.NewDense(k, 4, nil)
	yv := mat.NewVecDense(k, nil)
	for i := range k {
		qi := q[lo+i]
		xm.SetRow(i, []float64{1, qi, qi * qi, qi * qi * qi})
		yv.SetVec(i, -2*math.Log(1-chRSProbs[lo+i]))
	}
	var px mat.Dense
	if err := px.Solve(&l, xm); err != nil {
		return 0, errors.New("arima: the Canova–Hansen p-value surface is singular")
	}
	var py mat.VecDense
	if err := py.SolveVec(&l, yv); err != nil {
		return 0, errors.New("arima: the Canova–Hansen p-value surface is singular")
	}
	var coef mat.VecDense
	if err := coef.SolveVec(&px, &py); err != nil {
		return 0, errors.New("arima: the Canova–Hansen p-value surface is singular")
	}
	v := math.Abs(coef.AtVec(0) + x*(coef.AtVec(1)+x*(coef.AtVec(2)+x*coef.AtVec(3))))
	return math.Exp(-v / 2), nil
}

// NSDiffsCH returns the number of seasonal differences (at most maxD) chosen by repeated
// Canova–Hansen tests at the 5 % level, as forecast::nsdiffs(x, test = "ch"): difference
// while the joint p-value is below 0.05. A test that fails (as for m < 4) counts as no
// difference, as in forecast; a constant series, or one no longer than m, needs none.
func NSDiffsCH(x []float64, m, maxD int) int {
	return seasonalDiffs(x, m, maxD, func(v []float64) bool {
		_, p, err := CH(v, m)
		return err == nil && p < 0.05
	})
}
