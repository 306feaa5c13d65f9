package omen

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// phase4Message is the real Phase 4 alert of ../shared/seed/ORIGINAL-SYSTEM.md §2.1.
const phase4Message = `{"alert_id": "rule_error_rate_high_api_1705314600", "rule_id": "rule_error_rate_high", "rule_name": "High Error Rate",
 "service": "api", "severity": "warning", "metric": "error_rate", "value": 30.0, "threshold": 5.0,
 "triggered_at": "2024-01-15T10:30:00.551048", "resolved_at": null, "status": "active",
 "message": "High Error Rate: error_rate=30.0 > 5.0",
 "details": {"service": "api", "timestamp": "2024-01-15T10:30:00.550878", "window": "1hour", "total_requests": 100,
  "successful_requests": 70, "failed_requests": 30, "error_rate": 30.0, "latency_min": 100, "latency_p50": 350,
  "latency_p95": 575, "latency_p99": 595, "latency_max": 595, "latency_mean": 347.5, "unique_users": 7,
  "unique_ips": 5, "avg_risk_score": 0.35, "high_risk_count": 25, "aggregated_at": "2024-01-15T10:30:00.550899"}}`

// flatMessage is the documented flat shape of ORIGINAL-SYSTEM.md §2.2.
const flatMessage = `{"service":"api","timestamp":"2024-01-15T10:30:00Z","window":"3600s","total_requests":10000,"error_rate":0.5,
"latency_p99_ms":150,"latency_p95_ms":100,"latency_mean_ms":50,"unique_users":1000,"unique_ips":500,"risk_score":0.3}`

func TestDecodeMetricsShapes(t *testing.T) {
	tests := []struct {
		name string
		msg  string
		want Metrics
	}{
		{"phase 4 alert", phase4Message, Metrics{
			Service: "api", Timestamp: time.Date(2024, 1, 15, 10, 30, 0, 550878000, time.UTC), Window: time.Hour,
			TotalRequests: 100, ErrorRate: 30, LatencyP50: 350, LatencyP95: 575, LatencyP99: 595, LatencyMean: 347.5,
			UniqueUsers: 7, UniqueIPs: 5, RiskScore: 0.35,
		}},
		{"flat", flatMessage, Metrics{
			Service: "api", Timestamp: time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC), Window: time.Hour,
			TotalRequests: 10000, ErrorRate: 0.5, LatencyP95: 100, LatencyP99: 150, LatencyMean: 50,
			UniqueUsers: 1000, UniqueIPs: 500, RiskScore: 0.3,
		}},
		{"phase 4 without details.timestamp uses triggered_at", `{"service":"web","triggered_at":"2024-01-15T10:00:00","details":{"window":"5min","total_requests":3}}`,
			Metrics{Service: "web", Timestamp: time.Date(2024, 1, 15, 10, 0, 0, 0, time.UTC), Window: 5 * time.Minute, TotalRequests: 3}},
		{"offset zone, numeric window", `{"service":"db","timestamp":"2024-01-15T12:30:00+02:00","window":300,"total_requests":1e3}`,
			Metrics{Service: "db", Timestamp: time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC), Window: 5 * time.Minute, TotalRequests: 1000}},
		{"space separator, no window", `{"service":"db","timestamp":"2024-01-15 10:30:00"}`,
			Metrics{Service: "db", Timestamp: time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC), Window: time.Hour}},
		{"null details is the flat shape", `{"service":"x","timestamp":"2024-01-15T10:30:00Z","details":null,"window":"1min"}`,
			Metrics{Service: "x", Timestamp: time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC), Window: time.Minute}},
	}
	for _, tt := range tests {
		got, err := DecodeMetrics([]byte(tt.msg))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: (-want +got)\n%s", tt.name, diff)
		}
	}
}

func TestDecodeMetricsRejects(t *testing.T) {
	tests := []struct {
		name, msg, reason string
	}{
		{"not JSON", `{"service":`, "not a JSON object"},
		{"array", `[1,2]`, "not a JSON object"},
		{"no service", `{"timestamp":"2024-01-15T10:30:00Z"}`, "no service"},
		{"empty details service", `{"details":{"timestamp":"2024-01-15T10:30:00Z"}}`, "no service"},
		{"no timestamp", `{"service":"api"}`, "no timestamp"},
		{"bad timestamp", `{"service":"api","timestamp":"yesterday"}`, `timestamp "yesterday" is not ISO 8601`},
		{"year 2999", `{"service":"api","timestamp":"2999-01-15T10:30:00Z"}`, "timestamp 2999-01-15T10:30:00Z outside the years 1678–2261"},
		{"year 1600", `{"service":"api","timestamp":"1600-01-15T10:30:00Z"}`, "outside the years 1678–2261"},
		{"negative count", `{"service":"api","timestamp":"2024-01-15T10:30:00Z","total_requests":-1}`, "total_requests = -1, want a non-negative integer"},
		{"fractional count", `{"service":"api","timestamp":"2024-01-15T10:30:00Z","unique_users":2.5}`, "unique_users = 2.5"},
		{"overflowing number", `{"service":"api","timestamp":"2024-01-15T10:30:00Z","error_rate":1e999}`, "error_rate = 1e999 is not a finite number"},
		{"string metric", `{"service":"api","timestamp":"2024-01-15T10:30:00Z","error_rate":"high"}`, `error_rate = "high" is not a number`},
		{"numeric string", `{"service":"api","timestamp":"2024-01-15T10:30:00Z","total_requests":"12"}`, `total_requests = "12" is not a number`},
		{"boolean metric", `{"service":"api","timestamp":"2024-01-15T10:30:00Z","unique_users":true}`, `unique_users = true is not a number`},
		{"string phase 4 metric", `{"service":"api","details":{"timestamp":"2024-01-15T10:30:00","latency_p99":"slow"}}`, `details.latency_p99 = "slow" is not a number`},
		{"numeric service", `{"service":42,"timestamp":"2024-01-15T10:30:00Z"}`, "service is a JSON number"},
		{"negative latency", `{"service":"api","timestamp":"2024-01-15T10:30:00Z","latency_p99_ms":-5}`, "latency_p99_ms = -5"},
		{"error rate over 100", `{"service":"api","timestamp":"2024-01-15T10:30:00Z","error_rate":130}`, "above 100%"},
		{"bad window", `{"service":"api","timestamp":"2024-01-15T10:30:00Z","window":"soon"}`, `window "soon"`},
		{"zero window", `{"service":"api","timestamp":"2024-01-15T10:30:00Z","window":0}`, "window of 0 seconds"},
		{"long service", `{"service":"` + strings.Repeat("ü", 256) + `","timestamp":"2024-01-15T10:30:00Z"}`, "service name of 256 characters"},
		{"null", `null`, "not a JSON object"},
		{"long window", `{"service":"api","timestamp":"2024-01-15T10:30:00Z","window":"8785h"}`, `window "8785h"`},
		{"huge count", `{"service":"api","timestamp":"2024-01-15T10:30:00Z","total_requests":9007199254740994}`, "want a non-negative integer"},
		{"control characters", `{"service":"a\u0000b","timestamp":"2024-01-15T10:30:00Z"}`, "unprintable"},
		{"negative phase 4 count", `{"service":"api","details":{"timestamp":"2024-01-15T10:30:00","unique_ips":-3}}`, "details.unique_ips = -3"},
	}
	undecodable := map[string]bool{"not JSON": true, "array": true, "null": true, "string metric": true, "numeric string": true,
		"boolean metric": true, "string phase 4 metric": true, "numeric service": true}
	for _, tt := range tests {
		_, err := DecodeMetrics([]byte(tt.msg))
		if !errors.Is(err, ErrInvalidMetrics) {
			t.Errorf("%s: error %v, want ErrInvalidMetrics", tt.name, err)
			continue
		}
		if got := errors.Is(err, ErrUndecodable); got != undecodable[tt.name] {
			t.Errorf("%s: errors.Is(%v, ErrUndecodable) = %v", tt.name, err, got)
		}
		if !strings.Contains(err.Error(), tt.reason) {
			t.Errorf("%s: error %q does not say %q", tt.name, err, tt.reason)
		}
	}
}

func TestMetricsJSONRoundTrip(t *testing.T) {
	m, err := DecodeMetrics([]byte(phase4Message))
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"service":"api","timestamp":"2024-01-15T10:30:00.550878Z","window":"3600s","total_requests":100,"error_rate":30,"latency_p50_ms":350,"latency_p95_ms":575,"latency_p99_ms":595,"latency_mean_ms":347.5,"unique_users":7,"unique_ips":5,"risk_score":0.35}`
	if string(data) != want {
		t.Errorf("encoding:\n got %s\nwant %s", data, want)
	}
	var back Metrics
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(m, back); diff != "" {
		t.Errorf("round trip (-want +got)\n%s", diff)
	}
}

func TestFeaturesOrder(t *testing.T) {
	m := Metrics{ErrorRate: 1, LatencyP99: 2, LatencyP95: 3, LatencyMean: 4, UniqueUsers: 5, UniqueIPs: 6, RiskScore: 7, TotalRequests: 8}
	f := m.Features()
	for i, name := range FeatureNames {
		v, ok := m.Value(name)
		if !ok || v != f[i] || v != float64(i+1) {
			t.Errorf("feature %d (%s) = %v, Value = %v %v", i, name, f[i], v, ok)
		}
	}
	if _, ok := m.Value("latency_p42"); ok {
		t.Error("Value accepted an unknown metric")
	}
}

func FuzzDecodeMetrics(f *testing.F) {
	f.Add([]byte(phase4Message))
	f.Add([]byte(flatMessage))
	f.Add([]byte(`{"service":"a","timestamp":"2024-01-15 10:30:00","window":"1hour"}`))
	f.Add([]byte(`{"details":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeMetrics(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidMetrics) {
				t.Fatalf("error %v does not wrap ErrInvalidMetrics", err)
			}
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("decoded an invalid window: %v", err)
		}
		// What decodes re-encodes and decodes to the same window.
		enc, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeMetrics(enc)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", enc, err)
		}
		if !back.Timestamp.Equal(m.Timestamp) || back.Service != m.Service || back.TotalRequests != m.TotalRequests || back.Window != m.Window {
			t.Fatalf("round trip changed the window: %+v → %+v", m, back)
		}
	})
}

func BenchmarkDecodeMetrics(b *testing.B) {
	for _, bm := range []struct{ name, msg string }{{"phase4", phase4Message}, {"flat", flatMessage}} {
		b.Run(bm.name, func(b *testing.B) {
			data := []byte(bm.msg)
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := DecodeMetrics(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestMetricsValidIsDecodable: every window that Validate accepts, at the edges of its limits,
// encodes to JSON that DecodeMetrics reads back unchanged (a detector snapshot keeps its last
// windows as JSON: a window Validate accepted but DecodeMetrics refused made the service's
// snapshot unrestorable). Just beyond the limits, Validate refuses.
func TestMetricsValidIsDecodable(t *testing.T) {
	base := Metrics{Service: "api", Timestamp: time.Date(2024, 1, 15, 10, 0, 0, 0, time.UTC), Window: time.Hour}
	edges := map[string]func(m *Metrics){
		"two weeks":         func(m *Metrics) { m.Window = 336 * time.Hour },
		"longest window":    func(m *Metrics) { m.Window = MaxWindow },
		"50 µs":             func(m *Metrics) { m.Window = 50 * time.Microsecond },
		"1 ns":              func(m *Metrics) { m.Window = 1 },
		"hour and 1 ns":     func(m *Metrics) { m.Window = time.Hour + 1 },
		"2⁵³ requests":      func(m *Metrics) { m.TotalRequests = 1 << 53 },
		"255 characters":    func(m *Metrics) { m.Service = strings.Repeat("ü", 255) },
		"last year in UTC":  func(m *Metrics) { m.Timestamp = time.Date(2261, 12, 31, 23, 0, 0, 0, time.UTC) },
		"first year in UTC": func(m *Metrics) { m.Timestamp = time.Date(1678, 1, 1, 0, 0, 0, 0, time.UTC) },
	}
	for name, edit := range edges {
		m := base
		edit(&m)
		if err := m.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		data, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeMetrics(data)
		if err != nil {
			t.Errorf("%s: %s does not decode: %v", name, data, err)
			continue
		}
		if !back.Timestamp.Equal(m.Timestamp) || back.Window != m.Window || back.TotalRequests != m.TotalRequests || back.Service != m.Service {
			t.Errorf("%s: decoded %+v, want %+v", name, back, m)
		}
	}
	beyond := map[string]func(m *Metrics){
		"window beyond the longest": func(m *Metrics) { m.Window = MaxWindow + 1 },
		"2⁵³ + 1 requests":          func(m *Metrics) { m.UniqueUsers = 1<<53 + 1 },
		"256 characters":            func(m *Metrics) { m.Service = strings.Repeat("ü", 256) },
		// 2261-12-31T23:00-05:00 is 2262 in UTC.
		"2262 in UTC": func(m *Metrics) { m.Timestamp = time.Date(2261, 12, 31, 23, 0, 0, 0, time.FixedZone("", -5*3600)) },
	}
	for name, edit := range beyond {
		m := base
		edit(&m)
		if err := m.Validate(); !errors.Is(err, ErrInvalidMetrics) {
			t.Errorf("%s: Validate = %v, want ErrInvalidMetrics", name, err)
		}
	}
}

// TestDecodeErrorsAreBounded: the error for a huge malformed message quotes a bounded part of
// it (a timestamp of 230,000 zero-width spaces once made a 1.4 MB error, which its dead letter
// could not carry).
func TestDecodeErrorsAreBounded(t *testing.T) {
	huge := strings.Repeat("\u200b", 230_000)
	for name, msg := range map[string]string{
		"timestamp": `{"service":"api","timestamp":"` + huge + `"}`,
		"service":   `{"service":"` + huge + `","timestamp":"2024-01-15T10:30:00Z"}`,
		"window":    `{"service":"api","timestamp":"2024-01-15T10:30:00Z","window":"` + huge + `"}`,
		"number":    `{"service":"api","timestamp":"2024-01-15T10:30:00Z","error_rate":1` + strings.Repeat("0", 500_000) + `}`,
	} {
		_, err := DecodeMetrics([]byte(msg))
		if !errors.Is(err, ErrInvalidMetrics) || len(err.Error()) > 3<<10 || !utf8.ValidString(err.Error()) {
			t.Errorf("%s: %d-byte error, %v", name, len(err.Error()), errors.Is(err, ErrInvalidMetrics))
		}
	}
}
