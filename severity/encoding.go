package severity

import (
	"encoding/binary"
	"errors"
	"math"
)

// ErrEncoding is returned by the UnmarshalBinary methods for bytes their MarshalBinary cannot have
// produced (wrong version, truncated, trailing bytes, or values out of range).
var ErrEncoding = errors.New("severity: invalid binary encoding")

// maxEncodedLen bounds the element counts a decoder accepts, so corrupt input cannot make it
// allocate without limit.
const maxEncodedLen = 1 << 20

func appendFloat(b []byte, v float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
}

func appendUint(b []byte, v int) []byte { return binary.AppendUvarint(b, uint64(v)) }

// decoder reads the encoding written with appendFloat and appendUint; the first failure sticks.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) float() float64 {
	if d.err != nil || len(d.b) < 8 {
		d.err = ErrEncoding
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(d.b))
	d.b = d.b[8:]
	return v
}

// uint reads a uvarint that must not exceed limit.
func (d *decoder) uint(limit int) int {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 || v > uint64(limit) {
		d.err = ErrEncoding
		return 0
	}
	d.b = d.b[n:]
	return int(v)
}

// floats reads a length-prefixed list of floats.
func (d *decoder) floats() []float64 {
	n := d.uint(maxEncodedLen)
	if d.err != nil || len(d.b) < 8*n {
		d.err = ErrEncoding
		return nil
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = d.float()
	}
	return out
}

func appendFloats(b []byte, xs []float64) []byte {
	b = appendUint(b, len(xs))
	for _, v := range xs {
		b = appendFloat(b, v)
	}
	return b
}

// version checks the leading version byte.
func (d *decoder) version(want byte) {
	if len(d.b) == 0 || d.b[0] != want {
		d.err = ErrEncoding
		return
	}
	d.b = d.b[1:]
}

// finish returns the sticky error, or ErrEncoding for trailing bytes.
func (d *decoder) finish() error {
	if d.err == nil && len(d.b) != 0 {
		d.err = ErrEncoding
	}
	return d.err
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
