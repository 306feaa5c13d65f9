package trend

import (
	"encoding/binary"
	"errors"
	"math"
)

// CUSUMConfig holds the settings of a CUSUM chart; zero fields mean the
// defaults given with each.
type CUSUMConfig struct {
	// Target and Sigma are the in-control mean and standard deviation. When
	// Sigma is zero both are learned from the first WarmUp values (mean and
	// sample standard deviation), and learned again after each alarm so the
	// chart follows the new level.
	Target, Sigma float64
	// WarmUp is the number of values used to learn Target and Sigma; zero
	// means 30.
	WarmUp int
	// K is the allowance (reference value) in units of Sigma; zero means 0.5,
	// tuned to detect a shift of one standard deviation.
	K float64
	// H is the decision interval in units of Sigma; zero means 5, an
	// in-control average run length of about 465 values for normal data.
	H float64
}

// CUSUMState is a snapshot of a CUSUM chart.
type CUSUMState struct {
	// Upper and Lower are the one-sided sums, in units of Sigma:
	// U_t = max(0, U_{t−1} + z_t − K) and L_t = max(0, L_{t−1} − z_t − K) with
	// z_t = (x_t − Target)/Sigma.
	Upper, Lower float64
	// Alarm is +1 when the last value pushed Upper above H (an upward
	// shift), −1 when it pushed Lower above H, and 0 otherwise. The sums
	// restart from zero after an alarm.
	Alarm int
	// Ready reports whether Target and Sigma are known (the warm-up is over).
	Ready bool
	// Target and Sigma are the in-control mean and standard deviation in use.
	Target, Sigma float64
}

// CUSUM is Page's (1954) two-sided tabular cumulative-sum chart for shifts in
// the mean of a stream (Montgomery, Introduction to Statistical Quality
// Control, §9.1). The zero value is ready to use with the default settings;
// NewCUSUM sets others. Memory is constant. A CUSUM is not safe for
// concurrent use.
type CUSUM struct {
	cfg          CUSUMConfig
	fixed        bool // Target and Sigma are given, not learned
	count        int  // warm-up values seen
	mean, m2     float64
	target, sd   float64
	upper, lower float64
	alarm        int
}

// NewCUSUM returns a CUSUM chart with the settings of cfg. A negative Sigma,
// WarmUp, K or H, a WarmUp of 1, or a NaN or infinite Target, Sigma, K or H
// panics.
func NewCUSUM(cfg CUSUMConfig) *CUSUM {
	if cfg.Sigma < 0 || cfg.WarmUp < 0 || cfg.WarmUp == 1 || cfg.K < 0 || cfg.H < 0 ||
		math.IsNaN(cfg.Target+cfg.Sigma+cfg.K+cfg.H) || math.IsInf(cfg.Target+cfg.Sigma+cfg.K+cfg.H, 0) {
		panic("trend: invalid CUSUMConfig")
	}
	c := &CUSUM{cfg: cfg}
	c.Reset()
	return c
}

func (c *CUSUM) settings() (warmUp int, k, h float64) {
	warmUp, k, h = c.cfg.WarmUp, c.cfg.K, c.cfg.H
	if warmUp == 0 {
		warmUp = 30
	}
	if k == 0 {
		k = 0.5
	}
	if h == 0 {
		h = 5
	}
	return warmUp, k, h
}

// Reset returns the chart to its initial state, keeping its settings.
func (c *CUSUM) Reset() {
	*c = CUSUM{cfg: c.cfg, fixed: c.cfg.Sigma > 0, target: c.cfg.Target, sd: c.cfg.Sigma}
}

// Add feeds the value x and returns the chart's state after it. A NaN or
// infinite x is ignored (the state is returned unchanged but for Alarm,
// which is 0). During the warm-up of a learned chart the sums stay at zero.
func (c *CUSUM) Add(x float64) CUSUMState {
	c.alarm = 0
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return c.State()
	}
	if !c.fixed && c.sd == 0 {
		c.learn(x)
		return c.State()
	}
	_, k, h := c.settings()
	z := (x - c.target) / c.sd
	c.upper = math.Max(0, c.upper+z-k)
	c.lower = math.Max(0, c.lower-z-k)
	switch {
	case c.upper > h:
		c.alarm = 1
	case c.lower > h:
		c.alarm = -1
	}
	if c.alarm != 0 {
		c.upper, c.lower = 0, 0
		if !c.fixed {
			c.count, c.mean, c.m2, c.sd = 0, 0, 0, 0
		}
	}
	return c.State()
}

// learn adds x to the warm-up (Welford's update) and sets Target and Sigma
// when it is complete. A warm-up without variation is extended until the
// values vary.
func (c *CUSUM) learn(x float64) {
	warmUp, _, _ := c.settings()
	c.count++
	d := x - c.mean
	c.mean += d / float64(c.count)
	c.m2 += d * (x - c.mean)
	if c.count >= warmUp && c.m2 > 0 {
		c.target = c.mean
		c.sd = math.Sqrt(c.m2 / float64(c.count-1))
	}
}

// State returns the current state without changing it.
func (c *CUSUM) State() CUSUMState {
	return CUSUMState{Upper: c.upper, Lower: c.lower, Alarm: c.alarm, Ready: c.sd > 0, Target: c.target, Sigma: c.sd}
}

const cusumVersion = 1

// MarshalBinary encodes the chart's settings and state (version 1, 8-byte
// little-endian fields).
func (c *CUSUM) MarshalBinary() ([]byte, error) {
	fields := []float64{
		c.cfg.Target, c.cfg.Sigma, float64(c.cfg.WarmUp), c.cfg.K, c.cfg.H,
		boolFloat(c.fixed), float64(c.count), c.mean, c.m2, c.target, c.sd, c.upper, c.lower, float64(c.alarm),
	}
	b := make([]byte, 1, 1+8*len(fields))
	b[0] = cusumVersion
	for _, f := range fields {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
	}
	return b, nil
}

// UnmarshalBinary restores a chart encoded by MarshalBinary.
func (c *CUSUM) UnmarshalBinary(data []byte) error {
	const n = 14
	if len(data) != 1+8*n || data[0] != cusumVersion {
		return errors.New("trend: invalid CUSUM encoding")
	}
	var f [n]float64
	for i := range f {
		f[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[1+8*i:]))
	}
	cfg := CUSUMConfig{Target: f[0], Sigma: f[1], WarmUp: int(f[2]), K: f[3], H: f[4]}
	if cfg.Sigma < 0 || !(f[2] >= 0 && f[2] < 1<<31 && f[2] != 1) || cfg.K < 0 || cfg.H < 0 ||
		!(f[6] >= 0 && f[6] < 1<<53) || f[10] < 0 || math.Abs(f[13]) > 1 || (f[5] != 0) != (cfg.Sigma > 0) ||
		(f[5] != 0 && (f[10] != cfg.Sigma || f[9] != cfg.Target)) || f[8] < 0 || f[11] < 0 || f[12] < 0 {
		// A fixed chart charts with its configured Target and Sigma (an sd of 0 made every sum
		// NaN); sums of squares and the one-sided sums are never negative.
		return errors.New("trend: invalid CUSUM encoding")
	}
	for _, v := range f {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return errors.New("trend: invalid CUSUM encoding")
		}
	}
	*c = CUSUM{cfg: cfg, fixed: f[5] != 0, count: int(f[6]), mean: f[7], m2: f[8],
		target: f[9], sd: f[10], upper: f[11], lower: f[12], alarm: int(f[13])}
	return nil
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
