package omen

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/stacklens/omen/arima"
	"github.com/stacklens/omen/internal/order"
	"github.com/stacklens/omen/internal/stl"
)

// forecastSeries is one metric of one service: its recent values on the window grid, its model,
// the model's latest forecast and the forecast records awaiting their actual value.
type forecastSeries struct {
	Metric   string
	Values   []float64 // the last HistoryWindows values on the grid, NaN where a window is missing
	SinceFit int       // windows since the last fit attempt
	// SinceSelect counts the fits since the orders were last chosen by arima.Auto.
	SinceSelect int
	Failed      bool // the last window's one-step forecast error exceeded RefitZ
	Fell        bool // the last window fell more than RefitZ standard errors below its forecast
	// Surprises counts the consecutive windows up to the last whose error exceeded RefitZ.
	Surprises int
	// Awaiting holds the forecasts issued for windows still to come, compactly: each is
	// completed with its window's actual value when that window arrives.
	Awaiting []forecastPending
	// Slot is the position of the last window in the seasonal cycle (see advanceSlot), and
	// Seasonal the seasonal profile by position that the model's series is adjusted by: empty
	// when the model is fitted on the raw values.
	Slot     int
	Seasonal []float64
	// Scale multiplies the model's forecast standard errors (0 means 1); see forecastScale.
	Scale float64
	// Errors and ErrorSEs are the last forecastDriftWindows one-step forecast errors y − ŷ and
	// their standard errors, oldest first.
	Errors, ErrorSEs []float64

	model   *arima.Model
	weights forecastWeights // the model's ψ-weights and ARMA form over the horizon
	// order is forecastModelOrder of a model of the orders orderOf (p, d, q, P, D, Q, period).
	order   string
	orderOf [7]int
	// fc is the forecast after the last window (valid when hasFc), the drift included; arimaSE
	// holds the model's own standard errors and driftSE the standard error of the drift.
	fc      arima.Forecast
	arimaSE []float64
	drift   float64
	driftSE float64
	hasFc   bool
}

// forecastDriftWindows is the number of recent one-step forecast errors the drift is estimated
// from, and forecastDriftZ the significance (in standard errors) it needs.
const (
	forecastDriftWindows = 6
	forecastDriftZ       = 3
)

// append adds the value of a window k steps after the previous one (k−1 missing windows before
// it) and trims the history to HistoryWindows.
func (f *forecastSeries) append(cfg *AlerterConfig, k int, v float64) {
	for range min(k-1, cfg.HistoryWindows) {
		f.Values = append(f.Values, math.NaN())
	}
	f.Values = append(f.Values, v)
	if extra := len(f.Values) - cfg.HistoryWindows; extra > 0 {
		f.Values = slices.Delete(f.Values, 0, extra)
	}
}

// observe takes the value v of the window at t, k steps of length step after the previous one:
// it measures the model's one-step forecast error, filters v into the model, adds v to the
// history and completes the forecast records of t, which it appends to out. A forecast is of
// window t when its time lies within half a step of t: window timestamps jitter (a producer
// stamps them with its clock, microseconds and all), the grid does not.
func (f *forecastSeries) observe(cfg *AlerterConfig, service string, t time.Time, k, slot int, step time.Duration, v float64, out []Forecast) []Forecast {
	f.SinceFit += k
	f.Slot = slot
	if k > cfg.HistoryWindows {
		// A gap longer than the history: nothing of the past is left to model.
		f.model, f.weights, f.hasFc, f.Seasonal = nil, forecastWeights{}, false, nil
		f.Values, f.Errors, f.ErrorSEs = f.Values[:0], f.Errors[:0], f.ErrorSEs[:0]
	}
	if f.model != nil {
		f.Failed, f.Fell = false, false
		if f.hasFc && k <= len(f.fc.Mean) {
			f.Failed = forecastSurprise(v, f.fc.Mean[k-1], f.fc.SE[k-1]) > cfg.RefitZ
			f.Fell = f.Failed && v < f.fc.Mean[k-1]
			f.Errors = forecastPush(f.Errors, v-f.fc.Mean[k-1])
			f.ErrorSEs = forecastPush(f.ErrorSEs, f.fc.SE[k-1])
		}
		if f.Failed {
			f.Surprises++
		} else {
			f.Surprises = 0
		}
		y := make([]float64, k)
		for i := range k - 1 {
			y[i] = math.NaN()
		}
		y[k-1] = v - f.seasonalAt(0)
		if f.Surprises == 1 {
			// A lone surprise may be a spike: filtered in, its innovation would echo through
			// the model's AR and MA terms for the next windows. The state skips it; a second
			// surprise in a row makes a refit on the history, which then takes in both.
			y[k-1] = math.NaN()
		}
		if next, err := f.model.Update(y...); err == nil {
			f.model = next
		} else {
			f.model, f.weights = nil, forecastWeights{}
		}
	}
	f.hasFc = false
	f.append(cfg, k, v)
	now, tol := t.UnixNano(), int64(max(step, 0)/2)
	kept := f.Awaiting[:0]
	for _, p := range f.Awaiting {
		switch {
		case p.At >= now-tol && (p.At < now+tol || p.At == now):
			rec := p.record(cfg, service, f.Metric)
			actual, diff := v, v-p.Predicted
			rec.Actual, rec.Error = &actual, &diff
			out = append(out, rec)
		case p.At > now:
			kept = append(kept, p) // a later window's
		}
	}
	f.Awaiting = kept
	return out
}

// forecastPending is a Forecast record awaiting its actual value, without the fields its series
// and the configuration give (about a quarter of a Forecast's memory: a service keeps
// Horizon·(Horizon+1)/2 of them per metric with the default ForecastRecords).
type forecastPending struct {
	Issued, At              int64    // Unix nanoseconds of the issuing window and of the forecast one
	H                       int      // steps ahead
	Key                     [16]byte // the record's ID before its hex encoding (zero: compute it)
	Predicted, Lower, Upper float64
	Order                   string // the model, as forecastModelOrder writes it
}

// record returns the Forecast record of p, a forecast of metric of service.
func (p forecastPending) record(cfg *AlerterConfig, service, metric string) Forecast {
	issued := time.Unix(0, p.Issued).UTC()
	key := p.Key
	if key == ([16]byte{}) {
		key = recordKey(service, "forecast+"+strconv.Itoa(p.H), metric, issued)
	}
	return Forecast{
		ID:         recordKeyString(key),
		Service:    service,
		Metric:     metric,
		IssuedAt:   issued,
		Timestamp:  time.Unix(0, p.At).UTC(),
		Predicted:  p.Predicted,
		Lower:      p.Lower,
		Upper:      p.Upper,
		Level:      cfg.IntervalLevel,
		Model:      "arima",
		ModelOrder: p.Order,
	}
}

// forecastSurprise returns |v − mean|/se, the standardized forecast error (+Inf when a zero
// standard error is missed, 0 when it is met).
func forecastSurprise(v, mean, se float64) float64 {
	if se > 0 {
		return math.Abs(v-mean) / se
	}
	if v == mean {
		return 0
	}
	return math.Inf(1)
}

// refitIfDue refits the model when there is none, when it has aged RefitEvery windows, or when
// the last two windows (or more) in a row surprised it, provided MinFitWindows values are
// observed.
func (f *forecastSeries) refitIfDue(cfg *AlerterConfig, period int) {
	if f.model != nil && f.SinceFit < cfg.RefitEvery && f.Surprises < 2 {
		return
	}
	f.fit(cfg, period)
}

// fit fits the model on the history. With at least two full cycles of the given period (more
// than two: STL's minimum) the series is first seasonally adjusted, as forecast's stlm does:
// a periodic STL decomposition (Cleveland et al. 1990) gives the profile by position in the cycle,
// and a non-seasonal ARIMA is fitted on the values minus their seasonal component; forecasts add
// the profile back. This models daily seasonality at the cost of a non-seasonal fit, several
// times cheaper than a seasonal ARIMA with a 24-step period (whose state holds 25 or more values).
//
// The orders are chosen anew by arima.Auto when there is no model yet, when the last window
// surprised the model, when the seasonal adjustment was switched on or off, and every
// ReselectEvery windows; else the current orders are re-estimated by arima.Fit, which costs one
// fit instead of a search, on the series adjusted by the current profile: a day more in a
// median over a week barely moves it, and its robust decomposition costs as much as the fit.
// A failed fit keeps the previous model.
func (f *forecastSeries) fit(cfg *AlerterConfig, period int) {
	observed := 0
	for _, v := range f.Values {
		if !math.IsNaN(v) {
			observed++
		}
	}
	if observed < cfg.MinFitWindows {
		return
	}
	failed := f.Failed
	f.SinceFit, f.Failed = 0, false
	raw := forecastInterpolate(forecastClean(f.Values))
	f.SinceSelect++
	reestimate := f.model != nil && !failed && f.SinceSelect*cfg.RefitEvery < cfg.ReselectEvery
	reuse := reestimate && len(f.Seasonal) == period && len(raw) > 2*period
	seasonal := f.Seasonal
	if !reuse {
		seasonal = forecastSeasonal(raw, period, f.Slot)
	}
	var model *arima.Model
	var err error
	if reestimate && len(f.Seasonal) == len(seasonal) {
		spec := f.model.Spec()
		spec.Fixed = nil // a constant fixed on a series with constant differences is estimated anew
		model, err = arima.Fit(forecastAdjusted(raw, seasonal, f.Slot), spec, arima.Config{})
	}
	if model == nil || err != nil {
		f.SinceSelect = 0
		if reuse {
			seasonal = forecastSeasonal(raw, period, f.Slot) // a model choice takes a new profile
		}
		model, err = arima.Auto(forecastAdjusted(raw, seasonal, f.Slot), arima.AutoConfig{NonSeasonal: true, MaxP: 1, MaxQ: 1, MaxD: 1})
	}
	if err != nil {
		return
	}
	f.model, f.weights, f.Seasonal, f.Scale = model, forecastWeightsOf(model, cfg.Horizon), seasonal, forecastScale(model)
}

// forecastScale returns min(1, σ̃/σ): σ the model's innovation standard deviation and σ̃ the
// robust one of its residuals, 1.4826 times their median absolute deviation. The exact
// likelihood's σ² is inflated by the few large innovations of an incident the history still
// holds (a level shift when it ends, a spike forecastClean kept); forecasts scaled by the ratio
// have the spread of normal operation, which is what a breach probability must be judged by.
func forecastScale(m *arima.Model) float64 {
	sigma := math.Sqrt(m.Sigma2())
	res := m.Residuals()
	r := res[:0] // Residuals returns a copy: filtered in place
	for _, e := range res {
		if !math.IsNaN(e) {
			r = append(r, e)
		}
	}
	if !(sigma > 0) || len(r) < 8 {
		return 1
	}
	centre := order.Median(r) // r holds no NaN, and is ours to rearrange
	for i, e := range r {
		r[i] = math.Abs(e - centre)
	}
	robust := 1.4826 * order.Median(r)
	if !(robust > 0) {
		return 1
	}
	return min(1, robust/sigma)
}

// forecastSeasonal returns the seasonal profile of y by position in the cycle of period, the
// last value being at position slot: for each position, the median over the cycles of the
// history of y minus its trend, the profile then centred on zero. The trend is that of a robust
// periodic STL decomposition, whose robustness weights keep a spike out of it. (A running median
// of a cycle's length, ten times cheaper, raised the false-alert rate of
// TestAlerterRampAlertsAcrossSeeds from 0.15 to 0.21.) Medians keep an incident of a day or two
// out of the profile, which a mean (a classical decomposition, or STL's periodic seasonal) would
// spread over every later day at that hour. It returns nil for a period below 2 or a series of no
// more than two cycles.
func forecastSeasonal(y []float64, period, slot int) []float64 {
	if period < 2 || len(y) <= 2*period {
		return nil
	}
	n := len(y)
	dec, err := stl.Decompose(y, stl.Config{Period: period, Periodic: true, Robust: true})
	if err != nil {
		return nil
	}
	detrended := make([]float64, n)
	for i := range y {
		detrended[i] = y[i] - dec.Trend[i]
	}
	profile := make([]float64, period)
	at := make([]float64, 0, n/period+1)
	centre := 0.0
	for pos := range period {
		at = at[:0]
		for back := (slot - pos + period) % period; back < n; back += period {
			at = append(at, detrended[n-1-back])
		}
		profile[pos] = alertMedian(at)
		centre += profile[pos]
	}
	centre /= float64(period)
	for pos := range profile {
		profile[pos] -= centre
	}
	return profile
}

// forecastAdjusted returns y minus its seasonal profile (y itself without one), the last value
// of y being at position slot of the cycle.
func forecastAdjusted(y, seasonal []float64, slot int) []float64 {
	if seasonal == nil {
		return y
	}
	out := make([]float64, len(y))
	for i, v := range y {
		out[i] = v - seasonal[forecastSlotBack(slot, len(y)-1-i, len(seasonal))]
	}
	return out
}

// forecastSlotBack returns the position in the cycle of period of the value back steps before
// the one at position slot.
func forecastSlotBack(slot, back, period int) int {
	return ((slot-back)%period + period) % period
}

// seasonalAt returns the seasonal profile's value h steps after the last window (0 without a
// profile).
func (f *forecastSeries) seasonalAt(h int) float64 {
	if len(f.Seasonal) == 0 {
		return 0
	}
	return f.Seasonal[(f.Slot+h)%len(f.Seasonal)]
}

// forecastInterpolate drops the leading missing values of y and fills the others by linear
// interpolation between their observed neighbours (the last observed value after the end), as
// forecast's na.interp does for non-seasonal series: the exact likelihood then runs on a
// complete series, which is much faster. It modifies y in place and returns it.
func forecastInterpolate(y []float64) []float64 {
	for len(y) > 0 && math.IsNaN(y[0]) {
		y = y[1:]
	}
	prev := 0
	for i := 1; i < len(y); i++ {
		if math.IsNaN(y[i]) {
			continue
		}
		for j := prev + 1; j < i; j++ {
			y[j] = y[prev] + (y[i]-y[prev])*float64(j-prev)/float64(i-prev)
		}
		prev = i
	}
	for j := prev + 1; j < len(y); j++ {
		y[j] = y[prev]
	}
	return y
}

// forecast computes the forecast of the next Horizon windows; it reports false without a model.
func (f *forecastSeries) forecast(cfg *AlerterConfig) bool {
	if f.model == nil {
		return false
	}
	if err := f.model.ForecastTo(&f.fc, cfg.Horizon, 100*cfg.IntervalLevel, arima.ForecastConfig{}); err != nil {
		return false
	}
	f.hasFc = true
	z := math.Sqrt2 * math.Erfinv(cfg.IntervalLevel)
	scale := f.Scale
	if scale == 0 {
		scale = 1
	}
	for h := range f.fc.Mean {
		f.fc.Mean[h] += f.seasonalAt(h + 1)
		f.fc.SE[h] *= scale
		f.fc.Lower[h] = f.fc.Mean[h] - z*f.fc.SE[h]
		f.fc.Upper[h] = f.fc.Mean[h] + z*f.fc.SE[h]
	}
	if len(f.weights.Psi) != cfg.Horizon {
		f.weights = forecastWeightsOf(f.model, cfg.Horizon)
	}
	f.arimaSE = append(f.arimaSE[:0], f.fc.SE...)
	f.drift, f.driftSE = forecastDrift(f.Errors, f.ErrorSEs)
	if f.drift == 0 {
		return true
	}
	for h, w := range forecastDriftWeights(f.weights.Psi) {
		f.fc.Mean[h] += f.drift * w
		f.fc.SE[h] = math.Hypot(f.arimaSE[h], f.driftSE*w)
		f.fc.Lower[h] = f.fc.Mean[h] - z*f.fc.SE[h]
		f.fc.Upper[h] = f.fc.Mean[h] + z*f.fc.SE[h]
	}
	return true
}

// forecastDamping is the factor by which the drift's persistence decays at each step ahead. It
// was chosen with the measure of TestAlerterRampAlertsAcrossSeeds taken over seeds 1–50 (150
// slow ramps): with 0.9, alerts preceded 77 % of the ramps' crossings but 20 % of them expired
// without a breach, most of them alerts of a higher threshold than the one a ramp stops at; with
// 0.8, 72 % and 15 %. (On the test's own seeds 1–30, 0.9 fails its false-alert bound.)
const forecastDamping = 0.8

// forecastDriftWeights returns w_h = Σ_{i=1..h} ψ_{h−i} λ^{i−1} (λ = forecastDamping) for
// h = 1…H: the shift of the forecast h steps ahead per unit of drift when the innovations keep a
// bias that decays by λ a step. For a random walk it is the damped trend (1 − λʰ)/(1 − λ)
// (Gardner & McKenzie 1985), which never extrapolates more than 1/(1 − λ) = 5 steps of slope.
func forecastDriftWeights(psi []float64) []float64 {
	w := make([]float64, len(psi))
	for h := range w {
		damp := 1.0
		for i := 0; i <= h; i++ {
			w[h] += psi[h-i] * damp
			damp *= forecastDamping
		}
	}
	return w
}

// forecastDrift estimates a persistent bias of the one-step forecasts — the sign of a ramp or a
// shift the model has not caught up with — as the median δ of the last forecastDriftWindows
// errors, with the standard error s = 1.2533·√(mean se²)/√k of a median of k normal errors. It
// returns δ and s when the k errors are known, all of one sign and |δ| > 3s; else zeros (a
// spike and its return have both signs).
//
// A bias δ of the innovations that persists, decaying by λ a step, shifts the forecast h steps
// ahead by δ·w_h (see forecastDriftWeights) with the standard error s·w_h, common to all steps.
func forecastDrift(errors, ses []float64) (float64, float64) {
	if len(errors) < forecastDriftWindows {
		return 0, 0
	}
	ss := 0.0
	for _, se := range ses {
		ss += se * se
	}
	s := 1.2533 * math.Sqrt(ss/float64(len(ses))) / math.Sqrt(float64(len(ses)))
	positive := 0
	for _, e := range errors {
		if e > 0 {
			positive++
		}
	}
	d := alertMedian(errors)
	if (positive != 0 && positive != len(errors)) || !(math.Abs(d) > forecastDriftZ*s) || math.IsInf(d, 0) {
		return 0, 0
	}
	return d, s
}

// forecastPush appends v to the window w of at most forecastDriftWindows values.
func forecastPush(w []float64, v float64) []float64 {
	if len(w) == forecastDriftWindows {
		w = slices.Delete(w, 0, 1)
	}
	return append(w, v)
}

// records appends the Forecast records of the first ForecastRecords steps of the forecast
// issued at t to out, and keeps them until their window arrives.
func (f *forecastSeries) records(cfg *AlerterConfig, service string, t time.Time, step time.Duration, out []Forecast) []Forecast {
	n := cfg.ForecastRecords
	if n == 0 || n > cfg.Horizon {
		n = cfg.Horizon
	}
	o, so := f.model.Order(), f.model.Seasonal()
	if key := [...]int{o.P, o.D, o.Q, so.P, so.D, so.Q, so.Period}; f.order == "" || key != f.orderOf {
		f.order, f.orderOf = forecastModelOrder(f.model), key // a fit may change the orders, an update not
	}
	for h := 1; h <= n; h++ {
		p := forecastPending{
			Issued:    t.UnixNano(),
			At:        t.Add(time.Duration(h) * step).UnixNano(),
			H:         h,
			Key:       recordKey(service, "forecast+"+strconv.Itoa(h), f.Metric, t),
			Predicted: f.fc.Mean[h-1],
			Lower:     f.fc.Lower[h-1],
			Upper:     f.fc.Upper[h-1],
			Order:     f.order,
		}
		f.Awaiting = append(f.Awaiting, p)
		out = append(out, p.record(cfg, service, f.Metric))
	}
	return out
}

// forecastModelOrder writes the orders of m as R prints them: "ARIMA(p,d,q)(P,D,Q)[m]".
func forecastModelOrder(m *arima.Model) string {
	o, s := m.Order(), m.Seasonal()
	if s.Period <= 1 || s.P+s.D+s.Q == 0 {
		return fmt.Sprintf("ARIMA(%d,%d,%d)", o.P, o.D, o.Q)
	}
	return fmt.Sprintf("ARIMA(%d,%d,%d)(%d,%d,%d)[%d]", o.P, o.D, o.Q, s.P, s.D, s.Q, s.Period)
}

// forecastWeights is the moving-average form of a model over the horizon: the ψ-weights and the
// ARMA recursion they come from. With a(B) = 1 + Σ a_i Bⁱ the autoregressive operator
// φ(B)Φ(Bᵐ)(1−B)ᵈ(1−Bᵐ)ᴰ expanded (differences included) and θ(B) = 1 + Σ θ_j Bʲ the moving
// average operator θ(B)Θ(Bᵐ), the forecast error h steps ahead is Σ_{j<h} ψ_j e_{h−j} with
// ψ_0 = 1 and ψ_j = θ_j − Σ_{i=1..j} a_i ψ_{j−i}; the same sum is the solution x_h of
// a(B) x = θ(B) e started from x and e zero before the first step, which costs len(AR)+len(MA)
// operations a step instead of h.
type forecastWeights struct {
	Psi    []float64 // ψ_0…ψ_{H−1}
	AR, MA []float64 // a_1, a_2, … and θ_1, θ_2, …
}

// forecastWeightsOf returns the weights of m over a horizon of h steps.
func forecastWeightsOf(m *arima.Model, h int) forecastWeights {
	ar := []float64{1}
	for _, phi := range m.ARPolynomial() {
		ar = append(ar, -phi)
	}
	diff := func(lag int) {
		next := make([]float64, len(ar)+lag)
		copy(next, ar)
		for i, c := range ar {
			next[i+lag] -= c
		}
		ar = next
	}
	for range m.Order().D {
		diff(1)
	}
	if s := m.Seasonal(); s.Period > 1 {
		for range s.D {
			diff(s.Period)
		}
	}
	return newForecastWeights(ar[1:], m.MAPolynomial(), h)
}

// next returns x_i = e_i + Σ θ_j e_{i−j} − Σ a_j x_{i−j} (terms before the first step zero),
// which equals Σ_{j≤i} ψ_j e_{i−j}, from e_0…e_i and x_0…x_{i−1}.
func (w forecastWeights) next(e, x []float64, i int) float64 {
	v := e[i]
	for j, th := range w.MA[:min(i, len(w.MA))] {
		v += th * e[i-j-1]
	}
	for j, a := range w.AR[:min(i, len(w.AR))] {
		v -= a * x[i-j-1]
	}
	return v
}

// newForecastWeights returns the weights of the recursion a(B) x = θ(B) e of the coefficients
// ar = a_1, a_2, … and ma = θ_1, θ_2, … over h steps.
func newForecastWeights(ar, ma []float64, h int) forecastWeights {
	psi := make([]float64, h)
	for j := range h {
		if j == 0 {
			psi[0] = 1
			continue
		}
		v := 0.0
		if j <= len(ma) {
			v = ma[j-1]
		}
		for i := 1; i <= j && i <= len(ar); i++ {
			v -= ar[i-1] * psi[j-i]
		}
		psi[j] = v
	}
	return forecastWeights{Psi: psi, AR: ar, MA: ma}
}

// The spike filter of the fit history: the reference length, the cut in robust standard
// deviations and the longest excursion removed.
const (
	forecastSpikeReference = 7
	forecastSpikeCut       = 5
	forecastSpikeMax       = 3
)

// forecastClean returns a copy of values without its past spikes, so that a fit is not
// dominated by an incident that is over. Walking forward, a value is an excursion when it lies
// more than 5 robust standard deviations from the median of the last 7 accepted values, the
// standard deviation being 1.4826 × the median absolute deviation of the first differences
// over √2 (the noise level, which level changes hardly move). A run of at most three
// excursions that the series comes back from becomes missing; a longer run (a level shift, a
// ramp) is accepted as the new normal, and a run still under way at the end is kept: it may be
// the start of a breach.
func forecastClean(values []float64) []float64 {
	out := slices.Clone(values)
	diffs := make([]float64, 0, len(values))
	for i := 1; i < len(values); i++ {
		if d := values[i] - values[i-1]; !math.IsNaN(d) {
			diffs = append(diffs, d)
		}
	}
	if len(diffs) < 2 {
		return out
	}
	centre := order.Median(diffs) // diffs holds no NaN, and is ours to rearrange
	for i, d := range diffs {
		diffs[i] = math.Abs(d - centre)
	}
	scale := 1.4826 * order.Median(diffs) / math.Sqrt2
	if !(scale > 0) {
		return out
	}
	// The last accepted values in order of arrival, and the same sorted for their median.
	var refBuf, sortedBuf [forecastSpikeReference]float64
	ref, sorted := refBuf[:0], sortedBuf[:0]
	accept := func(v float64) {
		if len(ref) == forecastSpikeReference {
			i, _ := slices.BinarySearch(sorted, ref[0])
			sorted = slices.Delete(sorted, i, i+1)
			ref = slices.Delete(ref, 0, 1)
		}
		ref = append(ref, v)
		i, _ := slices.BinarySearch(sorted, v)
		sorted = slices.Insert(sorted, i, v)
	}
	var run []int
	for i, v := range values {
		switch {
		case math.IsNaN(v):
		case len(ref) < forecastSpikeReference/2+1:
			accept(v)
		case math.Abs(v-(sorted[(len(sorted)-1)/2]+sorted[len(sorted)/2])/2) > forecastSpikeCut*scale:
			run = append(run, i)
			if len(run) > forecastSpikeMax {
				for _, j := range run {
					accept(values[j])
				}
				run = run[:0]
			}
		default:
			for _, j := range run {
				out[j] = math.NaN()
			}
			run = run[:0]
			accept(v)
		}
	}
	return out
}
