package pgadapter

import (
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stacklens/omen"
)

// FuzzCheckAnomaly feeds arbitrary text and numbers to the record checks: an accepted anomaly
// has only finite numbers and texts PostgreSQL can store in their columns; a rejected one wraps
// ErrInvalidRecord.
func FuzzCheckAnomaly(f *testing.F) {
	f.Add("id", "api", "spike", "latency_p99_ms", "desc", 1.5, 0.9)
	f.Add("", "api", "spike", "", "", 0.0, 0.0)
	f.Add("id", strings.Repeat("x", 256), "dip", "m", "d", math.NaN(), 1.0)
	f.Add("id", "api", "outlier", "m\x00", "\xff", math.Inf(1), -1e300)
	f.Fuzz(func(t *testing.T, id, service, typ, metric, description string, value, confidence float64) {
		a := omen.Anomaly{ID: id, Service: service, Type: omen.AnomalyType(typ), Severity: omen.High,
			Timestamp: time.Unix(1, 0), Metric: metric, Description: description, Value: value,
			Confidence: confidence, Contributions: map[string]float64{metric: value}}
		err := checkAnomaly(a)
		if err != nil {
			if !errors.Is(err, ErrInvalidRecord) {
				t.Fatalf("error %v does not wrap ErrInvalidRecord", err)
			}
			return
		}
		for _, v := range []float64{value, confidence} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("accepted a non-finite number %v", v)
			}
		}
		for _, s := range []string{id, service, typ, metric, description} {
			if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
				t.Fatalf("accepted text %q that PostgreSQL cannot store", s)
			}
		}
		if id == "" || service == "" || typ == "" || utf8.RuneCountInString(service) > idWidth ||
			utf8.RuneCountInString(typ) > typeWidth {
			t.Fatalf("accepted an anomaly whose keys do not fit: %q %q %q", id, service, typ)
		}
	})
}

// FuzzDecimal checks that the text sent for a NUMERIC column reads back as the same float64 and
// is a plain number NUMERIC's input accepts (digits, sign, point, exponent).
func FuzzDecimal(f *testing.F) {
	for _, v := range []float64{0, -0.0, 0.1 + 0.2, 1e300, -1e-300, 5e-324, math.MaxFloat64, 123456789.123456789} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return // rejected by the checks before any encoding
		}
		s := decimal(v)
		if strings.Trim(s, "0123456789.-+e") != "" {
			t.Fatalf("decimal(%v) = %q is not a plain number", v, s)
		}
		back, err := strconv.ParseFloat(s, 64)
		if err != nil || back != v {
			t.Fatalf("decimal(%v) = %q reads back as %v, %v", v, s, back, err)
		}
	})
}

// TestUniqueBy: one record per key, the last of each key, in key order; windows within one
// microsecond (what PostgreSQL keeps) are one key.
func TestUniqueBy(t *testing.T) {
	type rec struct{ ID, Version string }
	got := uniqueBy([]rec{{"b", "1"}, {"a", "1"}, {"b", "2"}, {"c", "1"}, {"a", "2"}, {"a", "3"}},
		byID(func(r *rec) string { return r.ID }))
	want := []rec{{"a", "3"}, {"b", "2"}, {"c", "1"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("uniqueBy = %v, want %v", got, want)
	}

	t0 := time.Date(2024, 1, 15, 10, 0, 0, 0, time.UTC)
	ms := []omen.Metrics{
		{Service: "b", Timestamp: t0, TotalRequests: 1},
		{Service: "a", Timestamp: t0.Add(time.Hour), TotalRequests: 2},
		{Service: "a", Timestamp: t0, TotalRequests: 3},
		{Service: "b", Timestamp: t0.Add(999 * time.Nanosecond).In(time.FixedZone("x", 3600)), TotalRequests: 4},
	}
	var requests []int64
	for _, m := range uniqueBy(ms, byMetricsKey) {
		requests = append(requests, m.TotalRequests)
	}
	if want := []int64{3, 2, 4}; !reflect.DeepEqual(requests, want) {
		t.Errorf("uniqueBy(windows) kept requests %v, want %v", requests, want)
	}
}
