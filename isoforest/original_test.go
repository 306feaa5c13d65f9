package isoforest

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// The original Python service's tests 01–10 (../shared/seed/ORIGINAL-SYSTEM.md §5), ported with
// their defects fixed: scores are compared by rank instead of against the unreachable sigmoid
// cut-offs, and a model that was never fitted cannot be used.
//
// The fixtures follow the original generators' distributions (columns in the original's
// alphabetical order). They are drawn with math/rand/v2, so the rows are not NumPy's: the
// assertions are properties that any such sample satisfies.

// metricRow is the mean and standard deviation of each fixture column: error_rate,
// latency_mean_ms, latency_p95_ms, latency_p99_ms, risk_score, total_requests, unique_ips,
// unique_users.
type metricRow [8][2]float64

var (
	normalMetrics    = metricRow{{0.5, 0.1}, {50, 10}, {100, 15}, {150, 20}, {0.3, 0.1}, {10000, 1000}, {500, 50}, {1000, 100}}
	anomalousMetrics = metricRow{{5, 1}, {300, 30}, {400, 40}, {500, 50}, {0.9, 0.05}, {5000, 500}, {50, 10}, {100, 20}}
)

// fixture draws n rows from the column distributions, clamped at 0, risk_score clipped to [0, 1].
func fixture(spec metricRow, n int, seed uint64) [][]float64 {
	rng := rand.New(rand.NewPCG(seed, 0))
	X := make([][]float64, n)
	for i := range X {
		X[i] = make([]float64, len(spec))
		for j, c := range spec {
			X[i][j] = max(0, c[0]+c[1]*rng.NormFloat64())
		}
		X[i][4] = min(X[i][4], 1)
	}
	return X
}

func normalFixture(n int) [][]float64    { return fixture(normalMetrics, n, 42) }
func anomalousFixture(n int) [][]float64 { return fixture(anomalousMetrics, n, 123) }

// fitOriginal fits as the original service did: contamination 0.1, 100 trees, seed 42.
func fitOriginal(t *testing.T, X [][]float64) *Model {
	t.Helper()
	m, err := Fit(X, Config{Contamination: 0.1, Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func countAnomalies(m *Model, X [][]float64) int {
	n := 0
	for _, x := range X {
		if m.IsAnomaly(x) {
			n++
		}
	}
	return n
}

// 01 checked that a new detector starts unfitted. Here there is no unfitted state: Fit returns a
// model or an error, never both and never neither.
func TestOriginal01NoUnfittedModel(t *testing.T) {
	if m, err := Fit(normalFixture(1), Config{Contamination: 0.1}); err == nil || m != nil {
		t.Errorf("Fit on one row = (%v, %v), want (nil, error)", m, err)
	}
	if m, err := Fit(normalFixture(100), Config{Contamination: 0.1}); err != nil || m == nil {
		t.Errorf("Fit on 100 rows = (%v, %v), want a model", m, err)
	}
}

// 02: fitting on the normal fixture succeeds.
func TestOriginal02Fit(t *testing.T) {
	if m := fitOriginal(t, normalFixture(100)); m.Trees() != 100 || m.Dim() != 8 {
		t.Errorf("model has %d trees of %d features, want 100 of 8", m.Trees(), m.Dim())
	}
}

// 03: fewer than half of ten normal rows are flagged.
func TestOriginal03NormalRowsMostlyInliers(t *testing.T) {
	X := normalFixture(100)
	if n := countAnomalies(fitOriginal(t, X), X[:10]); n >= 5 {
		t.Errorf("%d of 10 normal rows flagged, want fewer than 5", n)
	}
}

// 04: more than 30 % of the anomalous rows are flagged (the original saw 20 of 20; so must we).
func TestOriginal04AnomalousRowsFlagged(t *testing.T) {
	m := fitOriginal(t, normalFixture(100))
	if n := countAnomalies(m, anomalousFixture(20)); n != 20 {
		t.Errorf("%d of 20 anomalous rows flagged, want all 20", n)
	}
}

// 05: a score lies in (0, 1].
func TestOriginal05ScoreRange(t *testing.T) {
	X := normalFixture(100)
	if s := fitOriginal(t, X).Score(X[0]); !(s > 0 && s <= 1) {
		t.Errorf("score %v, want (0, 1]", s)
	}
}

// 06 only checked score(anomalous) > 0 and score(normal) < 1; the corrected assertion is the
// ordering: every anomalous row scores above every normal row.
func TestOriginal06AnomalousAboveNormal(t *testing.T) {
	normal, anomalous := normalFixture(100), anomalousFixture(20)
	m := fitOriginal(t, normal)
	maxNormal := 0.0
	for _, s := range m.Scores(normal) {
		maxNormal = max(maxNormal, s)
	}
	for i, s := range m.Scores(anomalous) {
		if s <= maxNormal {
			t.Errorf("anomalous row %d scores %v, not above the highest normal score %v", i, s, maxNormal)
		}
	}
}

// 07: refitting on more data gives a working model (models are immutable: a refit is a new one).
func TestOriginal07Refit(t *testing.T) {
	X := normalFixture(100)
	small, large := fitOriginal(t, X[:50]), fitOriginal(t, X)
	if small.SampleSize() != 50 || large.SampleSize() != 100 {
		t.Errorf("sample sizes %d and %d, want 50 and 100", small.SampleSize(), large.SampleSize())
	}
}

// 08 expected predicting before fitting to raise; the original returned empty arrays. Here a
// Model not made by Fit or UnmarshalBinary panics with a clear message when used.
func TestOriginal08ScoreBeforeFitPanics(t *testing.T) {
	defer func() {
		msg, _ := recover().(string)
		if !strings.Contains(msg, "not made by Fit") {
			t.Errorf("panic %q, want one naming the missing Fit", msg)
		}
	}()
	var m Model
	m.Score(normalFixture(1)[0])
}

// 09: no score is NaN or infinite.
func TestOriginal09FiniteScores(t *testing.T) {
	X := normalFixture(100)
	for i, s := range fitOriginal(t, X).Scores(X[:5]) {
		if math.IsNaN(s) || math.IsInf(s, 0) {
			t.Errorf("row %d: score %v", i, s)
		}
	}
}

// 10 required a raw score > 0.7, which the original's sigmoid-squashed score could never reach.
// The corrected assertion: anomalous rows score clearly above the paper's 0.5 and above the
// contamination threshold.
func TestOriginal10AnomalousScoresHigh(t *testing.T) {
	m := fitOriginal(t, normalFixture(100))
	for i, s := range m.Scores(anomalousFixture(20)) {
		if s <= 0.6 || s <= m.Threshold() {
			t.Errorf("anomalous row %d scores %v, want above 0.6 and above the threshold %v", i, s, m.Threshold())
		}
	}
}
