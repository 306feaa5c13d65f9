package omen

import (
	"encoding"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/stacklens/omen/isoforest"
)

// detEncodingVersion is the first byte of a service's snapshot. Version 2 added each pattern's
// birth (detSignature.born); a version 1 snapshot restores with born = first seen.
const detEncodingVersion = 2

// ErrDetectorEncoding is wrapped by the errors of Detector.Restore for data that Snapshot cannot
// have produced.
var ErrDetectorEncoding = errors.New("omen: invalid detector snapshot")

// marshal encodes the whole state of the service: a version byte, then length-prefixed fields
// and sub-encodings (little-endian), in the order of detService's fields.
func (s *detService) marshal() ([]byte, error) { return s.marshalVersion(detEncodingVersion) }

// marshalVersion is marshal in the layout of an encoding version (earlier ones for tests of
// their decoding).
func (s *detService) marshalVersion(version byte) ([]byte, error) {
	w := &detWriter{}
	w.byte(version)
	w.blob([]byte(s.name))
	w.int(int64(s.cfg.History))
	w.int(int64(s.sinceTraining))
	w.int(int64(s.trainedOn))
	w.bool(s.hasLast)
	if s.hasLast {
		w.window(s.last)
		last, err := json.Marshal(s.lastResults)
		if err != nil {
			return nil, fmt.Errorf("omen: snapshot of service %q: %w", s.name, err)
		}
		w.blob(last)
	}
	w.int(int64(s.history.len()))
	for i := range s.history.len() {
		w.window(s.history.at(i))
	}
	for i := range s.metrics.streams {
		w.marshaler(&s.metrics.streams[i])
		w.time(s.metrics.lastAbove[i])
		w.time(s.metrics.lastBelow[i])
	}

	for _, b := range s.trends.baselines {
		w.float(b.Center)
		w.float(b.Scale)
	}

	o := &s.outliers
	w.bool(o.model != nil)
	if o.model != nil {
		w.marshaler(o.model)
	}
	w.float(o.median)
	w.marshaler(&o.calibrator)

	p := &s.patterns
	for _, v := range p.scale {
		w.float(v)
	}
	w.int(int64(len(p.sigs)))
	for _, sig := range p.sigs {
		w.int(int64(sig.id))
		for _, v := range sig.center {
			w.float(v)
		}
		w.float(sig.radius)
		for _, v := range sig.raw {
			w.float(v)
		}
		w.int(int64(sig.size))
		w.time(sig.first)
		if version >= 2 {
			w.time(sig.born)
		}
		w.time(sig.last)
		w.int(int64(sig.occurrences))
	}
	w.int(int64(p.nextID))
	w.marshaler(&p.shift)
	w.marshaler(&p.calibrator)
	return w.b, w.err
}

// unmarshal replaces the state of s, a new service, with data. It validates everything and
// leaves s unusable on error (the caller discards it).
func (s *detService) unmarshal(data []byte) error {
	r := &detReader{b: data}
	version := r.byte()
	if r.err == nil && (version < 1 || version > detEncodingVersion) {
		return fmt.Errorf("%w: version %d", ErrDetectorEncoding, version)
	}
	if name := string(r.blob()); r.err == nil && name != s.name {
		return fmt.Errorf("%w: snapshot of service %q", ErrDetectorEncoding, name)
	}
	if h := r.int(); r.err == nil && h != int64(s.cfg.History) {
		return fmt.Errorf("%w: history of %d windows, the detector keeps %d", ErrDetectorEncoding, h, s.cfg.History)
	}
	// Before the first training the count runs up to MinHistory − 1, which may exceed RetrainEvery.
	// A snapshot taken with a larger RetrainEvery may hold more: training is then due at once.
	s.sinceTraining = min(r.count(maxConfigWindows), max(s.cfg.RetrainEvery, s.cfg.MinHistory))
	s.trainedOn = r.count(s.cfg.History)
	if s.hasLast = r.bool(); s.hasLast {
		s.last = r.window(s.name)
		if blob := r.blob(); r.err == nil {
			if err := json.Unmarshal(blob, &s.lastResults); err != nil {
				return fmt.Errorf("%w: last results: %v", ErrDetectorEncoding, err)
			}
		}
	}
	n := r.count(s.cfg.History)
	for range n {
		m := r.window(s.name)
		if r.err == nil && s.history.len() > 0 && !m.Timestamp.After(s.history.at(s.history.len()-1).Timestamp) {
			r.fail("history out of order")
		}
		s.history.push(m)
	}
	for i := range s.metrics.streams {
		r.unmarshaler(&s.metrics.streams[i])
		s.metrics.lastAbove[i] = r.time()
		s.metrics.lastBelow[i] = r.time()
	}

	for i := range s.trends.baselines {
		b := &s.trends.baselines[i]
		b.Center, b.Scale = r.finite(), r.finite()
		if b.Scale < 0 {
			r.fail("negative trend scale %v", b.Scale)
		}
	}

	o := &s.outliers
	if r.bool() {
		o.model = new(isoforest.Model)
		r.unmarshaler(o.model)
		if r.err == nil && o.model.Dim() != len(FeatureNames) {
			r.fail("forest of dimension %d", o.model.Dim())
		}
	}
	o.median = r.finite()
	r.unmarshaler(&o.calibrator)

	p := &s.patterns
	for j := range p.scale {
		p.scale[j] = r.finite()
	}
	sigs := r.count(s.cfg.History)
	for _, v := range p.scale {
		// Zero before the first training, which finds the patterns and their scales.
		if r.err == nil && !(v > 0) && (sigs > 0 || v != 0) {
			r.fail("pattern scale %v", v)
		}
	}
	p.sigs = make([]detSignature, sigs)
	for i := range p.sigs {
		sig := &p.sigs[i]
		sig.id = r.count(math.MaxInt32)
		for j := range sig.center {
			sig.center[j] = r.finite()
		}
		if sig.radius = r.finite(); r.err == nil && !(sig.radius > 0) {
			r.fail("pattern radius %v", sig.radius)
		}
		for j := range sig.raw {
			sig.raw[j] = r.finite()
		}
		sig.size = r.count(s.cfg.History)
		sig.first = r.time()
		sig.born = sig.first
		if version >= 2 {
			sig.born = r.time()
		}
		sig.last = r.time()
		sig.occurrences = r.count(math.MaxInt32)
	}
	p.nextID = r.count(math.MaxInt32)
	for _, sig := range p.sigs {
		if r.err == nil && sig.id >= p.nextID {
			r.fail("pattern ID %d not below the next ID %d", sig.id, p.nextID)
		}
	}
	r.unmarshaler(&p.shift)
	r.unmarshaler(&p.calibrator)
	if r.err == nil && len(r.b) > 0 {
		r.fail("%d trailing bytes", len(r.b))
	}
	if r.err == nil {
		s.applyLevels()
	}
	return r.err
}

// applyLevels sets the Detector's severity levels in every calibrator and stream of a restored
// service: levels only grade scores, and a snapshot taken under other levels must not keep them.
// (ShiftWindows, the other setting that a snapshot's parts carry, is read from the Detector's
// config at every window.)
func (s *detService) applyLevels() {
	for i := range s.metrics.streams {
		st := &s.metrics.streams[i]
		st.calibrator.SetLevels(s.cfg.Levels)
		st.cfg.Calibration.Levels = st.calibrator.Levels()
	}
	s.outliers.calibrator.SetLevels(s.cfg.Levels)
	s.patterns.calibrator.SetLevels(s.cfg.Levels)
}

// detWriter appends little-endian fields; the first error of a sub-encoding sticks.
type detWriter struct {
	b   []byte
	err error
}

func (w *detWriter) byte(v byte) { w.b = append(w.b, v) }

func (w *detWriter) bool(v bool) {
	if v {
		w.byte(1)
	} else {
		w.byte(0)
	}
}

func (w *detWriter) int(v int64)     { w.b = binary.LittleEndian.AppendUint64(w.b, uint64(v)) }
func (w *detWriter) float(v float64) { w.int(int64(math.Float64bits(v))) }

func (w *detWriter) blob(p []byte) {
	w.int(int64(len(p)))
	w.b = append(w.b, p...)
}

func (w *detWriter) marshaler(m encoding.BinaryMarshaler) {
	p, err := m.MarshalBinary()
	if err != nil && w.err == nil {
		w.err = err
	}
	w.blob(p)
}

func (w *detWriter) time(t time.Time) {
	p, err := t.UTC().MarshalBinary()
	if err != nil && w.err == nil {
		w.err = err
	}
	w.blob(p)
}

// window encodes a window without its service, which the snapshot names once.
func (w *detWriter) window(m Metrics) {
	w.time(m.Timestamp)
	w.int(int64(m.Window))
	w.int(m.TotalRequests)
	w.float(m.ErrorRate)
	w.float(m.LatencyP50)
	w.float(m.LatencyP95)
	w.float(m.LatencyP99)
	w.float(m.LatencyMean)
	w.int(m.UniqueUsers)
	w.int(m.UniqueIPs)
	w.float(m.RiskScore)
}

// detReader decodes what detWriter wrote; the first problem sets err, and later reads return
// zero values.
type detReader struct {
	b   []byte
	err error
}

func (r *detReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s", ErrDetectorEncoding, fmt.Sprintf(format, args...))
	}
}

func (r *detReader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.fail("truncated")
		return nil
	}
	p := r.b[:n:n]
	r.b = r.b[n:]
	return p
}

func (r *detReader) byte() byte {
	if p := r.take(1); p != nil {
		return p[0]
	}
	return 0
}

func (r *detReader) bool() bool {
	v := r.byte()
	if v > 1 {
		r.fail("boolean %d", v)
	}
	return v == 1
}

func (r *detReader) int() int64 {
	if p := r.take(8); p != nil {
		return int64(binary.LittleEndian.Uint64(p))
	}
	return 0
}

// count reads a non-negative integer of at most limit.
func (r *detReader) count(limit int) int {
	v := r.int()
	if v < 0 || v > int64(limit) {
		r.fail("count %d outside [0, %d]", v, limit)
		return 0
	}
	return int(v)
}

func (r *detReader) float() float64 { return math.Float64frombits(uint64(r.int())) }

// finite reads a finite float.
func (r *detReader) finite() float64 {
	v := r.float()
	if math.IsNaN(v) || math.IsInf(v, 0) {
		r.fail("non-finite value")
		return 0
	}
	return v
}

func (r *detReader) blob() []byte {
	n := r.int()
	if n < 0 || n > int64(len(r.b)) {
		r.fail("truncated")
		return nil
	}
	return r.take(int(n))
}

func (r *detReader) unmarshaler(u encoding.BinaryUnmarshaler) {
	p := r.blob()
	if r.err != nil {
		return
	}
	if err := u.UnmarshalBinary(p); err != nil {
		r.err = fmt.Errorf("%w: %w", ErrDetectorEncoding, err)
	}
}

func (r *detReader) time() time.Time {
	var t time.Time
	p := r.blob()
	if r.err == nil {
		if err := t.UnmarshalBinary(p); err != nil {
			r.fail("time: %v", err)
		}
	}
	return t.UTC()
}

// window decodes a window of service and validates it.
func (r *detReader) window(service string) Metrics {
	m := Metrics{Service: service, Timestamp: r.time(), Window: time.Duration(r.int())}
	m.TotalRequests = r.int()
	m.ErrorRate = r.float()
	m.LatencyP50 = r.float()
	m.LatencyP95 = r.float()
	m.LatencyP99 = r.float()
	m.LatencyMean = r.float()
	m.UniqueUsers = r.int()
	m.UniqueIPs = r.int()
	m.RiskScore = r.float()
	if r.err == nil {
		if err := m.Validate(); err != nil {
			r.fail("%v", err)
		}
	}
	return m
}
