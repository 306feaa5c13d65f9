package arima

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
)

// encodingVersion is the version of the binary encoding written by MarshalBinary.
const encodingVersion = 1

var encodingMagic = [4]byte{'A', 'R', 'M', 'A'}

// ErrEncoding reports binary data that UnmarshalBinary cannot decode.
var ErrEncoding = errors.New("arima: invalid model encoding")

// MarshalBinary encodes the model (implementing encoding.BinaryMarshaler): a 4-byte magic, a
// version byte, then the orders, coefficients, covariance, fit statistics, residuals and the
// Kalman state, little-endian. The encoding is versioned: later versions of this package
// decode earlier encodings.
func (m *Model) MarshalBinary() ([]byte, error) {
	if m.ss == nil {
		return nil, errors.New("arima: MarshalBinary of a Model not made by Fit, Auto or UnmarshalBinary")
	}
	var e encoder
	e.buf = append(e.buf, encodingMagic[:]...)
	e.buf = append(e.buf, encodingVersion)
	l := m.lay
	for _, v := range []int{l.p, l.d, l.q, l.sp, l.sd, l.sq, l.m, btoi(l.mean), btoi(l.drift), l.nxreg, int(m.method), m.n, m.nobs, btoi(m.stateOK)} {
		e.int(v)
	}
	e.strings(m.names)
	e.floats(m.coef)
	e.ints(m.free)
	e.floats(m.vcov)
	for _, v := range []float64{m.sigma2, m.loglik, m.aic, m.aicc, m.bic} {
		e.float(v)
	}
	e.floats(m.resid)
	e.floats(m.phi)
	e.floats(m.theta)
	e.floats(m.delta)
	e.floats(m.a)
	e.floats(m.p)
	return e.buf, nil
}

// UnmarshalBinary decodes a model written by MarshalBinary (implementing
// encoding.BinaryUnmarshaler), replacing m. It returns an error wrapping ErrEncoding for data
// that is truncated, of an unknown version, or inconsistent.
func (m *Model) UnmarshalBinary(data []byte) error {
	if len(data) < 5 || [4]byte(data[:4]) != encodingMagic {
		return fmt.Errorf("%w: bad magic", ErrEncoding)
	}
	if data[4] != encodingVersion {
		return fmt.Errorf("%w: unknown version %d", ErrEncoding, data[4])
	}
	d := decoder{buf: data[5:]}
	var ints [14]int
	for i := range ints {
		ints[i] = d.int()
	}
	var out Model
	l := layout{p: ints[0], d: ints[1], q: ints[2], sp: ints[3], sd: ints[4], sq: ints[5], m: ints[6],
		mean: ints[7] == 1, drift: ints[8] == 1, nxreg: ints[9]}
	out.method, out.n, out.nobs, out.stateOK = Method(ints[10]), ints[11], ints[12], ints[13] == 1
	out.names = d.strings()
	l.names = out.names
	out.lay = l
	out.coef = d.floats()
	out.free = d.ints()
	out.vcov = d.floats()
	out.sigma2, out.loglik, out.aic, out.aicc, out.bic = d.float(), d.float(), d.float(), d.float(), d.float()
	out.resid = d.floats()
	out.phi = d.floats()
	out.theta = d.floats()
	out.delta = d.floats()
	out.a = d.floats()
	out.p = d.floats()
	if d.err != nil {
		return d.err
	}
	if len(d.buf) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrEncoding, len(d.buf))
	}
	// Consistency: every size must agree with the orders, so a decoded model never panics.
	bad := func(ok bool, what string) error {
		if ok {
			return nil
		}
		return fmt.Errorf("%w: inconsistent %s", ErrEncoding, what)
	}
	for _, v := range []int{l.p, l.d, l.q, l.sp, l.sd, l.sq, l.nxreg, out.n, out.nobs} {
		if v < 0 || v > 1<<30 {
			return bad(false, "orders")
		}
	}
	if l.m < 1 || l.m > 1<<20 || out.method < CSSML || out.method > CSS {
		return bad(false, "period or method")
	}
	r := max(l.fullP(), l.fullQ()+1)
	rd := r + l.ndiff()
	k := len(out.free)
	checks := []error{
		bad(len(out.names) == l.ncoef() && len(out.coef) == l.ncoef(), "coefficients"),
		bad(len(out.vcov) == k*k, "covariance"),
		bad(len(out.phi) == l.fullP() && len(out.theta) == l.fullQ() && len(out.delta) == l.ndiff(), "polynomials"),
		bad(len(out.a) == rd && len(out.p) == rd*rd, "state"),
		bad(ints[7]&^1 == 0 && ints[8]&^1 == 0 && ints[13]&^1 == 0, "flags"),
		bad(out.sigma2 >= 0 && !math.IsInf(out.sigma2, 0), "σ²"),
		bad(allFinite(out.a) && allFinite(out.p) && allFinite(out.phi) && allFinite(out.theta) && allFinite(out.delta), "state values"),
		bad(slices.IsSorted(out.free) && len(slices.Compact(slices.Clone(out.free))) == len(out.free), "free indices"),
	}
	for _, i := range out.free {
		checks = append(checks, bad(i >= 0 && i < len(out.coef), "free index"))
	}
	if err := errors.Join(checks...); err != nil {
		return err
	}
	out.ss = out.newStateSpaceOf()
	*m = out
	return nil
}

// allFinite reports whether no value of v is NaN or ±Inf.
func allFinite(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

type encoder struct{ buf []byte }

func (e *encoder) int(v int) { e.buf = binary.AppendVarint(e.buf, int64(v)) }
func (e *encoder) float(v float64) {
	e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(v))
}
func (e *encoder) floats(v []float64) {
	e.int(len(v))
	for _, x := range v {
		e.float(x)
	}
}
func (e *encoder) ints(v []int) {
	e.int(len(v))
	for _, x := range v {
		e.int(x)
	}
}
func (e *encoder) strings(v []string) {
	e.int(len(v))
	for _, s := range v {
		e.int(len(s))
		e.buf = append(e.buf, s...)
	}
}

type decoder struct {
	buf []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: truncated %s", ErrEncoding, what)
	}
	d.buf = nil
}

func (d *decoder) int() int {
	v, n := binary.Varint(d.buf)
	if n <= 0 || v < math.MinInt32 || v > math.MaxInt32 {
		d.fail("integer")
		return 0
	}
	d.buf = d.buf[n:]
	return int(v)
}

func (d *decoder) float() float64 {
	if len(d.buf) < 8 {
		d.fail("float")
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(d.buf))
	d.buf = d.buf[8:]
	return v
}

func (d *decoder) length(size int) int {
	n := d.int()
	if n < 0 || n*size > len(d.buf) {
		d.fail("length")
		return 0
	}
	return n
}

func (d *decoder) floats() []float64 {
	n := d.length(8)
	out := make([]float64, n)
	for i := range out {
		out[i] = d.float()
	}
	return out
}

func (d *decoder) ints() []int {
	n := d.length(1)
	out := make([]int, n)
	for i := range out {
		out[i] = d.int()
	}
	return out
}

func (d *decoder) strings() []string {
	n := d.length(1)
	out := make([]string, n)
	for i := range out {
		k := d.length(1)
		if d.err != nil {
			return nil
		}
		out[i] = string(d.buf[:k])
		d.buf = d.buf[k:]
	}
	return out
}
