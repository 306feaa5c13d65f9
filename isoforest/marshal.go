package isoforest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// The binary encoding, version 2. Integers are unsigned varints, floats 8 bytes little endian:
//
//	"OMIF" version
//	dim ψ trees ext flags(bit 0: SklearnCompatible) contamination threshold importance[dim]
//	centre[dim] (ext>0 only; version 1 had none: its projections were taken from the origin)
//	trees × node, each tree in depth-first order (node, left subtree, right subtree):
//	  leaf:                   0, rows in the leaf
//	  axis split:             feature+1, threshold
//	  extended split (ext>0): 1, ext+1 × (feature, coefficient), threshold
//
// Leaf depths, path lengths and c(ψ) are recomputed on decoding; no training rows are stored.
const (
	magic          = "OMIF"
	encodedVersion = 2
)

// ErrEncoding is wrapped by the errors of UnmarshalBinary for malformed or unsupported data.
var ErrEncoding = errors.New("isoforest: invalid model encoding")

// MarshalBinary encodes the model compactly; UnmarshalBinary restores a model that gives
// identical scores, thresholds and explanations. A zero Model (not made by Fit or
// UnmarshalBinary) has nothing to encode: it is an error.
func (m *Model) MarshalBinary() ([]byte, error) {
	if len(m.roots) == 0 {
		return nil, errors.New("isoforest: MarshalBinary of a Model not made by Fit or UnmarshalBinary")
	}
	buf := make([]byte, 0, 16+8*m.dim+10*len(m.nodes)+9*len(m.planeCoefs))
	buf = append(buf, magic...)
	buf = binary.AppendUvarint(buf, encodedVersion)
	for _, v := range []int{m.dim, m.psi, len(m.roots), m.ext} {
		buf = binary.AppendUvarint(buf, uint64(v))
	}
	var flags byte
	if m.sklearn {
		flags |= 1
	}
	buf = append(buf, flags)
	buf = appendFloat(buf, m.contamination)
	buf = appendFloat(buf, m.threshold)
	for _, v := range m.importance {
		buf = appendFloat(buf, v)
	}
	if m.ext > 0 {
		for _, v := range m.centre {
			buf = appendFloat(buf, v)
		}
	}
	for _, root := range m.roots {
		buf = m.appendNode(buf, root)
	}
	return buf, nil
}

func (m *Model) appendNode(buf []byte, i int32) []byte {
	nd := m.nodes[i]
	switch {
	case nd.left == i:
		buf = binary.AppendUvarint(buf, 0)
		return binary.AppendUvarint(buf, uint64(leafSize(nd)))
	case m.ext == 0:
		buf = binary.AppendUvarint(buf, uint64(nd.split)+1)
	default:
		buf = binary.AppendUvarint(buf, 1)
		for k := nd.split; k <= nd.split+int32(m.ext); k++ {
			buf = binary.AppendUvarint(buf, uint64(m.planeFeatures[k]))
			buf = appendFloat(buf, m.planeCoefs[k])
		}
	}
	buf = appendFloat(buf, nd.value)
	buf = m.appendNode(buf, nd.left)
	return m.appendNode(buf, nd.left+1)
}

func appendFloat(buf []byte, v float64) []byte {
	return binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
}

// UnmarshalBinary replaces m with the model encoded in data by MarshalBinary. It validates the
// whole encoding and returns an error wrapping ErrEncoding, leaving m unchanged, for anything
// malformed: it never panics.
func (m *Model) UnmarshalBinary(data []byte) error {
	d := decoder{data: data}
	if len(data) < len(magic) || string(data[:len(magic)]) != magic {
		return fmt.Errorf("%w: not an isoforest model (bad magic)", ErrEncoding)
	}
	d.pos = len(magic)
	version := d.uvarint()
	if d.err == nil && (version < 1 || version > encodedVersion) {
		return fmt.Errorf("%w: version %d, this package reads versions 1 to %d", ErrEncoding, version, encodedVersion)
	}
	dim, psi, trees, ext := d.count("dimension", 1<<24), d.count("sample size", 1<<31-1), d.count("tree count", 1<<24), d.count("extension level", 1<<24)
	flags := d.byte()
	if d.err != nil {
		return d.err
	}
	switch {
	case dim < 1 || psi < 2 || trees < 1:
		return fmt.Errorf("%w: dimension %d, sample size %d, %d trees", ErrEncoding, dim, psi, trees)
	case ext > dim-1:
		return fmt.Errorf("%w: extension level %d for %d features", ErrEncoding, ext, dim)
	case flags&^1 != 0:
		return fmt.Errorf("%w: unknown flags %#x", ErrEncoding, flags)
	}
	out := &Model{
		dim:           dim,
		psi:           psi,
		ext:           ext,
		depth:         maxDepth(psi),
		sklearn:       flags&1 != 0,
		contamination: d.float(),
		threshold:     d.float(),
		roots:         make([]int32, 0, min(trees, len(data))),
	}
	out.norm = averagePathLength(psi, out.sklearn)
	out.cTable = pathLengthTable(psi, out.sklearn)
	if d.err == nil && !(out.contamination >= 0 && out.contamination <= 0.5 && out.threshold >= 0 && out.threshold <= 1) {
		return fmt.Errorf("%w: contamination %v, threshold %v", ErrEncoding, out.contamination, out.threshold)
	}
	if d.err == nil && len(data)-d.pos < 8*dim {
		return fmt.Errorf("%w: truncated", ErrEncoding)
	}
	out.importance = make([]float64, 0, min(dim, len(data)))
	for range dim {
		v := d.float()
		if d.err == nil && !(v >= 0 && v <= 1) {
			return fmt.Errorf("%w: feature importance %v", ErrEncoding, v)
		}
		out.importance = append(out.importance, v)
	}
	if ext > 0 {
		out.centre = make([]float64, dim) // version 1: the origin
		if version >= 2 {
			if d.err == nil && len(data)-d.pos < 8*dim {
				return fmt.Errorf("%w: truncated", ErrEncoding)
			}
			for j := range out.centre {
				c := d.float()
				if d.err == nil && (math.IsNaN(c) || math.IsInf(c, 0)) {
					return fmt.Errorf("%w: centre %v", ErrEncoding, c)
				}
				out.centre[j] = c
			}
		}
	}
	for range trees {
		if d.err != nil {
			break
		}
		root := int32(len(out.nodes))
		out.roots = append(out.roots, root)
		out.nodes = append(out.nodes, node{})
		if n := d.node(out, root, 0); d.err == nil && n != psi {
			return fmt.Errorf("%w: tree %d holds %d rows, want %d", ErrEncoding, len(out.roots)-1, n, psi)
		}
	}
	if d.err != nil {
		return d.err
	}
	if d.pos != len(data) {
		return fmt.Errorf("%w: %d trailing bytes", ErrEncoding, len(data)-d.pos)
	}
	*m = *out
	return nil
}

// decoder reads the encoding and keeps the first error.
type decoder struct {
	data []byte
	pos  int
	err  error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: "+format, append([]any{ErrEncoding}, args...)...)
	}
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.data[d.pos:])
	if n <= 0 {
		d.fail("truncated or overlong integer at byte %d", d.pos)
		return 0
	}
	d.pos += n
	return v
}

// count reads a non-negative integer no larger than limit.
func (d *decoder) count(what string, limit uint64) int {
	v := d.uvarint()
	if v > limit {
		d.fail("%s %d out of range", what, v)
		return 0
	}
	return int(v)
}

func (d *decoder) byte() byte {
	if d.err == nil && d.pos >= len(d.data) {
		d.fail("truncated")
	}
	if d.err != nil {
		return 0
	}
	d.pos++
	return d.data[d.pos-1]
}

func (d *decoder) float() float64 {
	if d.err == nil && len(d.data)-d.pos < 8 {
		d.fail("truncated")
	}
	if d.err != nil {
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(d.data[d.pos:]))
	d.pos += 8
	return v
}

// node decodes the subtree at slot i and depth, filling m's arrays, and returns its row count.
func (d *decoder) node(m *Model, i int32, depth int) int {
	tag := d.uvarint()
	if d.err != nil {
		return 0
	}
	if tag == 0 {
		n := d.count("leaf size", uint64(m.psi))
		if d.err == nil && n < 1 {
			d.fail("empty leaf")
		}
		m.nodes[i] = leafNode(i, depth, n)
		return n
	}
	if depth >= m.depth {
		d.fail("split below the depth limit %d", m.depth)
		return 0
	}
	var nd node
	if m.ext == 0 {
		if tag-1 >= uint64(m.dim) {
			d.fail("split feature %d of %d", tag-1, m.dim)
			return 0
		}
		nd.split = int32(tag - 1)
	} else {
		if tag != 1 {
			d.fail("extended split tag %d", tag)
			return 0
		}
		nd.split = int32(len(m.planeFeatures))
		for range m.ext + 1 {
			f := d.uvarint()
			c := d.float()
			if d.err == nil && (f >= uint64(m.dim) || math.IsNaN(c) || math.IsInf(c, 0)) {
				d.fail("extended split term (feature %d, coefficient %v)", f, c)
			}
			m.planeFeatures = append(m.planeFeatures, int32(f))
			m.planeCoefs = append(m.planeCoefs, c)
		}
	}
	nd.value = d.float()
	if d.err == nil && (math.IsNaN(nd.value) || math.IsInf(nd.value, 0)) {
		d.fail("threshold %v", nd.value)
	}
	if d.err != nil {
		return 0
	}
	nd.left = int32(len(m.nodes))
	m.nodes[i] = nd
	m.nodes = append(m.nodes, node{}, node{})
	n := d.node(m, nd.left, depth+1) + d.node(m, nd.left+1, depth+1)
	if n > m.psi {
		d.fail("subtree holds %d rows, more than ψ = %d", n, m.psi)
	}
	return n
}
