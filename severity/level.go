package severity

import (
	"fmt"
	"math"
)

// Level is a severity level.
type Level int8

// The levels, in increasing order of severity.
const (
	Low      Level = iota // below Levels.Medium
	Medium                // from Levels.Medium (default 25)
	High                  // from Levels.High (default 50)
	Critical              // from Levels.Critical (default 75)
)

var levelNames = [...]string{"low", "medium", "high", "critical"}

// String returns the lowercase name used in messages and the database: low, medium, high, critical.
func (l Level) String() string {
	if l < Low || l > Critical {
		return fmt.Sprintf("Level(%d)", int8(l))
	}
	return levelNames[l]
}

// MarshalText encodes the level as its lowercase name.
func (l Level) MarshalText() ([]byte, error) {
	if l < Low || l > Critical {
		return nil, fmt.Errorf("severity: invalid level %d", int8(l))
	}
	return []byte(l.String()), nil
}

// UnmarshalText decodes a lowercase level name.
func (l *Level) UnmarshalText(b []byte) error {
	for i, name := range levelNames {
		if string(b) == name {
			*l = Level(i)
			return nil
		}
	}
	return fmt.Errorf("severity: unknown level %q", b)
}

// Levels holds the score boundaries of the levels on the 0–100 anomaly score: a score below Medium
// is low, below High medium, below Critical high, and critical from Critical on. A zero field means
// its default: 25, 50 and 75. The boundaries must increase.
type Levels struct {
	Medium, High, Critical float64
}

// withDefaults returns ls with its zero boundaries set to their defaults; it panics when the
// boundaries then do not increase.
func (ls Levels) withDefaults() Levels {
	ls = ls.filled()
	if !ls.increasing() {
		panic("severity: Levels must increase: Medium < High < Critical")
	}
	return ls
}

// filled returns ls with its zero boundaries set to 25, 50 and 75.
func (ls Levels) filled() Levels {
	if ls.Medium == 0 {
		ls.Medium = 25
	}
	if ls.High == 0 {
		ls.High = 50
	}
	if ls.Critical == 0 {
		ls.Critical = 75
	}
	return ls
}

func (ls Levels) increasing() bool { return ls.Medium < ls.High && ls.High < ls.Critical }

// Validate reports an error unless every boundary is zero (its default) or in (0, 100], and the
// boundaries, defaults filled in, increase. Of, Grade and a Calibrator panic on Levels that do
// not increase; a constructor that takes Levels from its caller validates them first.
func (ls Levels) Validate() error {
	for _, v := range []float64{ls.Medium, ls.High, ls.Critical} {
		if !(v >= 0 && v <= 100) {
			return fmt.Errorf("severity: level boundary %v outside (0, 100]", v)
		}
	}
	if d := ls.filled(); !d.increasing() {
		return fmt.Errorf("severity: level boundaries %v, %v, %v must increase (zero means 25, 50, 75)", d.Medium, d.High, d.Critical)
	}
	return nil
}

// Of returns the level of a 0–100 score. NaN is Low.
func (ls Levels) Of(score float64) Level {
	ls = ls.withDefaults()
	switch {
	case score >= ls.Critical:
		return Critical
	case score >= ls.High:
		return High
	case score >= ls.Medium:
		return Medium
	}
	return Low
}

// Grade returns the level of score, capped at Low when the absolute effect (|observed − expected|
// in the metric's own units) is below minEffect: a tiny baseline can make a tiny change improbable,
// say an error rate going from 0.01 % to 0.05 %, but such a change is not worth an alert. A NaN
// effect is treated as no effect.
func (ls Levels) Grade(score, effect, minEffect float64) Level {
	if !(math.Abs(effect) >= minEffect) {
		return Low
	}
	return ls.Of(score)
}

// margin returns the distance from score to the nearest level boundary.
func (ls Levels) margin(score float64) float64 {
	ls = ls.withDefaults()
	return min(math.Abs(score-ls.Medium), math.Abs(score-ls.High), math.Abs(score-ls.Critical))
}

// EscalationConfig configures an Escalator. A zero field means its documented default.
type EscalationConfig struct {
	// After is the number of consecutive anomalous windows per step up. Default 3.
	After int
	// From is the lowest level that counts as anomalous. Zero (Low) means the default, Medium.
	From Level
}

func (c EscalationConfig) withDefaults() EscalationConfig {
	if c.After < 0 || c.After > math.MaxInt32 || c.From < Low || c.From > Critical {
		panic("severity: invalid EscalationConfig")
	}
	if c.After == 0 {
		c.After = 3
	}
	if c.From == Low {
		c.From = Medium
	}
	return c
}

// Escalator raises the level of an anomaly that persists: after After consecutive windows at level
// From or above, each further block of After windows raises the reported level by one step, up to
// Critical. A window below From ends the run. The zero value is ready to use with the default
// config. An Escalator is not safe for concurrent use.
type Escalator struct {
	cfg EscalationConfig
	run int
}

// NewEscalator returns an escalator with cfg; it panics on a negative After, an After above
// 2³¹−1 or an invalid From.
func NewEscalator(cfg EscalationConfig) *Escalator {
	return &Escalator{cfg: cfg.withDefaults()}
}

// Add records the level of the next window and returns its escalated level:
// min(Critical, level + run/After), run counting this window.
func (e *Escalator) Add(level Level) Level {
	e.cfg = e.cfg.withDefaults()
	if level < e.cfg.From {
		e.run = 0
		return level
	}
	e.run = min(e.run+1, math.MaxInt32) // Run saturates rather than wrap
	return min(Critical, level+Level(min(e.run/e.cfg.After, int(Critical))))
}

// Run returns the number of consecutive anomalous windows up to the last one added.
func (e *Escalator) Run() int { return e.run }

// Reset forgets the run, keeping the config.
func (e *Escalator) Reset() { e.run = 0 }

const escalatorVersion = 1

// MarshalBinary encodes the config and the run: version byte, After, From and run as uvarints.
func (e *Escalator) MarshalBinary() ([]byte, error) {
	cfg := e.cfg.withDefaults()
	b := appendUint([]byte{escalatorVersion}, cfg.After)
	b = appendUint(b, int(cfg.From))
	return appendUint(b, e.run), nil
}

// UnmarshalBinary restores an escalator encoded by MarshalBinary. On error e is unchanged.
func (e *Escalator) UnmarshalBinary(b []byte) error {
	d := decoder{b: b}
	d.version(escalatorVersion)
	after := d.uint(math.MaxInt32)
	from := d.uint(int(Critical))
	run := d.uint(math.MaxInt32)
	if err := d.finish(); err != nil {
		return err
	}
	if after == 0 || from == int(Low) {
		return ErrEncoding
	}
	*e = Escalator{cfg: EscalationConfig{After: after, From: Level(from)}, run: run}
	return nil
}
