// Package arima fits seasonal ARIMA models by exact Gaussian maximum likelihood, forecasts with
// prediction intervals, and searches model orders automatically. It reproduces R's
// stats::arima and forecast::auto.arima.
//
// # Model
//
// A multiplicative seasonal ARIMA (p,d,q)(P,D,Q)m model for a series y with optional
// regressors x_t (regression with ARIMA errors) is
//
//	y_t = β'x_t + u_t,
//	φ(B) Φ(B^m) (1−B)^d (1−B^m)^D u_t = θ(B) Θ(B^m) e_t,   e_t ~ N(0, σ²),
//
// with R's signs: φ(B) = 1 − φ1 B − … − φp B^p and θ(B) = 1 + θ1 B + … + θq B^q. A mean
// (R's "intercept") is a regressor of ones, fitted when d + D = 0; a drift is the regressor
// t = 1…n, fitted when d + D ≤ 1 (forecast::Arima's include.drift).
//
// # Estimation
//
// Fit follows stats::arima step by step (Gardner, Harvey & Phillips 1980; Harvey 1989;
// Durbin & Koopman 2012):
//   - The model is put in state-space form with r = max(p+mP, q+mQ+1) ARMA states in Harvey's
//     form and d + mD states holding past observations. The ARMA block starts from its exact
//     stationary covariance (the Lyapunov equation, solved exactly through the autocovariances
//     in O(p³ + r²)); the differencing states start diffuse with variance κ = 1e6 relative
//     to σ², and observations whose prediction variance is at least 1e4·σ² are left out of the
//     likelihood, as R does. Missing values (NaN) are skipped by the filter.
//   - σ² is concentrated out: the optimiser minimises ½(log(Σv²/F / ν) + Σ log F / ν).
//   - Without missing values the optimiser works on the exactly diffuse likelihood — that of
//     the differenced series under the ARMA model, the κ → ∞ limit of R's — computed by the
//     Chandrasekhar recursions in O(r) per observation (Morf, Sidhu & Kailath 1974); the
//     reported log-likelihood, σ², residuals and final state come from R's κ = 1e6 filter at
//     the estimate, so they match R's to its printed precision. Config.KappaLikelihood
//     optimises R's likelihood itself.
//   - CSS-ML (the default) starts from the conditional-sum-of-squares estimate; AR parts are
//     optimised through the partial-autocorrelation transform (Jones 1980), so every estimate
//     is stationary, and MA parts are made invertible by reflecting roots inside the unit
//     circle.
//   - BFGS (gonum/optimize) on a central-difference gradient stops on the gradient norm.
//   - Standard errors come from the inverse of the numerical Hessian, mapped through the
//     Jacobian of the transform, exactly as R computes them.
//   - loglik, AIC = −2 loglik + 2k, AICc = AIC + 2k(k+1)/(nobs−k−1) and
//     BIC = AIC + k(log nobs − 2), with k the number of estimated coefficients plus one and
//     nobs the non-missing observations minus d + mD.
//
// Forecasts continue the Kalman filter from the end of the series; their variances use the
// ML σ² as R's predict does, or forecast's bias-adjusted σ² on request.
//
// Auto implements the Hyndman–Khandakar algorithm of forecast::auto.arima (Hyndman &
// Khandakar 2008): KPSS tests choose d, the seasonal strength of an STL decomposition (or the
// OCSB or Canova–Hansen test) chooses D, and a stepwise search over (p,q,P,Q) and the
// constant minimises the AICc; long or seasonal series are ranked by the CSS approximation
// and the best refitted exactly. With regressors it selects a regression with ARIMA errors:
// the tests see the regression residuals and every candidate is fitted with the regressors.
//
// # Special cases
//
// An empty or too-short series gives a *TooShortError naming the length needed; ±Inf gives
// ErrNonFinite, and a value beyond ±1e150 or a series entirely within ±1e-150 ErrMagnitude. A constant series has zero innovation variance: Auto returns R's answer (a
// fixed-mean model, or a pure differencing model); Fit with a free mean, drift or AR coefficient
// fails with ErrDegenerate, as it does on a series whose differences are constant (without
// regressors).
//
// # Concurrency and determinism
//
// Fit, Auto and every Model method are deterministic. A Model is immutable and safe for
// concurrent use; Update returns a new Model. Auto's non-stepwise search fits on all cores
// and returns the same model for any GOMAXPROCS.
//
// # References
//
// Canova, F. & Hansen, B. E. (1995). Are seasonal patterns constant over time? A test for
// seasonal stability. J. Bus. Econ. Stat. 13, 237–252.
//
// Díaz-Emparanza, I. & Moral, M. P. (2013). Seasonal stability tests in gretl. An application
// to international tourism data. Working paper, Universidad del País Vasco.
//
// Durbin, J. & Koopman, S. J. (2012). Time Series Analysis by State Space Methods, 2nd ed.
//
// Gardner, G., Harvey, A. C. & Phillips, G. D. A. (1980). Algorithm AS 154. Applied Statistics
// 29, 311–322.
//
// Hyndman, R. J. & Khandakar, Y. (2008). Automatic time series forecasting: the forecast
// package for R. J. Stat. Softw. 27(3).
//
// Jones, R. H. (1980). Maximum likelihood fitting of ARMA models to time series with missing
// observations. Technometrics 22, 389–395.
//
// Morf, M., Sidhu, G. S. & Kailath, T. (1974). Some new algorithms for recursive estimation in
// constant, linear, discrete-time systems. IEEE Trans. Automatic Control 19, 315–323.
//
// Osborn, D. R., Chui, A. P. L., Smith, J. P. & Birchenhall, C. R. (1988). Seasonality and the
// order of integration for consumption. Oxford Bull. Econ. Stat. 50, 361–377.
package arima
