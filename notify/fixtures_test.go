package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stacklens/omen"
)

// issued is the window of the fixtures.
var issued = time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)

// testAlert is a critical predictive alert as the Alerter issues it.
func testAlert() omen.PredictiveAlert {
	return omen.PredictiveAlert{
		ID:                omen.RecordID("checkout", "predictive_alert/critical", "latency_p99_ms", issued),
		Service:           "checkout",
		Metric:            "latency_p99_ms",
		PredictionType:    "threshold_breach",
		PredictedEvent:    "latency_p99_ms exceeds 500 ms in about 2 h (90 % range 1–3 h)",
		Confidence:        0.873,
		IssuedAt:          issued,
		WindowStart:       issued.Add(time.Hour),
		WindowEnd:         issued.Add(6 * time.Hour),
		ExpectedBreach:    issued.Add(2 * time.Hour),
		BreachEarliest:    issued.Add(time.Hour),
		BreachLatest:      issued.Add(3 * time.Hour),
		CurrentValue:      430.25,
		PredictedValue:    512.375,
		BaselineValue:     251.5,
		Threshold:         500,
		RecommendedAction: "Check saturation and slow dependencies of checkout; scale out or shed load before latency_p99_ms passes 500 ms",
		Priority:          omen.CriticalAlert,
		Severity:          omen.Critical,
		Score:             78.6,
		Status:            omen.Pending,
	}
}

// testAnomaly is a critical outlier with its explanation.
func testAnomaly() omen.Anomaly {
	return omen.Anomaly{
		ID:               omen.RecordID("payments", "anomaly/outlier", "error_rate", issued),
		Service:          "payments",
		Type:             omen.Outlier,
		Severity:         omen.Critical,
		Score:            91.27,
		Timestamp:        issued,
		Metric:           "error_rate",
		Value:            7.5,
		Baseline:         0.82,
		DeviationPercent: 814.634,
		Confidence:       0.8125,
		Description:      "error_rate at 7.5 % against a baseline of 0.82 % (outlier score 0.71)",
		Contributions:    map[string]float64{"error_rate": 0.75, "latency_p99_ms": 0.25},
	}
}

// anomalyOf returns an anomaly of service with the given severity, its ID derived from both.
func anomalyOf(service string, s omen.Severity) omen.Anomaly {
	a := testAnomaly()
	a.Service, a.Severity = service, s
	a.ID = omen.RecordID(service, "anomaly/"+string(s), a.Metric, issued)
	return a
}

// alertOf returns a pending alert of service, its ID derived from it.
func alertOf(service string) omen.PredictiveAlert {
	a := testAlert()
	a.Service = service
	a.ID = omen.RecordID(service, "predictive_alert/critical", a.Metric, issued)
	return a
}

// request is what a recording server received.
type request struct {
	Method, Path string
	Header       http.Header
	Body         []byte
}

// server is an httptest server that records requests and answers from a script: the i-th
// request gets script[i] (the last entry repeats; 200 with an empty script).
type server struct {
	*httptest.Server
	mu       sync.Mutex
	requests []request
	script   []reply
}

// reply is one scripted answer: a status, headers and a body; hang blocks until the request's
// context ends.
type reply struct {
	status int
	header map[string]string
	body   string
	hang   bool
}

func newServer(t *testing.T, script ...reply) *server {
	t.Helper()
	s := &server{script: script}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, request{r.Method, r.URL.Path, r.Header.Clone(), body})
	rep := reply{status: http.StatusOK, body: "ok"}
	if n := len(s.script); n > 0 {
		rep = s.script[min(len(s.requests), n)-1]
	}
	s.mu.Unlock()
	if rep.hang {
		<-r.Context().Done()
		return
	}
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(rep.status)
	io.WriteString(w, rep.body)
}

// received returns a copy of the requests so far.
func (s *server) received() []request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// ids returns the record ID of each request: from custom_details (PagerDuty) or the record
// (Webhook).
func (s *server) ids(t *testing.T) []string {
	t.Helper()
	type ids struct {
		AlertID   string `json:"alert_id"`
		AnomalyID string `json:"anomaly_id"`
	}
	var out []string
	for _, r := range s.received() {
		var body struct {
			Payload struct {
				Details ids `json:"custom_details"`
			} `json:"payload"`
			Record ids `json:"record"`
		}
		if err := json.Unmarshal(r.Body, &body); err != nil {
			t.Fatalf("request body %q: %v", r.Body, err)
		}
		d, rec := body.Payload.Details, body.Record
		out = append(out, d.AlertID+d.AnomalyID+rec.AlertID+rec.AnomalyID)
	}
	return out
}

// marker records the Marker calls and fails the first failures of them.
type marker struct {
	mu       sync.Mutex
	calls    []markCall
	failures int
}

type markCall struct {
	Kind Kind
	ID   string
	At   time.Time
}

func (m *marker) mark(k Kind, id string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, markCall{k, id, at})
	if m.failures > 0 {
		m.failures--
		return fmt.Errorf("database unreachable")
	}
	return nil
}

func (m *marker) MarkAlertSent(_ context.Context, id string, at time.Time) error {
	return m.mark(KindAlert, id, at)
}

func (m *marker) MarkAnomalyNotified(_ context.Context, id string, at time.Time) error {
	return m.mark(KindAnomaly, id, at)
}

func (m *marker) recorded() []markCall {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.calls)
}

// sleeps records the waits between attempts instead of waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) recorded() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.d)
}

// newTest returns a Notifier whose waits are recorded by the returned sleeps.
func newTest(t *testing.T, targets []Target, opts ...Option) (*Notifier, *sleeps) {
	t.Helper()
	n, err := New(targets, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	s := &sleeps{}
	n.sleep = s.sleep
	return n, s
}
