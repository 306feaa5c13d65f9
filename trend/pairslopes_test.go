package trend

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// TestScanOrderStatistics checks the sampling-and-scanning path against
// sorting all slopes, on series with many tied slopes and on gaps in t.
func TestScanOrderStatistics(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	for trial := range 12 {
		n := 2 + rng.IntN(400)
		ts := make([]float64, n)
		v := make([]float64, n)
		for i := range v {
			ts[i] = float64(i + i/7) // gaps
			switch trial % 4 {
			case 0:
				v[i] = float64(rng.IntN(5)) // many equal slopes
			case 1:
				v[i] = 7 // every slope 0
			case 2:
				v[i] = float64(i / 50) // steps: most slopes 0, the rest few values
			default:
				v[i] = 0.3*float64(i) + rng.NormFloat64()
			}
		}
		var all []float64
		for j := range v {
			for i := range j {
				all = append(all, (v[j]-v[i])/(ts[j]-ts[i]))
			}
		}
		slices.Sort(all)
		m := len(all)
		ranks := []int{0, m - 1, (m - 1) / 2, m / 2, rng.IntN(m), (m - 1) / 2}
		got := scanOrderStatistics(ts, v, ranks)
		for k, r := range ranks {
			if got[k] != all[r] {
				t.Fatalf("trial %d n=%d: rank %d = %g, want %g", trial, n, r, got[k], all[r])
			}
		}
	}
}

// TestScanOrderStatisticsTiesMemory: tied slopes are counted, not collected, so scanning
// 4.5 million slopes of integer-valued, stepped or constant series allocates about the
// sample (2 MiB), not the ties (36 MiB and more).
func TestScanOrderStatisticsTiesMemory(t *testing.T) {
	const n = 3000
	series := map[string]func(i int) float64{
		"integers": func(i int) float64 { return float64(i * 7919 % 13) },
		"steps":    func(i int) float64 { return float64(i / 500) },
		"constant": func(int) float64 { return 1 },
	}
	ts := make([]float64, n)
	for i := range ts {
		ts[i] = float64(i)
	}
	total := n * (n - 1) / 2
	for name, f := range series {
		v := make([]float64, n)
		for i := range v {
			v[i] = f(i)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		scanOrderStatistics(ts, v, []int{(total - 1) / 2, total / 2})
		runtime.ReadMemStats(&after)
		if mib := float64(after.TotalAlloc-before.TotalAlloc) / (1 << 20); mib > 8 {
			t.Errorf("%s: %.1f MiB allocated, want at most 8", name, mib)
		}
	}
}
