package servicegen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Shape selects the message shape WriteJSONLines writes.
type Shape int

// The accepted message shapes of the analytics-alerts topic (DESIGN.md, "Messages").
const (
	// Flat is the documented flat shape: service, timestamp, window, total_requests, error_rate,
	// latency_p99_ms, latency_p95_ms, latency_mean_ms, unique_users, unique_ips, risk_score.
	Flat Shape = iota
	// Phase4 is the real Phase 4 alert: the rule fields, service and triggered_at at the top level
	// and the full window under details.
	Phase4
	// Mixed writes one window in eight in the Phase 4 shape and the others flat, rotating over the
	// services: the k-th window of the s-th service of Stream.Services is a Phase 4 alert when
	// (k + s) mod 8 = 7. A replay thus exercises both decoders on every service, and with eight
	// services every step carries exactly one Phase 4 alert.
	Mixed
)

// String returns "flat", "phase4" or "mixed".
func (s Shape) String() string {
	switch s {
	case Flat:
		return "flat"
	case Phase4:
		return "phase4"
	case Mixed:
		return "mixed"
	}
	return "Shape(" + strconv.Itoa(int(s)) + ")"
}

// flatMessage is the documented flat shape (ORIGINAL-SYSTEM.md §2.2).
type flatMessage struct {
	Service       string  `json:"service"`
	Timestamp     string  `json:"timestamp"`
	Window        string  `json:"window"`
	TotalRequests int64   `json:"total_requests"`
	ErrorRate     float64 `json:"error_rate"`
	LatencyP99    float64 `json:"latency_p99_ms"`
	LatencyP95    float64 `json:"latency_p95_ms"`
	LatencyMean   float64 `json:"latency_mean_ms"`
	UniqueUsers   int64   `json:"unique_users"`
	UniqueIPs     int64   `json:"unique_ips"`
	RiskScore     float64 `json:"risk_score"`
}

// phase4Alert is the Phase 4 alert as it would be published once its enum and datetimes are made
// serialisable (ORIGINAL-SYSTEM.md §2.1).
type phase4Alert struct {
	AlertID     string        `json:"alert_id"`
	RuleID      string        `json:"rule_id"`
	RuleName    string        `json:"rule_name"`
	Service     string        `json:"service"`
	Severity    string        `json:"severity"`
	Metric      string        `json:"metric"`
	Value       float64       `json:"value"`
	Threshold   float64       `json:"threshold"`
	TriggeredAt string        `json:"triggered_at"`
	ResolvedAt  *string       `json:"resolved_at"`
	Status      string        `json:"status"`
	Message     string        `json:"message"`
	Details     phase4Metrics `json:"details"`
}

// phase4Metrics is Phase 4's ServiceMetrics.to_dict().
type phase4Metrics struct {
	Service            string  `json:"service"`
	Timestamp          string  `json:"timestamp"`
	Window             string  `json:"window"`
	TotalRequests      int64   `json:"total_requests"`
	SuccessfulRequests int64   `json:"successful_requests"`
	FailedRequests     int64   `json:"failed_requests"`
	ErrorRate          float64 `json:"error_rate"`
	LatencyMin         float64 `json:"latency_min"`
	LatencyP50         float64 `json:"latency_p50"`
	LatencyP95         float64 `json:"latency_p95"`
	LatencyP99         float64 `json:"latency_p99"`
	LatencyMax         float64 `json:"latency_max"`
	LatencyMean        float64 `json:"latency_mean"`
	UniqueUsers        int64   `json:"unique_users"`
	UniqueIPs          int64   `json:"unique_ips"`
	AvgRiskScore       float64 `json:"avg_risk_score"`
	HighRiskCount      int64   `json:"high_risk_count"`
	AggregatedAt       string  `json:"aggregated_at"`
}

// WriteJSONLines writes every window of s as one analytics message per line, in the given shape,
// in Stream order. The flat shape stamps the window start in RFC 3339 UTC ("…Z") and the window
// length in seconds ("3600s"); the Phase 4 shape uses naive UTC timestamps as Python's isoformat
// prints them, details.timestamp being the window start and triggered_at and aggregated_at its end,
// and Phase 4's window names ("1min", "5min", "1hour"; other steps in seconds).
//
// A Phase 4 alert names the most severe rule the window breaches (error rate > 20 % critical,
// > 5 % warning, p99 > 500 ms warning). Phase 4 only publishes breaches, but a replay needs every
// window, so a window that breaches nothing carries the error-rate rule with status "resolved".
func WriteJSONLines(w io.Writer, s Stream, shape Shape) error {
	if shape < Flat || shape > Mixed {
		panic(fmt.Sprintf("servicegen: unknown shape %d", int(shape)))
	}
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	seen := make(map[string]int, len(s.Services)) // per service: its index, then windows written
	for i, name := range s.Services {
		seen[name] = i
	}
	for i, win := range s.Windows {
		var msg any = flatOf(win)
		if shape == Phase4 || shape == Mixed && seen[win.Service]%8 == 7 {
			msg = phase4Of(win)
		}
		seen[win.Service]++
		if err := enc.Encode(msg); err != nil {
			return fmt.Errorf("servicegen: writing window %d: %w", i, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("servicegen: writing windows: %w", err)
	}
	return nil
}

func flatOf(w Window) flatMessage {
	return flatMessage{
		Service:       w.Service,
		Timestamp:     w.Time.UTC().Format(time.RFC3339Nano),
		Window:        strconv.FormatInt(int64(w.Step/time.Second), 10) + "s",
		TotalRequests: w.TotalRequests,
		ErrorRate:     w.ErrorRate,
		LatencyP99:    w.LatencyP99,
		LatencyP95:    w.LatencyP95,
		LatencyMean:   w.LatencyMean,
		UniqueUsers:   w.UniqueUsers,
		UniqueIPs:     w.UniqueIPs,
		RiskScore:     w.RiskScore,
	}
}

// naive formats t as Python's datetime.isoformat of a naive UTC datetime: the microseconds in six
// digits when there are any ("…00.500000", where Go's .999999 would drop the zeros).
func naive(t time.Time) string {
	t = t.UTC()
	s := t.Format("2006-01-02T15:04:05")
	if us := t.Nanosecond() / 1000; us != 0 {
		s += fmt.Sprintf(".%06d", us)
	}
	return s
}

// phase4Window names a window length as Phase 4 does.
func phase4Window(step time.Duration) string {
	switch step {
	case time.Minute:
		return "1min"
	case 5 * time.Minute:
		return "5min"
	case time.Hour:
		return "1hour"
	}
	return strconv.FormatInt(int64(step/time.Second), 10) + "s"
}

func phase4Of(w Window) phase4Alert {
	ruleID, name, severity, metric, value, threshold := "rule_error_rate_high", "High Error Rate", "warning", "error_rate", w.ErrorRate, errorRateThreshold
	switch {
	case w.ErrorRate > 20:
		ruleID, name, severity, threshold = "rule_error_rate_critical", "Critical Error Rate", "critical", 20
	case w.ErrorRate > errorRateThreshold:
	case w.LatencyP99 > latencyP99Threshold:
		ruleID, name, metric, value, threshold = "rule_latency_p99_high", "High P99 Latency", "latency_p99", w.LatencyP99, latencyP99Threshold
	}
	status, op := "active", ">"
	if value <= threshold {
		status, op = "resolved", "<="
	}
	end := naive(w.Time.Add(w.Step))
	return phase4Alert{
		AlertID:     ruleID + "_" + w.Service + "_" + strconv.FormatInt(w.Time.Add(w.Step).Unix(), 10),
		RuleID:      ruleID,
		RuleName:    name,
		Service:     w.Service,
		Severity:    severity,
		Metric:      metric,
		Value:       value,
		Threshold:   threshold,
		TriggeredAt: end,
		Status:      status,
		Message:     fmt.Sprintf("%s: %s=%s %s %s", name, metric, strconv.FormatFloat(value, 'g', -1, 64), op, strconv.FormatFloat(threshold, 'f', 1, 64)),
		Details: phase4Metrics{
			Service:            w.Service,
			Timestamp:          naive(w.Time),
			Window:             phase4Window(w.Step),
			TotalRequests:      w.TotalRequests,
			SuccessfulRequests: w.TotalRequests - w.FailedRequests,
			FailedRequests:     w.FailedRequests,
			ErrorRate:          w.ErrorRate,
			LatencyMin:         w.LatencyMin,
			LatencyP50:         w.LatencyP50,
			LatencyP95:         w.LatencyP95,
			LatencyP99:         w.LatencyP99,
			LatencyMax:         w.LatencyMax,
			LatencyMean:        w.LatencyMean,
			UniqueUsers:        w.UniqueUsers,
			UniqueIPs:          w.UniqueIPs,
			AvgRiskScore:       w.RiskScore,
			HighRiskCount:      w.HighRiskCount,
			AggregatedAt:       end,
		},
	}
}
