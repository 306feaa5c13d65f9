package servicegen

import (
	"fmt"
	"math/rand/v2"
)

// profile holds the normal behaviour of one service.
type profile struct {
	name       string
	requests   float64 // mean requests per hour at the weekday daily peak
	errorRate  float64 // baseline error rate, percent
	p50        float64 // median latency at no load, ms
	p95Ratio   float64 // typical p95 / p50
	p99Ratio   float64 // typical p99 / p95
	reqPerUser float64 // requests per unique user in a window
	ipsPerUser float64 // unique IPs per unique user
	risk       float64 // mean risk score
	peakHour   float64 // UTC hour of the daily peak
	width      float64 // width (standard deviation, hours) of the working-day bump
	night      float64 // traffic at the daily low as a fraction of the peak
	weekend    float64 // weekend traffic as a fraction of weekday traffic
	p99Ramp    bool    // p99 stays well below 500 ms, so a slow ramp may target it
}

// profiles are the hand-written services, in Config.Services order. Levels differ by orders of
// magnitude, as in a real fleet: a cache serves a hundred thousand requests an hour in about a
// millisecond, a report service a few hundred in a hundred milliseconds.
var profiles = []profile{
	{"api", 20000, 0.5, 40, 2.5, 1.6, 12, 0.7, 0.20, 14, 4, 0.20, 0.60, true},
	{"web", 8000, 0.4, 65, 2.2, 1.5, 6, 0.8, 0.15, 15, 5, 0.15, 0.70, true},
	{"auth", 2000, 0.8, 25, 2.0, 1.8, 2.5, 0.75, 0.30, 13, 4, 0.25, 0.65, true},
	{"payments", 1500, 0.3, 70, 2.0, 1.5, 3, 0.9, 0.25, 14, 4, 0.15, 0.50, true},
	{"search", 5000, 0.6, 60, 2.2, 1.6, 4, 0.8, 0.18, 15, 4.5, 0.20, 0.70, true},
	{"db", 50000, 0.2, 6, 3.0, 2.0, 400, 1, 0.10, 14, 4, 0.30, 0.65, false},
	{"cache", 120000, 0.25, 1.5, 3.0, 2.0, 1500, 1, 0.10, 14, 4, 0.30, 0.65, false},
	{"queue", 3000, 0.4, 15, 3.0, 2.0, 100, 1, 0.12, 3, 3, 0.50, 0.90, true},
	{"gateway", 30000, 0.3, 20, 2.5, 1.8, 10, 0.7, 0.20, 14, 4.5, 0.20, 0.65, true},
	{"notifications", 4000, 0.5, 35, 2.2, 1.7, 5, 0.8, 0.15, 16, 5, 0.20, 0.75, false},
	{"orders", 2500, 0.4, 65, 2.1, 1.6, 3, 0.85, 0.22, 14, 4, 0.15, 0.55, true},
	{"reports", 300, 0.7, 80, 2.0, 1.5, 10, 1, 0.15, 10, 3, 0.10, 0.40, false},
}

// profileFor returns the profile of service number i (0-based). Beyond the hand-written ones it
// reuses profile i mod 12 under a numbered name, with its volume and latency scaled by factors
// drawn from r (volume 0.3–3×, latency 0.7–1.3×, the p99 ramp kept only if p99 keeps its headroom).
func profileFor(i int, r *rand.Rand) profile {
	p := profiles[i%len(profiles)]
	if i < len(profiles) {
		return p
	}
	p.name = fmt.Sprintf("%s-%d", p.name, i/len(profiles)+1)
	p.requests *= 0.3 + 2.7*r.Float64()
	p.p50 *= 0.7 + 0.6*r.Float64()
	p.p99Ramp = p.p99Ramp && p.p50*p.p95Ratio*p.p99Ratio < 300
	return p
}
