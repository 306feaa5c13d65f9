package patterns

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// benchBlobs returns n rows of d features: four Gaussian clusters with unit spread whose centres are
// 6 apart, plus 5 % uniform background noise.
func benchBlobs(n, d int) [][]float64 {
	rng := rand.New(rand.NewPCG(1, 2))
	X := make([][]float64, n)
	for i := range X {
		X[i] = make([]float64, d)
		if i%20 == 19 {
			for j := range X[i] {
				X[i][j] = -6 + 24*rng.Float64()
			}
			continue
		}
		c := float64(i % 4 * 6)
		for j := range X[i] {
			X[i][j] = c + rng.NormFloat64()
		}
	}
	return X
}

// benchService returns n standardised windows of 8 service metrics driven by three latent factors
// (traffic, latency, errors) in three daily regimes, with 10 % independent noise per metric: the
// correlated, low-intrinsic-dimension shape of real service metrics (p99, p95 and mean latency move
// together, as do requests, users and IPs). Every 50th window is an incident far from all regimes.
func benchService(n int) [][]float64 {
	rng := rand.New(rand.NewPCG(3, 4))
	regimes := [][3]float64{{-1.5, -0.5, -0.5}, {0, 0, 0}, {1.5, 1, 0.5}}
	loadings := [8][3]float64{
		{0, 0.3, 1}, {0.2, 1, 0}, {0.2, 1, 0.1}, {0.3, 1, 0.2},
		{0, 0.2, 0.8}, {1, 0.2, 0}, {1, 0, 0}, {1, 0.1, 0},
	}
	X := make([][]float64, n)
	for i := range X {
		r := regimes[i%3]
		f := [3]float64{r[0] + 0.3*rng.NormFloat64(), r[1] + 0.3*rng.NormFloat64(), r[2] + 0.3*rng.NormFloat64()}
		if i%50 == 49 {
			f = [3]float64{4 * rng.NormFloat64(), 4 * rng.NormFloat64(), 4 * rng.NormFloat64()}
		}
		X[i] = make([]float64, 8)
		for j, l := range loadings {
			X[i][j] = l[0]*f[0] + l[1]*f[1] + l[2]*f[2] + 0.1*rng.NormFloat64()
		}
	}
	return X
}

func BenchmarkDBSCAN(b *testing.B) {
	X := benchService(10000)
	b.Run("service/n=10000/d=8/eps=knee", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			DBSCAN(X, DBSCANConfig{MinSamples: 5})
		}
	})
	b.Run("service/n=10000/d=8/eps=0.5", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			DBSCAN(X, DBSCANConfig{Eps: 0.5, MinSamples: 5})
		}
	})
	// The fixed eps is close to the knee eps of each size (KneeEps: 3.2, 0.27 and 2.5).
	for _, size := range []struct {
		n, d int
		eps  float64
	}{{1000, 8, 3}, {10000, 2, 0.3}, {10000, 8, 2.5}} {
		X := benchBlobs(size.n, size.d)
		b.Run(fmt.Sprintf("blobs/n=%d/d=%d/eps=%g", size.n, size.d, size.eps), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				DBSCAN(X, DBSCANConfig{Eps: size.eps, MinSamples: 5})
			}
		})
		b.Run(fmt.Sprintf("blobs/n=%d/d=%d/eps=knee", size.n, size.d), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				DBSCAN(X, DBSCANConfig{MinSamples: 5})
			}
		})
	}
}

// BenchmarkFit fits service metrics; 168 rows are a week of hourly windows, the history omen's
// Detector fits its patterns on.
func BenchmarkFit(b *testing.B) {
	for _, n := range []int{100, 168, 1000} {
		X := normalRows(n)
		b.Run(fmt.Sprintf("n=%d/d=8", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Fit(X, nil, Config{})
			}
		})
	}
}

func BenchmarkMatch(b *testing.B) {
	m, _ := Fit(normalRows(1000), nil, Config{})
	x := anomalousRows(1)[0]
	b.ReportAllocs()
	for b.Loop() {
		m.Match(x)
	}
}

// TestBenchDataClusters checks that the benchmark data have the structure the benchmarks claim,
// and that the parallel neighbour counts give the same labels for any GOMAXPROCS.
func TestBenchDataClusters(t *testing.T) {
	tests := []struct {
		name     string
		X        [][]float64
		clusters int
		maxNoise int
	}{
		{"service", benchService(10000), 1, 500},
		{"blobs", benchBlobs(10000, 8), 4, 1000},
	}
	for _, tc := range tests {
		c, _ := DBSCAN(tc.X, DBSCANConfig{})
		noise := 0
		for _, l := range c.Labels {
			if l == Noise {
				noise++
			}
		}
		if c.Clusters != tc.clusters || noise > tc.maxNoise {
			t.Errorf("%s: eps %.3f, %d clusters, %d noise", tc.name, c.Eps, c.Clusters, noise)
		}
		prev := runtime.GOMAXPROCS(1)
		serial, _ := DBSCAN(tc.X, DBSCANConfig{})
		runtime.GOMAXPROCS(prev)
		if !slices.Equal(serial.Labels, c.Labels) || serial.Eps != c.Eps {
			t.Errorf("%s: labels with GOMAXPROCS=1 differ from GOMAXPROCS=%d", tc.name, prev)
		}
	}
}
