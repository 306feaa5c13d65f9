package arima

import (
	"fmt"
	"math"
	"sync"
)

// Forecast holds h-step-ahead forecasts with their standard errors and a prediction interval.
type Forecast struct {
	Mean  []float64
	SE    []float64
	Lower []float64
	Upper []float64
	Level float64 // coverage of [Lower, Upper] in percent
}

// ForecastConfig holds the options of ForecastTo. The zero value forecasts as R's predict.
type ForecastConfig struct {
	// Xreg holds the future values of the user regressors, one slice of length ≥ h per
	// column; required when the model has regressors. The intercept and drift are generated.
	Xreg [][]float64
	// AdjustedSigma2 uses forecast's innovation variance (Sigma2Adjusted) for the standard
	// errors instead of the ML σ², as forecast::forecast does.
	AdjustedSigma2 bool
}

// Forecast returns the forecasts for the next h steps with a level% prediction interval,
// mean ± z·se with z the standard normal quantile, as R's predict and forecast. It panics if
// h < 0, if level is not in (0, 100), or if the model has user regressors (use ForecastTo).
//
// The forecasts continue the Kalman filter from the end of the series: the mean is Z Tʰ a_n
// and the variance σ² (Z Tʰ P_n Tʰ' Z' + Σ_{j<h} (Z T^j R)²), which equals R's KalmanForecast.
func (m *Model) Forecast(h int, level float64) Forecast {
	var f Forecast
	if err := m.ForecastTo(&f, h, level, ForecastConfig{}); err != nil {
		panic(err.Error())
	}
	return f
}

// ForecastTo writes the forecasts into dst, reusing its slices when they are large enough, so
// that repeated calls allocate nothing. It is safe for concurrent use. It returns an error when
// the model has regressors and cfg.Xreg does not give h future values for each.
func (m *Model) ForecastTo(dst *Forecast, h int, level float64, cfg ForecastConfig) error {
	m.mustBeFitted()
	if h < 0 {
		panic(fmt.Sprintf("arima: negative forecast horizon %d", h))
	}
	if !(level > 0 && level < 100) {
		panic(fmt.Sprintf("arima: level %v not in (0, 100)", level))
	}
	if m.lay.nxreg > 0 {
		if len(cfg.Xreg) != m.lay.nxreg {
			return fmt.Errorf("arima: the model has %d regressors, the forecast got %d future columns", m.lay.nxreg, len(cfg.Xreg))
		}
		for j, c := range cfg.Xreg {
			if len(c) < h {
				return fmt.Errorf("arima: future regressor %d has %d values, need %d", j+1, len(c), h)
			}
		}
	}
	dst.Mean = resize(dst.Mean, h)
	dst.SE = resize(dst.SE, h)
	dst.Lower = resize(dst.Lower, h)
	dst.Upper = resize(dst.Upper, h)
	dst.Level = level
	sigma2 := m.sigma2
	if cfg.AdjustedSigma2 {
		sigma2 = m.Sigma2Adjusted()
	}
	ss := m.ss
	rd := ss.rd
	bufp := forecastScratch.Get().(*[]float64)
	defer forecastScratch.Put(bufp)
	if cap(*bufp) < 4*rd {
		*bufp = make([]float64, 4*rd)
	}
	buf := (*bufp)[:4*rd]
	clear(buf)
	a, anew, z, zt := buf[:rd], buf[rd:2*rd], buf[2*rd:3*rd], buf[3*rd:]
	copy(a, m.a)
	// z holds Z T^j as a row vector; (Z T^j) R is the ψ weight of lag j.
	z[0] = 1
	for _, k := range ss.deltaIdx {
		z[ss.r+k] = ss.delta[k]
	}
	cum := 0.0
	zq := norm95(level)
	for i := range h {
		// ψ_i = Z T^i R before advancing z.
		psi := 0.0
		for j := 0; j < ss.r; j++ {
			psi += z[j] * ss.rcoef(j)
		}
		cum += psi * psi
		ss.rowTimesT(zt, z)
		copy(z, zt)
		ss.transition(anew, a)
		copy(a, anew)
		mean := ss.observe(a)
		t := m.n + i + 1
		mean += m.regressionAt(t, cfg.Xreg, i)
		v := cum + quadForm(z, m.p, rd)
		se := math.Sqrt(v * sigma2)
		dst.Mean[i] = mean
		dst.SE[i] = se
		dst.Lower[i] = mean - zq*se
		dst.Upper[i] = mean + zq*se
	}
	return nil
}

// forecastScratch holds the state buffers of ForecastTo, so that it allocates nothing.
var forecastScratch = sync.Pool{New: func() any { return new([]float64) }}

// rowTimesT writes the row vector x·T to dst.
func (s *stateSpace) rowTimesT(dst, x []float64) {
	r := s.r
	// (xT)_j = Σ_i x_i T[i][j]. Column 0 of T: φ_i for i < r, 1 at row r.
	v := 0.0
	for _, i := range s.phiIdx {
		v += x[i] * s.phi[i]
	}
	if s.d > 0 {
		v += x[r]
	}
	dst[0] = v
	for j := 1; j < r; j++ {
		dst[j] = x[j-1]
	}
	if s.d > 0 {
		// Column r+k of T: δ_{k+1} at row r, and 1 at row r+k+1 (k < d−1).
		for k := range s.d {
			v := x[r] * s.delta[k]
			if k+1 < s.d {
				v += x[r+k+1]
			}
			dst[r+k] = v
		}
	}
}

// quadForm returns z P zᵀ for a row-major rd × rd matrix P. Each row's dot product runs on
// four accumulators so that its additions do not wait on each other.
func quadForm(z, p []float64, rd int) float64 {
	s := 0.0
	for i, zi := range z {
		if zi == 0 {
			continue
		}
		row := p[i*rd : (i+1)*rd]
		row = row[:len(z)]
		var t0, t1, t2, t3 float64
		j := 0
		for ; j+4 <= len(z); j += 4 {
			t0 += row[j] * z[j]
			t1 += row[j+1] * z[j+1]
			t2 += row[j+2] * z[j+2]
			t3 += row[j+3] * z[j+3]
		}
		for ; j < len(z); j++ {
			t0 += row[j] * z[j]
		}
		s += zi * ((t0 + t1) + (t2 + t3))
	}
	return s
}

func resize(s []float64, n int) []float64 {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]float64, n)
}

// norm95 returns the standard normal quantile for a two-sided level% interval.
func norm95(level float64) float64 {
	return normQuantile(0.5 + level/200)
}

// normQuantile is the standard normal quantile function, √2 erf⁻¹(2p − 1).
func normQuantile(p float64) float64 {
	return math.Sqrt2 * math.Erfinv(2*p-1)
}
