package arima

import (
	"fmt"
	"math"
	"slices"
	"sync"
)

// Update returns a new model that has absorbed the observations y (NaN = missing) after the
// end of the series by continuing the Kalman filter, without re-estimating: forecasts from the
// new model start after the last of them. The coefficients, the fit statistics (σ²,
// log-likelihood, criteria) and the residuals stay those of the fit, so an update costs the
// same however many came before it. m is not modified. Update returns
// ErrNonFinite for ±Inf, and an error when the model has user regressors (use UpdateX).
func (m *Model) Update(y ...float64) (*Model, error) {
	if m.lay.nxreg > 0 {
		return nil, fmt.Errorf("arima: the model has %d regressors: use UpdateX", m.lay.nxreg)
	}
	return m.UpdateX(y, nil)
}

// UpdateX is Update for a model with user regressors: xreg holds their values at the new
// time steps, one slice of length len(y) per column.
func (m *Model) UpdateX(y []float64, xreg [][]float64) (*Model, error) {
	m.mustBeFitted()
	if len(xreg) != m.lay.nxreg {
		return nil, fmt.Errorf("arima: the model has %d regressors, got %d columns", m.lay.nxreg, len(xreg))
	}
	for j, c := range xreg {
		if len(c) != len(y) {
			return nil, fmt.Errorf("arima: regressor %d has %d values for %d observations", j+1, len(c), len(y))
		}
		for _, v := range c {
			if math.IsInf(v, 0) {
				return nil, ErrNonFinite
			}
		}
	}
	u := updates.Get().(*updateWork)
	defer updates.Put(u)
	u.adj = zeroed(u.adj, len(y))
	for i, v := range y {
		if math.IsInf(v, 0) {
			return nil, ErrNonFinite
		}
		u.adj[i] = v - m.regressionAt(m.n+i+1, xreg, i)
	}
	out := *m
	out.a = slices.Clone(m.a)
	out.p = slices.Clone(m.p)
	// The filter uses scratch inside the state space: a state space of its own, not m.ss,
	// which concurrent forecasts may be reading.
	ss := m.stateSpaceIn(&u.ss)
	defer ss.forget()
	st := filterState{a: out.a, p: out.p}
	ss.filter(u.adj, &st, nil, u.work.reuse(ss.rd), nil)
	out.n = m.n + len(y)
	return &out, nil
}

// updateWork is the scratch of an update: the regression-adjusted observations, the state
// space and the filter's work.
type updateWork struct {
	adj  []float64
	ss   stateSpace
	work filterWork
}

var updates = sync.Pool{New: func() any { return new(updateWork) }}
