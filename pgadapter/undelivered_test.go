package pgadapter

import (
	"context"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stacklens/omen"
)

// TestUndelivered stores alerts and anomalies in every state a notifier meets and checks that
// UnsentAlerts and UnnotifiedAnomalies return exactly the pending unsent alerts and the open
// critical unnotified anomalies, field for field as written, selected by service, storage time
// and limit.
func TestUndelivered(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, pool := newTestStore(t)
	now := testNow()

	pending := testAlert("api", now)
	sparse := testAlert("checkout", now)
	sparse.RecommendedAction, sparse.BreachEarliest, sparse.BreachLatest = "", time.Time{}, time.Time{}
	sent := testAlert("web", now)
	materialized := testAlert("db", now)
	materialized.Status, materialized.MaterializedAt = omen.Materialized, ptr(now.Add(time.Hour))
	critical := testAnomaly("api", now, omen.Spike, omen.Critical, 0.99)
	notified := testAnomaly("web", now, omen.Spike, omen.Critical, 0.99)
	high := testAnomaly("api", now, omen.Dip, omen.High, 0.9)
	resolved := testAnomaly("db", now, omen.Outlier, omen.Critical, 0.9)
	resolved.Resolved = true
	bare := testAnomaly("cache", now, omen.TrendChange, omen.Critical, 0.8)
	bare.Contributions = nil
	err := store.Write(ctx, omen.Results{
		Alerts:    []omen.PredictiveAlert{pending, sparse, sent, materialized},
		Anomalies: []omen.Anomaly{critical, notified, high, resolved, bare},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.MarkAlertSent(ctx, sent.ID, now); err != nil {
		t.Fatal(err)
	}
	if err := store.MarkAnomalyNotified(ctx, notified.ID, now); err != nil {
		t.Fatal(err)
	}
	// A row of another writer, with only its keys: NULL numbers read as NaN, NULL texts as "".
	if _, err := pool.Exec(ctx, `INSERT INTO ml_predictive_alerts (alert_id, service) VALUES ('legacy', 'api')`); err != nil {
		t.Fatal(err)
	}
	legacy := omen.PredictiveAlert{ID: "legacy", Service: "api", Confidence: math.NaN(), CurrentValue: math.NaN(),
		PredictedValue: math.NaN(), BaselineValue: math.NaN(), Threshold: math.NaN(), Score: math.NaN(), Status: omen.Pending}

	lastHour := Undelivered{StoredFrom: time.Now().Add(-time.Hour), Limit: 100}
	alerts, err := store.UnsentAlerts(ctx, lastHour)
	if err != nil {
		t.Fatalf("UnsentAlerts: %v", err)
	}
	byID := func(a, b omen.PredictiveAlert) int { return strings.Compare(a.ID, b.ID) }
	wantAlerts := []omen.PredictiveAlert{pending, sparse, legacy}
	slices.SortFunc(wantAlerts, byID)
	slices.SortFunc(alerts, byID)
	if !sameRecords(alerts, wantAlerts) {
		t.Errorf("alerts:\n got %+v\nwant %+v", alerts, wantAlerts)
	}
	anomalies, err := store.UnnotifiedAnomalies(ctx, lastHour)
	if err != nil {
		t.Fatalf("UnnotifiedAnomalies: %v", err)
	}
	wantAnomalies := []omen.Anomaly{critical, bare}
	anomalyByID := func(a, b omen.Anomaly) int { return strings.Compare(a.ID, b.ID) }
	slices.SortFunc(wantAnomalies, anomalyByID)
	slices.SortFunc(anomalies, anomalyByID)
	if !sameRecords(anomalies, wantAnomalies) {
		t.Errorf("anomalies:\n got %+v\nwant %+v", anomalies, wantAnomalies)
	}

	selections := []struct {
		name              string
		u                 Undelivered
		alerts, anomalies int
	}{
		{"every record", Undelivered{Limit: 100}, 3, 2},
		{"stored from an hour ahead", Undelivered{StoredFrom: time.Now().Add(time.Hour), Limit: 100}, 0, 0},
		{"stored before an hour ago", Undelivered{StoredBefore: time.Now().Add(-time.Hour), Limit: 100}, 0, 0},
		{"one service", Undelivered{Services: []string{"api"}, Limit: 100}, 2, 1},
		{"other services", Undelivered{Services: []string{"web", "db"}, Limit: 100}, 0, 0},
		{"no service", Undelivered{Services: []string{}, Limit: 100}, 0, 0},
		{"limit 1", Undelivered{Limit: 1}, 1, 1},
	}
	for _, c := range selections {
		as, err1 := store.UnsentAlerts(ctx, c.u)
		xs, err2 := store.UnnotifiedAnomalies(ctx, c.u)
		if err1 != nil || err2 != nil || len(as) != c.alerts || len(xs) != c.anomalies {
			t.Errorf("%s: %d alerts (%v), %d anomalies (%v); want %d and %d", c.name, len(as), err1, len(xs), err2, c.alerts, c.anomalies)
		}
	}
	if _, err := store.UnsentAlerts(ctx, Undelivered{}); err == nil {
		t.Error("UnsentAlerts with limit 0: no error")
	}
	if _, err := store.UnnotifiedAnomalies(ctx, Undelivered{}); err == nil {
		t.Error("UnnotifiedAnomalies with limit 0: no error")
	}
}

// sameRecords compares records field by field, NaN equal to NaN (the test's records have no
// other floats that could be NaN by accident).
func sameRecords[T any](got, want []T) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if !reflect.DeepEqual(nanFree(got[i]), nanFree(want[i])) {
			return false
		}
	}
	return true
}

// nanFree returns a copy of the record with every NaN float64 field replaced by a sentinel.
func nanFree[T any](r T) T {
	v := reflect.ValueOf(&r).Elem()
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.Float64 && math.IsNaN(f.Float()) {
			f.SetFloat(-1234.5)
		}
	}
	return r
}
