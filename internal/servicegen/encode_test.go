package servicegen

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/stream/analytics.jsonl and labels.jsonl from the default stream")

// goldenDir is the committed default stream, relative to this package.
const goldenDir = "../../testdata/stream"

// TestGolden regenerates the default stream (seed 1, default Config) and compares it byte for
// byte with the committed files; `go test ./internal/servicegen -run TestGolden -update` rewrites
// them.
func TestGolden(t *testing.T) {
	s := mustStream(t, defaultStream)
	var analytics, labels bytes.Buffer
	if err := WriteJSONLines(&analytics, s, Mixed); err != nil {
		t.Fatal(err)
	}
	if err := WriteLabels(&labels, s.Incidents); err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string][]byte{"analytics.jsonl": analytics.Bytes(), "labels.jsonl": labels.Bytes()} {
		path := filepath.Join(goldenDir, name)
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./internal/servicegen -run TestGolden -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the generated stream (%d bytes, want %d); if the change is intended run go test ./internal/servicegen -run TestGolden -update", path, len(got), len(want))
		}
		if len(got) > 900_000 {
			t.Errorf("%s is %d bytes, want < 900 kB", name, len(got))
		}
	}
}

// decodeLines decodes every line of b into a generic map.
func decodeLines(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var m map[string]any
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("line %d: %v", len(out)+1, err)
		}
		out = append(out, m)
	}
	return out
}

func keys(m map[string]any) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	slices.Sort(k)
	return k
}

var (
	flatKeys    = []string{"error_rate", "latency_mean_ms", "latency_p95_ms", "latency_p99_ms", "risk_score", "service", "timestamp", "total_requests", "unique_ips", "unique_users", "window"}
	phase4Keys  = []string{"alert_id", "details", "message", "metric", "resolved_at", "rule_id", "rule_name", "service", "severity", "status", "threshold", "triggered_at", "value"}
	detailsKeys = []string{"aggregated_at", "avg_risk_score", "error_rate", "failed_requests", "high_risk_count", "latency_max", "latency_mean", "latency_min", "latency_p50", "latency_p95", "latency_p99", "service", "successful_requests", "timestamp", "total_requests", "unique_ips", "unique_users", "window"}
)

// TestShapes decodes each shape and checks its fields against the windows.
func TestShapes(t *testing.T) {
	s := mustStream(t, defaultStream)
	for _, shape := range []Shape{Flat, Phase4, Mixed} {
		var b bytes.Buffer
		if err := WriteJSONLines(&b, s, shape); err != nil {
			t.Fatal(err)
		}
		msgs := decodeLines(t, b.Bytes())
		if len(msgs) != len(s.Windows) {
			t.Fatalf("%v: %d messages for %d windows", shape, len(msgs), len(s.Windows))
		}
		phase4By := map[string]int{}
		for i, m := range msgs {
			w := s.Windows[i]
			isPhase4 := m["details"] != nil
			if isPhase4 {
				phase4By[w.Service]++
				checkPhase4(t, m, w)
			} else {
				checkFlat(t, m, w)
			}
			if shape == Flat && isPhase4 || shape == Phase4 && !isPhase4 {
				t.Fatalf("%v: message %d in the wrong shape", shape, i)
			}
		}
		if shape == Mixed {
			for _, svc := range s.Services {
				if n := phase4By[svc]; n != len(s.Windows)/len(s.Services)/8 {
					t.Errorf("mixed: %s has %d Phase 4 messages, want one in eight", svc, n)
				}
			}
		}
	}
}

func num(t *testing.T, m map[string]any, key string) float64 {
	t.Helper()
	n, ok := m[key].(json.Number)
	if !ok {
		t.Fatalf("%s = %#v, not a number", key, m[key])
	}
	f, err := n.Float64()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func checkFlat(t *testing.T, m map[string]any, w Window) {
	t.Helper()
	if got := keys(m); !slices.Equal(got, flatKeys) {
		t.Fatalf("flat keys %v, want %v", got, flatKeys)
	}
	if m["service"] != w.Service || m["timestamp"] != w.Time.Format(time.RFC3339) || m["window"] != "3600s" {
		t.Fatalf("flat header %v for %+v", m, w)
	}
	for key, want := range map[string]float64{
		"total_requests": float64(w.TotalRequests), "error_rate": w.ErrorRate, "latency_p99_ms": w.LatencyP99,
		"latency_p95_ms": w.LatencyP95, "latency_mean_ms": w.LatencyMean, "unique_users": float64(w.UniqueUsers),
		"unique_ips": float64(w.UniqueIPs), "risk_score": w.RiskScore,
	} {
		if got := num(t, m, key); got != want {
			t.Fatalf("flat %s = %v, want %v", key, got, want)
		}
	}
}

func checkPhase4(t *testing.T, m map[string]any, w Window) {
	t.Helper()
	if got := keys(m); !slices.Equal(got, phase4Keys) {
		t.Fatalf("phase 4 keys %v, want %v", got, phase4Keys)
	}
	d := m["details"].(map[string]any)
	if got := keys(d); !slices.Equal(got, detailsKeys) {
		t.Fatalf("details keys %v, want %v", got, detailsKeys)
	}
	end := w.Time.Add(w.Step).Format("2006-01-02T15:04:05")
	if m["service"] != w.Service || d["service"] != w.Service || d["timestamp"] != w.Time.Format("2006-01-02T15:04:05") ||
		m["triggered_at"] != end || d["aggregated_at"] != end || d["window"] != "1hour" || m["resolved_at"] != nil {
		t.Fatalf("phase 4 header %v for %+v", m, w)
	}
	for key, want := range map[string]float64{
		"total_requests": float64(w.TotalRequests), "successful_requests": float64(w.TotalRequests - w.FailedRequests),
		"failed_requests": float64(w.FailedRequests), "error_rate": w.ErrorRate, "latency_min": w.LatencyMin,
		"latency_p50": w.LatencyP50, "latency_p95": w.LatencyP95, "latency_p99": w.LatencyP99, "latency_max": w.LatencyMax,
		"latency_mean": w.LatencyMean, "unique_users": float64(w.UniqueUsers), "unique_ips": float64(w.UniqueIPs),
		"avg_risk_score": w.RiskScore, "high_risk_count": float64(w.HighRiskCount),
	} {
		if got := num(t, d, key); got != want {
			t.Fatalf("details %s = %v, want %v", key, got, want)
		}
	}
	value, threshold := num(t, m, "value"), num(t, m, "threshold")
	breached := value > threshold
	if m["status"] != map[bool]string{true: "active", false: "resolved"}[breached] {
		t.Fatalf("status %v with value %v and threshold %v", m["status"], value, threshold)
	}
	switch m["rule_id"] {
	case "rule_error_rate_critical":
		if w.ErrorRate <= 20 || m["severity"] != "critical" || value != w.ErrorRate {
			t.Fatalf("critical rule for %+v: %v", w, m)
		}
	case "rule_error_rate_high":
		if (breached && (w.ErrorRate <= 5 || w.ErrorRate > 20)) || (!breached && w.LatencyP99 > 500) || value != w.ErrorRate {
			t.Fatalf("error-rate rule for %+v: %v", w, m)
		}
	case "rule_latency_p99_high":
		if w.ErrorRate > 5 || w.LatencyP99 <= 500 || value != w.LatencyP99 {
			t.Fatalf("p99 rule for %+v: %v", w, m)
		}
	default:
		t.Fatalf("unknown rule %v", m["rule_id"])
	}
	if want := m["rule_id"].(string) + "_" + w.Service + "_"; !strings.HasPrefix(m["alert_id"].(string), want) {
		t.Fatalf("alert_id %v, want prefix %s", m["alert_id"], want)
	}
}

func TestShapeString(t *testing.T) {
	for shape, want := range map[Shape]string{Flat: "flat", Phase4: "phase4", Mixed: "mixed", Shape(9): "Shape(9)"} {
		if got := shape.String(); got != want {
			t.Errorf("Shape(%d).String() = %q, want %q", int(shape), got, want)
		}
	}
}

func TestWindowNames(t *testing.T) {
	for step, want := range map[time.Duration]string{time.Minute: "1min", 5 * time.Minute: "5min", time.Hour: "1hour", 30 * time.Minute: "1800s"} {
		if got := phase4Window(step); got != want {
			t.Errorf("phase4Window(%v) = %q, want %q", step, got, want)
		}
	}
}

// TestNaiveIsPythonIsoformat: naive timestamps read as Python's isoformat writes them, the
// microseconds in six digits when there are any.
func TestNaiveIsPythonIsoformat(t *testing.T) {
	for _, c := range []struct {
		t    time.Time
		want string
	}{
		{time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), "2024-01-01T00:00:00"},
		{time.Date(2024, 1, 1, 0, 0, 0, 500_000_000, time.UTC), "2024-01-01T00:00:00.500000"},
		{time.Date(2024, 1, 1, 0, 0, 0, 550_878_000, time.UTC), "2024-01-01T00:00:00.550878"},
		{time.Date(2024, 1, 1, 1, 0, 0, 999, time.FixedZone("", 3600)), "2024-01-01T00:00:00"}, // below a microsecond
	} {
		if got := naive(c.t); got != c.want {
			t.Errorf("naive(%v) = %s, want %s", c.t, got, c.want)
		}
	}
}
