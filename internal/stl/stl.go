package stl

import (
	"math"
	"sync"
)

// Result is an STL decomposition: Trend[i] + Seasonal[i] + Remainder[i]
// equals the input y[i] up to rounding.
type Result struct {
	Trend, Seasonal, Remainder []float64
	// Weights are the final robustness weights in [0, 1] (all 1 when the fit
	// is not robust), R's stl()$weights.
	Weights []float64
}

// Decompose splits y into trend, seasonal and remainder components by STL
// with the settings of cfg, exactly as R's stl(ts(y, frequency = Period), …).
// y is taken to start at the first position of the seasonal cycle; it is not
// modified.
//
// Decompose returns ErrTooShort when len(y) ≤ 2·Period, ErrNotFinite when y
// holds a NaN or an infinity, and an error for an invalid cfg (Period < 2,
// negative windows or counts, an unknown degree). A constant series
// decomposes into a constant trend and zero seasonal and remainder.
func Decompose(y []float64, cfg Config) (Result, error) {
	n := len(y)
	s, err := cfg.resolve(n)
	if err != nil {
		return Result{}, err
	}
	if s.period > (n-1)/2 { // n ≤ 2·period, without the overflow of 2·period
		return Result{}, ErrTooShort
	}
	for _, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Result{}, ErrNotFinite
		}
	}
	out := make([]float64, 4*n) // one allocation for the four components
	r := Result{
		Trend:     out[:n:n],
		Seasonal:  out[n : 2*n : 2*n],
		Remainder: out[2*n : 3*n : 3*n],
		Weights:   out[3*n:],
	}
	ws := getWorkspace(n, s)
	ws.decompose(y, s, r)
	workspaces.Put(ws)
	return r, nil
}

// workspace holds the scratch arrays of one decomposition, each of length
// n + 2·period; like the columns of the Fortran work array they are reused
// for different quantities in turn, as noted where they are used. It also
// holds the loess smoothers of the decomposition, whose kernels serve every
// pass of the inner loop. Every array is written before it is read, so a
// workspace can serve one decomposition after another.
type workspace struct {
	buf                            []float64
	a, b, c, d, e                  []float64
	trendSmoother, lowPassSmoother smoother
	// cycles[0] smooths the longest cycle-subseries, of ⌈n/period⌉ values,
	// and cycles[1] the others when period does not divide n.
	cycles [2]cycleSmoother
}

// workspaces holds *workspace values for reuse, sparing the allocation of
// the scratch arrays and kernels in each call; a workspace is used by one
// decomposition at a time.
var workspaces sync.Pool

// getWorkspace returns a workspace prepared for a series of length n and the
// settings s, from workspaces when one is there (its arrays reused when large
// enough). Return it with workspaces.Put when done.
func getWorkspace(n int, s settings) *workspace {
	ws, _ := workspaces.Get().(*workspace)
	if ws == nil {
		ws = new(workspace)
	}
	m := n + 2*s.period
	ws.buf = resize(ws.buf, 5*m)
	col := func(i int) []float64 { return ws.buf[i*m : (i+1)*m : (i+1)*m] }
	ws.a, ws.b, ws.c, ws.d, ws.e = col(0), col(1), col(2), col(3), col(4)
	ws.trendSmoother.reset(n, s.trendWindow, s.trendDegree, s.trendJump)
	ws.lowPassSmoother.reset(n, s.lowPassWindow, s.lowPassDegree, s.lowPassJump)
	longest := (n-1)/s.period + 1
	ws.cycles[0].reset(longest, s.seasonalWindow, s.seasonalDegree, s.seasonalJump)
	if n%s.period != 0 {
		ws.cycles[1].reset(longest-1, s.seasonalWindow, s.seasonalDegree, s.seasonalJump)
	}
	return ws
}

// decompose runs the inner loop once, then once more after each robustness
// update, as the Fortran driver stl, and fills r.
func (ws *workspace) decompose(y []float64, s settings, r Result) {
	n := len(y)
	clear(r.Trend)
	var rw []float64 // nil until the first robustness update
	for k := 0; ; k++ {
		ws.innerLoop(y, s, rw, r.Seasonal, r.Trend)
		if k >= s.outer {
			break
		}
		fit := ws.a[:n]
		for i := range n {
			fit[i] = r.Trend[i] + r.Seasonal[i]
		}
		robustnessWeights(y, fit, r.Weights, ws.b) // ws.b holds n+1 values
		rw = r.Weights
	}
	if rw == nil {
		for i := range r.Weights {
			r.Weights[i] = 1
		}
	}
	if s.periodic {
		cycleMeans(r.Seasonal, s.period)
	}
	for i := range n {
		r.Remainder[i] = y[i] - r.Seasonal[i] - r.Trend[i]
	}
}

// innerLoop runs s.inner passes of the STL inner loop (Fortran stlstp),
// updating season and trend in place.
func (ws *workspace) innerLoop(y []float64, s settings, rw, season, trend []float64) {
	n, p := len(y), s.period
	for range s.inner {
		detrended := ws.a[:n]
		for i := range n {
			detrended[i] = y[i] - trend[i]
		}
		cycles := ws.b[:n+2*p]
		ws.smoothCycles(detrended, s, rw, cycles)
		lowPass := ws.a[:n]
		ws.lowPass(cycles, s, lowPass)
		for i := range n {
			season[i] = cycles[p+i] - lowPass[i]
		}
		deseasoned := ws.a[:n]
		for i := range n {
			deseasoned[i] = y[i] - season[i]
		}
		ws.trendSmoother.smooth(deseasoned, rw, trend)
	}
}

// smoothCycles smooths each cycle-subseries of x by loess and extends it by
// one value at each end, writing the result (length len(x)+2·period, one
// period ahead of x) to out, as the Fortran routine stlss.
func (ws *workspace) smoothCycles(x []float64, s settings, rw, out []float64) {
	n, p := len(x), s.period
	longest := (n-1)/p + 1
	for j := range p {
		k := (n-j-1)/p + 1 // length of subseries j
		sub := ws.c[:k]
		for i := range k {
			sub[i] = x[i*p+j]
		}
		var subRW []float64
		if rw != nil {
			subRW = ws.d[:k]
			for i := range k {
				subRW[i] = rw[i*p+j]
			}
		}
		fit := ws.e[:k+2]
		ws.cycles[longest-k].smooth(sub, subRW, fit)
		for m, v := range fit {
			out[m*p+j] = v
		}
	}
}

// lowPass applies the low-pass filter to the extended cycle-subseries c
// (length n+2·period): moving averages of lengths period, period and 3, then
// loess, writing n values to out (Fortran stlfts followed by stless).
func (ws *workspace) lowPass(c []float64, s settings, out []float64) {
	n, p := len(out), s.period
	m1 := ws.c[:n+p+1]
	movingAverage(c, p, m1)
	m2 := ws.d[:n+2]
	movingAverage(m1, p, m2)
	m3 := ws.c[:n]
	movingAverage(m2, 3, m3)
	ws.lowPassSmoother.smooth(m3, nil, out)
}

// movingAverage writes the len(x)−length+1 means of consecutive runs of
// length values of x to ave, by a running sum as the Fortran routine stlma.
func movingAverage(x []float64, length int, ave []float64) {
	v := 0.0
	for _, xi := range x[:length] {
		v += xi
	}
	fl := float64(length)
	ave[0] = v / fl
	for j := 1; j < len(x)-length+1; j++ {
		v = v - x[j-1] + x[j+length-1]
		ave[j] = v / fl
	}
}

// robustnessWeights sets rw[i] = B(|y[i]−fit[i]| / h) with h = 6·median|y−fit|
// and the bisquare B(u) = (1−u²)², 1 for u ≤ 0.001 and 0 for u > 0.999, as the
// Fortran routine stlrwt. The median is taken as R takes it, by partialSort
// (so for an even length it may be off by an order statistic or so). scratch
// has length at least len(y)+1.
func robustnessWeights(y, fit, rw, scratch []float64) {
	n := len(y)
	abs := scratch[:n+1] // 1-based for partialSort
	for i := range n {
		abs[i+1] = math.Abs(y[i] - fit[i])
	}
	mid1 := n/2 + 1
	mid2 := n - mid1 + 1
	partialSort(abs, []int{0, mid1, mid2})
	h := 3 * (abs[mid1] + abs[mid2])
	far, near := 0.999*h, 0.001*h
	for i := range n {
		r := math.Abs(y[i] - fit[i])
		switch {
		case r <= near:
			rw[i] = 1
		case r <= far:
			u := r / h
			u = 1 - u*u
			rw[i] = u * u
		default:
			rw[i] = 0
		}
	}
}

// cycleMeans replaces each value of s by the mean of the values at the same
// position in the cycle, as R's stl does for s.window = "periodic".
func cycleMeans(s []float64, period int) {
	for j := range period {
		sum, count := 0.0, 0
		for i := j; i < len(s); i += period {
			sum += s[i]
			count++
		}
		mean := sum / float64(count)
		for i := j; i < len(s); i += period {
			s[i] = mean
		}
	}
}
