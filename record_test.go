package omen

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRecordID(t *testing.T) {
	at := time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC)
	id := RecordID("api", "outlier", "composite_metrics", at)
	if len(id) != 32 || strings.Trim(id, "0123456789abcdef") != "" {
		t.Fatalf("RecordID = %q, want 32 hex digits", id)
	}
	// The IDs are stable across versions: values of
	//   python3 -c "import hashlib; print(hashlib.sha256(b'api\0outlier\0composite_metrics\0' +
	//     b'2024-01-15T10:30:00Z\0').hexdigest()[:32])"
	// and likewise for the second case.
	for _, tt := range []struct {
		service, kind, metric string
		at                    time.Time
		want                  string
	}{
		{"api", "outlier", "composite_metrics", at, "4fab57ca504bda4dea333c8580ca5930"},
		{"web", "forecast+3", "error_rate", at.Add(500 * time.Millisecond), "949d441ee10c43c6e3969a9b38a7741e"},
	} {
		if got := RecordID(tt.service, tt.kind, tt.metric, tt.at); got != tt.want {
			t.Errorf("RecordID(%s, %s, %s, %s) = %s, want %s", tt.service, tt.kind, tt.metric, tt.at, got, tt.want)
		}
	}
	// The same instant in another zone is the same window.
	if again := RecordID("api", "outlier", "composite_metrics", at.In(time.FixedZone("CET", 3600))); again != id {
		t.Errorf("the same instant in another zone gave %s, want %s", again, id)
	}
	// A long service name does not fit the stack buffer and still gets its ID.
	long := strings.Repeat("s", 300)
	if RecordID(long, "outlier", "", at) == RecordID(long[:299], "outlier", "", at) {
		t.Error("two long service names share an ID")
	}
	for _, other := range []string{
		RecordID("api", "spike", "composite_metrics", at),
		RecordID("api", "outlier", "error_rate", at),
		RecordID("web", "outlier", "composite_metrics", at),
		RecordID("api", "outlier", "composite_metrics", at.Add(time.Hour)),
		RecordID("ap", "ioutlier", "composite_metrics", at), // parts are delimited
	} {
		if other == id {
			t.Errorf("a different record shares the ID %s", id)
		}
	}
}

func TestEnumsEncodeAsLowercaseNames(t *testing.T) {
	a := Anomaly{ID: "x", Type: SeasonalityBreak, Severity: Critical, Timestamp: time.Date(2024, 1, 15, 10, 0, 0, 0, time.UTC)}
	data, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"anomaly_type":"seasonality_break"`, `"severity":"critical"`, `"timestamp":"2024-01-15T10:00:00Z"`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("%s lacks %s", data, want)
		}
	}
	var back Anomaly
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a, back); diff != "" {
		t.Errorf("round trip (-want +got)\n%s", diff)
	}
	for _, bad := range []string{`{"anomaly_type":"Outlier"}`, `{"severity":"severe"}`} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("%s decoded without error", bad)
		}
	}
	var p PredictiveAlert
	if err := json.Unmarshal([]byte(`{"priority":"urgent"}`), &p); err == nil {
		t.Error("an unknown priority decoded")
	}
	if err := json.Unmarshal([]byte(`{"priority":"critical","status":"expired"}`), &p); err != nil || p.Priority != CriticalAlert || p.Status != Expired {
		t.Errorf("decoded %+v, %v", p, err)
	}
}

// The MemoryStore keeps its records apart from the caller's: changing what Write was given, or
// what an accessor returned (maps, slices, pointed-to values), does not change what it stores.
func TestMemoryStoreCopies(t *testing.T) {
	ctx := context.Background()
	s := NewMemoryStore()
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	actual, sent := 3.0, at
	r := Results{
		Anomalies: []Anomaly{{ID: "a", Contributions: map[string]float64{"x": 1}}},
		Patterns:  []Pattern{{ID: "p", Vector: []float64{1}, Features: []string{"x"}}},
		Forecasts: []Forecast{{ID: "f", Actual: &actual}},
		Alerts:    []PredictiveAlert{{ID: "l", SentAt: &sent}},
	}
	if err := s.Write(ctx, r); err != nil {
		t.Fatal(err)
	}
	mutate := func(a []Anomaly, p []Pattern, f []Forecast, l []PredictiveAlert) {
		a[0].Contributions["x"] = 99
		p[0].Vector[0], p[0].Features[0] = 99, "y"
		*f[0].Actual = 99
		*l[0].SentAt = at.Add(time.Hour)
	}
	mutate(r.Anomalies, r.Patterns, r.Forecasts, r.Alerts)
	mutate(s.Anomalies(), s.Patterns(), s.Forecasts(), s.Alerts())
	if got := s.Anomalies()[0].Contributions["x"]; got != 1 {
		t.Errorf("stored contribution %v, want 1", got)
	}
	if p := s.Patterns()[0]; p.Vector[0] != 1 || p.Features[0] != "x" {
		t.Errorf("stored pattern %+v", p)
	}
	if got := *s.Forecasts()[0].Actual; got != 3 {
		t.Errorf("stored actual %v, want 3", got)
	}
	if got := *s.Alerts()[0].SentAt; !got.Equal(at) {
		t.Errorf("stored sent time %v, want %v", got, at)
	}
}

func TestMemoryStore(t *testing.T) {
	ctx := context.Background()
	s := NewMemoryStore()
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var r Results
	for i := range 5 {
		for _, svc := range []string{"web", "api"} {
			r.Metrics = append(r.Metrics, Metrics{Service: svc, Timestamp: t0.Add(time.Duration(4-i) * time.Hour), Window: time.Hour, TotalRequests: int64(i)})
		}
	}
	r.Anomalies = []Anomaly{{ID: "b", Service: "api", Timestamp: t0}, {ID: "a", Service: "api", Timestamp: t0}}
	predicted := 1.0
	r.Forecasts = []Forecast{{ID: "f", Service: "api", Predicted: predicted}}
	r.Alerts = []PredictiveAlert{{ID: "al", Service: "api", Status: Pending}}
	if err := s.Write(ctx, r); err != nil {
		t.Fatal(err)
	}
	// Writing again is idempotent; a completed forecast and a status change replace the records.
	actual := 1.5
	if err := s.Write(ctx, Results{
		Anomalies: r.Anomalies,
		Forecasts: []Forecast{{ID: "f", Service: "api", Predicted: predicted, Actual: &actual}},
		Alerts:    []PredictiveAlert{{ID: "al", Service: "api", Status: Materialized}},
		Metrics:   r.Metrics[:2],
	}); err != nil {
		t.Fatal(err)
	}
	if got := len(s.Anomalies()); got != 2 {
		t.Errorf("%d anomalies after a repeated write, want 2", got)
	}
	if got := s.Anomalies(); got[0].ID != "a" {
		t.Errorf("anomalies not in ID order within a timestamp: %v", got)
	}
	if f := s.Forecasts(); len(f) != 1 || f[0].Actual == nil || *f[0].Actual != 1.5 {
		t.Errorf("forecast not completed: %+v", f)
	}
	if a := s.Alerts(); len(a) != 1 || a[0].Status != Materialized {
		t.Errorf("alert status not replaced: %+v", a)
	}
	if n := s.MetricsCount(); n != 10 {
		t.Errorf("%d windows stored, want 10", n)
	}
	recent, err := s.Recent(ctx, "api", t0.Add(4*time.Hour), 3)
	if err != nil {
		t.Fatal(err)
	}
	var stamps []int
	for _, m := range recent {
		stamps = append(stamps, int(m.Timestamp.Sub(t0).Hours()))
	}
	if diff := cmp.Diff([]int{1, 2, 3}, stamps); diff != "" {
		t.Errorf("Recent before hour 4, limit 3: (-want +got)\n%s", diff)
	}
	services, _ := s.Services(ctx)
	if diff := cmp.Diff([]string{"api", "web"}, services); diff != "" {
		t.Errorf("Services (-want +got)\n%s", diff)
	}
	if st, err := s.LoadState(ctx, StateDetector, "api"); st != nil || err != nil {
		t.Errorf("LoadState before any save = %v, %v", st, err)
	}
	state := []byte{1, 2, 3}
	if err := s.SaveState(ctx, StateDetector, "api", state); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveState(ctx, StateAlerter, "api", []byte{7}); err != nil {
		t.Fatal(err)
	}
	state[0] = 9 // the store keeps its own copy
	if st, _ := s.LoadState(ctx, StateDetector, "api"); string(st) != "\x01\x02\x03" {
		t.Errorf("LoadState(detector) = %v; the alerter's state must not replace it", st)
	}
	if st, _ := s.LoadState(ctx, StateAlerter, "api"); string(st) != "\x07" {
		t.Errorf("LoadState(alerter) = %v", st)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Write(cancelled, r); err == nil {
		t.Error("Write with a cancelled context succeeded")
	}
}

func BenchmarkRecordID(b *testing.B) {
	at := time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		RecordID("payments", "forecast+12", "latency_p99_ms", at)
	}
}

func TestPredictiveAlertTimeToBreach(t *testing.T) {
	at := time.Date(2024, 1, 15, 10, 0, 0, 0, time.UTC)
	alert := func(mid, lo, hi time.Duration) PredictiveAlert {
		a := PredictiveAlert{IssuedAt: at, ExpectedBreach: at.Add(mid)}
		if lo > 0 {
			a.BreachEarliest, a.BreachLatest = at.Add(lo), at.Add(hi)
		}
		return a
	}
	for _, tt := range []struct {
		alert PredictiveAlert
		want  string
	}{
		{alert(45*time.Minute, 0, 0), "in about 45 min"},
		{alert(2*time.Hour, time.Hour, 3*time.Hour), "in about 2 h (90 % range 1–3 h)"},
		{alert(90*time.Minute, 30*time.Minute, 90*time.Minute), "in about 1.5 h (90 % range 0.5–1.5 h)"},
		{alert(47*time.Hour, 5*time.Minute, 50*time.Minute), "in about 47 h (90 % range 5–50 min)"},
		{alert(60*time.Hour, 0, 0), "in about 2.5 d"},
		{PredictiveAlert{IssuedAt: at}, ""},
	} {
		if got := tt.alert.TimeToBreach(); got != tt.want {
			t.Errorf("TimeToBreach() = %q, want %q", got, tt.want)
		}
	}
}
