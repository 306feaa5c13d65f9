package servicegen

import (
	"slices"
	"time"
)

// Metric names one metric of a window. The names are those of the documented flat message shape
// (DESIGN.md), plus latency_p50_ms.
type Metric string

// The metrics of a window.
const (
	TotalRequests Metric = "total_requests"
	ErrorRate     Metric = "error_rate"
	LatencyP50    Metric = "latency_p50_ms"
	LatencyP95    Metric = "latency_p95_ms"
	LatencyP99    Metric = "latency_p99_ms"
	LatencyMean   Metric = "latency_mean_ms"
	UniqueUsers   Metric = "unique_users"
	UniqueIPs     Metric = "unique_ips"
	RiskScore     Metric = "risk_score"
)

// Metrics lists every Metric in a fixed order.
var Metrics = []Metric{TotalRequests, ErrorRate, LatencyP50, LatencyP95, LatencyP99, LatencyMean, UniqueUsers, UniqueIPs, RiskScore}

// Metric groups that incidents affect together.
var (
	latencyMetrics = []Metric{LatencyP50, LatencyP95, LatencyP99, LatencyMean}
	trafficMetrics = []Metric{TotalRequests, UniqueUsers, UniqueIPs}
)

// Kind is the kind of a labelled incident. The comment of each kind gives its duration in windows
// and the meaning of Incident.Magnitude.
type Kind string

// The incident kinds.
const (
	// ErrorSpike: the error rate jumps to Magnitude percent (5–30) for 1–3 windows.
	ErrorSpike Kind = "error_spike"
	// LatencySpike: p95, p99 and the maximum are multiplied by Magnitude (3–10), the median by
	// 1 + (Magnitude−1)/4, for 1–3 windows; the mean, which lies between the median and p95,
	// grows between the two factors.
	LatencySpike Kind = "latency_spike"
	// LatencyDip: every latency is multiplied by Magnitude (0.2–0.4) for 1–3 windows, as when a
	// cache answers with fast errors.
	LatencyDip Kind = "latency_dip"
	// TrafficDip: the requests (and so the users and IPs) fall to Magnitude (0.1–0.3) of normal
	// for 1–3 windows.
	TrafficDip Kind = "traffic_dip"
	// LevelShift: one metric group moves to a new level, Magnitude times normal, for 24–72
	// windows, then returns (a bad deploy rolled back): latency ×1.6–2.5, error rate ×3–5, or
	// traffic ×0.5–0.7 or ×1.5–2.
	LevelShift Kind = "level_shift"
	// Ramp: a slow ramp towards a threshold. The error rate (or, for services with headroom, the
	// p99 latency) rises linearly over 8–24 windows from normal to Magnitude (error rate 6.5–9 %,
	// p99 580–700 ms), then holds for 1–2 windows. Threshold is the alerting threshold (5 % or
	// 500 ms) and Cross the first window whose observed value exceeds it; the last ramp window
	// always does.
	Ramp Kind = "ramp"
	// VarianceChange: the noise of the latency or of the requests is multiplied by Magnitude (3)
	// for 12–36 windows; the level is unchanged.
	VarianceChange Kind = "variance_change"
	// PatternChange: the joint behaviour changes for 12–36 windows: IPs per user rise by the
	// factor Magnitude (1.25–1.4) while users fall by 8 % and the risk score rises by 0.03, so
	// each metric alone stays within its usual range.
	PatternChange Kind = "pattern_change"
	// SeasonalityBreak: for 24 windows (a day of hourly windows, starting at midnight UTC when a
	// window does) the daily shape of the traffic vanishes (Magnitude 0: flat at the daily mean) or
	// shifts by Magnitude hours (±4–8).
	SeasonalityBreak Kind = "seasonality_break"
)

// Kinds lists every Kind in a fixed order.
var Kinds = []Kind{ErrorSpike, LatencySpike, LatencyDip, TrafficDip, LevelShift, Ramp, VarianceChange, PatternChange, SeasonalityBreak}

// Incident is the label of one incident on one service.
type Incident struct {
	Service string   `json:"service"`
	Kind    Kind     `json:"kind"`
	Metrics []Metric `json:"metrics"` // the metrics the incident changes

	// Start and End are the timestamps of the first and the last affected window (inclusive).
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`

	// Magnitude is the size of the incident; its meaning depends on Kind.
	Magnitude float64 `json:"magnitude"`

	// Threshold and Cross are set for ramps only: the alerting threshold of the ramped metric and
	// the first window whose value exceeds it.
	Threshold float64    `json:"threshold,omitempty"`
	Cross     *time.Time `json:"cross,omitempty"`

	// Description says what happens in words.
	Description string `json:"description"`
}

// Affects reports whether the incident changes metric m.
func (in Incident) Affects(m Metric) bool { return slices.Contains(in.Metrics, m) }

// Covers reports whether the window starting at t lies within [Start, End + tolerance].
func (in Incident) Covers(t time.Time, tolerance time.Duration) bool {
	return !t.Before(in.Start) && !t.After(in.End.Add(tolerance))
}
