package isoforest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

func TestAveragePathLength(t *testing.T) {
	// c(m) = 2 H(m−1) − 2(m−1)/m with exact harmonic numbers (fractions computed by hand).
	tests := []struct {
		m    int
		want float64
	}{
		{0, 0},
		{1, 0},
		{2, 1},                        // 2·1 − 1
		{3, 5.0 / 3},                  // 2·3/2 − 4/3
		{4, 13.0 / 6},                 // 2·11/6 − 3/2
		{5, 77.0 / 30},                // 2·25/12 − 8/5
		{10, 2*7129.0/2520 - 18.0/10}, // H(9) = 7129/2520
		{11, 2*7381.0/2520 - 20.0/11}, // H(10) = 7381/2520
		{257, 2*harmonicSum(256) - 2*256.0/257},
		{100000, 2*harmonicSum(99999) - 2*99999.0/100000},
	}
	for _, tt := range tests {
		if got := averagePathLength(tt.m, false); math.Abs(got-tt.want) > 1e-13*max(1, tt.want) {
			t.Errorf("c(%d) = %.17g, want %.17g", tt.m, got, tt.want)
		}
	}
	// scikit-learn's _average_path_length: 2(ln(m−1) + γ) − 2(m−1)/m for m > 2, 1 for m = 2.
	// /usr/bin/python3 -c 'from sklearn.ensemble._iforest import _average_path_length as c; print([repr(float(v)) for v in c([3, 256, 10000])])'
	// ['1.207392357589623', '10.244770920119917', '17.575112063754766']  (scikit-learn 1.2.1)
	for _, tt := range []struct {
		m    int
		want float64
	}{{2, 1}, {3, 1.207392357589623}, {256, 10.244770920119917}, {10000, 17.575112063754766}} {
		if got := averagePathLength(tt.m, true); math.Abs(got-tt.want) > 1e-14*tt.want {
			t.Errorf("scikit-learn c(%d) = %.10g, want %.10g", tt.m, got, tt.want)
		}
	}
}

// harmonicSum is H(k) summed from the smallest term, for checking the asymptotic expansion.
func harmonicSum(k int) float64 {
	var h float64
	for i := k; i >= 1; i-- {
		h += 1 / float64(i)
	}
	return h
}

// TestHarmonicTable: below the expansion, harmonic looks H(k) up in a table, which must hold the
// term-by-term sums bit for bit.
func TestHarmonicTable(t *testing.T) {
	for k := 0; k <= exactHarmonicLimit; k++ {
		if got, want := harmonic(k), harmonicSum(k); got != want {
			t.Errorf("H(%d) = %.17g, want %.17g", k, got, want)
		}
	}
}

func TestHarmonicExpansionJoinsExactSum(t *testing.T) {
	for _, k := range []int{257, 300, 1000, 54321} {
		if got, want := harmonic(k), harmonicSum(k); math.Abs(got-want) > 4e-15*want {
			t.Errorf("H(%d) = %.17g, want %.17g", k, got, want)
		}
	}
}

func TestMaxDepth(t *testing.T) {
	for psi, want := range map[int]int{2: 1, 3: 2, 4: 2, 5: 3, 255: 8, 256: 8, 257: 9, 1000: 10} {
		if got := maxDepth(psi); got != want {
			t.Errorf("maxDepth(%d) = %d, want %d", psi, got, want)
		}
	}
}

// TestScikitLearnExample is the example of scikit-learn's IsolationForest documentation: fitted
// on −1.1, 0.3, 0.5 and 100, predict([[0.1], [0], [90]]) is [1, 1, −1]. It must hold for any seed.
func TestScikitLearnExample(t *testing.T) {
	X := [][]float64{{-1.1}, {0.3}, {0.5}, {100}}
	for seed := uint64(0); seed < 20; seed++ {
		for _, sk := range []bool{false, true} {
			m, err := Fit(X, Config{Seed: seed, SklearnCompatible: sk})
			if err != nil {
				t.Fatal(err)
			}
			for _, tt := range []struct {
				x       float64
				anomaly bool
			}{{0.1, false}, {0, false}, {90, true}} {
				if got := m.IsAnomaly([]float64{tt.x}); got != tt.anomaly {
					t.Errorf("seed %d, sklearn %v: IsAnomaly(%v) = %v (score %v)", seed, sk, tt.x, got, m.Score([]float64{tt.x}))
				}
			}
		}
	}
}

func TestSameSeedSameModel(t *testing.T) {
	X := gaussian(2000, 5, 11)
	for _, ext := range []int{0, 2, 4} {
		a, err := Fit(X, Config{Seed: 42, ExtensionLevel: ext})
		if err != nil {
			t.Fatal(err)
		}
		b, err := Fit(X, Config{Seed: 42, ExtensionLevel: ext})
		if err != nil {
			t.Fatal(err)
		}
		c, err := Fit(X, Config{Seed: 43, ExtensionLevel: ext})
		if err != nil {
			t.Fatal(err)
		}
		sa, sb, sc := a.Scores(X), b.Scores(X), c.Scores(X)
		if !slices.Equal(sa, sb) {
			t.Errorf("ext %d: the same seed gave different scores", ext)
		}
		if slices.Equal(sa, sc) {
			t.Errorf("ext %d: seeds 42 and 43 gave identical scores", ext)
		}
	}
}

func TestWorkersDoNotChangeTheModel(t *testing.T) {
	X := gaussian(5000, 6, 12)
	for _, cfg := range []Config{
		{Seed: 7},
		{Seed: 7, ExtensionLevel: 5},
		{Seed: 7, Bootstrap: true, MaxFeatures: 3, Contamination: 0.05},
	} {
		var encodings [][]byte
		for _, workers := range []int{1, 2, 8} {
			cfg.Workers = workers
			m, err := Fit(X, cfg)
			if err != nil {
				t.Fatal(err)
			}
			b, err := m.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			encodings = append(encodings, b)
		}
		for i := 1; i < len(encodings); i++ {
			if !bytes.Equal(encodings[0], encodings[i]) {
				t.Errorf("%+v: the serialized model differs between 1 worker and more", cfg)
			}
		}
	}
}

// planted returns n Gaussian inliers in d dimensions followed by k outliers 5 to 8 standard
// deviations out on every feature, in varying directions. (An outlier on a single feature out of
// eight is not reliably isolated by any isolation forest, scikit-learn's included: it is split
// off only by the eighth of the splits that use its feature.)
func planted(n, k, d int) (X [][]float64, outlier []bool) {
	X = gaussian(n+k, d, 99)
	outlier = make([]bool, n+k)
	for i := n; i < n+k; i++ {
		outlier[i] = true
		for j := range X[i] {
			X[i][j] = 5 + float64((i+j)%4)
			if (i>>j)&1 == 1 {
				X[i][j] = -X[i][j]
			}
		}
	}
	return X, outlier
}

func TestPlantedOutliersRankFirst(t *testing.T) {
	X, outlier := planted(2000, 10, 8)
	for _, cfg := range []Config{{Seed: 1}, {Seed: 2, ExtensionLevel: 7}, {Seed: 3, SklearnCompatible: true}, {Seed: 4, Bootstrap: true}} {
		m, err := Fit(X, cfg)
		if err != nil {
			t.Fatal(err)
		}
		scores := m.Scores(X)
		minOut, maxIn := math.Inf(1), math.Inf(-1)
		for i, s := range scores {
			if outlier[i] {
				minOut = min(minOut, s)
			} else {
				maxIn = max(maxIn, s)
			}
		}
		if !(minOut > maxIn) {
			t.Errorf("%+v: lowest outlier score %v is not above highest inlier score %v", cfg, minOut, maxIn)
		}
		if minOut <= m.Threshold() {
			t.Errorf("%+v: an outlier scored %v, not above the threshold %v", cfg, minOut, m.Threshold())
		}
	}
}

func TestScoresInRange(t *testing.T) {
	X, _ := planted(500, 5, 4)
	for _, ext := range []int{0, 3} {
		m, err := Fit(X, Config{ExtensionLevel: ext})
		if err != nil {
			t.Fatal(err)
		}
		probes := append(slices.Clone(X), []float64{1e300, -1e300, 0, 5}, []float64{math.Inf(1), math.Inf(-1), 0, 0})
		for i, s := range m.Scores(probes) {
			if !(s > 0 && s <= 1) {
				t.Errorf("ext %d: score of row %d = %v, want (0, 1]", ext, i, s)
			}
		}
	}
}

func TestFitDoesNotModifyInput(t *testing.T) {
	X := gaussian(600, 4, 5)
	want := make([][]float64, len(X))
	for i := range X {
		want[i] = slices.Clone(X[i])
	}
	for _, cfg := range []Config{{}, {ExtensionLevel: 3, Contamination: 0.1, Bootstrap: true, MaxFeatures: 4}} {
		m, err := Fit(X, cfg)
		if err != nil {
			t.Fatal(err)
		}
		m.Scores(X)
		m.Explain(X[0])
		if diff := cmp.Diff(want, X); diff != "" {
			t.Fatalf("%+v: X changed (-before +after):\n%s", cfg, diff)
		}
	}
}

func TestContaminationThreshold(t *testing.T) {
	X := gaussian(4000, 3, 8)
	for _, q := range []float64{0.01, 0.1, 0.5} {
		m, err := Fit(X, Config{Contamination: q, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		var flagged int
		for _, x := range X {
			if m.IsAnomaly(x) {
				flagged++
			}
		}
		// The (1−q) quantile interpolates between order statistics, so at most one score
		// differs from an exact split, apart from ties.
		if want := q * float64(len(X)); math.Abs(float64(flagged)-want) > 1 {
			t.Errorf("contamination %v: %d rows flagged, want %.0f ± 1", q, flagged, want)
		}
	}
}

func TestExplainFindsTheDeviatingFeature(t *testing.T) {
	X := gaussian(3000, 6, 21)
	for _, ext := range []int{0, 2} {
		m, err := Fit(X, Config{Seed: 9, ExtensionLevel: ext})
		if err != nil {
			t.Fatal(err)
		}
		for f := 0; f < 6; f++ {
			x := make([]float64, 6)
			x[f] = 8
			contrib := m.Explain(x)
			if best := argmax(contrib); best != f {
				t.Errorf("ext %d: x deviates on feature %d, Explain ranks feature %d first: %v", ext, f, best, contrib)
			}
			if s := sum(contrib); math.Abs(s-1) > 1e-12 {
				t.Errorf("ext %d: contributions sum to %v, want 1", ext, s)
			}
		}
		imp := m.FeatureImportance()
		if s := sum(imp); math.Abs(s-1) > 1e-12 {
			t.Errorf("ext %d: feature importance sums to %v, want 1", ext, s)
		}
		for j, v := range imp {
			// Six exchangeable features: each near 1/6.
			if v < 0.1 || v > 0.25 {
				t.Errorf("ext %d: importance of feature %d = %v, want near 1/6", ext, j, v)
			}
		}
	}
}

func TestFeatureImportanceIgnoresConstantFeature(t *testing.T) {
	X := gaussian(1000, 3, 4)
	for _, x := range X {
		x[1] = 5
	}
	m, err := Fit(X, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if imp := m.FeatureImportance(); imp[1] != 0 {
		t.Errorf("a constant feature has importance %v, want 0 (%v)", imp[1], imp)
	}
}

func TestConstantDataScoresOneHalf(t *testing.T) {
	X := make([][]float64, 50)
	for i := range X {
		X[i] = []float64{3, -1}
	}
	m, err := Fit(X, Config{})
	if err != nil {
		t.Fatal(err)
	}
	// Every tree is one leaf of ψ rows: h = c(ψ), s = 2^−1.
	for _, x := range [][]float64{{3, -1}, {100, 100}} {
		if s := m.Score(x); math.Abs(s-0.5) > 1e-15 {
			t.Errorf("Score(%v) = %v on constant data, want 0.5", x, s)
		}
	}
}

func TestFitErrors(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name string
		X    [][]float64
		cfg  Config
		is   error  // errors.Is target, or nil
		text string // substring of the message
	}{
		{"nil", nil, Config{}, ErrNoData, "no data"},
		{"no columns", [][]float64{{}, {}}, Config{}, ErrNoData, "no data"},
		{"one row", [][]float64{{1, 2}}, Config{}, ErrTooFewRows, "at least 2 rows"},
		{"ragged", [][]float64{{1, 2}, {3, 4}, {5}}, Config{}, nil, "row 2: has 1 columns, row 0 has 2"},
		{"NaN", [][]float64{{1, 2}, {3, 4}, {5, 6}, {7, nan}}, Config{}, nil, "row 3, column 1: value NaN is not finite"},
		{"Inf", [][]float64{{inf, 2}, {3, 4}}, Config{}, nil, "row 0, column 0: value +Inf is not finite"},
		{"trees", [][]float64{{1}, {2}}, Config{Trees: -1}, nil, "Trees = -1"},
		{"sample size", [][]float64{{1}, {2}}, Config{SampleSize: -3}, nil, "SampleSize = -3"},
		{"max features", [][]float64{{1}, {2}}, Config{MaxFeatures: 2}, nil, "MaxFeatures = 2"},
		{"contamination", [][]float64{{1}, {2}}, Config{Contamination: 0.6}, nil, "Contamination = 0.6"},
		{"contamination NaN", [][]float64{{1}, {2}}, Config{Contamination: nan}, nil, "Contamination = NaN"},
		{"extension", [][]float64{{1, 2}, {2, 3}}, Config{ExtensionLevel: 2}, nil, "ExtensionLevel = 2, want 0..1"},
		{"extension vs max features", [][]float64{{1, 2, 3}, {2, 3, 4}}, Config{ExtensionLevel: 2, MaxFeatures: 2}, nil, "ExtensionLevel = 2, want 0..1"},
		{"workers", [][]float64{{1}, {2}}, Config{Workers: -2}, nil, "Workers = -2"},
	}
	for _, tt := range tests {
		m, err := Fit(tt.X, tt.cfg)
		if err == nil {
			t.Errorf("%s: Fit succeeded, want an error", tt.name)
			continue
		}
		if m != nil {
			t.Errorf("%s: Fit returned a model with its error", tt.name)
		}
		if tt.is != nil && !errors.Is(err, tt.is) {
			t.Errorf("%s: error %v is not %v", tt.name, err, tt.is)
		}
		if !strings.Contains(err.Error(), tt.text) {
			t.Errorf("%s: error %q does not contain %q", tt.name, err, tt.text)
		}
	}
	var de *DataError
	if _, err := Fit([][]float64{{1, 2}, {3, nan}}, Config{}); !errors.As(err, &de) || de.Row != 1 || de.Col != 1 {
		t.Errorf("NaN at (1, 1): got %v, want a *DataError for row 1, column 1", err)
	}
}

func TestMisusePanics(t *testing.T) {
	m, err := Fit(gaussian(100, 3, 1), Config{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		call func()
		text string
	}{
		{"short point", func() { m.Score([]float64{1, 2}) }, "isoforest: Score of a point with 2 features, model has 3"},
		{"dst length", func() { m.ScoresTo(make([]float64, 1), [][]float64{{1, 2, 3}, {4, 5, 6}}) }, "isoforest: ScoresTo with len(dst) = 1 for 2 rows"},
		{"ragged rows", func() { m.ScoresTo(nil, [][]float64{{1, 2, 3}, {4}}) }, "isoforest: ScoresTo row 1 has 1 features, model has 3"},
		{"explain dst", func() { m.ExplainTo(make([]float64, 2), []float64{1, 2, 3}) }, "isoforest: ExplainTo with len(dst) = 2"},
		{"zero model", func() { new(Model).Score(nil) }, "isoforest: Score on a Model not made by Fit or UnmarshalBinary"},
	}
	for _, tt := range tests {
		got := func() (msg string) {
			defer func() { msg, _ = recover().(string) }()
			tt.call()
			return ""
		}()
		if !strings.HasPrefix(got, tt.text) {
			t.Errorf("%s: panic %q, want prefix %q", tt.name, got, tt.text)
		}
	}
}

func TestScoresToAllocatesNothing(t *testing.T) {
	X := gaussian(200, 8, 2)
	m, err := Fit(X, Config{})
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]float64, len(X))
	expl := make([]float64, 8)
	if n := testing.AllocsPerRun(10, func() { m.ScoresTo(dst, X) }); n != 0 {
		t.Errorf("ScoresTo allocates %v times per call, want 0", n)
	}
	if n := testing.AllocsPerRun(10, func() { m.ExplainTo(expl, X[0]) }); n != 0 {
		t.Errorf("ExplainTo allocates %v times per call, want 0", n)
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	X, _ := planted(3000, 20, 8)
	for _, cfg := range []Config{
		{Seed: 1},
		{Seed: 2, ExtensionLevel: 7},
		{Seed: 3, ExtensionLevel: 1, Contamination: 0.02, SklearnCompatible: true},
		{Seed: 4, Bootstrap: true, MaxFeatures: 5, Trees: 17, SampleSize: 100},
	} {
		m, err := Fit(X, cfg)
		if err != nil {
			t.Fatal(err)
		}
		data, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var got Model
		if err := got.UnmarshalBinary(data); err != nil {
			t.Fatalf("%+v: %v", cfg, err)
		}
		if !slices.Equal(m.Scores(X), got.Scores(X)) {
			t.Errorf("%+v: scores differ after the round trip", cfg)
		}
		if m.Threshold() != got.Threshold() || got.Dim() != 8 || got.Trees() != m.Trees() || got.SampleSize() != m.SampleSize() {
			t.Errorf("%+v: threshold, shape or sizes differ after the round trip", cfg)
		}
		if !slices.Equal(m.FeatureImportance(), got.FeatureImportance()) || !slices.Equal(m.Explain(X[3010]), got.Explain(X[3010])) {
			t.Errorf("%+v: explanations differ after the round trip", cfg)
		}
		again, _ := got.MarshalBinary()
		if !bytes.Equal(data, again) {
			t.Errorf("%+v: re-encoding the decoded model gives other bytes", cfg)
		}
	}
	// A zero Model has nothing to encode (it used to write bytes its own decoder refused).
	if data, err := new(Model).MarshalBinary(); err == nil {
		t.Errorf("MarshalBinary of a zero Model = %d bytes, want an error", len(data))
	}
}

func TestEncodingSize(t *testing.T) {
	// 100 trees, ψ = 256, 8 continuous features: the deepest trees this configuration grows.
	m, err := Fit(gaussian(100_000, 8, 6), Config{})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := m.MarshalBinary()
	if len(data) >= 300_000 {
		t.Errorf("a 100-tree model encodes to %d bytes, want under 300 KB", len(data))
	}
}

func TestUnmarshalRejectsCorruption(t *testing.T) {
	m, err := Fit(gaussian(300, 3, 1), Config{Trees: 5})
	if err != nil {
		t.Fatal(err)
	}
	good, _ := m.MarshalBinary()
	before := m.Score([]float64{0, 0, 0})
	cases := map[string][]byte{
		"empty":          nil,
		"bad magic":      append([]byte("XXXX"), good[4:]...),
		"future version": append(append([]byte(magic), encodedVersion+1), good[5:]...),
		"truncated":      good[:len(good)-3],
		"trailing":       append(slices.Clone(good), 0),
	}
	for name, data := range cases {
		err := m.UnmarshalBinary(data)
		if !errors.Is(err, ErrEncoding) {
			t.Errorf("%s: UnmarshalBinary = %v, want an ErrEncoding", name, err)
		}
	}
	if after := m.Score([]float64{0, 0, 0}); after != before {
		t.Errorf("failed decodings changed the model: score %v, was %v", after, before)
	}
}

func argmax(v []float64) int {
	best := 0
	for i := range v {
		if v[i] > v[best] {
			best = i
		}
	}
	return best
}

func sum(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s
}

func TestScoreEqualsScoresTo(t *testing.T) {
	X := gaussian(333, 5, 17) // not a multiple of the block or lockstep widths
	for _, ext := range []int{0, 4} {
		m, err := Fit(X, Config{Trees: 37, ExtensionLevel: ext})
		if err != nil {
			t.Fatal(err)
		}
		batch := m.Scores(X)
		for i, x := range X {
			if s := m.Score(x); s != batch[i] {
				t.Fatalf("ext %d, row %d: Score = %v, ScoresTo = %v", ext, i, s, batch[i])
			}
		}
	}
}

func TestLargeLeavesBeyondTheTable(t *testing.T) {
	// Constant data with ψ above the table: every tree is one leaf of ψ rows, and s = 0.5.
	X := make([][]float64, maxTable+500)
	for i := range X {
		X[i] = []float64{1}
	}
	m, err := Fit(X, Config{SampleSize: len(X), Trees: 3})
	if err != nil {
		t.Fatal(err)
	}
	if s := m.Score([]float64{1}); math.Abs(s-0.5) > 1e-15 {
		t.Errorf("Score = %v, want 0.5", s)
	}
	// A huge ψ in an encoding costs no memory up front.
	var big Model
	data := []byte("OMIF\x01\x01\xff\xff\xff\xff\x07\x01\x00\x00")
	data = appendFloat(data, 0)
	data = appendFloat(data, 0.5)
	data = appendFloat(data, 1)
	data = append(data, 0, 0xff, 0xff, 0xff, 0xff, 0x07)
	if err := big.UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}
	if s := big.Score([]float64{0}); math.Abs(s-0.5) > 1e-15 {
		t.Errorf("decoded one-leaf model scores %v, want 0.5", s)
	}
}

func TestModelMemory(t *testing.T) {
	if size := unsafe.Sizeof(node{}); size != 16 {
		t.Errorf("a node takes %d bytes, want 16", size)
	}
	// A service's model over a week of hourly windows: 100 trees, ψ = 168, 8 features. Nodes are
	// all it keeps per tree.
	m, err := Fit(gaussian(168, 8, 1), Config{})
	if err != nil {
		t.Fatal(err)
	}
	if bytes := 16 * len(m.nodes); bytes > 200_000 {
		t.Errorf("nodes take %d bytes, want at most 200 kB", bytes)
	}
}

// TestExtendedFarFromZero: extended splits project x − centre, so a feature far from zero (an
// epoch timestamp in nanoseconds) does not swamp the others: with the projection of x itself
// the nodes saw constant projections and stopped splitting, and the outlier scored 0.57 against
// 0.49 for the inliers (0.91 without the extension).
func TestExtendedFarFromZero(t *testing.T) {
	X := make([][]float64, 256)
	for i := range X {
		X[i] = []float64{50 + float64(i%10), 1.7e18}
	}
	X[0][0] = 75
	m, err := Fit(X, Config{ExtensionLevel: 1, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if outlier, inlier := m.Score(X[0]), m.Score(X[1]); outlier < 0.75 || inlier > 0.55 {
		t.Errorf("outlier %.3f, inlier %.3f", outlier, inlier)
	}
}

// TestHugeRanges: features spanning nearly the whole float64 range grow splits with finite
// thresholds (an extended forest's projections overflowed, making NaN thresholds and empty
// children; an axis split's max − min overflowed, and every threshold fell on the minimum),
// and the model survives its own encoding.
func TestHugeRanges(t *testing.T) {
	X := make([][]float64, 64)
	for i := range X {
		sign := float64(1 - 2*(i%2))
		X[i] = []float64{sign * (1e308 / 7) * float64(i%7+1), sign * float64(i%10) * 1e307}
	}
	for _, ext := range []int{0, 1} {
		m, err := Fit(X, Config{ExtensionLevel: ext, Seed: 1, Trees: 50})
		if err != nil {
			t.Fatal(err)
		}
		atMin := 0
		for i, nd := range m.nodes {
			if nd.left == int32(i) {
				continue
			}
			if math.IsNaN(nd.value) || math.IsInf(nd.value, 0) {
				t.Fatalf("ext %d: node %d threshold %v", ext, i, nd.value)
			}
			if ext == 0 && nd.value == -1e308/7*7 {
				atMin++
			}
		}
		data, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var back Model
		if err := back.UnmarshalBinary(data); err != nil {
			t.Errorf("ext %d: the model's own encoding: %v", ext, err)
		}
		if ext == 0 && atMin > len(m.roots) {
			t.Errorf("%d thresholds at the minimum of a feature", atMin)
		}
	}
}

// TestDecodesVersion1: a version 1 encoding, which had no centre (extended projections were
// taken from the origin), decodes to the same scores.
func TestDecodesVersion1(t *testing.T) {
	X := gaussian(300, 3, 4)
	for _, ext := range []int{0, 2} {
		m, err := Fit(X, Config{Trees: 20, ExtensionLevel: ext, Seed: 5})
		if err != nil {
			t.Fatal(err)
		}
		if ext > 0 {
			m.centre = make([]float64, m.dim) // as a version 1 model projected
		}
		v2, _ := m.MarshalBinary()
		v1 := append([]byte(magic), 1)
		head := len(magic) + 1
		if ext == 0 {
			v1 = append(v1, v2[head:]...)
		} else {
			// The centre follows the importances; drop it.
			at := head
			for range 4 {
				_, n := binary.Uvarint(v2[at:])
				at += n
			}
			at += 1 + 8 + 8 + 8*m.dim
			v1 = append(append(v1, v2[head:at]...), v2[at+8*m.dim:]...)
		}
		var back Model
		if err := back.UnmarshalBinary(v1); err != nil {
			t.Fatalf("ext %d: %v", ext, err)
		}
		for _, x := range X[:20] {
			if back.Score(x) != m.Score(x) {
				t.Fatalf("ext %d: score %v, version 1 decoded %v", ext, m.Score(x), back.Score(x))
			}
		}
	}
}
