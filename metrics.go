package omen

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Metrics is one service's aggregated window of request metrics, as Phase 4 publishes them.
// Timestamp is the start of the window, in UTC.
type Metrics struct {
	Service       string
	Timestamp     time.Time
	Window        time.Duration
	TotalRequests int64
	ErrorRate     float64 // percent of requests that failed, 0–100
	LatencyP50    float64 // milliseconds
	LatencyP95    float64
	LatencyP99    float64
	LatencyMean   float64
	UniqueUsers   int64
	UniqueIPs     int64
	RiskScore     float64 // mean risk score of the window's requests
}

// DefaultWindow is the window length assumed when a message does not state one.
const DefaultWindow = time.Hour

// MaxWindow is the longest window length accepted.
const MaxWindow = 366 * 24 * time.Hour

// MaxMetricValue is the largest latency, error rate or risk score accepted: far beyond any
// real measurement (10¹⁵ ms is 31,700 years), and small enough that the engines' sums of
// squares never overflow.
const MaxMetricValue = 1e15

// maxCount is the largest count accepted: 2⁵³, the largest integer a JSON number (a float64)
// carries exactly.
const maxCount = 1 << 53

// MaxServiceName is the longest service name accepted, the width of the service columns.
const MaxServiceName = 255

// FeatureNames names the entries of Metrics.Features, in order.
var FeatureNames = [8]string{
	"error_rate", "latency_p99_ms", "latency_p95_ms", "latency_mean_ms",
	"unique_users", "unique_ips", "risk_score", "total_requests",
}

// Features returns the window as the feature vector of the outlier and pattern models, in the
// order of FeatureNames (the original service's order).
func (m Metrics) Features() [8]float64 {
	return [8]float64{
		m.ErrorRate, m.LatencyP99, m.LatencyP95, m.LatencyMean,
		float64(m.UniqueUsers), float64(m.UniqueIPs), m.RiskScore, float64(m.TotalRequests),
	}
}

// Value returns the metric with the given feature name (see FeatureNames; also latency_p50_ms).
func (m Metrics) Value(metric string) (float64, bool) {
	switch metric {
	case "error_rate":
		return m.ErrorRate, true
	case "latency_p50_ms":
		return m.LatencyP50, true
	case "latency_p95_ms":
		return m.LatencyP95, true
	case "latency_p99_ms":
		return m.LatencyP99, true
	case "latency_mean_ms":
		return m.LatencyMean, true
	case "unique_users":
		return float64(m.UniqueUsers), true
	case "unique_ips":
		return float64(m.UniqueIPs), true
	case "risk_score":
		return m.RiskScore, true
	case "total_requests":
		return float64(m.TotalRequests), true
	}
	return 0, false
}

// ErrInvalidMetrics is wrapped by every error of DecodeMetrics and Metrics.Validate.
var ErrInvalidMetrics = errors.New("invalid metrics")

// ErrUndecodable is wrapped, together with ErrInvalidMetrics, by the errors of DecodeMetrics for
// a message that is not a JSON object or has a field of the wrong JSON type (a metric that is not
// a number), as opposed to one whose values are wrong (a negative count, a bad timestamp).
var ErrUndecodable = errors.New("undecodable message")

func undecodable(format string, args ...any) error {
	return fmt.Errorf("%w: %w: %s", ErrInvalidMetrics, ErrUndecodable, clipReason(fmt.Sprintf(format, args...)))
}

// maxReason bounds the reason of a metrics error, which quotes the input: a message of a
// megabyte must not make an error (and a dead letter's header) of a megabyte, or two.
const maxReason = 2 << 10

// clipReason returns reason, cut to at most maxReason bytes (at a character boundary, marked
// with "…") when longer.
func clipReason(reason string) string {
	if len(reason) <= maxReason {
		return reason
	}
	cut := maxReason - len("…")
	for cut > 0 && !utf8.RuneStart(reason[cut]) {
		cut--
	}
	return reason[:cut] + "…"
}

// ErrStaleWindow is wrapped, together with ErrInvalidMetrics, by the error for a window older
// than the last one the engine has seen of its service. Over Kafka such a window is almost always
// a redelivery, so the Processor entry points (Detector.Process, Alerter.Process) accept it
// without analysing it.
var ErrStaleWindow = errors.New("window older than the service's last")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidMetrics, clipReason(fmt.Sprintf(format, args...)))
}

// stale returns the error for window t of a service whose last window is last.
func stale(who, service string, t, last time.Time) error {
	return fmt.Errorf("%s%w: %w: the %s window of service %q is older than its last window, %s", who,
		ErrInvalidMetrics, ErrStaleWindow, t.Format(time.RFC3339), service, last.Format(time.RFC3339))
}

// Validate checks the window: a service name of 1–255 printable characters, a timestamp in the
// years 1678–2261 (UTC), a window of positive length up to MaxWindow, counts from 0 to 2⁵³, an
// error rate in [0, 100], and latencies and risk score from 0 to MaxMetricValue: exactly what
// MarshalJSON writes and DecodeMetrics reads back.
func (m Metrics) Validate() error {
	switch {
	case m.Service == "":
		return invalid("no service")
	case !utf8.ValidString(m.Service) || strings.IndexFunc(m.Service, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
		return invalid("service name %q has unprintable characters", m.Service)
	case utf8.RuneCountInString(m.Service) > MaxServiceName:
		return invalid("service name of %d characters, at most %d", utf8.RuneCountInString(m.Service), MaxServiceName)
	case m.Timestamp.IsZero():
		return invalid("no timestamp")
	case m.Timestamp.UTC().Year() < 1678 || m.Timestamp.UTC().Year() > 2261:
		// Beyond the years of int64 nanoseconds since 1970, which the engines count time in.
		return invalid("timestamp %s outside the years 1678–2261", m.Timestamp.UTC().Format(time.RFC3339))
	case m.Window <= 0 || m.Window > MaxWindow:
		return invalid("window %v, want a positive length up to %v", m.Window, MaxWindow)
	}
	for _, c := range []struct {
		name string
		v    int64
	}{{"total_requests", m.TotalRequests}, {"unique_users", m.UniqueUsers}, {"unique_ips", m.UniqueIPs}} {
		if c.v < 0 {
			return invalid("%s = %d is negative", c.name, c.v)
		}
		if c.v > maxCount {
			return invalid("%s = %d, above 2⁵³", c.name, c.v)
		}
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"error_rate", m.ErrorRate}, {"latency_p50_ms", m.LatencyP50}, {"latency_p95_ms", m.LatencyP95},
		{"latency_p99_ms", m.LatencyP99}, {"latency_mean_ms", m.LatencyMean}, {"risk_score", m.RiskScore}} {
		if !(f.v >= 0 && f.v <= MaxMetricValue) {
			return invalid("%s = %v, want a number from 0 to %g", f.name, f.v, MaxMetricValue)
		}
	}
	if m.ErrorRate > 100 {
		return invalid("error_rate = %v%%, above 100%%", m.ErrorRate)
	}
	return nil
}

// flatMetrics is the documented flat message shape, which MarshalJSON writes.
type flatMetrics struct {
	Service       string          `json:"service"`
	Timestamp     string          `json:"timestamp"`
	Window        any             `json:"window,omitempty"`
	TotalRequests json.RawMessage `json:"total_requests"`
	ErrorRate     json.RawMessage `json:"error_rate"`
	LatencyP50    json.RawMessage `json:"latency_p50_ms,omitempty"`
	LatencyP95    json.RawMessage `json:"latency_p95_ms"`
	LatencyP99    json.RawMessage `json:"latency_p99_ms"`
	LatencyMean   json.RawMessage `json:"latency_mean_ms"`
	UniqueUsers   json.RawMessage `json:"unique_users"`
	UniqueIPs     json.RawMessage `json:"unique_ips"`
	RiskScore     json.RawMessage `json:"risk_score"`
}

// phase4Details is the part of a real Phase 4 alert that carries a window's metrics.
type phase4Details struct {
	Service       string          `json:"service"`
	Timestamp     string          `json:"timestamp"`
	Window        any             `json:"window"`
	TotalRequests json.RawMessage `json:"total_requests"`
	ErrorRate     json.RawMessage `json:"error_rate"`
	LatencyP50    json.RawMessage `json:"latency_p50"`
	LatencyP95    json.RawMessage `json:"latency_p95"`
	LatencyP99    json.RawMessage `json:"latency_p99"`
	LatencyMean   json.RawMessage `json:"latency_mean"`
	UniqueUsers   json.RawMessage `json:"unique_users"`
	UniqueIPs     json.RawMessage `json:"unique_ips"`
	AvgRiskScore  json.RawMessage `json:"avg_risk_score"`
}

// MarshalJSON writes the documented flat shape, the timestamp in RFC 3339 UTC and the window in
// decimal seconds ("3600s", "0.05s"); DecodeMetrics reads a valid window back exactly.
func (m Metrics) MarshalJSON() ([]byte, error) {
	num := func(v float64) json.RawMessage { return strconv.AppendFloat(nil, v, 'g', -1, 64) }
	count := func(v int64) json.RawMessage { return strconv.AppendInt(nil, v, 10) }
	return json.Marshal(flatMetrics{
		Service:       m.Service,
		Timestamp:     m.Timestamp.UTC().Format(time.RFC3339Nano),
		Window:        formatSeconds(m.Window),
		TotalRequests: count(m.TotalRequests),
		ErrorRate:     num(m.ErrorRate),
		LatencyP50:    num(m.LatencyP50),
		LatencyP95:    num(m.LatencyP95),
		LatencyP99:    num(m.LatencyP99),
		LatencyMean:   num(m.LatencyMean),
		UniqueUsers:   count(m.UniqueUsers),
		UniqueIPs:     count(m.UniqueIPs),
		RiskScore:     num(m.RiskScore),
	})
}

// UnmarshalJSON decodes either accepted shape; see DecodeMetrics.
func (m *Metrics) UnmarshalJSON(data []byte) error {
	got, err := DecodeMetrics(data)
	if err != nil {
		return err
	}
	*m = got
	return nil
}

// DecodeMetrics decodes one analytics message in either accepted shape and validates it:
//
//   - the real Phase 4 alert, whose metrics are nested under "details" (latency_p99, latency_p95,
//     latency_p50, latency_mean, avg_risk_score, error_rate, total_requests, unique_users,
//     unique_ips, timestamp, window); the window's timestamp is details.timestamp, or triggered_at
//     when that is absent;
//   - the documented flat shape (service, timestamp, window, total_requests, error_rate,
//     latency_p99_ms, latency_p95_ms, latency_p50_ms, latency_mean_ms, unique_users, unique_ips,
//     risk_score).
//
// Timestamps are RFC 3339 or ISO 8601 with or without a zone ("Z", an offset, or none, meaning
// UTC), with "T" or a space between date and time. A window is "1hour", "5min", "1min", a Go
// duration such as "3600s" or "1h", or a number of seconds; absent, it is DefaultWindow. A missing
// metric field (or null) is zero; a present one must be a JSON number. Counts must be non-negative
// integers.
// Common messages are read by a single-pass scanner (scanShape), the others by encoding/json, with
// the same result. Every error wraps ErrInvalidMetrics and says what is wrong; one for a message that is not a JSON
// object or has a field of the wrong JSON type also wraps ErrUndecodable.
func DecodeMetrics(data []byte) (Metrics, error) {
	var msg anyShape
	if !scanShape(data, &msg) {
		msg = anyShape{}
		if err := json.Unmarshal(data, &msg); err != nil {
			var typeErr *json.UnmarshalTypeError
			if errors.As(err, &typeErr) && typeErr.Field != "" {
				return Metrics{}, undecodable("%s is a JSON %s", typeErr.Field, typeErr.Value)
			}
			return Metrics{}, undecodable("not a JSON object: %v", err)
		}
		if bytes.Equal(bytes.TrimSpace(data), []byte("null")) { // which encoding/json accepts
			return Metrics{}, undecodable("not a JSON object: null")
		}
	}
	return msg.window()
}

// window parses and validates the window of a decoded message.
func (msg *anyShape) window() (Metrics, error) {
	var m Metrics
	var err error
	if det := msg.Details; det != nil {
		m, err = rawWindow{cmp.Or(msg.Service, det.Service), cmp.Or(det.Timestamp, msg.TriggeredAt), det.Window, [9]json.RawMessage{
			det.TotalRequests, det.ErrorRate, det.LatencyP50, det.LatencyP95, det.LatencyP99, det.LatencyMean,
			det.UniqueUsers, det.UniqueIPs, det.AvgRiskScore,
		}}.parse(phase4Names)
	} else {
		f := &msg.flatMetrics
		m, err = rawWindow{f.Service, f.Timestamp, f.Window, [9]json.RawMessage{
			f.TotalRequests, f.ErrorRate, f.LatencyP50, f.LatencyP95, f.LatencyP99, f.LatencyMean,
			f.UniqueUsers, f.UniqueIPs, f.RiskScore,
		}}.parse(flatNames)
	}
	if err != nil {
		return Metrics{}, err
	}
	return m, m.Validate()
}

// anyShape holds a message of either shape after one pass of the JSON decoder: the flat fields,
// and for a Phase 4 alert its triggered_at and details ("details": null means the flat shape).
type anyShape struct {
	flatMetrics
	TriggeredAt string         `json:"triggered_at"`
	Details     *phase4Details `json:"details"`
}

// rawWindow is a message of either shape before its cells are parsed: the numbers in the order
// total_requests, error_rate, p50, p95, p99, mean, users, IPs, risk score.
type rawWindow struct {
	service, timestamp string
	window             any
	numbers            [9]json.RawMessage
}

// The field names of rawWindow.numbers in each shape, for error messages.
var (
	flatNames   = [9]string{"total_requests", "error_rate", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "latency_mean_ms", "unique_users", "unique_ips", "risk_score"}
	phase4Names = [9]string{"details.total_requests", "details.error_rate", "details.latency_p50", "details.latency_p95", "details.latency_p99", "details.latency_mean", "details.unique_users", "details.unique_ips", "details.avg_risk_score"}
)

// parse turns the cells into a window, naming a bad cell by its field in names.
func (r rawWindow) parse(names [9]string) (Metrics, error) {
	m := Metrics{Service: r.service}
	var err error
	if m.Timestamp, err = parseTimestamp(r.timestamp); err != nil {
		return Metrics{}, err
	}
	if m.Window, err = parseWindow(r.window); err != nil {
		return Metrics{}, err
	}
	d := numberDecoder{}
	m.TotalRequests = d.count(names[0], r.numbers[0])
	m.ErrorRate = d.float(names[1], r.numbers[1])
	m.LatencyP50 = d.float(names[2], r.numbers[2])
	m.LatencyP95 = d.float(names[3], r.numbers[3])
	m.LatencyP99 = d.float(names[4], r.numbers[4])
	m.LatencyMean = d.float(names[5], r.numbers[5])
	m.UniqueUsers = d.count(names[6], r.numbers[6])
	m.UniqueIPs = d.count(names[7], r.numbers[7])
	m.RiskScore = d.float(names[8], r.numbers[8])
	return m, d.err
}

// numberDecoder parses JSON numbers and keeps the first error.
type numberDecoder struct{ err error }

func (d *numberDecoder) float(name string, raw json.RawMessage) float64 {
	if len(raw) == 0 || string(raw) == "null" || d.err != nil {
		return 0
	}
	if c := raw[0]; c != '-' && (c < '0' || c > '9') {
		d.err = undecodable("%s = %s is not a number", name, raw)
		return 0
	}
	v, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		d.err = invalid("%s = %s is not a finite number", name, raw)
	}
	return v
}

func (d *numberDecoder) count(name string, n json.RawMessage) int64 {
	v := d.float(name, n)
	if d.err != nil {
		return 0
	}
	if v < 0 || v != math.Trunc(v) || v > maxCount {
		d.err = invalid("%s = %s, want a non-negative integer", name, n)
		return 0
	}
	return int64(v)
}

// formatSeconds writes a positive duration as exact decimal seconds: "3600s", "0.00005s".
func formatSeconds(d time.Duration) string {
	s := strconv.FormatInt(int64(d/time.Second), 10)
	if ns := int64(d % time.Second); ns != 0 {
		s += "." + strings.TrimRight(fmt.Sprintf("%09d", ns), "0")
	}
	return s + "s"
}

// timestampLayouts are tried in order; those without a zone are read as UTC.
var timestampLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
}

// parseTimestamp reads an ISO 8601 timestamp and returns it in UTC.
func parseTimestamp(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, invalid("no timestamp")
	}
	for _, layout := range timestampLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, invalid("timestamp %q is not ISO 8601", s)
}

// parseWindow reads a window length: "1hour", "5min", "1min", "30sec", a Go duration, or a JSON
// number of seconds. Absent means DefaultWindow.
func parseWindow(w any) (time.Duration, error) {
	switch v := w.(type) {
	case nil:
		return DefaultWindow, nil
	case float64:
		if !(v > 0 && v <= MaxWindow.Seconds()) {
			return 0, invalid("window of %v seconds", v)
		}
		return time.Duration(v * float64(time.Second)), nil
	case string:
		s := strings.TrimSpace(strings.ToLower(v))
		for _, u := range []struct {
			suffix string
			unit   time.Duration
		}{{"hours", time.Hour}, {"hour", time.Hour}, {"mins", time.Minute}, {"min", time.Minute}, {"sec", time.Second}} {
			if num, ok := strings.CutSuffix(s, u.suffix); ok {
				if n, err := strconv.Atoi(num); err == nil && n > 0 && n <= int(MaxWindow/u.unit) {
					return time.Duration(n) * u.unit, nil
				}
			}
		}
		if d, err := time.ParseDuration(s); err == nil && d > 0 && d <= MaxWindow {
			return d, nil
		}
		return 0, invalid("window %q is not a length such as 1hour, 5min or 3600s", v)
	}
	return 0, invalid("window %v is not a length", w)
}
