package patterns

import (
	"encoding/binary"
	"errors"
	"math"
)

// ShiftConfig configures a ShiftDetector. A zero field means its documented default.
type ShiftConfig struct {
	// Threshold is the standardised distance (Match.Distance) above which a window deviates from
	// its pattern. Default 1: outside the pattern's robust radius.
	Threshold float64
	// Windows is the number of consecutive deviating windows that make a shift. Default 3.
	Windows int
}

func (c ShiftConfig) withDefaults() ShiftConfig {
	if c.Threshold < 0 || math.IsNaN(c.Threshold) || math.IsInf(c.Threshold, 0) || c.Windows < 0 || c.Windows > math.MaxInt32 {
		panic("patterns: invalid ShiftConfig: a negative, NaN or infinite field, or Windows above 2³¹−1")
	}
	if c.Threshold == 0 {
		c.Threshold = 1
	}
	if c.Windows == 0 {
		c.Windows = 3
	}
	return c
}

// ShiftDetector reports a pattern shift when the standardised distance of consecutive windows to
// their nearest pattern stays above Threshold for Windows windows in a row: persistence turns single
// outliers (which the outlier detectors report) into a sustained change of behaviour.
//
// The zero value is ready to use with the default config. A ShiftDetector is not safe for concurrent
// use.
type ShiftDetector struct {
	cfg ShiftConfig
	run int
}

// NewShiftDetector returns a detector with cfg. It panics on a negative, NaN or infinite field
// and on Windows above 2³¹−1.
func NewShiftDetector(cfg ShiftConfig) *ShiftDetector {
	return &ShiftDetector{cfg: cfg.withDefaults()}
}

// Add records the standardised distance of the next window and reports whether a shift is in
// progress, i.e. whether the last Windows distances all exceeded Threshold. A NaN distance carries no
// evidence and ends the run, as a distance within the threshold does.
func (d *ShiftDetector) Add(distance float64) bool {
	d.cfg = d.cfg.withDefaults()
	if distance > d.cfg.Threshold {
		d.run = min(d.run+1, math.MaxInt32) // Run saturates rather than wrap
	} else {
		d.run = 0
	}
	return d.Shifted()
}

// Run returns the number of consecutive deviating windows up to the last one added.
func (d *ShiftDetector) Run() int { return d.run }

// Shifted reports whether the current run has reached Windows windows.
func (d *ShiftDetector) Shifted() bool {
	return d.run >= d.cfg.withDefaults().Windows
}

// Reset forgets the run, keeping the config.
func (d *ShiftDetector) Reset() { d.run = 0 }

const shiftVersion = 1

// MarshalBinary encodes the config and state: version byte, Threshold (float64 bits), Windows and
// run (uvarints).
func (d *ShiftDetector) MarshalBinary() ([]byte, error) {
	cfg := d.cfg.withDefaults()
	b := []byte{shiftVersion}
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(cfg.Threshold))
	b = binary.AppendUvarint(b, uint64(cfg.Windows))
	return binary.AppendUvarint(b, uint64(d.run)), nil
}

// errShiftEncoding is returned by UnmarshalBinary for bytes MarshalBinary cannot have produced.
var errShiftEncoding = errors.New("patterns: invalid ShiftDetector encoding")

// UnmarshalBinary restores a detector encoded by MarshalBinary. On error d is unchanged.
func (d *ShiftDetector) UnmarshalBinary(b []byte) error {
	if len(b) < 9 || b[0] != shiftVersion {
		return errShiftEncoding
	}
	threshold := math.Float64frombits(binary.LittleEndian.Uint64(b[1:9]))
	b = b[9:]
	windows, n := binary.Uvarint(b)
	if n <= 0 {
		return errShiftEncoding
	}
	b = b[n:]
	run, n := binary.Uvarint(b)
	if n <= 0 || n != len(b) {
		return errShiftEncoding
	}
	if !(threshold > 0) || math.IsInf(threshold, 0) || windows == 0 || windows > math.MaxInt32 || run > math.MaxInt32 {
		return errShiftEncoding
	}
	d.cfg = ShiftConfig{Threshold: threshold, Windows: int(windows)}
	d.run = int(run)
	return nil
}
