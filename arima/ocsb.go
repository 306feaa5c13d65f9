package arima

import (
	"errors"
	"math"

	"gonum.org/v1/gonum/mat"
)

// OCSB returns the statistic and the 5 % critical value of the Osborn–Chui–Smith–Birchenhall
// test for a seasonal unit root at period m (Osborn et al. 1988), as forecast's
// ocsb.test(x, maxlag = 3, lag.method = "AIC"): the regression of
// Δ Δ_m x_t on its own lags, Z4_{t−1} and Z5_{t−m}, where Z4 and Z5 are Δ_m x and Δ x filtered
// by the autoregression of Δ Δ_m x; the statistic is the t value of Z5's coefficient. The
// number of lags (0 to 3) is chosen as forecast does: the fits with 1, 2 and 3 lags are
// compared by AIC and the winner's count minus one is used. The critical value is the
// simulated one of forecast's calcOCSBCritVal. It returns an error when the regression is
// singular or the series too short.
func OCSB(x []float64, m int) (stat, critical float64, err error) {
	if m < 2 {
		return 0, 0, errors.New("arima: OCSB needs a seasonal period m ≥ 2")
	}
	const maxlag = 3
	best, bestAIC := 0, math.Inf(1)
	for lag := 1; lag <= maxlag; lag++ {
		fit, ok := ocsbFit(x, m, lag, maxlag)
		if ok && fit.aic < bestAIC {
			best, bestAIC = lag, fit.aic
		}
	}
	if best == 0 {
		return 0, 0, errors.New("arima: OCSB regression has no solution")
	}
	lag := best - 1 // forecast uses the position of the minimum minus one
	fit, ok := ocsbFit(x, m, lag, lag)
	if !ok || math.IsNaN(fit.tZ5) {
		return 0, 0, errors.New("arima: OCSB regression has no solution")
	}
	logm := math.Log(float64(m))
	critical = -0.2937411*math.Exp(-0.2850853*(logm-0.7656451)+(-0.05983644)*(logm-0.7656451)*(logm-0.7656451)) - 1.652202
	return fit.tZ5, critical, nil
}

type ocsbResult struct {
	tZ5, aic float64
}

// ocsbFit is forecast's fitOCSB(x, lag, maxlag) on a series without missing values.
func ocsbFit(x []float64, m, lag, maxlag int) (ocsbResult, bool) {
	n := len(x)
	y := func(t int) float64 { return x[t] - x[t-m] - x[t-1] + x[t-1-m] }
	first := m + 1 + maxlag // first row of the regressions
	if n-first < lag+3 {
		return ocsbResult{}, false
	}
	// Autoregression of y on its lags.
	b := make([]float64, lag)
	if lag > 0 {
		rows := n - first
		xm := mat.NewDense(rows, lag, nil)
		yv := mat.NewVecDense(rows, nil)
		for i := range rows {
			t := first + i
			yv.SetVec(i, y(t))
			for k := 1; k <= lag; k++ {
				xm.Set(i, k-1, y(t-k))
			}
		}
		var coef mat.VecDense
		if err := coef.SolveVec(xm, yv); err != nil {
			return ocsbResult{}, false
		}
		for k := range lag {
			b[k] = coef.AtVec(k)
		}
	}
	filtered := func(diff func(t int) float64, t int) float64 {
		v := diff(t)
		for k := 1; k <= lag; k++ {
			v -= b[k-1] * diff(t-k)
		}
		return v
	}
	dm := func(t int) float64 { return x[t] - x[t-m] }
	d1 := func(t int) float64 { return x[t] - x[t-1] }
	rows := n - first
	p := lag + 2
	xm := mat.NewDense(rows, p, nil)
	yv := mat.NewVecDense(rows, nil)
	for i := range rows {
		t := first + i
		yv.SetVec(i, y(t))
		for k := 1; k <= lag; k++ {
			xm.Set(i, k-1, y(t-k))
		}
		xm.Set(i, lag, filtered(dm, t-1))
		xm.Set(i, lag+1, filtered(d1, t-m))
	}
	var qr mat.QR
	qr.Factorize(xm)
	var coef mat.VecDense
	if err := qr.SolveVecTo(&coef, false, yv); err != nil {
		return ocsbResult{}, false
	}
	var fitted mat.VecDense
	fitted.MulVec(xm, &coef)
	rss := 0.0
	for i := range rows {
		e := yv.AtVec(i) - fitted.AtVec(i)
		rss += e * e
	}
	var xtx mat.SymDense
	xtx.SymOuterK(1, xm.T())
	var chol mat.Cholesky
	if !chol.Factorize(&xtx) || rows <= p {
		return ocsbResult{}, false
	}
	var inv mat.SymDense
	if err := chol.InverseTo(&inv); err != nil {
		return ocsbResult{}, false
	}
	s2 := rss / float64(rows-p)
	t5 := coef.AtVec(lag+1) / math.Sqrt(s2*inv.At(lag+1, lag+1))
	nf := float64(rows)
	loglik := 0.5 * (-nf * (math.Log(2*math.Pi) + 1 - math.Log(nf) + math.Log(rss)))
	return ocsbResult{tZ5: t5, aic: -2*loglik + 2*float64(p+1)}, true
}

// NSDiffsOCSB returns the number of seasonal differences (at most maxD) chosen by repeated
// OCSB tests, as forecast::nsdiffs(x, test = "ocsb"): difference while the statistic exceeds
// the critical value. A test that fails counts as no difference, as in forecast.
func NSDiffsOCSB(x []float64, m, maxD int) int {
	return seasonalDiffs(dropNaN(x), m, maxD, func(v []float64) bool {
		stat, crit, err := OCSB(v, m)
		return err == nil && stat > crit
	})
}
