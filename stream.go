package omen

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"time"

	"github.com/stacklens/omen/severity"
	"github.com/stacklens/omen/trend"
)

// StreamConfig holds the settings of a StreamDetector. A zero field means the default given with
// it, so the zero StreamConfig suits hourly service metrics with a daily cycle.
type StreamConfig struct {
	// Period is the length of the seasonal cycle; zero means 24 h. A negative Period means no
	// seasonality: the baseline is the level alone.
	Period time.Duration
	// Step is the spacing of the values; zero means it is learned as the gap between the first
	// two timestamps. The cycle is divided into Period/Step phases (at most MaxPhases), each with
	// its own seasonal offset; a value belongs to the phase of its timestamp, counted from the
	// Unix epoch, so gaps and irregular spacing are handled.
	Step time.Duration

	// LevelSmoothing α, SeasonalSmoothing γ and ScaleSmoothing λ are the weights of the newest
	// value in the exponential updates of the level (per value), of a phase's seasonal offset (per
	// visit of the phase) and of the residual variance; zero means 0.1, 0.25 and 0.05.
	LevelSmoothing, SeasonalSmoothing, ScaleSmoothing float64
	// Clip c bounds, in residual scales, how far one value can pull the baseline (Huber's ψ) and
	// the CUSUM sums; zero means 3. The scale has a clip of its own, 1.5 (see StreamDetector).
	Clip float64
	// Hold is the longest run of consecutive alarms (scores of 0.5 or more) that the baseline, the
	// scale and the calibration do not learn; zero means none. Holding keeps an incident from
	// becoming the new normal while it lasts, so that it is flagged throughout and its end is not
	// flagged in turn; after Hold alarms in a row the change is learned as usual. The first alarm
	// of a run is still learned by the calibrator (an isolated extreme is part of the usual
	// behaviour), and the values of a spread widening in progress (spread CUSUM sum above 3) do
	// not update the scale, for at most Hold values in a row as well. It suits a Period that
	// covers every regular pattern of the stream (a week for metrics that differ at weekends):
	// with a shorter one, a regular pattern the cycle misses is an alarm until it is learned.
	Hold int

	// ShiftAllowance K and ShiftWeight w set the change-point evidence: a two-sided CUSUM of the
	// standardised residuals with allowance K (zero means 1, tuned to shifts of two residual
	// scales), whose larger sum S enters the raw score as w·S (zero means 0.8).
	ShiftAllowance, ShiftWeight float64

	// Calibration configures the calibrator of the raw score. Its zero fields mean severity's
	// defaults except WarmUp (zero means 40 here), TailQuantile (zero means 0.75, which leaves the
	// 10 excesses the tail fit needs), so that the scores are calibrated after 40 scored values,
	// and Compression (zero means 50: the tail model, not the digest, sets the far tail).
	Calibration severity.Config

	// MinEffect is the smallest absolute deviation from the baseline, in the metric's units, that
	// can be graded above low (severity.Levels.Grade), also with Log; zero means no minimum.
	MinEffect float64

	// Log makes the detector model log(v) instead of v: for positive metrics whose seasonality and
	// noise are multiplicative, as request counts and latencies are, so that a dip at night weighs
	// as much as one at the daily peak. Baseline, Residual and Z are then on the log scale and
	// DeviationPercent is 100·(e^Residual − 1). A value ≤ 0 has no logarithm and is ignored as a
	// missing value (ErrStreamValue).
	Log bool
}

// MaxPhases bounds the number of seasonal phases, and with it the detector's memory: a cycle of
// more steps (a daily cycle of one-minute values) shares each phase among consecutive steps.
const MaxPhases = 1024

// Defaults of StreamConfig's zero fields.
const (
	DefaultStreamPeriod            = 24 * time.Hour
	DefaultStreamLevelSmoothing    = 0.1
	DefaultStreamSeasonalSmoothing = 0.25
	DefaultStreamScaleSmoothing    = 0.05
	DefaultStreamClip              = 3.0
	DefaultStreamShiftAllowance    = 1.0
	DefaultStreamShiftWeight       = 0.8
	DefaultStreamWarmUp            = 40
	DefaultStreamTail              = 0.75
	DefaultStreamCompression       = 50
)

// shiftDecision is the CUSUM decision interval H: when a sum passes it the change is declared
// and the sums restart, so S stays near H at most.
const shiftDecision = 5.0

// scaleClip bounds, in residual scales, how far one value can move the scale: the variance
// grows by at most the factor 1 − λ + λ·scaleClip²/E[min(Z², scaleClip²)] ≈ 1 + 1.9·λ per value
// (9.5 % at the default λ), a bounded influence like that of Gelper, Fried and Croux's biweight ρ.
// Clipping at the baseline's Clip of 3 would let each such value raise the variance by 41 %, so
// that a level shift inflated the scale, and hid itself, within a few values.
const scaleClip = 1.5

// widenHold is the spread CUSUM's sum, in allowances, from which a value is taken for part of a
// variance change in progress and does not update the scale (for at most StreamConfig.Hold values
// in a row): otherwise the scale absorbs the wider spread within a few values and the change is
// flagged only at its start.
const widenHold = 3.0

// streamMaxValue bounds the magnitude of the values the detector takes: squares and sums of
// larger ones could overflow its level, offsets and scale and leave it NaN for good.
const streamMaxValue = 1e100

// learnCap is the evidence beyond which a value is scored but not learned by the calibrator: a
// residual of more than 8 robust scales is a gross outlier under any usual noise, and learning it
// would stretch the fitted tail and hide the next one. Being fixed, the cap cannot feed back on the
// fit as SPOT's withholding of alarms can (see severity.Config.WithholdAlarms).
const learnCap = 8.0

// absNormalMean and absNormalSD are the mean √(2/π) and standard deviation √(1 − 2/π) of |Z| for
// a standard normal Z, the in-control values of the spread CUSUM.
const (
	absNormalMean = 0.7978845608028654
	absNormalSD   = 0.6028102749890869
)

// acfSmoothing is the weight of the newest residual in the estimate of their autocorrelation.
const acfSmoothing = 0.02

// holdScore is the score from which a value is an alarm that the baseline and the scale do not
// learn, for at most StreamConfig.Hold values in a row.
const holdScore = 0.5

// scaleWarmUp is the number of residuals whose median absolute value sets the first scale.
const scaleWarmUp = 16

// streamFirstSecond and streamEndSecond bound the Unix seconds of the timestamps a detector takes,
// 1678-01-01 and 2262-01-01 UTC, the years whose Unix nanoseconds fit in an int64.
var (
	streamFirstSecond = time.Date(1678, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	streamEndSecond   = time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
)

// Errors of StreamDetector.AddChecked. The value is then ignored: the state is unchanged.
var (
	ErrStreamValue = errors.New("omen: stream value is NaN, infinite or beyond ±1e100, or not positive on the log scale")
	ErrStreamOrder = errors.New("omen: stream timestamp is not after the previous one")
	ErrStreamTime  = errors.New("omen: stream timestamp outside the years 1678–2261")
)

func (c StreamConfig) withDefaults() StreamConfig {
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	if c.Period == 0 {
		c.Period = DefaultStreamPeriod
	}
	def(&c.LevelSmoothing, DefaultStreamLevelSmoothing)
	def(&c.SeasonalSmoothing, DefaultStreamSeasonalSmoothing)
	def(&c.ScaleSmoothing, DefaultStreamScaleSmoothing)
	def(&c.Clip, DefaultStreamClip)
	def(&c.ShiftAllowance, DefaultStreamShiftAllowance)
	def(&c.ShiftWeight, DefaultStreamShiftWeight)
	if c.Calibration.WarmUp == 0 {
		c.Calibration.WarmUp = DefaultStreamWarmUp
	}
	def(&c.Calibration.TailQuantile, DefaultStreamTail)
	def(&c.Calibration.Compression, DefaultStreamCompression)
	def(&c.Calibration.Levels.Medium, 25)
	def(&c.Calibration.Levels.High, 50)
	def(&c.Calibration.Levels.Critical, 75)
	return c
}

// validate panics on settings no stream could use.
func (c StreamConfig) validate() {
	if err := c.check(); err != nil {
		panic(err.Error())
	}
}

func (c StreamConfig) check() error {
	if c.Step < 0 {
		return fmt.Errorf("omen: negative stream step %v", c.Step)
	}
	if c.Hold < 0 || c.Hold > math.MaxInt32 {
		return fmt.Errorf("omen: stream hold %d outside [0, 2³¹)", c.Hold)
	}
	unit := []struct {
		name string
		v    float64
	}{{"LevelSmoothing", c.LevelSmoothing}, {"SeasonalSmoothing", c.SeasonalSmoothing}, {"ScaleSmoothing", c.ScaleSmoothing}}
	for _, u := range unit {
		if !(u.v >= 0 && u.v <= 1) {
			return fmt.Errorf("omen: stream %s %v outside [0, 1]", u.name, u.v)
		}
	}
	pos := []struct {
		name string
		v    float64
	}{{"Clip", c.Clip}, {"ShiftAllowance", c.ShiftAllowance}, {"ShiftWeight", c.ShiftWeight}, {"MinEffect", c.MinEffect}}
	for _, p := range pos {
		if !(p.v >= 0 && p.v < math.Inf(1)) {
			return fmt.Errorf("omen: stream %s %v is negative or not finite", p.name, p.v)
		}
	}
	return nil
}

// streamStage is how far a detector has learned.
type streamStage uint8

const (
	stageEmpty      streamStage = iota // nothing seen
	stageStep                          // one value seen, the step is not known yet
	stageFirstCycle                    // learning the first cycle's shape
	stageScale                         // learning the residual scale
	stageReady                         // scoring
)

// StreamDetector is a univariate streaming anomaly detector for one metric of one service.
//
// Baseline. The expected value of the next point is ŷ = L + s[φ(t)], a level L and a seasonal
// offset for the phase φ(t) of its timestamp within the cycle: the additive Holt–Winters model
// without trend, made robust as by Gelper, Fried and Croux ("Robust forecasting with exponential
// and Holt–Winters smoothing", J. Forecasting 2010). The residual r = y − ŷ is standardised by a
// robust scale σ, z = r/σ, and the value is cleaned before it updates the model,
// y* = ŷ + σ·clip(z, ±c), so that an outlier moves the baseline by at most α·c·σ:
//
//	L ← L + α·(y* − s[φ] − L),   s[φ] ← s[φ] + γ·(y* − L − s[φ]),
//	σ² ← (1 − λ)·σ² + λ·σ²·min(z², 1.5²)/E[min(Z², 1.5²)],
//
// the last a Huber-type scale update, consistent for normal residuals (Z standard normal), whose
// clip at 1.5 bounds the growth of the variance per value to 9.5 % (a bounded influence, as
// Gelper et al.'s biweight ρ has), so that a sustained shift is not absorbed into the scale.
// With StreamConfig.Hold, a value scoring 0.5 or more (an alarm) updates nothing, for at most
// Hold values in a row, and the alarms of a run after its first are not learned by the
// calibrator either; a value while the spread CUSUM's sum exceeds 3 does not update the scale
// (at most Hold in a row). The first cycle sets the seasonal shape (offsets from the cycle's
// mean), the next 16 residuals the first scale: 1.4826 × their median absolute value / √2, since
// a residual against an offset learned from one value carries the noise of two.
//
// Change-point evidence. A two-sided CUSUM (trend.CUSUM, Page 1954) with allowance K and decision
// interval 5 runs on the standardised residuals clipped to ±c and rescaled to units of their
// long-run standard deviation by √((1 − φ)/(1 + φ)), φ ∈ [0, 0.9] their lag-one autocorrelation
// learned from the values that are not alarms. Its sums grow while the residuals keep one sign —
// a level shift or a ramp the baseline has not absorbed — even when no single value stands out.
// A second CUSUM runs on the absolute clipped residuals, standardised by the mean √(2/π) and the
// standard deviation √(1 − 2/π) of |Z|; its upper sum grows when the spread widens (a variance
// change). S is the largest of the three sums, taken before the restart at the decision interval.
//
// Score. The raw evidence x = max(|z|, w·S) is calibrated by a severity.Calibrator that learns its
// distribution from the stream itself (t-digest body, generalised Pareto tail): the score is
// min(1, −log10(p)/6), p the estimated probability of evidence at least x under the stream's
// usual behaviour. A score of 0.5 means p = 10⁻³, 1 means p ≤ 10⁻⁶; the score can exceed
// log10(n+1)/6 only once the tail model rests on enough values, so early scores are modest.
//
// Special cases. Add returns 0 while the baseline is learned (the first cycle and 16 more
// values), and for the first value of a phase that the first cycle missed, which sets that
// phase's offset. A NaN or ±Inf value is a missing value: Add returns 0 and the state is unchanged.
// A timestamp not after the previous one (out of order or duplicate) or outside the years
// 1678–2261 is ignored in the same way, as is a value beyond ±10¹⁰⁰ (its square would overflow
// the model's sums); AddChecked reports each case as an error. A value exactly at its baseline,
// with no shift in progress, scores 0 (p = 1); CUSUM evidence of a shift still scores it. A constant stream has zero scale: its scores are 0,
// and any departure from the constant scores 1 (z = ±Inf) and seeds the scale with
// σ² = λ·r²/E[min(Z², c²)], so that the detector learns the new behaviour. A residual beyond the
// range of float64 scores 1 and is not learned.
//
// Memory is bounded: one seasonal offset per phase (at most MaxPhases) and the calibrator's
// digests, a few kilobytes whatever the length of the stream. Add allocates only while the first
// values are learned.
//
// The zero value is ready to use with the zero StreamConfig; NewStreamDetector sets others.
// A StreamDetector is not safe for concurrent use; State does not change it.
type StreamDetector struct {
	cfg    StreamConfig // with defaults, once configured
	config bool         // cfg holds the defaults
	huber  float64      // E[min(Z², c²)] of cfg.Clip

	stage  streamStage
	step   time.Duration // learned or configured
	phases int
	first  int64 // Unix nanoseconds of the first value
	last   int64 // Unix nanoseconds of the last accepted value
	pend   float64
	n      int // values accepted

	level    float64
	seasonal []float64 // per phase; NaN while the phase has not been seen
	scale    float64
	warm     []float64 // residuals of the scale warm-up

	cusum      trend.CUSUM // on the standardised residuals z
	spread     trend.CUSUM // on their absolute values |z|
	hold       int         // consecutive alarms not learned
	widen      int         // consecutive values of a wider spread that did not update the scale
	prevZ      float64     // the last clipped standardised residual
	acfLag     float64     // exponential means of zₜ·zₜ₋₁ and zₜ² (clipped), for longRun
	acfVar     float64
	peakUp     float64 // the CUSUM sums' recent maxima, decaying by one phase per value
	peakDown   float64
	calibrator severity.Calibrator

	now StreamState
}

// NewStreamDetector returns a detector with the settings of cfg. It panics on a negative Step or
// Hold, a smoothing weight outside [0, 1], or a negative or non-finite Clip, ShiftAllowance,
// ShiftWeight or MinEffect, and as severity.New on an invalid Calibration.
func NewStreamDetector(cfg StreamConfig) *StreamDetector {
	d := &StreamDetector{cfg: cfg}
	d.configure()
	return d
}

func (d *StreamDetector) configure() {
	if d.config {
		return
	}
	d.cfg.validate()
	d.cfg = d.cfg.withDefaults()
	d.calibrator = *severity.New(d.cfg.Calibration)
	d.cusum = *trend.NewCUSUM(trend.CUSUMConfig{Target: 0, Sigma: 1, K: d.cfg.ShiftAllowance, H: shiftDecision})
	d.spread = *trend.NewCUSUM(trend.CUSUMConfig{Target: absNormalMean, Sigma: absNormalSD, K: d.cfg.ShiftAllowance, H: shiftDecision})
	d.huber = streamHuberConsistency(d.cfg.Clip)
	d.config = true
}

// Reset forgets everything learned, keeping the settings.
func (d *StreamDetector) Reset() {
	d.configure()
	cfg := d.cfg
	seasonal, warm := d.seasonal[:0], d.warm[:0]
	cal, cus, spr := d.calibrator, d.cusum, d.spread
	cal.Reset()
	cus.Reset()
	spr.Reset()
	*d = StreamDetector{cfg: cfg, config: true, huber: d.huber, seasonal: seasonal, warm: warm, calibrator: cal, cusum: cus, spread: spr}
}

// Add scores the value v observed at t and then learns it. It returns the anomaly score in
// [0, 1] described with StreamDetector, or 0 for a value it ignores (see AddChecked).
func (d *StreamDetector) Add(t time.Time, v float64) float64 {
	score, _ := d.AddChecked(t, v)
	return score
}

// AddChecked is Add that reports why a value was ignored: ErrStreamValue for NaN, ±Inf or a value
// beyond ±10¹⁰⁰ (or a value ≤ 0 with StreamConfig.Log), ErrStreamOrder for a timestamp not after the previous one,
// ErrStreamTime for a timestamp outside the years 1678–2261. An ignored value leaves the state
// unchanged and scores 0.
func (d *StreamDetector) AddChecked(t time.Time, v float64) (float64, error) {
	d.configure()
	if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > streamMaxValue {
		return 0, ErrStreamValue
	}
	if sec := t.Unix(); sec < streamFirstSecond || sec >= streamEndSecond {
		return 0, ErrStreamTime
	}
	if d.cfg.Log {
		if v <= 0 {
			return 0, ErrStreamValue
		}
		v = math.Log(v)
	}
	ns := t.UnixNano()
	if d.stage != stageEmpty && ns <= d.last {
		return 0, ErrStreamOrder
	}
	d.now = StreamState{Time: t, Value: v, Baseline: v, Level: Low}
	switch d.stage {
	case stageEmpty:
		d.begin(ns, v)
	case stageStep:
		d.setStep(time.Duration(ns - d.last))
		d.learnShape(d.first, d.pend)
		d.learn(ns, v)
	default:
		d.learn(ns, v)
	}
	d.last = ns
	d.n++
	d.now.N = d.n
	return d.now.Score, nil
}

// begin takes the first value.
func (d *StreamDetector) begin(ns int64, v float64) {
	d.first = ns
	d.level = v
	switch {
	case d.cfg.Period < 0:
		d.setPhases(1)
		d.seasonal[0] = 0
		d.stage = stageScale
	case d.cfg.Step > 0:
		d.setStep(d.cfg.Step)
		d.learnShape(ns, v)
	default:
		d.pend = v
		d.stage = stageStep
	}
}

func (d *StreamDetector) setStep(step time.Duration) {
	d.step = step
	p := (d.cfg.Period + step/2) / step
	d.setPhases(int(max(1, min(MaxPhases, p))))
	d.stage = stageFirstCycle
}

func (d *StreamDetector) setPhases(n int) {
	d.phases = n
	if cap(d.seasonal) < n {
		d.seasonal = make([]float64, n)
	}
	d.seasonal = d.seasonal[:n]
	for i := range d.seasonal {
		d.seasonal[i] = math.NaN()
	}
}

// phase returns the phase of the Unix time ns: its position in the cycle counted from the epoch,
// the nearest phase round(off·phases/Period) mod phases for the offset off ∈ [0, Period) of ns in
// the cycle, computed exactly. Rounding (not ⌊·⌋) keeps a window stamped a millisecond before the
// hour in the hour's phase; exact arithmetic keeps one stamped on the hour there too (in floating
// point it fell into the phase before).
func (d *StreamDetector) phase(ns int64) int {
	if d.phases == 1 {
		return 0
	}
	below, up := d.phaseBelow(ns)
	if up {
		below++
	}
	return below % d.phases
}

// phaseBelow returns ⌊off·phases/Period⌋, the phase below ns, and whether ns lies in its second
// half (rem ≥ Period − ⌊Period/2⌋, so that rounding goes up), computed exactly in 128 bits.
func (d *StreamDetector) phaseBelow(ns int64) (below int, up bool) {
	p := int64(d.cfg.Period)
	off := ns % p
	if off < 0 {
		off += p
	}
	hi, lo := bits.Mul64(uint64(off), uint64(d.phases))
	q, rem := bits.Div64(hi, lo, uint64(p)) // hi < p since off < p
	return int(q), rem >= uint64(p-p/2)
}

// learnShape takes a value of the first cycle: its offset from the first value. The cycle's mean
// is moved into the level when the cycle is complete.
func (d *StreamDetector) learnShape(ns int64, v float64) {
	i := d.phase(ns)
	if math.IsNaN(d.seasonal[i]) {
		d.seasonal[i] = v - d.level
	} else {
		d.seasonal[i] = (d.seasonal[i] + v - d.level) / 2
	}
}

// endFirstCycle centres the seasonal offsets on zero.
func (d *StreamDetector) endFirstCycle() {
	sum, k := 0.0, 0
	for _, s := range d.seasonal {
		if !math.IsNaN(s) {
			sum += s
			k++
		}
	}
	mean := sum / float64(k)
	for i, s := range d.seasonal {
		d.seasonal[i] = s - mean
	}
	d.level += mean
	d.stage = stageScale
}

// learn takes a value after the step is known.
func (d *StreamDetector) learn(ns int64, v float64) {
	if d.stage == stageFirstCycle {
		if ns-d.first < int64(d.cfg.Period) {
			d.learnShape(ns, v)
			return
		}
		d.endFirstCycle()
	}
	i := d.phase(ns)
	if math.IsNaN(d.seasonal[i]) { // a phase missed so far: its first value sets it
		d.seasonal[i] = v - d.level
		return
	}
	expected := d.level + d.seasonal[i]
	r := v - expected
	d.now.Baseline = expected
	d.now.Residual = r
	d.now.DeviationPercent = d.deviationPercent(r, expected)
	if d.stage == stageScale {
		d.warmScale(r)
		d.update(i, v)
		return
	}
	if math.IsInf(r, 0) { // beyond float64: scored, but not learned
		d.now.Z, d.now.Score, d.now.Level, d.now.Ready, d.now.Type = r, 1, Critical, true, Spike
		if r < 0 {
			d.now.Type = Dip
		}
		return
	}
	z := d.score(r, expected)
	switch {
	case d.now.Score < holdScore:
		d.hold = 0
	case d.hold < d.cfg.Hold && d.scale > 0:
		d.hold++ // an alarm: keep the model of normal behaviour as it was
		return
	}
	c, lambda := d.cfg.Clip, d.cfg.ScaleSmoothing
	if d.scale == 0 { // no spread seen yet: nothing to clip against
		d.update(i, v)
		d.scale = math.Sqrt(lambda * r * r / d.huber)
		return
	}
	d.update(i, expected+d.scale*max(-c, min(c, z)))
	if d.now.Spread > widenHold && d.widen < d.cfg.Hold {
		d.widen++ // a wider spread in progress: keep the scale of normal behaviour
		return
	}
	d.widen = 0
	d.scale *= math.Sqrt(1 - lambda + lambda*min(z*z, scaleClip*scaleClip)/scaleHuber)
}

// update moves the level and the offset of phase i towards the (cleaned) value y.
func (d *StreamDetector) update(i int, y float64) {
	d.level += d.cfg.LevelSmoothing * (y - d.seasonal[i] - d.level)
	d.seasonal[i] += d.cfg.SeasonalSmoothing * (y - d.level - d.seasonal[i])
}

// warmScale collects residuals until the first scale can be set.
func (d *StreamDetector) warmScale(r float64) {
	if d.warm == nil {
		d.warm = make([]float64, 0, scaleWarmUp)
	}
	d.warm = append(d.warm, math.Abs(r))
	if len(d.warm) < scaleWarmUp {
		return
	}
	d.scale = 1.4826 * streamMedian(d.warm) / math.Sqrt2
	d.warm = d.warm[:0]
	d.stage = stageReady
}

// score computes the evidence and the score of the residual r from the expected value, and
// returns the standardised residual: ±Inf for a non-zero residual at zero scale.
func (d *StreamDetector) score(r, expected float64) float64 {
	z := 0.0
	if r != 0 {
		z = r / d.scale
	}
	c := d.cfg.Clip
	zc := max(-c, min(c, z))
	zl := zc * d.longRun()
	before := d.cusum.State()
	k := d.cfg.ShiftAllowance
	up := max(0, before.Upper+zl-k) // the sums before a restart at the decision interval
	down := max(0, before.Lower-zl-k)
	d.cusum.Add(zl)
	wider := max(0, d.spread.State().Upper+(math.Abs(zc)-absNormalMean)/absNormalSD-k)
	d.spread.Add(math.Abs(zc))
	decay := 1 - 1/float64(d.phases+1)
	d.peakUp = max(d.peakUp*decay, up)
	d.peakDown = max(d.peakDown*decay, down)
	shift := d.cfg.ShiftWeight * max(up, down, wider)
	evidence := max(math.Abs(z), shift)
	var cal severity.Calibrated
	switch {
	case evidence == 0: // no deviation at all: p = 1
		cal = d.calibrator.Add(0)
		cal.Score, cal.Probability, cal.Level = 0, 1, severity.Low
	case evidence > learnCap:
		cal = d.calibrator.Calibrate(evidence)
	case d.hold > 0 && d.hold < d.cfg.Hold:
		// The run of held alarms goes on: learn the value only if it is not an alarm itself.
		if cal = d.calibrator.Calibrate(evidence); cal.Score/100 < holdScore {
			d.calibrator.Learn(evidence)
		}
	default:
		cal = d.calibrator.Add(evidence)
	}

	if cal.Score/100 < holdScore { // learn the autocorrelation of ordinary residuals only
		d.acfLag = (1-acfSmoothing)*d.acfLag + acfSmoothing*zc*d.prevZ
		d.acfVar = (1-acfSmoothing)*d.acfVar + acfSmoothing*zc*zc
	}
	d.prevZ = zc

	s := &d.now
	s.Ready = true
	s.Z = z
	s.Shift = max(up, down)
	s.Spread = wider
	s.Score = cal.Score / 100
	s.Probability = cal.Probability
	s.Confidence = cal.Confidence
	effect := r
	if d.cfg.Log {
		effect = math.Exp(expected) * math.Expm1(r)
	}
	s.Level = streamSeverity(d.cfg.Calibration.Levels.Grade(cal.Score, effect, d.cfg.MinEffect))
	switch {
	case d.peakUp > shiftDecision && d.peakDown > shiftDecision && d.phases > 1:
		s.Type = SeasonalityBreak
	case shift > math.Abs(z):
		s.Type = TrendChange
	case r < 0:
		s.Type = Dip
	default:
		s.Type = Spike
	}
	return z
}

// longRun returns √((1 − φ)/(1 + φ)), φ ∈ [0, 0.9] the lag-one autocorrelation of the clipped
// standardised residuals: the factor that turns them into units of their long-run standard
// deviation, so that the CUSUM of positively autocorrelated residuals, whose sums wander further
// than those of independent ones, keeps its in-control behaviour.
func (d *StreamDetector) longRun() float64 {
	phi := 0.0
	if d.acfVar > 0 {
		phi = max(0, min(0.9, d.acfLag/d.acfVar))
	}
	return math.Sqrt((1 - phi) / (1 + phi))
}

// scaleHuber is E[min(Z², scaleClip²)] for a standard normal Z.
var scaleHuber = streamHuberConsistency(scaleClip)

// streamHuberConsistency returns E[min(Z², c²)] for a standard normal Z, which makes the clipped
// variance update consistent: (2Φ(c) − 1) − 2cφ(c) + 2c²(1 − Φ(c)).
func streamHuberConsistency(c float64) float64 {
	tail := math.Erfc(c/math.Sqrt2) / 2 // 1 − Φ(c)
	pdf := math.Exp(-c*c/2) / math.Sqrt(2*math.Pi)
	return 1 - 2*tail - 2*c*pdf + 2*c*c*tail
}

// deviationPercent returns the residual r in percent of the expected value: on the log scale,
// 100·(e^r − 1).
func (d *StreamDetector) deviationPercent(r, expected float64) float64 {
	switch {
	case r == 0:
		return 0
	case d.cfg.Log:
		return 100 * math.Expm1(r)
	}
	return 100 * r / math.Abs(expected)
}

func streamSeverity(l severity.Level) Severity {
	switch l {
	case severity.Critical:
		return Critical
	case severity.High:
		return High
	case severity.Medium:
		return Medium
	}
	return Low
}

// streamMedian returns the median of xs, reordering them (insertion sort: xs is short).
func streamMedian(xs []float64) float64 {
	for i := 1; i < len(xs); i++ {
		for j := i; j > 0 && xs[j] < xs[j-1]; j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// StreamState is a read-only snapshot of a StreamDetector after its last accepted value: what
// an engine needs to build an Anomaly record.
type StreamState struct {
	Time  time.Time // the last accepted value's timestamp
	Value float64   // the last accepted value
	N     int       // values accepted
	Ready bool      // the value was scored: the baseline and scale are learned

	// Baseline is the value expected at Time (the value itself while the baseline is learned),
	// Residual = Value − Baseline, Z = Residual/σ the standardised residual, and
	// DeviationPercent = 100·Residual/|Baseline| (±Inf for a zero baseline; 100·(e^Residual − 1)
	// with StreamConfig.Log).
	Baseline, Residual, Z, DeviationPercent float64
	// Shift is the larger CUSUM sum of the residuals, in long-run standard deviations: the
	// evidence of a sustained shift. Spread is the upper CUSUM sum of their absolute values: the
	// evidence of a wider spread (a variance change).
	Shift, Spread float64

	// Score is the value Add returned, Probability the estimated tail probability p behind it,
	// and Confidence in [0, 1] the calibrator's confidence (warm-up size, precision of p and
	// margin from the nearest level boundary; severity.Calibrated).
	Score, Probability, Confidence float64
	// Level is the severity of Score (boundaries of Calibration.Levels), low when the absolute
	// deviation from the baseline, in the metric's units, is below MinEffect.
	Level Severity
	// Type is the kind of the deviation, empty while not Ready: Spike or Dip by the sign of the
	// residual; TrendChange when the CUSUM evidence w·S outweighs |Z| (a sustained shift, or a
	// wider spread); SeasonalityBreak when both sums of the residuals' CUSUM have passed the
	// decision interval within about one cycle, i.e. the stream has run persistently above its
	// seasonal baseline at some phases and below it at others, as when the daily shape flattens
	// or moves.
	Type AnomalyType
}

// State returns the snapshot after the last accepted value (the zero StreamState before any).
func (d *StreamDetector) State() StreamState { return d.now }
