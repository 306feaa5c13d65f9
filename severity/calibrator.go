package severity

import (
	"math"
	"slices"
	"sync"
)

// Config holds the parameters of a Calibrator. A zero field means its documented default.
type Config struct {
	// WarmUp is the number of values learned before the tail threshold is set and the tail model
	// fitted. Default 200.
	WarmUp int
	// TailQuantile is the level of the peaks-over-threshold threshold t, set once at the end of the
	// warm-up as that empirical quantile of the warm-up values. Default 0.95, which leaves 10
	// excesses after a 200-value warm-up (SPOT uses 0.98 with warm-ups of 1000 and more; a lower
	// threshold fits sooner but lets the GPD approximation err further in the far tail).
	TailQuantile float64
	// Risk is SPOT's q: a value whose tail probability is below Risk is an alarm (AlarmThreshold).
	// Default 1e-4.
	Risk float64
	// WithholdAlarms makes Add skip learning alarms, as SPOT does, so that anomalies do not stretch
	// the model of normal operation; it takes effect once the tail fit rests on 100 excesses. It is
	// off by default because it truncates the sample of excesses: whenever the fitted tail is a
	// little too light, normal values beyond the alarm threshold are withheld, which makes the next
	// fit lighter still. On 20,000 standard normal values it moved the estimate of P(X > 3.5) from
	// 2.3e-4 to 5.5e-6, turning a once-in-4,000 value into a critical one. Without it, anomalies
	// are learned, but being rare they barely move a fit on hundreds of excesses.
	WithholdAlarms bool
	// Decades sets the score scale: the score reaches 100 at tail probability 10^−Decades.
	// Default 6.
	Decades float64
	// MinPeaks is the number of excesses needed before the GPD tail is used. Default 10.
	MinPeaks int
	// Compression of the t-digest; default DefaultCompression.
	Compression float64
	// Levels are the level boundaries on the score; zero fields mean 25, 50, 75.
	Levels Levels
}

func (c Config) withDefaults() Config {
	// Counts up to 2²⁰ and finite positive scales: what an encoding can carry back.
	if c.WarmUp < 0 || c.WarmUp > maxEncodedLen || c.MinPeaks < 0 || c.MinPeaks > maxEncodedLen ||
		!(c.Compression >= 0) || math.IsInf(c.Compression, 0) || !(c.Decades >= 0) || math.IsInf(c.Decades, 0) ||
		!(c.TailQuantile >= 0 && c.TailQuantile < 1) || !(c.Risk >= 0 && c.Risk < 1) {
		panic("severity: invalid Config")
	}
	if c.WarmUp == 0 {
		c.WarmUp = 200
	}
	if c.TailQuantile == 0 {
		c.TailQuantile = 0.95
	}
	if c.Risk == 0 {
		c.Risk = 1e-4
	}
	if c.Decades == 0 {
		c.Decades = 6
	}
	if c.MinPeaks == 0 {
		c.MinPeaks = 10
	}
	c.MinPeaks = max(c.MinPeaks, MinGPDPeaks)
	if c.Compression == 0 {
		c.Compression = DefaultCompression
	}
	c.Levels = c.Levels.withDefaults()
	return c
}

// Calibrated is a raw score translated into an anomaly score.
type Calibrated struct {
	// Score is the anomaly score in [0, 100]: 100·min(1, −log10(p)/Decades), p the Probability.
	Score float64
	// Probability is the estimated tail probability P(X ≥ x) of the raw value under normal
	// operation.
	Probability float64
	// Confidence in [0, 1] is the product of three factors: warm-up size 1 − exp(−2n/WarmUp);
	// precision of the probability estimate, 1/(1 + sqrt((1 − p)/((n + 1)·p))) in the empirical range or
	// (1 − D)/(1 + 1/sqrt(k)) in the GPD tail (D the Kolmogorov–Smirnov distance of the fit, k its
	// excesses); and margin, 0.5 + 0.5·min(1, distance to the nearest level boundary / 10 points).
	Confidence float64
	// Level is the level of Score under Config.Levels.
	Level Level
}

// Calibrator learns the distribution of a raw anomaly score (any statistic where larger means more
// anomalous: a residual's absolute z-score, an isolation-forest score, a distance) from a stream of
// values seen under normal operation, and calibrates new values to a 0–100 anomaly score by their
// tail probability — so a score of 50 means the same rarity (p = 10⁻³ by default) for every metric
// and detector.
//
// The body of the distribution comes from a t-digest (Digest): p = (n·S(x) + 1)/(n + 1), S the
// digest's survival function, which never claims more than 1/(n+1) of rarity from n values. The
// tail beyond the threshold t (the TailQuantile of the warm-up) is a generalised Pareto
// distribution fitted to the excesses x − t by maximum likelihood (FitGPD): p = (N_t/n)·P(Y > x − t),
// N_t the number of excesses — the peaks-over-threshold model of SPOT (Siffer et al., KDD 2017),
// which extrapolates to probabilities far below 1/n; N_t/n is replaced by the body's p at t when
// that is smaller, so that p never increases with x across t. Unlike SPOT, the shape is held at ξ ≥ 0: the
// tail is the maximum-likelihood GPD among those with ξ ≥ 0: the best GPD with ξ > 0 when one
// beats the exponential (ξ = 0, σ = mean excess), else the exponential — also when the
// unconstrained maximum lies at ξ < 0 (an earlier version then always took the exponential). A
// bounded fit declares every value beyond its end point impossible; for the normal, gamma and lognormal laws
// (ξ = 0 in the limit) moderate thresholds routinely give ξ ≈ −0.15, which on 20,000 standard
// normal values put the end point at 4.5 and estimated P(X > 4) at 1.4e-6 instead of 3.2e-5 — a
// false critical. The exponential tail errs the other way, towards lower scores. The excesses themselves are kept in a second
// t-digest, so the fit uses all of them in bounded memory. A value with p < Risk is an
// alarm; with Config.WithholdAlarms it is not learned, as in SPOT. The GPD is refitted whenever the
// excesses have grown by a quarter since the last fit. Memory is bounded: each of the two digests
// holds O(Compression) centroids, and the warm-up buffer WarmUp values.
//
// The zero value is ready to use with the default config. A Calibrator is not safe for concurrent
// use; Calibrate and Snapshot do not change it.
type Calibrator struct {
	cfg    Config
	ready  bool // cfg holds the defaults
	n      int  // values learned
	digest Digest
	warm   []float64 // the warm-up values, until the threshold is set

	thresholdSet bool
	threshold    float64
	exceed       int    // excesses learned
	excesses     Digest // their distribution
	sinceFit     int    // excesses learned since the last fit

	tailOK   bool
	tail     GPD
	fitPeaks int     // excesses the tail was fitted on
	fitKS    float64 // Kolmogorov–Smirnov distance of the fit
}

// New returns a calibrator with cfg. It panics on a negative or NaN field, an infinite
// Compression or Decades, a WarmUp or MinPeaks above 2²⁰ (what an encoding carries back), or
// a TailQuantile or Risk outside [0, 1).
func New(cfg Config) *Calibrator {
	c := &Calibrator{cfg: cfg}
	c.init()
	return c
}

func (c *Calibrator) init() {
	if !c.ready {
		c.cfg = c.cfg.withDefaults()
		c.digest.Compression = c.cfg.Compression
		c.excesses.Compression = c.cfg.Compression
		c.ready = true
	}
}

// Add calibrates x against what was learned so far, then learns x unless it is NaN or ±Inf, or an
// alarm withheld by Config.WithholdAlarms. It returns the calibration of x.
func (c *Calibrator) Add(x float64) Calibrated {
	c.init()
	res := c.Calibrate(x)
	if !(c.alarming() && res.Probability < c.cfg.Risk) {
		c.learn(x)
	}
	return res
}

// Learn learns x exactly as Add does, without returning its calibration: NaN and ±Inf are
// skipped, and so are alarms withheld by Config.WithholdAlarms — the only case in which Learn
// calibrates x (once alarms are withheld, the tail fit resting on 100 excesses). Calibrate(x)
// followed by Learn(x) yields the calibration and leaves the state that Add(x) does, but
// calibrates x once rather than twice: it suits callers that look at the calibration before
// deciding whether to learn x.
func (c *Calibrator) Learn(x float64) {
	c.init()
	if c.alarming() && c.Calibrate(x).Probability < c.cfg.Risk {
		return
	}
	c.learn(x)
}

// learn adds x to the learned values unless it is NaN or ±Inf; whether x is a withheld alarm is
// the caller's to check.
func (c *Calibrator) learn(x float64) {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return
	}
	c.n++
	c.digest.Add(x)
	if !c.thresholdSet {
		if cap(c.warm) == 0 {
			c.warm = make([]float64, 0, presize(float64(c.cfg.WarmUp)))
		}
		c.warm = append(c.warm, x)
		if len(c.warm) >= c.cfg.WarmUp {
			c.setThreshold()
		}
		return
	}
	if x > c.threshold {
		c.addExcess(x - c.threshold)
	}
}

// alarmPeaks is the number of excesses the tail fit must rest on before alarms are withheld from
// learning. With fewer, the fitted shape is too noisy: a tail fitted too light would withhold
// normal values, which would make the next fit lighter still.
const alarmPeaks = 100

func (c *Calibrator) alarming() bool {
	return c.cfg.WithholdAlarms && c.tailOK && c.fitPeaks >= alarmPeaks
}

// setThreshold ends the warm-up: t is the TailQuantile of the warm-up values (linear interpolation
// between order statistics, as numpy's default), and their excesses seed the tail.
func (c *Calibrator) setThreshold() {
	s := slices.Clone(c.warm)
	slices.Sort(s)
	h := c.cfg.TailQuantile * float64(len(s)-1)
	lo := int(h)
	c.threshold = s[lo]
	if lo+1 < len(s) {
		c.threshold += (h - float64(lo)) * (s[lo+1] - s[lo])
	}
	for _, x := range c.warm {
		if x > c.threshold {
			c.addExcess(x - c.threshold)
		}
	}
	c.thresholdSet = true
	c.warm = nil
	c.fit()
}

func (c *Calibrator) addExcess(y float64) {
	if math.IsInf(y, 1) {
		// x − t overflowed (values spanning more than the float64 range): the tail cannot use it.
		return
	}
	c.exceed++
	c.sinceFit++
	c.excesses.Add(y)
	if c.thresholdSet && 4*c.sinceFit >= max(c.exceed, 4) {
		c.fit()
	}
}

// fit refits the GPD tail to the excesses, summarised by the centroids of their digest: each
// centroid mean stands for its weight in excesses (weighted Grimshaw fit). Centroids shrink towards
// the largest excesses (single values there until about a thousand excesses), so the far tail is
// fitted on nearly exact values.
func (c *Calibrator) fit() {
	c.sinceFit = 0
	c.tailOK = false
	if c.exceed < c.cfg.MinPeaks {
		return
	}
	sc := fitScratchPool.Get().(*fitScratch)
	defer fitScratchPool.Put(sc)
	sc.ys, sc.ws, sc.sorted = c.excesses.centroidsTo(sc.ys, sc.ws, sc.sorted)
	g, err := fitGPD(sc.ys, sc.ws, true)
	if err != nil {
		return
	}
	c.tail, c.tailOK = g, true
	c.fitPeaks = c.exceed
	c.fitKS = g.ksDistance(sc.ys, sc.ws)
}

// fitScratch holds the centroids a fit reads (and the sorted buffer they are merged from). The
// buffers live in a pool rather than in each Calibrator: a fit needs them only while it runs,
// and a detector keeps thousands of calibrators.
type fitScratch struct{ ys, ws, sorted []float64 }

var fitScratchPool = sync.Pool{New: func() any { return new(fitScratch) }}

// SetLevels replaces the level boundaries (Config.Levels), keeping everything learned: levels only
// grade scores, they take no part in learning. It panics on Levels that Validate rejects.
func (c *Calibrator) SetLevels(ls Levels) {
	if err := ls.Validate(); err != nil {
		panic(err)
	}
	c.init()
	c.cfg.Levels = ls.withDefaults()
}

// Levels returns the level boundaries in use, defaults filled in.
func (c *Calibrator) Levels() Levels {
	c.init()
	return c.cfg.Levels
}

// Calibrate returns the calibration of x against what was learned so far, without learning it.
// NaN gets score 0, probability 1 and confidence 0; +Inf gets score 100 and −Inf score 0.
func (c *Calibrator) Calibrate(x float64) Calibrated {
	cfg := c.cfg
	if !c.ready {
		cfg = cfg.withDefaults()
	}
	if math.IsNaN(x) {
		return Calibrated{Probability: 1, Level: Low}
	}
	n := float64(c.n)
	var p, precision float64
	if c.tailOK && x > c.threshold {
		// The tail's mass is at most the body's probability at t (N_t/n and the digest's
		// survival there differ a little), so that a larger value is never more probable.
		mass := min(float64(c.exceed)/n, c.bodyProbability(c.threshold))
		p = mass * c.tail.Survival(x-c.threshold)
		precision = (1 - c.fitKS) / (1 + 1/math.Sqrt(float64(c.fitPeaks)))
	} else {
		p = c.bodyProbability(x)
		precision = 1 / (1 + math.Sqrt((1-p)/((n+1)*p)))
	}
	score := 100.0
	if p > 0 {
		score = 100 * min(1, max(0, -math.Log10(p)/cfg.Decades))
	}
	if math.IsInf(x, 1) {
		score, p = 100, 0
	}
	size := 1 - math.Exp(-2*n/float64(cfg.WarmUp))
	margin := 0.5 + 0.5*min(1, cfg.Levels.margin(score)/10)
	return Calibrated{
		Score:       score,
		Probability: p,
		Confidence:  size * precision * margin,
		Level:       cfg.Levels.Of(score),
	}
}

// bodyProbability is the empirical tail probability (n·S(x) + 1)/(n + 1), S the digest's
// survival function (1 at −Inf, 0 at +Inf).
func (c *Calibrator) bodyProbability(x float64) float64 {
	n := float64(c.n)
	s := 0.0
	if c.n > 0 {
		s = 1 - c.digest.CDF(x)
	}
	if math.IsInf(x, 1) {
		s = 0
	}
	if math.IsInf(x, -1) {
		s = 1
	}
	return (n*s + 1) / (n + 1)
}

// Summary is a read-only view of a Calibrator's state.
type Summary struct {
	// Count is the number of values learned; alarms and NaN are not counted.
	Count int
	// Warm reports whether the warm-up is over, i.e. Threshold is set.
	Warm bool
	// Threshold is the peaks-over-threshold threshold t.
	Threshold float64
	// Excesses is the number of learned values above Threshold.
	Excesses int
	// TailFitted reports whether the GPD tail is in use; Tail is its fit and TailKS the
	// Kolmogorov–Smirnov distance between the fit and the excesses it was fitted on.
	TailFitted bool
	Tail       GPD
	TailKS     float64
}

// Snapshot returns the calibrator's current state.
func (c *Calibrator) Snapshot() Summary {
	return Summary{
		Count: c.n, Warm: c.thresholdSet, Threshold: c.threshold, Excesses: c.exceed,
		TailFitted: c.tailOK, Tail: c.tail, TailKS: c.fitKS,
	}
}

// AlarmThreshold returns SPOT's z_q: the raw value whose tail probability equals Risk, or NaN
// while the GPD tail is not fitted yet.
func (c *Calibrator) AlarmThreshold() float64 {
	if !c.tailOK {
		return math.NaN()
	}
	return c.threshold + c.tail.Quantile(math.Min(1, c.cfg.Risk*float64(c.n)/float64(c.exceed)))
}

// Reset forgets everything learned, keeping the config.
func (c *Calibrator) Reset() {
	*c = Calibrator{cfg: c.cfg}
	c.init()
}

const calibratorVersion = 1

// MarshalBinary encodes the config and the whole state (version byte first): a few kilobytes.
func (c *Calibrator) MarshalBinary() ([]byte, error) {
	c.init()
	cfg := c.cfg
	b := []byte{calibratorVersion}
	b = appendUint(b, cfg.WarmUp)
	b = appendFloat(b, cfg.TailQuantile)
	b = appendFloat(b, cfg.Risk)
	b = appendFloat(b, cfg.Decades)
	b = appendUint(b, cfg.MinPeaks)
	b = appendFloat(b, cfg.Compression)
	b = appendFloat(b, cfg.Levels.Medium)
	b = appendFloat(b, cfg.Levels.High)
	b = appendFloat(b, cfg.Levels.Critical)
	b = appendUint(b, boolInt(cfg.WithholdAlarms))
	b = appendUint(b, c.n)
	for _, dg := range []*Digest{&c.digest, &c.excesses} {
		enc, _ := dg.MarshalBinary()
		b = appendUint(b, len(enc))
		b = append(b, enc...)
	}
	b = appendFloats(b, c.warm)
	b = appendUint(b, boolInt(c.thresholdSet))
	b = appendFloat(b, c.threshold)
	b = appendUint(b, c.exceed)
	b = appendUint(b, c.sinceFit)
	b = appendUint(b, boolInt(c.tailOK))
	b = appendFloat(b, c.tail.Shape)
	b = appendFloat(b, c.tail.Scale)
	b = appendUint(b, c.fitPeaks)
	return appendFloat(b, c.fitKS), nil
}

func boolInt(v bool) int {
	if v {
		return 1
	}
	return 0
}

// UnmarshalBinary restores a calibrator encoded by MarshalBinary, validating every field. On error
// c is unchanged.
func (c *Calibrator) UnmarshalBinary(b []byte) (err error) {
	d := decoder{b: b}
	d.version(calibratorVersion)
	var e Calibrator
	e.cfg.WarmUp = d.uint(maxEncodedLen)
	e.cfg.TailQuantile, e.cfg.Risk, e.cfg.Decades = d.float(), d.float(), d.float()
	e.cfg.MinPeaks = d.uint(maxEncodedLen)
	e.cfg.Compression = d.float()
	e.cfg.Levels = Levels{d.float(), d.float(), d.float()}
	e.cfg.WithholdAlarms = d.uint(1) == 1
	e.n = d.uint(math.MaxInt)
	for _, dg := range []*Digest{&e.digest, &e.excesses} {
		size := d.uint(maxEncodedLen)
		if d.err == nil && size > len(d.b) {
			d.err = ErrEncoding
		}
		if d.err == nil {
			if dg.UnmarshalBinary(d.b[:size]) != nil {
				d.err = ErrEncoding
			} else {
				d.b = d.b[size:]
			}
		}
	}
	e.warm = d.floats()
	e.thresholdSet = d.uint(1) == 1
	e.threshold = d.float()
	e.exceed = d.uint(math.MaxInt)
	e.sinceFit = d.uint(math.MaxInt)
	e.tailOK = d.uint(1) == 1
	e.tail = GPD{Shape: d.float(), Scale: d.float()}
	e.fitPeaks = d.uint(maxEncodedLen)
	e.fitKS = d.float()
	if err := d.finish(); err != nil {
		return err
	}
	if !e.valid() {
		return ErrEncoding
	}
	e.init()
	*c = e
	return nil
}

// valid checks the invariants of a decoded calibrator, without panicking.
func (c *Calibrator) valid() (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	if c.cfg.withDefaults() != c.cfg || c.cfg.MinPeaks < MinGPDPeaks || c.digest.Compression != c.cfg.Compression ||
		c.excesses.Compression != c.cfg.Compression {
		return false
	}
	okPeaks := c.exceed <= c.n && c.sinceFit <= c.exceed && float64(c.exceed) == c.excesses.Count() &&
		(c.exceed == 0 || c.excesses.Min() > 0)
	for _, x := range c.warm {
		okPeaks = okPeaks && finite(x)
	}
	okWarm := (c.thresholdSet && len(c.warm) == 0 && finite(c.threshold)) ||
		(!c.thresholdSet && len(c.warm) == c.n && c.n < c.cfg.WarmUp && c.exceed == 0 && c.threshold == 0)
	okTail := !c.tailOK || (c.thresholdSet && finite(c.tail.Shape) && c.tail.Scale > 0 && finite(c.tail.Scale) &&
		c.fitPeaks >= c.cfg.MinPeaks && c.fitPeaks <= c.exceed && c.fitKS >= 0 && c.fitKS <= 1)
	return okPeaks && okWarm && okTail && float64(c.n) == c.digest.Count()
}
