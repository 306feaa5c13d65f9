package arima

import (
	"errors"
	"fmt"
)

// TooShortError reports a series with too few non-missing observations for the model.
type TooShortError struct {
	Have int // non-missing observations
	Need int // the least number of non-missing observations the model needs
}

func (e *TooShortError) Error() string {
	return fmt.Sprintf("arima: series too short: %d non-missing observations, the model needs at least %d", e.Have, e.Need)
}

var (
	// ErrNonFinite reports a ±Inf in the series or the regressors.
	ErrNonFinite = errors.New("arima: series or regressors contain ±Inf")
	// ErrMagnitude reports a series or regressor with a value beyond ±1e150, or whose values
	// all lie within ±1e-150 (and are not all zero): sums of their squares overflow or underflow
	// float64, and σ², the likelihood and the standard errors would be Inf, NaN or 0. Rescale.
	ErrMagnitude = errors.New("arima: magnitudes beyond 1e150, or all below 1e-150; rescale the series")
	// ErrNonStationaryCSS reports that the conditional-sum-of-squares start of CSS-ML gave a
	// non-stationary AR part (R stops with the same message); fit with Method ML instead.
	ErrNonStationaryCSS = errors.New("arima: non-stationary AR part from CSS")
	// ErrNonStationary reports AR coefficients whose polynomial has a root inside the unit
	// circle where a stationary model is needed.
	ErrNonStationary = errNonStationary
	// ErrRankDeficient reports regressors that are linearly dependent.
	ErrRankDeficient = errors.New("arima: regressors are rank deficient")
	// ErrDegenerate reports a likelihood that is not finite at the starting values, as for a
	// constant series with free coefficients (R stops with "initial value in 'vmmin' is not
	// finite").
	ErrDegenerate = errors.New("arima: the likelihood is not finite at the starting values (constant or perfectly fitted series)")
	// ErrNoModel reports that the automatic search found no model it could fit.
	ErrNoModel = errors.New("arima: no suitable ARIMA model found")
)
