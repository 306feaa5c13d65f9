package patterns

import (
	"math"
	"math/rand/v2"
)

// The fixtures of the original test suite (ORIGINAL-SYSTEM.md §5), reproduced with math/rand/v2:
// the same distributions, draw order, clamping and alphabetical column order, but Go's PCG stream
// seeded with 42 and 123 instead of numpy's Mersenne Twister, so the individual numbers differ from
// the original's while their distribution is identical. Tests therefore assert properties, never
// exact values of these rows.

// featureNames are the fixture columns in the original's (alphabetical) order.
var featureNames = []string{
	"error_rate", "latency_mean_ms", "latency_p95_ms", "latency_p99_ms",
	"risk_score", "total_requests", "unique_ips", "unique_users",
}

// draw is one N(mean, sd) parameter pair, listed in the original's draw order.
type draw struct {
	name     string
	mean, sd float64
}

var normalDraws = []draw{
	{"error_rate", 0.5, 0.1}, {"latency_p99_ms", 150, 20}, {"latency_p95_ms", 100, 15},
	{"latency_mean_ms", 50, 10}, {"unique_users", 1000, 100}, {"unique_ips", 500, 50},
	{"risk_score", 0.3, 0.1}, {"total_requests", 10000, 1000},
}

var anomalousDraws = []draw{
	{"error_rate", 5, 1}, {"latency_p99_ms", 500, 50}, {"latency_p95_ms", 400, 40},
	{"latency_mean_ms", 300, 30}, {"unique_users", 100, 20}, {"unique_ips", 50, 10},
	{"risk_score", 0.9, 0.05}, {"total_requests", 5000, 500},
}

// normalRows is the original's normal(n): seed 42.
func normalRows(n int) [][]float64 { return fixtureRows(n, 42, normalDraws) }

// anomalousRows is the original's anomalous(n): seed 123.
func anomalousRows(n int) [][]float64 { return fixtureRows(n, 123, anomalousDraws) }

func fixtureRows(n int, seed uint64, draws []draw) [][]float64 {
	rng := rand.New(rand.NewPCG(seed, 0))
	col := make(map[string]int, len(featureNames))
	for j, name := range featureNames {
		col[name] = j
	}
	X := make([][]float64, n)
	for i := range X {
		X[i] = make([]float64, len(featureNames))
		for _, d := range draws {
			v := math.Max(0, d.mean+d.sd*rng.NormFloat64())
			if d.name == "risk_score" {
				v = math.Min(v, 1)
			}
			X[i][col[d.name]] = v
		}
	}
	return X
}
