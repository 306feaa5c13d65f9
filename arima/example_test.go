package arima_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/stacklens/omen/arima"
)

// lh is R's datasets::lh: luteinizing hormone in blood samples at 10-minute intervals.
var lh = []float64{2.4, 2.4, 2.4, 2.2, 2.1, 1.5, 2.3, 2.3, 2.5, 2.0, 1.9, 1.7, 2.2, 1.8, 3.2, 3.2,
	2.7, 2.2, 2.2, 1.9, 1.9, 1.8, 2.7, 3.0, 2.3, 2.0, 2.0, 2.9, 2.9, 2.7, 2.7, 2.3, 2.6, 2.4, 1.8,
	1.7, 1.5, 1.4, 2.1, 3.3, 3.5, 3.5, 3.1, 2.6, 2.1, 3.4, 3.0, 2.9}

// wwwUsage is R's datasets::WWWusage: users connected to a server each minute.
var wwwUsage = []float64{88, 84, 85, 85, 84, 85, 83, 85, 88, 89, 91, 99, 104, 112, 126, 138, 146,
	151, 150, 148, 147, 149, 143, 132, 131, 139, 147, 150, 148, 145, 140, 134, 131, 131, 129, 126,
	126, 132, 137, 140, 142, 150, 159, 167, 170, 171, 172, 172, 174, 175, 172, 172, 174, 174, 169,
	165, 156, 142, 131, 121, 112, 104, 102, 99, 99, 95, 88, 84, 84, 87, 89, 88, 85, 86, 89, 91, 91,
	94, 101, 110, 121, 135, 145, 149, 156, 165, 171, 175, 177, 182, 193, 204, 208, 210, 215, 222,
	228, 226, 222, 220}

// Fit an AR(1) with a mean, as R's arima(lh, order = c(1,0,0)): ar1 0.5739 (se 0.1161),
// intercept 2.4133 (se 0.1466), sigma^2 0.1975, log likelihood -29.38.
func ExampleFit() {
	m, err := arima.Fit(lh, arima.Spec{Order: arima.Order{P: 1}, Mean: true}, arima.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	se := m.SE()
	for i, name := range m.Names() {
		fmt.Printf("%s %.4f (se %.4f)\n", name, m.Coef()[i], se[i])
	}
	fmt.Printf("sigma2 %.4f loglik %.2f aic %.2f\n", m.Sigma2(), m.LogLik(), m.AIC())
	// Output:
	// ar1 0.5739 (se 0.1161)
	// intercept 2.4133 (se 0.1466)
	// sigma2 0.1975 loglik -29.38 aic 64.76
}

// Forecast three steps with 95 % intervals, as predict(arima(lh, order = c(1,0,0)), 3) in R:
// 2.693 [1.822, 3.564], 2.574 [1.569, 3.578], 2.505 [1.461, 3.550].
func ExampleModel_Forecast() {
	m, _ := arima.Fit(lh, arima.Spec{Order: arima.Order{P: 1}, Mean: true}, arima.Config{})
	f := m.Forecast(3, 95)
	for h := range f.Mean {
		fmt.Printf("%d: %.3f [%.3f, %.3f]\n", h+1, f.Mean[h], f.Lower[h], f.Upper[h])
	}
	// Output:
	// 1: 2.693 [1.822, 3.564]
	// 2: 2.574 [1.569, 3.578]
	// 3: 2.505 [1.461, 3.550]
}

// ForecastTo reuses its destination: after the first call it allocates nothing. The
// bias-adjusted variance of the forecast package widens the intervals (R:
// sqrt(forecast::Arima(lh, order = c(1,0,0))$sigma2) = 0.454).
func ExampleModel_ForecastTo() {
	m, _ := arima.Fit(lh, arima.Spec{Order: arima.Order{P: 1}, Mean: true}, arima.Config{})
	var f arima.Forecast
	_ = m.ForecastTo(&f, 2, 80, arima.ForecastConfig{AdjustedSigma2: true})
	fmt.Printf("%.3f ± %.3f\n", f.Mean[0], f.SE[0])
	// Output:
	// 2.693 ± 0.454
}

// Choose a model automatically, as forecast::auto.arima(WWWusage): ARIMA(1,1,1) with ar1
// 0.6504, ma1 0.5256, AICc 514.55.
func ExampleAuto() {
	m, err := arima.Auto(wwwUsage, arima.AutoConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Order(), m.Seasonal())
	fmt.Printf("ar1 %.4f ma1 %.4f AICc %.2f\n", m.Coef()[0], m.Coef()[1], m.AICc())
	// Output:
	// {1 1 1} {0 0 0 1}
	// ar1 0.6504 ma1 0.5256 AICc 514.55
}

// Update absorbs new observations without refitting; the forecasts move on.
func ExampleModel_Update() {
	m, _ := arima.Fit(lh[:40], arima.Spec{Order: arima.Order{P: 1}, Mean: true}, arima.Config{})
	up, err := m.Update(lh[40:]...)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Len(), up.Len())
	fmt.Printf("%.3f %.3f\n", m.Forecast(1, 95).Mean[0], up.Forecast(1, 95).Mean[0])
	// Output:
	// 40 48
	// 2.772 2.583
}

// UpdateX is Update for a model with regressors: it needs their new values.
func ExampleModel_UpdateX() {
	x := make([]float64, len(lh))
	for i := range x {
		x[i] = math.Sin(float64(i))
	}
	spec := arima.Spec{Order: arima.Order{P: 1}, Mean: true, Xreg: [][]float64{x[:44]}, XregNames: []string{"sin"}}
	m, _ := arima.Fit(lh[:44], spec, arima.Config{})
	up, err := m.UpdateX(lh[44:], [][]float64{x[44:]})
	fmt.Println(m.Names(), up.Len(), err)
	// Output:
	// [ar1 intercept sin] 48 <nil>
}

// A model round-trips through its versioned binary encoding.
func ExampleModel_MarshalBinary() {
	m, _ := arima.Fit(lh, arima.Spec{Order: arima.Order{P: 1}, Mean: true}, arima.Config{})
	b, _ := m.MarshalBinary()
	var back arima.Model
	if err := back.UnmarshalBinary(b); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(back.Forecast(1, 95).Mean[0] == m.Forecast(1, 95).Mean[0])
	// Output:
	// true
}

// Simulate an airline-model series and recover its coefficients.
func ExampleSimulate() {
	spec := arima.Spec{Order: arima.Order{D: 1, Q: 1}, Seasonal: arima.Seasonal{D: 1, Q: 1, Period: 12}}
	y := arima.Simulate(spec, []float64{-0.4, -0.6}, 1, 2000, rand.New(rand.NewPCG(1, 2)))
	m, _ := arima.Fit(y, spec, arima.Config{})
	fmt.Printf("ma1 %.1f sma1 %.1f\n", m.Coef()[0], m.Coef()[1])
	// Output:
	// ma1 -0.4 sma1 -0.6
}

// The unit-root tests that Auto uses to choose d and D. R: ndiffs(lh) = 0,
// ndiffs(WWWusage) = 1, urca::ur.kpss(WWWusage, use.lag = 3)@teststat = 0.5538.
func ExampleNDiffs() {
	fmt.Println(arima.NDiffs(lh, 2), arima.NDiffs(wwwUsage, 2))
	fmt.Printf("KPSS(WWWusage) = %.3f\n", arima.KPSS(wwwUsage, 3))
	// Output:
	// 0 1
	// KPSS(WWWusage) = 0.554
}

// A strongly seasonal series needs a seasonal difference.
func ExampleNSDiffs() {
	y := make([]float64, 96)
	for t := range y {
		y[t] = 10*math.Sin(2*math.Pi*float64(t)/12) + float64(t)/10 + math.Cos(float64(t*t))
	}
	fmt.Printf("strength %.2f, D = %d\n", arima.SeasonalStrength(y, 12), arima.NSDiffs(y, 12, 1))
	// Output:
	// strength 0.99, D = 1
}

func ExampleParseMethod() {
	m, err := arima.ParseMethod("CSS")
	fmt.Println(m, err)
	// Output:
	// CSS <nil>
}

// The OCSB test, forecast's alternative to the seasonal-strength heuristic.
func ExampleNSDiffsOCSB() {
	y := make([]float64, 120)
	for t := range y {
		seasonal := 0.0
		if t >= 12 {
			seasonal = y[t-12] // a seasonal random walk has a seasonal unit root
		}
		y[t] = seasonal + math.Sin(float64(t*t))
	}
	stat, crit, err := arima.OCSB(y, 12)
	fmt.Printf("stat %.2f > critical %.2f: %v (err %v)\n", stat, crit, stat > crit, err)
	fmt.Println("D =", arima.NSDiffsOCSB(y, 12, 1))
	// Output:
	// stat -0.50 > critical -1.80: true (err <nil>)
	// D = 1
}

// The Canova–Hansen test on a seasonal random walk of 30 years, whose seasonal pattern
// wanders: the joint statistic is in the 1 % tail, so one seasonal difference is taken.
// uroot 2.1-2 and forecast 8.20 agree: x <- numeric(360); for (t in 0:359) x[t + 1] <-
// (if (t >= 12) x[t - 11] else 0) + sin(t^2); uroot::ch.test(ts(x, frequency = 12),
// type = "trigonometric") gives 2.910 (p = 0.0056) and nsdiffs(ts(x, frequency = 12),
// test = "ch") is 1.
func ExampleCH() {
	y := make([]float64, 360)
	for t := range y {
		seasonal := 0.0
		if t >= 12 {
			seasonal = y[t-12]
		}
		y[t] = seasonal + math.Sin(float64(t*t))
	}
	stat, p, err := arima.CH(y, 12)
	fmt.Printf("statistic %.3f, p-value %.4f (err %v)\n", stat, p, err)
	fmt.Println("D =", arima.NSDiffsCH(y, 12, 1))
	// Output:
	// statistic 2.910, p-value 0.0056 (err <nil>)
	// D = 1
}

// Choose a regression with ARIMA errors: a weekly promotion x lifts a series whose errors are
// autocorrelated. forecast 8.20 chooses the same model with the same coefficients, standard
// errors and forecasts (14.20 and 13.95):
// x <- as.numeric((0:139) %% 7 == 0); e <- numeric(140); for (t in 2:140) e[t] <- 0.6 * e[t-1] +
// sin(t^2); y <- 10 + 4 * x + e; auto.arima(y, xreg = cbind(promo = x)).
func ExampleAuto_regressors() {
	n := 140
	promo, y := make([]float64, n), make([]float64, n)
	e := 0.0
	for t := range n {
		if t%7 == 0 {
			promo[t] = 1
		}
		if t > 0 {
			e = 0.6*e + math.Sin(float64((t+1)*(t+1)))
		}
		y[t] = 10 + 4*promo[t] + e
	}
	m, err := arima.Auto(y, arima.AutoConfig{Xreg: [][]float64{promo}, XregNames: []string{"promo"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Order(), m.Names())
	for i, c := range m.Coef() {
		fmt.Printf("%s %.2f (se %.3f)\n", m.Names()[i], c, m.SE()[i])
	}
	var f arima.Forecast
	// The forecasts need the future regressor: a promotion at steps 140 and 147.
	next := []float64{1, 0, 0, 0, 0, 0, 0, 1}
	if err := m.ForecastTo(&f, 8, 95, arima.ForecastConfig{Xreg: [][]float64{next}}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("forecast %.2f, then %.2f\n", f.Mean[0], f.Mean[7])
	// Output:
	// {1 0 0} [ar1 intercept promo]
	// ar1 0.53 (se 0.071)
	// intercept 9.94 (se 0.129)
	// promo 4.01 (se 0.143)
	// forecast 14.20, then 13.95
}
