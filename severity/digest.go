package severity

import (
	"math"
	"slices"
)

// DefaultCompression is the t-digest compression δ used when Digest.Compression is zero.
const DefaultCompression = 100

// Digest estimates the distribution of a stream in bounded memory: a merging t-digest (Dunning &
// Ertl, "Computing extremely accurate quantiles using t-digests", 2019).
//
// The stream is summarised by at most δ centroids (mean, weight), kept sorted by mean: k spans δ/2
// units and two neighbouring centroids together always span more than one. New values wait in a
// buffer of δ values; when it is full they are sorted and merged with the centroids in one pass
// that joins neighbours while the merged centroid spans at most one unit of the scale function
// k(q) = δ/(2π)·asin(2q − 1). Because k is steep near q = 0 and q = 1, a centroid at rank q covers
// at most a fraction (2π/δ)·sqrt(q(1 − q)) of the values, so centroids shrink towards the tails
// (single values at the extremes until n reaches about δ²/10), and the rank error of CDF and
// Quantile stays within a fraction of that span. Beyond the 99th percentile or so, use a tail
// model (Calibrator fits a GPD there).
//
// CDF interpolates linearly between the centroids' mid-ranks and the exact minimum and maximum, and
// counts buffered values exactly; it never changes the state. Non-finite values are ignored.
//
// The zero value is an empty digest with compression DefaultCompression. A Digest is not safe for
// concurrent use.
type Digest struct {
	// Compression δ trades memory for accuracy; zero (or a negative, NaN or infinite value)
	// means DefaultCompression. It must not change after the first Add.
	Compression float64

	means, weights []float64 // centroids, sorted by mean
	cum            []float64 // cum[i] = weight of the centroids before centroid i
	merged         float64   // total weight of the centroids
	scratchM       []float64 // merge buffers, reused
	scratchW       []float64
	buf            []float64 // values not merged yet
	min, max       float64
}

// maxPresize bounds the capacity allocated ahead of need for a buffer that will hold n values:
// a large Compression or WarmUp grows its buffer as values come instead.
const maxPresize = 1024

// presize returns the capacity to allocate for a buffer that fills up to n values.
func presize(n float64) int { return int(min(n, maxPresize)) }

func (d *Digest) compression() float64 {
	if d.Compression > 0 && !math.IsInf(d.Compression, 1) {
		return d.Compression
	}
	return DefaultCompression
}

// Add adds x to the digest. NaN and ±Inf are ignored.
func (d *Digest) Add(x float64) {
	if !finite(x) {
		return
	}
	if d.Count() == 0 {
		d.min, d.max = x, x
	}
	d.min, d.max = min(d.min, x), max(d.max, x)
	if cap(d.buf) == 0 {
		// The buffer fills up to δ values between merges: make room for them at once.
		d.buf = make([]float64, 0, presize(math.Ceil(d.compression())))
	}
	d.buf = append(d.buf, x)
	if float64(len(d.buf)) >= d.compression() {
		d.merge()
	}
}

// Count returns the number of values added.
func (d *Digest) Count() float64 { return d.merged + float64(len(d.buf)) }

// Min and Max return the smallest and largest value added (0 when empty).
func (d *Digest) Min() float64 { return d.min }

// Max returns the largest value added (0 when empty).
func (d *Digest) Max() float64 { return d.max }

// Reset empties the digest, keeping its Compression.
func (d *Digest) Reset() {
	*d = Digest{Compression: d.Compression, means: d.means[:0], weights: d.weights[:0], cum: d.cum[:0], buf: d.buf[:0],
		scratchM: d.scratchM, scratchW: d.scratchW}
}

// merge folds the buffer into the centroids.
func (d *Digest) merge() {
	if len(d.buf) == 0 {
		return
	}
	slices.Sort(d.buf)
	means, weights := d.compress(d.buf, d.scratchM[:0], d.scratchW[:0])
	d.scratchM, d.scratchW = d.means, d.weights
	d.means, d.weights = means, weights
	d.cum = slices.Grow(d.cum[:0], len(d.weights))
	sum := 0.0
	for _, w := range d.weights {
		d.cum = append(d.cum, sum)
		sum += w
	}
	d.merged += float64(len(d.buf))
	d.buf = d.buf[:0]
}

// compress merges the ascending values sorted (each of weight 1) with the centroids, a centroid
// before a value of equal mean, appends the merged sequence to means and weights (which must not
// share memory with the centroids) and compresses it in place: one pass joins each centroid to
// the next while the joined centroid spans at most one unit of the scale function k. It returns
// the compressed centroids. d is not changed.
func (d *Digest) compress(sorted, means, weights []float64) ([]float64, []float64) {
	n := len(d.means) + len(sorted)
	means, weights = slices.Grow(means, n), slices.Grow(weights, n)
	i, j := 0, 0
	for i < len(d.means) || j < len(sorted) {
		if j == len(sorted) || (i < len(d.means) && d.means[i] <= sorted[j]) {
			means, weights = append(means, d.means[i]), append(weights, d.weights[i])
			i++
		} else {
			means, weights = append(means, sorted[j]), append(weights, 1)
			j++
		}
	}
	total := d.merged + float64(len(sorted))
	delta := d.compression()
	k := func(q float64) float64 { return delta / (2 * math.Pi) * math.Asin(2*q-1) }
	// kInv inverts k on its range [−δ/4, δ/4]; beyond δ/4 it is 1 (sin would turn back down and
	// stop the top tail from ever merging, letting the centroids grow without bound).
	kInv := func(v float64) float64 {
		if v >= delta/4 {
			return 1
		}
		return (math.Sin(v*2*math.Pi/delta) + 1) / 2
	}
	out := 0
	before := 0.0 // weight of the centroids before the current one
	limit := total * kInv(k(0)+1)
	for c := 1; c < len(means); c++ {
		if before+weights[out]+weights[c] <= limit {
			w := weights[out] + weights[c]
			// Clamped, so rounding never puts a mean outside [min, max].
			means[out] = max(d.min, min(d.max, means[out]+(means[c]-means[out])*weights[c]/w))
			weights[out] = w
			continue
		}
		before += weights[out]
		limit = total * kInv(k(math.Min(before/total, 1))+1)
		out++
		means[out], weights[out] = means[c], weights[c]
	}
	return means[:out+1], weights[:out+1]
}

// CDF returns the estimated mid-rank distribution function P(X < x) + P(X = x)/2, so that ties
// (a constant stream, discrete values) count half: 0 below the minimum, 1 above the maximum, and NaN
// for an empty digest or a NaN x.
func (d *Digest) CDF(x float64) float64 {
	total := d.Count()
	if total == 0 || math.IsNaN(x) {
		return math.NaN()
	}
	if x < d.min {
		return 0
	}
	if x > d.max {
		return 1
	}
	below := 0
	for _, v := range d.buf {
		// Twice the mid-rank count: 2 for v < x, 1 for v = x.
		below += b2i(v < x) + b2i(v <= x)
	}
	return (float64(below)/2 + d.centroidRank(x)) / total
}

// centroidRank estimates the mid-rank of x among the merged centroids. Centroids whose mean equals
// x count half; otherwise it interpolates linearly between the neighbouring centroids' mid-ranks
// W_i + w_i/2 (W_i the weight before centroid i), with (min, 0) and (max, merged) as end points.
func (d *Digest) centroidRank(x float64) float64 {
	if d.merged == 0 {
		return 0
	}
	i, _ := slices.BinarySearch(d.means, x) // first centroid with mean ≥ x
	cum := d.merged
	if i < len(d.cum) {
		cum = d.cum[i]
	}
	if i < len(d.means) && d.means[i] == x {
		eq := 0.0
		for j := i; j < len(d.means) && d.means[j] == x; j++ {
			eq += d.weights[j]
		}
		return cum + eq/2
	}
	x0, y0 := d.min, 0.0
	if i > 0 {
		x0, y0 = d.means[i-1], cum-d.weights[i-1]/2
	}
	x1, y1 := d.max, d.merged
	if i < len(d.means) {
		x1, y1 = d.means[i], cum+d.weights[i]/2
	}
	return interpolate(x0, y0, x1, y1, x)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// interpolate returns the value at x of the line through (x0, y0) and (x1, y1), clamped to the
// segment so that rounding cannot leave it (the end values are returned exactly).
func interpolate(x0, y0, x1, y1, x float64) float64 {
	if x >= x1 || x1 <= x0 {
		return y1
	}
	if x <= x0 {
		return y0
	}
	v := y0 + (y1-y0)*(x-x0)/(x1-x0)
	return max(min(v, max(y0, y1)), min(y0, y1))
}

// Quantile returns the estimated q-quantile, q in [0, 1], by inverting the interpolation of CDF. It
// returns NaN for an empty digest or q outside [0, 1]. It does not change the digest's state.
func (d *Digest) Quantile(q float64) float64 {
	total := d.Count()
	if total == 0 || !(q >= 0 && q <= 1) {
		return math.NaN()
	}
	means, weights := d.centroids()
	target := q * total
	px, py := d.min, 0.0
	cum := 0.0
	for i, m := range means {
		mid := cum + weights[i]/2
		if mid >= target {
			return interpolate(py, px, mid, m, target)
		}
		px, py = m, mid
		cum += weights[i]
	}
	return interpolate(py, px, total, d.max, target)
}

// centroids returns copies of the centroid means and weights with the buffer merged in.
func (d *Digest) centroids() (means, weights []float64) {
	means, weights, _ = d.centroidsTo(nil, nil, nil)
	return means, weights
}

// centroidsTo is centroids writing into the memory of means and weights, and of sorted for the
// buffer's values in ascending order; it returns the three slices, grown as needed. The
// centroids are those merge would make of the buffer; d is not changed.
func (d *Digest) centroidsTo(means, weights, sorted []float64) ([]float64, []float64, []float64) {
	if len(d.buf) == 0 {
		return append(means[:0], d.means...), append(weights[:0], d.weights...), sorted
	}
	sorted = append(sorted[:0], d.buf...)
	slices.Sort(sorted)
	means, weights = d.compress(sorted, means[:0], weights[:0])
	return means, weights, sorted
}

const digestVersion = 1

// MarshalBinary encodes the digest: version byte, compression, min, max, merged weight, the
// centroid means and weights, and the buffer. The compression written is the one in use (a
// Compression that means the default decodes as DefaultCompression).
func (d *Digest) MarshalBinary() ([]byte, error) {
	b := []byte{digestVersion}
	b = appendFloat(b, d.compression())
	b = appendFloat(b, d.min)
	b = appendFloat(b, d.max)
	b = appendFloat(b, d.merged)
	b = appendFloats(b, d.means)
	b = appendFloats(b, d.weights)
	return appendFloats(b, d.buf), nil
}

// UnmarshalBinary restores a digest encoded by MarshalBinary. On error d is unchanged.
func (d *Digest) UnmarshalBinary(b []byte) error {
	dec := decoder{b: b}
	dec.version(digestVersion)
	var e Digest
	e.decode(&dec)
	if err := dec.finish(); err != nil {
		return err
	}
	*d = e
	return nil
}

// decode reads the fields after the version byte and validates them.
func (d *Digest) decode(dec *decoder) {
	d.Compression = dec.float()
	d.min, d.max, d.merged = dec.float(), dec.float(), dec.float()
	d.means, d.weights, d.buf = dec.floats(), dec.floats(), dec.floats()
	if dec.err != nil || len(d.means) != len(d.weights) {
		dec.err = ErrEncoding
		return
	}
	ok := !(d.Compression < 0) && finite(d.Compression) && finite(d.min) && finite(d.max) &&
		len(d.means) == len(d.weights) && float64(len(d.buf)) < math.Max(d.compression(), 1) &&
		slices.IsSorted(d.means)
	sum := 0.0
	for i, m := range d.means {
		ok = ok && finite(m) && d.weights[i] > 0 && finite(d.weights[i]) && m >= d.min && m <= d.max
		sum += d.weights[i]
	}
	for _, v := range d.buf {
		ok = ok && finite(v) && v >= d.min && v <= d.max
	}
	for i := range d.weights {
		d.cum = append(d.cum, 0)
		if i > 0 {
			d.cum[i] = d.cum[i-1] + d.weights[i-1]
		}
	}
	ok = ok && finite(sum) && math.Abs(sum-d.merged) <= 1e-9*math.Max(1, sum) && (d.Count() > 0 || (d.min == 0 && d.max == 0))
	if !ok {
		dec.err = ErrEncoding
	}
}
