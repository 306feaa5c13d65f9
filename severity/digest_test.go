package severity

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func normalSF(x float64) float64 { return 0.5 * math.Erfc(x/math.Sqrt2) }

func TestDigestSmallIsExact(t *testing.T) {
	var d Digest
	for _, v := range []float64{3, 1, 2, 5, 4} {
		d.Add(v)
	}
	tests := []struct{ x, want float64 }{{0.5, 0}, {1, 0.1}, {3, 0.5}, {3.5, 0.6}, {5, 0.9}, {9, 1}}
	for _, tc := range tests {
		if got := d.CDF(tc.x); math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("CDF(%g) = %g, want %g", tc.x, got, tc.want)
		}
	}
	if d.Min() != 1 || d.Max() != 5 || d.Count() != 5 {
		t.Errorf("min %g max %g count %g", d.Min(), d.Max(), d.Count())
	}
}

// TestDigestAccuracy checks CDF and Quantile against the exact normal distribution on 100,000
// values: the rank error stays within a quarter of the rank span a centroid may cover at q under
// the scale function k₁, (2π/δ)·sqrt(q(1−q)).
func TestDigestAccuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	var d Digest
	xs := make([]float64, 100000)
	for i := range xs {
		xs[i] = rng.NormFloat64()
		d.Add(xs[i])
	}
	slices.Sort(xs)
	for _, q := range []float64{1e-4, 1e-3, 0.01, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999} {
		exact := xs[int(q*float64(len(xs)))]
		got := d.Quantile(q)
		cdf := d.CDF(exact)
		tol := math.Sqrt(q*(1-q))*2*math.Pi/DefaultCompression/4 + 2e-5
		if math.Abs(cdf-q) > tol {
			t.Errorf("CDF(x_%g) = %.6g, rank error %.2g > %.2g", q, cdf, math.Abs(cdf-q), tol)
		}
		if d.CDF(got) < q-tol || d.CDF(got) > q+tol {
			t.Errorf("Quantile(%g) = %g (exact %g)", q, got, exact)
		}
	}
	if n := len(d.means); n > DefaultCompression {
		t.Errorf("%d centroids, want ≤ δ", n)
	}
}

// TestDigestBoundedMemory is a regression test: the scale function's inverse must saturate at
// q = 1, or the top 0.1 % of a long stream never merges (131 centroids after 2²¹ values, 400
// after 2²²).
func TestDigestBoundedMemory(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	var d Digest
	for range 1 << 21 {
		d.Add(rng.ExpFloat64())
	}
	if n := len(d.means); n > DefaultCompression {
		t.Errorf("%d centroids after 2²¹ values, want ≤ δ = %d", n, DefaultCompression)
	}
}

func TestDigestIgnoresNonFiniteAndResets(t *testing.T) {
	d := Digest{Compression: 20}
	for _, v := range []float64{math.NaN(), math.Inf(1), 1, math.Inf(-1)} {
		d.Add(v)
	}
	if d.Count() != 1 || !math.IsNaN(d.CDF(math.NaN())) || !math.IsNaN(d.Quantile(2)) {
		t.Errorf("count %g", d.Count())
	}
	d.Reset()
	if d.Count() != 0 || !math.IsNaN(d.CDF(0)) || d.Compression != 20 {
		t.Errorf("after Reset: %+v", d)
	}
}

func TestDigestBinaryRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	var d Digest
	for range 1234 {
		d.Add(rng.ExpFloat64())
	}
	b, _ := d.MarshalBinary()
	var e Digest
	if err := e.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	for range 500 {
		x := rng.ExpFloat64()
		d.Add(x)
		e.Add(x)
	}
	for _, x := range []float64{0.01, 0.5, 1, 3, 8} {
		if d.CDF(x) != e.CDF(x) {
			t.Errorf("CDF(%g): %g vs restored %g", x, d.CDF(x), e.CDF(x))
		}
	}
	for _, bad := range [][]byte{nil, {9}, b[:len(b)-3], append(slices.Clone(b), 1)} {
		if err := e.UnmarshalBinary(bad); err == nil {
			t.Errorf("accepted %d bytes", len(bad))
		}
	}
}

// TestDigestDefaultCompressionRoundTrip: every Compression that means the default (zero,
// negative, NaN, +Inf) encodes as the compression in use and decodes to the same digest.
func TestDigestDefaultCompressionRoundTrip(t *testing.T) {
	for _, c := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		d := Digest{Compression: c}
		for i := range 3000 {
			d.Add(float64(i % 97))
		}
		b, _ := d.MarshalBinary()
		var e Digest
		if err := e.UnmarshalBinary(b); err != nil {
			t.Errorf("Compression %v: %v", c, err)
			continue
		}
		if e.Compression != DefaultCompression || e.CDF(40) != d.CDF(40) {
			t.Errorf("Compression %v: restored compression %v, CDF(40) %v vs %v", c, e.Compression, e.CDF(40), d.CDF(40))
		}
	}
}
