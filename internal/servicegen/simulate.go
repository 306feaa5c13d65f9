package servicegen

import (
	"math"
	"math/rand/v2"
	"time"
)

// growthPerDay is the relative growth of every service's traffic per day.
const growthPerDay = 0.004

// effect is how incidents change one window; neutral changes nothing.
type effect struct {
	traffic      float64 // multiplier of the expected requests
	trafficNoise float64 // multiplier of the requests' log-noise
	seasonFlat   bool    // the daily shape is replaced by its daily mean
	seasonShift  float64 // hours added to the time of day in the daily shape
	errorFactor  float64 // multiplier of the error probability
	errorRate    float64 // when > 0, the error probability in percent, replacing the normal one
	errorAtLeast float64 // when > 0, the observed error rate is raised above it if needed
	errorSpike   bool    // an error spike: it shows, however few the requests
	latency      float64 // multiplier of p95, p99 and the maximum
	latencyLow   float64 // multiplier of the minimum and p50
	latencyNoise float64 // multiplier of the latencies' log-noise
	p99Add       float64 // ms added to p99 and the maximum, 0.4 of it to p95
	p99AtLeast   float64 // when > 0, p99 is raised above it if needed
	users        float64 // multiplier of the users
	ipsPerUser   float64 // multiplier of the IPs per user
	riskShift    float64 // added to the risk score
}

var neutral = effect{traffic: 1, trafficNoise: 1, errorFactor: 1, latency: 1, latencyLow: 1, latencyNoise: 1, users: 1, ipsPerUser: 1}

// noise holds the AR(1) noise processes of one service.
type noise struct {
	requests, errors, p50, p95, p99, users, ips, risk ar1
}

func newNoise() noise {
	return noise{
		requests: ar1{phi: 0.6, sigma: 0.04},
		errors:   ar1{phi: 0.5, sigma: 0.15},
		p50:      ar1{phi: 0.5, sigma: 0.06},
		p95:      ar1{phi: 0.3, sigma: 0.05},
		p99:      ar1{phi: 0.3, sigma: 0.06},
		users:    ar1{phi: 0.5, sigma: 0.03},
		ips:      ar1{phi: 0.5, sigma: 0.03},
		risk:     ar1{phi: 0.7, sigma: 0.02},
	}
}

// simulate returns the windows of service p under the per-window effects (nil: none), drawing its
// noise from r. Every window draws the same number of variates whatever its effect, so incidents
// never change the windows outside them.
func simulate(cfg Config, p profile, effects []effect, r *rand.Rand) []Window {
	n := cfg.windows()
	peak := p.requests * cfg.Step.Hours()
	nz := newNoise()
	out := make([]Window, n)
	for i := range out {
		t := cfg.Start.Add(time.Duration(i) * cfg.Step)
		e := neutral
		if effects != nil {
			e = effects[i]
		}
		eReq, eErr := nz.requests.next(r), nz.errors.next(r)
		e50, e95, e99 := nz.p50.next(r), nz.p95.next(r), nz.p99.next(r)
		eUsers, eIPs, eRisk := nz.users.next(r), nz.ips.next(r), nz.risk.next(r)
		uReq, uErr, uHigh, uMin, uMax, uMean := uniform(r), uniform(r), uniform(r), uniform(r), uniform(r), uniform(r)

		mid := t.Add(cfg.Step / 2)
		growth := 1 + growthPerDay*mid.Sub(cfg.Start).Hours()/24
		normalMean := peak * growth * p.shape(mid, 0, false)
		load := normalMean * math.Exp(eReq) / peak // the normal load drives errors and latency

		lambda := peak * growth * p.shape(mid, e.seasonShift, e.seasonFlat) * e.traffic * math.Exp(eReq*e.trafficNoise)
		reqs := countQuantile(lambda, uReq)
		if incident := e.errorAtLeast; e.errorSpike || incident > 0 {
			if e.errorSpike {
				incident = e.errorRate
			}
			if reqs == 0 {
				// An error spike, or the top of an error ramp, needs requests to show in: enough
				// that one failure is within its rate (an idle window once carried a labelled
				// spike unseen, or ended a ramp without its crossing).
				reqs = int64(math.Ceil(100 / incident))
			}
		}

		errProb := p.errorRate * (1 + 0.3*load) * math.Exp(eErr) * e.errorFactor
		if e.errorRate > 0 {
			errProb = e.errorRate
		}
		failed := binomialQuantile(reqs, errProb/100, uErr)
		if e.errorSpike && failed == 0 {
			failed = 1 // a labelled spike shows, however few the requests
		}
		if e.errorAtLeast > 0 && reqs > 0 {
			failed = max(failed, min(reqs, int64(math.Ceil(float64(reqs)*1.04*e.errorAtLeast/100))))
		}
		errorRate := 0.0
		if reqs > 0 {
			errorRate = round(100*float64(failed)/float64(reqs), 4)
		}

		ln := e.latencyNoise
		p50 := p.p50 * (1 + 0.25*load*load) * math.Exp(e50*ln)
		p95 := p50 * p.p95Ratio * math.Exp(e95*ln)
		p99 := p95 * p.p99Ratio * math.Exp(e99*ln)
		lo := p50 * (0.15 + 0.15*uMin)
		hi := p99 * (1.1 + 0.9*uMax)
		lo, p50 = lo*e.latencyLow, p50*e.latencyLow
		p95, p99, hi = p95*e.latency+0.4*e.p99Add, p99*e.latency+e.p99Add, hi*e.latency+e.p99Add
		if e.p99AtLeast > 0 {
			p99 = max(p99, 1.04*e.p99AtLeast)
		}
		p50, lo = round(p50, 2), round(lo, 2)
		p95 = max(round(p95, 2), p50)
		p99 = max(round(p99, 2), p95)
		hi = max(round(hi, 2), p99)
		lo = min(lo, p50)
		mean := round(p50+(0.25+0.1*uMean)*(p95-p50), 2)

		users := clampCount(math.Round(float64(reqs)/p.reqPerUser*math.Exp(eUsers)*e.users), reqs)
		ips := clampCount(math.Round(float64(users)*p.ipsPerUser*math.Exp(eIPs)*e.ipsPerUser), reqs)
		risk := round(min(max(p.risk+eRisk+e.riskShift, 0), 1), 4)
		highRisk := binomialQuantile(reqs, 0.02*math.Exp(12*(risk-p.risk)), uHigh)

		out[i] = Window{
			Service: p.name, Time: t, Step: cfg.Step,
			TotalRequests: reqs, FailedRequests: failed, ErrorRate: errorRate,
			LatencyMin: lo, LatencyP50: p50, LatencyP95: p95, LatencyP99: p99, LatencyMax: hi, LatencyMean: mean,
			UniqueUsers: users, UniqueIPs: ips,
			RiskScore: risk, HighRiskCount: highRisk,
		}
	}
	return out
}

// clampCount rounds x into [1, n] (0 when n is 0): a window with requests has at least one user
// and one IP, and never more than it has requests.
func clampCount(x float64, n int64) int64 {
	if n == 0 {
		return 0
	}
	return min(max(int64(x), 1), n)
}

// shape is the daily and weekly seasonal factor s(t) of the service at instant t, 1 at the
// weekday peak: w·(f + (1 − f)·a·b), with b = exp(−½(Δ/σ)²) the working-day bump (Δ the circular
// distance in hours from the peak hour), w the weekend level and a = 0.8 at weekends (1 on
// weekdays). shiftHours moves the daily
// shape; flat replaces b by its daily mean σ·√(2π)/24.
func (p profile) shape(t time.Time, shiftHours float64, flat bool) float64 {
	level, amplitude := 1.0, 1.0
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		level, amplitude = p.weekend, 0.8
	}
	var bump float64
	if flat {
		bump = p.width * math.Sqrt(2*math.Pi) / 24
	} else {
		hour := float64(t.Hour()) + float64(t.Minute())/60 + float64(t.Second())/3600 + shiftHours
		d := math.Abs(math.Mod(hour-p.peakHour, 24))
		d = min(d, 24-d)
		bump = math.Exp(-0.5 * (d / p.width) * (d / p.width))
	}
	return level * (p.night + (1-p.night)*amplitude*bump)
}
