package omen

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// streamEncodingVersion is the first byte of a StreamDetector's binary encoding. Version 2 added
// the count of values of a wider spread that did not update the scale; UnmarshalBinary still
// reads version 1, whose count is then 0. Version 3 marks the exact phase of a timestamp (see
// StreamDetector.phase): versions 1 and 2 put a timestamp on a phase boundary into the phase
// before it, and their seasonal offsets of a stream on the boundaries are moved to the phases
// they describe when decoded (remapPhases). Version 4 marks the nearest phase (round, not ⌊·⌋):
// the offsets of a stream whose timestamps lie in the second half of their phase move up one
// phase when an earlier version is decoded (roundPhases).
const streamEncodingVersion = 4

// ErrStreamEncoding is returned by StreamDetector.UnmarshalBinary for data it cannot decode.
var ErrStreamEncoding = errors.New("omen: invalid stream detector encoding")

var streamTypes = []AnomalyType{"", Spike, Dip, TrendChange, SeasonalityBreak}

// MarshalBinary encodes the detector's settings and state: a version byte, then little-endian
// fixed-size fields, the seasonal offsets, and the encodings of its CUSUM and calibrator (each
// preceded by its length). It is a few kilobytes and does not change the detector.
func (d *StreamDetector) MarshalBinary() ([]byte, error) {
	d.configure()
	cus, err := d.cusum.MarshalBinary()
	if err != nil {
		return nil, err
	}
	spr, err := d.spread.MarshalBinary()
	if err != nil {
		return nil, err
	}
	cal, err := d.calibrator.MarshalBinary()
	if err != nil {
		return nil, err
	}
	c := d.cfg
	b := []byte{streamEncodingVersion}
	b = streamAppendInt(b, int64(c.Period))
	b = streamAppendInt(b, int64(c.Step))
	b = streamAppendInt(b, int64(c.Hold))
	for _, v := range []float64{c.LevelSmoothing, c.SeasonalSmoothing, c.ScaleSmoothing, c.Clip,
		c.ShiftAllowance, c.ShiftWeight, c.MinEffect,
		c.Calibration.Levels.Medium, c.Calibration.Levels.High, c.Calibration.Levels.Critical} {
		b = streamAppendFloat(b, v)
	}
	b = append(b, streamBool(c.Log), byte(d.stage))
	b = streamAppendInt(b, int64(d.step))
	b = streamAppendInt(b, int64(d.phases))
	b = streamAppendInt(b, d.first)
	b = streamAppendInt(b, d.last)
	b = streamAppendInt(b, int64(d.n))
	b = streamAppendInt(b, int64(d.hold))
	b = streamAppendInt(b, int64(d.widen))
	for _, v := range []float64{d.pend, d.level, d.scale, d.peakUp, d.peakDown, d.prevZ, d.acfLag, d.acfVar} {
		b = streamAppendFloat(b, v)
	}
	for _, v := range d.seasonal {
		b = streamAppendFloat(b, v)
	}
	b = streamAppendInt(b, int64(len(d.warm)))
	for _, v := range d.warm {
		b = streamAppendFloat(b, v)
	}
	s := d.now
	var ns int64
	if d.n > 0 {
		ns = s.Time.UnixNano()
	}
	b = streamAppendInt(b, ns)
	for _, v := range []float64{s.Value, s.Baseline, s.Residual, s.Z, s.DeviationPercent, s.Shift,
		s.Spread, s.Score, s.Probability, s.Confidence} {
		b = streamAppendFloat(b, v)
	}
	b = append(b, streamBool(s.Ready), byte(max(0, streamIndex(Severities, s.Level))), byte(streamIndex(streamTypes, s.Type)))
	b = streamAppendInt(b, int64(len(cus)))
	b = append(b, cus...)
	b = streamAppendInt(b, int64(len(spr)))
	b = append(b, spr...)
	b = streamAppendInt(b, int64(len(cal)))
	b = append(b, cal...)
	return b, nil
}

// UnmarshalBinary restores a detector encoded by MarshalBinary. It validates every field and
// returns an error wrapping ErrStreamEncoding for data it cannot decode; d is then unchanged.
func (d *StreamDetector) UnmarshalBinary(data []byte) error {
	r := streamReader{b: data}
	version := r.byte()
	if r.err != nil {
		return r.err
	}
	if version < 1 || version > streamEncodingVersion {
		return fmt.Errorf("%w: version %d", ErrStreamEncoding, version)
	}
	var n StreamDetector
	c := &n.cfg
	c.Period = time.Duration(r.int())
	c.Step = time.Duration(r.int())
	cfgHold := r.int()
	for _, p := range []*float64{&c.LevelSmoothing, &c.SeasonalSmoothing, &c.ScaleSmoothing, &c.Clip,
		&c.ShiftAllowance, &c.ShiftWeight, &c.MinEffect,
		&c.Calibration.Levels.Medium, &c.Calibration.Levels.High, &c.Calibration.Levels.Critical} {
		*p = r.float()
	}
	c.Log = r.bool()
	n.stage = streamStage(r.byte())
	n.step = time.Duration(r.int())
	phases := r.int()
	n.first, n.last = r.int(), r.int()
	count := r.int()
	hold, widen := r.int(), int64(0)
	if version >= 2 {
		widen = r.int()
	}
	for _, p := range []*float64{&n.pend, &n.level, &n.scale, &n.peakUp, &n.peakDown, &n.prevZ, &n.acfLag, &n.acfVar} {
		*p = r.float()
	}
	if r.err != nil {
		return r.err
	}
	if cfgHold < 0 || cfgHold > math.MaxInt32 {
		return fmt.Errorf("%w: hold %d", ErrStreamEncoding, cfgHold)
	}
	c.Hold = int(cfgHold)
	if err := c.check(); err != nil {
		return fmt.Errorf("%w: %v", ErrStreamEncoding, err)
	}
	lv := c.Calibration.Levels
	switch {
	case c.Period == 0 || c.LevelSmoothing == 0 || c.SeasonalSmoothing == 0 || c.ScaleSmoothing == 0 ||
		c.Clip == 0 || c.ShiftAllowance == 0 || c.ShiftWeight == 0:
		return fmt.Errorf("%w: settings without their defaults", ErrStreamEncoding)
	case !(0 < lv.Medium && lv.Medium < lv.High && lv.High < lv.Critical && lv.Critical <= 100):
		return fmt.Errorf("%w: level boundaries %v", ErrStreamEncoding, lv)
	case n.stage > stageReady:
		return fmt.Errorf("%w: stage %d", ErrStreamEncoding, n.stage)
	case phases < 0 || phases > MaxPhases || (phases == 0) != (n.stage <= stageStep) || (phases > 1 && c.Period < 0):
		return fmt.Errorf("%w: %d phases at stage %d", ErrStreamEncoding, phases, n.stage)
	case n.stage >= stageFirstCycle && c.Period > 0 && n.step <= 0:
		return fmt.Errorf("%w: step %v", ErrStreamEncoding, n.step)
	case hold < 0 || hold > cfgHold || widen < 0 || widen > cfgHold:
		return fmt.Errorf("%w: %d values held, %d of a wider spread", ErrStreamEncoding, hold, widen)
	case count < 0 || count > math.MaxInt32 || (count == 0) != (n.stage == stageEmpty) || n.last < n.first:
		return fmt.Errorf("%w: %d values from %d to %d", ErrStreamEncoding, count, n.first, n.last)
	case !streamFinite(n.pend, n.level, n.scale, n.peakUp, n.peakDown, n.prevZ, n.acfLag, n.acfVar) ||
		n.scale < 0 || n.peakUp < 0 || n.peakDown < 0 || n.acfVar < 0:
		return fmt.Errorf("%w: non-finite or negative state", ErrStreamEncoding)
	}
	n.phases, n.n, n.hold, n.widen = int(phases), int(count), int(hold), int(widen)
	if n.phases > 0 {
		n.seasonal = make([]float64, n.phases)
		for i := range n.seasonal {
			n.seasonal[i] = r.float()
			if math.IsInf(n.seasonal[i], 0) {
				return fmt.Errorf("%w: infinite seasonal offset", ErrStreamEncoding)
			}
		}
	}
	warm := r.int()
	if warm < 0 || warm >= scaleWarmUp || (warm > 0 && n.stage != stageScale) {
		return fmt.Errorf("%w: %d warm-up residuals", ErrStreamEncoding, warm)
	}
	if warm > 0 {
		n.warm = make([]float64, warm, scaleWarmUp)
		for i := range n.warm {
			n.warm[i] = r.float()
			if !streamFinite(n.warm[i]) || n.warm[i] < 0 {
				return fmt.Errorf("%w: warm-up residual %v", ErrStreamEncoding, n.warm[i])
			}
		}
	}
	s := &n.now
	switch ns := r.int(); {
	case count > 0:
		s.Time = time.Unix(0, ns).UTC()
	case ns != 0:
		return fmt.Errorf("%w: snapshot time without values", ErrStreamEncoding)
	}
	for _, p := range []*float64{&s.Value, &s.Baseline, &s.Residual, &s.Z, &s.DeviationPercent, &s.Shift,
		&s.Spread, &s.Score, &s.Probability, &s.Confidence} {
		*p = r.float()
	}
	s.Ready = r.bool()
	level, typ := r.byte(), r.byte()
	if r.err != nil {
		return r.err
	}
	if int(level) >= len(Severities) || int(typ) >= len(streamTypes) || !(s.Score >= 0 && s.Score <= 1) {
		return fmt.Errorf("%w: snapshot", ErrStreamEncoding)
	}
	s.Level, s.Type, s.N = Severities[level], streamTypes[typ], n.n
	if count == 0 {
		s.Level = "" // an empty detector's state is the zero StreamState (level 0 encodes it)
	}
	if err := n.cusum.UnmarshalBinary(r.blob()); err != nil {
		return fmt.Errorf("%w: CUSUM: %v", ErrStreamEncoding, err)
	}
	if err := n.spread.UnmarshalBinary(r.blob()); err != nil {
		return fmt.Errorf("%w: spread CUSUM: %v", ErrStreamEncoding, err)
	}
	if err := n.calibrator.UnmarshalBinary(r.blob()); err != nil {
		return fmt.Errorf("%w: calibrator: %v", ErrStreamEncoding, err)
	}
	if r.err != nil {
		return r.err
	}
	if len(r.b) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrStreamEncoding, len(r.b))
	}
	n.config = true
	n.huber = streamHuberConsistency(c.Clip)
	if version < 3 {
		n.remapPhases()
	}
	if version < 4 {
		n.roundPhases()
	}
	*d = n
	return nil
}

// remapPhases moves the seasonal offsets of a version 1 or 2 state to the phases they describe.
// Those versions put a timestamp on a phase boundary — every timestamp of a stream whose windows
// start on them, as hourly windows on the hour with hourly phases — into the phase before it:
// phase 0 took the first two phases' values, phase j−1 phase j's, and the last none. For such a
// stream (its last timestamp on a boundary) phase j now gets the offset learned for it, phase 0
// the shared one; a stream between the boundaries was mapped right and keeps its offsets.
func (d *StreamDetector) remapPhases() {
	p, k := int64(d.cfg.Period), int64(d.phases)
	if k < 2 || p <= 0 || p%k != 0 || d.last%(p/k) != 0 {
		return
	}
	old := slices.Clone(d.seasonal)
	for j := k - 1; j >= 1; j-- {
		d.seasonal[j] = old[j-1]
	}
	d.seasonal[0] = old[0]
}

// roundPhases moves the seasonal offsets of a state of version 3 or earlier to the phases of
// version 4. Those versions took the phase below a timestamp, version 4 the nearest: for a stream
// whose last timestamp lies in the second half of its phase (hourly windows stamped at hh:40 with
// hourly phases) every offset moves up one phase, the last to phase 0; other streams keep theirs.
func (d *StreamDetector) roundPhases() {
	k := d.phases
	if k < 2 || d.cfg.Period <= 0 || d.n == 0 {
		return
	}
	if _, up := d.phaseBelow(d.last); !up {
		return // rounds down: the same phase
	}
	last := d.seasonal[k-1]
	copy(d.seasonal[1:], d.seasonal[:k-1])
	d.seasonal[0] = last
}

func streamAppendInt(b []byte, v int64) []byte { return binary.LittleEndian.AppendUint64(b, uint64(v)) }

func streamAppendFloat(b []byte, v float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
}

func streamBool(v bool) byte {
	if v {
		return 1
	}
	return 0
}

func streamIndex[T comparable](xs []T, x T) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

func streamFinite(xs ...float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// streamReader decodes little-endian fields; the first short read sets err and later reads return 0.
type streamReader struct {
	b   []byte
	err error
}

func (r *streamReader) take(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b) {
		if r.err == nil {
			r.err = fmt.Errorf("%w: truncated", ErrStreamEncoding)
		}
		return nil
	}
	p := r.b[:n]
	r.b = r.b[n:]
	return p
}

func (r *streamReader) byte() byte {
	if p := r.take(1); p != nil {
		return p[0]
	}
	return 0
}

func (r *streamReader) bool() bool {
	v := r.byte()
	if v > 1 && r.err == nil {
		r.err = fmt.Errorf("%w: boolean %d", ErrStreamEncoding, v)
	}
	return v == 1
}

func (r *streamReader) int() int64 {
	if p := r.take(8); p != nil {
		return int64(binary.LittleEndian.Uint64(p))
	}
	return 0
}

func (r *streamReader) float() float64 { return math.Float64frombits(uint64(r.int())) }

// blob reads a length-prefixed byte string.
func (r *streamReader) blob() []byte {
	n := r.int()
	if n < 0 || n > int64(len(r.b)) {
		if r.err == nil {
			r.err = fmt.Errorf("%w: truncated", ErrStreamEncoding)
		}
		return nil
	}
	return r.take(int(n))
}
