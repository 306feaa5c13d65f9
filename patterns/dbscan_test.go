package patterns

import (
	"encoding/csv"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

// referenceCase is one dataset of testdata/patterns with scikit-learn's labels and k-distances,
// produced by testdata/patterns/make_dbscan_ref.py (command in that file and in the README there).
type referenceCase struct {
	name       string
	eps        float64
	minSamples int
	X          [][]float64
	labels     []int
	kdist      []float64
}

func loadReferenceCases(t testing.TB) []referenceCase {
	dir := filepath.Join("..", "testdata", "patterns")
	manifest := readCSV(t, filepath.Join(dir, "cases.csv"))
	var cases []referenceCase
	for _, rec := range manifest[1:] {
		c := referenceCase{name: rec[0], eps: parseFloat(t, rec[1]), minSamples: int(parseFloat(t, rec[2]))}
		rows := readCSV(t, filepath.Join(dir, c.name+".csv"))
		d := len(rows[0]) - 2
		for _, r := range rows[1:] {
			x := make([]float64, d)
			for j := range d {
				x[j] = parseFloat(t, r[j])
			}
			c.X = append(c.X, x)
			c.labels = append(c.labels, int(parseFloat(t, r[d])))
			c.kdist = append(c.kdist, parseFloat(t, r[d+1]))
		}
		cases = append(cases, c)
	}
	if len(cases) < 6 {
		t.Fatalf("only %d reference cases", len(cases))
	}
	return cases
}

func readCSV(t testing.TB, path string) [][]string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func parseFloat(t testing.TB, s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDBSCANMatchesSklearn(t *testing.T) {
	for _, c := range loadReferenceCases(t) {
		t.Run(c.name, func(t *testing.T) {
			got, err := DBSCAN(c.X, DBSCANConfig{Eps: c.eps, MinSamples: c.minSamples})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Labels, c.labels) {
				t.Errorf("labels differ from scikit-learn's:\n got %v\nwant %v", got.Labels, c.labels)
			}
			if want := slices.Max(c.labels) + 1; got.Clusters != want {
				t.Errorf("Clusters = %d, want %d", got.Clusters, want)
			}
		})
	}
}

func TestKDistancesMatchSklearn(t *testing.T) {
	for _, c := range loadReferenceCases(t) {
		got, err := KDistances(c.X, c.minSamples)
		if err != nil {
			t.Fatal(err)
		}
		want := slices.Sorted(slices.Values(c.kdist))
		assertClose(t, c.name, got, want, 1e-9)
	}
}

// TestDBSCANMatchesBruteForce checks the k-d tree against a direct O(n²) DBSCAN written from the
// definition, on random data with ties and duplicates, in several dimensions.
func TestDBSCANMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for trial := range 60 {
		n, d := 1+rng.IntN(300), 1+rng.IntN(20)
		X := make([][]float64, n)
		for i := range X {
			X[i] = make([]float64, d)
			for j := range X[i] {
				if trial%3 == 0 {
					X[i][j] = float64(rng.IntN(4)) // lattice: ties at exactly eps
				} else {
					X[i][j] = rng.NormFloat64()
				}
			}
		}
		eps := []float64{0.5, 1, 2, 4}[rng.IntN(4)] * math.Sqrt(float64(d)) / 2
		if trial%3 == 0 {
			eps = float64(1 + rng.IntN(2))
		}
		minSamples := 1 + rng.IntN(8)
		got, err := DBSCAN(X, DBSCANConfig{Eps: eps, MinSamples: minSamples})
		if err != nil {
			t.Fatal(err)
		}
		want := bruteDBSCAN(X, eps, minSamples)
		if !slices.Equal(got.Labels, want) {
			t.Fatalf("trial %d (n=%d d=%d eps=%g min=%d): labels differ\n got %v\nwant %v", trial, n, d, eps, minSamples, got.Labels, want)
		}
	}
}

// bruteDBSCAN is scikit-learn's dbscan_inner over brute-force neighbourhoods.
func bruteDBSCAN(X [][]float64, eps float64, minSamples int) []int {
	n := len(X)
	nb := make([][]int, n)
	for i := range X {
		for j := range X {
			var s float64
			for k := range X[i] {
				s += (X[i][k] - X[j][k]) * (X[i][k] - X[j][k])
			}
			if math.Sqrt(s) <= eps { // distances, as scikit-learn's brute-force neighbours
				nb[i] = append(nb[i], j)
			}
		}
	}
	labels := make([]int, n)
	for i := range labels {
		labels[i] = -1
	}
	label := 0
	for i := range n {
		if labels[i] != -1 || len(nb[i]) < minSamples {
			continue
		}
		stack := []int{}
		for p := i; ; {
			if labels[p] == -1 {
				labels[p] = label
				if len(nb[p]) >= minSamples {
					for _, q := range nb[p] {
						if labels[q] == -1 {
							stack = append(stack, q)
						}
					}
				}
			}
			if len(stack) == 0 {
				break
			}
			p, stack = stack[len(stack)-1], stack[:len(stack)-1]
		}
		label++
	}
	return labels
}

func TestDBSCANCoreCountsThePointItself(t *testing.T) {
	// Two points at distance 1 with MinSamples 2: each has itself and the other, so both are core.
	got, _ := DBSCAN([][]float64{{0}, {1}, {5}}, DBSCANConfig{Eps: 1, MinSamples: 2})
	if !slices.Equal(got.Labels, []int{0, 0, Noise}) || !slices.Equal(got.Core, []bool{true, true, false}) {
		t.Errorf("labels %v core %v", got.Labels, got.Core)
	}
	// MinSamples 1: every point is core, so a lone point is its own cluster.
	got, _ = DBSCAN([][]float64{{0}, {1}, {5}}, DBSCANConfig{Eps: 1, MinSamples: 1})
	if !slices.Equal(got.Labels, []int{0, 0, 1}) {
		t.Errorf("MinSamples 1: labels %v", got.Labels)
	}
}

func TestDBSCANBorderGoesToFirstCluster(t *testing.T) {
	// Row 0 (at 1.3) is within eps of the core points at 0.4 and 2.2 of two clusters but is not core
	// itself; the cluster started first (at row 1) takes it.
	// /usr/bin/python3 -c "from sklearn.cluster import DBSCAN; import numpy as np;
	//   X=np.array([1.3,2.2,2.4,2.5,2.6,0,0.1,0.2,0.4]).reshape(-1,1);
	//   print(DBSCAN(eps=1,min_samples=4).fit(X).labels_)"   → [0 0 0 0 0 1 1 1 1]
	X := [][]float64{{1.3}, {2.2}, {2.4}, {2.5}, {2.6}, {0}, {0.1}, {0.2}, {0.4}}
	got, _ := DBSCAN(X, DBSCANConfig{Eps: 1, MinSamples: 4})
	want := []int{0, 0, 0, 0, 0, 1, 1, 1, 1}
	if !slices.Equal(got.Labels, want) || got.Core[0] {
		t.Errorf("labels %v (want %v), core %v", got.Labels, want, got.Core)
	}
}

func TestKneeEpsGivesClustersOnFixtures(t *testing.T) {
	X := normalRows(100)
	s, _ := FitStandard(X)
	eps, err := KneeEps(s.TransformAll(X), 0)
	if err != nil {
		t.Fatal(err)
	}
	cl, _ := DBSCAN(s.TransformAll(X), DBSCANConfig{Eps: eps})
	noise := 0
	for _, l := range cl.Labels {
		if l == Noise {
			noise++
		}
	}
	if cl.Clusters < 1 || noise > 50 {
		t.Errorf("knee eps %g: %d clusters, %d noise rows of 100", eps, cl.Clusters, noise)
	}
	t.Logf("knee eps %.3f: %d clusters, %d noise", eps, cl.Clusters, noise)
}

func TestKneeSpecialCases(t *testing.T) {
	tests := []struct {
		d    []float64
		want float64
	}{
		{[]float64{2}, 2},
		{[]float64{3, 3, 3}, 3},
		{[]float64{0, 0}, math.SmallestNonzeroFloat64},
		{[]float64{1, 1, 1, 1, 1, 1, 1, 1, 5, 9}, 1},
	}
	for _, tc := range tests {
		if got := knee(tc.d); got != tc.want {
			t.Errorf("knee(%v) = %g, want %g", tc.d, got, tc.want)
		}
	}
}

func TestDBSCANIdenticalRows(t *testing.T) {
	X := [][]float64{{1, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}}
	got, err := DBSCAN(X, DBSCANConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Labels, []int{0, 0, 0, 0, 0}) {
		t.Errorf("labels %v", got.Labels)
	}
}

// TestKDistancesMatchBruteForce checks the k-d tree's k-nearest search against sorting all
// distances, bit for bit (the same sums in the same order), on random data with ties and duplicates
// and on the benchmark shapes; and that DBSCAN with the automatic Eps labels as the brute-force
// DBSCAN at that Eps.
func TestKDistancesMatchBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	cases := [][][]float64{benchService(500), benchBlobs(500, 8), benchBlobs(500, 2)}
	for trial := range 30 {
		n, d := 1+rng.IntN(300), 1+rng.IntN(20)
		X := make([][]float64, n)
		for i := range X {
			X[i] = make([]float64, d)
			for j := range X[i] {
				if trial%3 == 0 {
					X[i][j] = float64(rng.IntN(3))
				} else {
					X[i][j] = rng.NormFloat64()
				}
			}
		}
		cases = append(cases, X)
	}
	for c, X := range cases {
		for _, k := range []int{1, 2, 5, 9} {
			got := kDistances2(newKDTree(X), X, k)
			ds := make([]float64, len(X))
			for i, q := range X {
				for j, p := range X {
					var s float64
					for m := range q {
						s += (p[m] - q[m]) * (p[m] - q[m])
					}
					ds[j] = s
				}
				slices.Sort(ds)
				if want := ds[min(k, len(X))-1]; got[i] != want {
					t.Fatalf("case %d (n=%d d=%d) k=%d row %d: squared k-distance %v, brute force %v", c, len(X), len(X[0]), k, i, got[i], want)
				}
			}
		}
		auto, err := DBSCAN(X, DBSCANConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if want := bruteDBSCAN(X, auto.Eps, DefaultMinSamples); !slices.Equal(auto.Labels, want) {
			t.Fatalf("case %d: automatic Eps %g: labels differ from brute force", c, auto.Eps)
		}
	}
}

// TestKDistanceMakesCorePoint: at Eps equal to a row's k-distance (k = MinSamples) the row is
// a core point, as KDistances documents, although Eps·Eps rounds below the squared distance
// here (√3 · √3 = 2.9999999999999996).
func TestKDistanceMakesCorePoint(t *testing.T) {
	X := [][]float64{{0, 0, 0}, {1, 1, 1}, {10, 10, 10}, {11, 11, 11}}
	kd, err := KDistances(X, 2)
	if err != nil {
		t.Fatal(err)
	}
	if kd[0]*kd[0] >= 3 {
		t.Fatalf("the case no longer rounds: %v² = %v", kd[0], kd[0]*kd[0])
	}
	got, err := DBSCAN(X, DBSCANConfig{Eps: kd[0], MinSamples: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Labels, []int{0, 0, 1, 1}) || slices.Contains(got.Core, false) {
		t.Errorf("Eps = %v: labels %v core %v, want [0 0 1 1], all core", kd[0], got.Labels, got.Core)
	}
}

// TestSquaredRadius: √d2 ≤ eps exactly when d2 ≤ squaredRadius(eps), for squared distances
// around eps² a few ulps either way.
func TestSquaredRadius(t *testing.T) {
	// An infinite Eps takes every distance (the search for the largest r² once never ended).
	if got, err := DBSCAN([][]float64{{0}, {1}, {5}}, DBSCANConfig{Eps: math.Inf(1), MinSamples: 2}); err != nil || !slices.Equal(got.Labels, []int{0, 0, 0}) {
		t.Errorf("Eps +Inf: %v, %v", got, err)
	}
	for _, eps := range []float64{math.Sqrt(3), 1, 0.1, math.Sqrt(2) * 1e-5, 12345.678, math.Sqrt(7e10)} {
		r2 := squaredRadius(eps)
		d2 := eps * eps
		for range 8 {
			d2 = math.Nextafter(d2, 0)
		}
		for range 16 {
			if in := d2 <= r2; in != (math.Sqrt(d2) <= eps) {
				t.Errorf("eps %v: d2 %v within r2 %v is %v, √d2 = %v", eps, d2, r2, in, math.Sqrt(d2))
			}
			d2 = math.Nextafter(d2, math.Inf(1))
		}
	}
}
