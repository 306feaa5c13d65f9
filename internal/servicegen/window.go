package servicegen

import (
	"fmt"
	"time"
)

// Window holds the metrics of one service for one step, as Phase 4 aggregates them.
type Window struct {
	Service string
	Time    time.Time     // start of the window, UTC
	Step    time.Duration // length of the window

	TotalRequests  int64
	FailedRequests int64
	ErrorRate      float64 // 100·FailedRequests/TotalRequests, in PERCENT (0 without requests)

	// Latencies in milliseconds: LatencyMin ≤ LatencyP50 ≤ LatencyP95 ≤ LatencyP99 ≤ LatencyMax,
	// and LatencyP50 ≤ LatencyMean ≤ LatencyP95.
	LatencyMin, LatencyP50, LatencyP95, LatencyP99, LatencyMax, LatencyMean float64

	UniqueUsers, UniqueIPs int64

	RiskScore     float64 // mean risk score of the requests, in [0, 1]
	HighRiskCount int64   // requests with a risk score above 0.7
}

// Value returns the window's value of metric m. It panics on an unknown metric.
func (w Window) Value(m Metric) float64 {
	switch m {
	case TotalRequests:
		return float64(w.TotalRequests)
	case ErrorRate:
		return w.ErrorRate
	case LatencyP50:
		return w.LatencyP50
	case LatencyP95:
		return w.LatencyP95
	case LatencyP99:
		return w.LatencyP99
	case LatencyMean:
		return w.LatencyMean
	case UniqueUsers:
		return float64(w.UniqueUsers)
	case UniqueIPs:
		return float64(w.UniqueIPs)
	case RiskScore:
		return w.RiskScore
	}
	panic(fmt.Sprintf("servicegen: unknown metric %q", string(m)))
}
