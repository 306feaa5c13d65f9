package pgadapter

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stacklens/omen"
)

// TestClaimUndelivered stores alerts and anomalies in every state a notifier meets and checks
// that the claims return exactly the pending unsent alerts and the open critical unnotified
// anomalies that omen wrote, field for field, oldest first; that a claimed record is not due
// again before its backoff, which doubles; and that storage time and limit select.
func TestClaimUndelivered(t *testing.T) {
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
	// Written one by one, oldest first: each write is a transaction of its own, with its own
	// created_at.
	for _, r := range []omen.Results{{Alerts: []omen.PredictiveAlert{sparse}}, {Alerts: []omen.PredictiveAlert{pending, sent, materialized}},
		{Anomalies: []omen.Anomaly{bare}}, {Anomalies: []omen.Anomaly{critical, notified, high, resolved}}} {
		if err := store.Write(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.MarkAlertSent(ctx, sent.ID, now); err != nil {
		t.Fatal(err)
	}
	if err := store.MarkAnomalyNotified(ctx, notified.ID, now); err != nil {
		t.Fatal(err)
	}
	// Rows of the original system, which omen did not write (no metric_name, no anomaly_score),
	// are never claimed: an upgrade must not page the previous system's records.
	if _, err := pool.Exec(ctx, `INSERT INTO ml_predictive_alerts (alert_id, service) VALUES ('legacy', 'api')`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO ml_anomalies (anomaly_id, service, anomaly_type, severity, timestamp)
		VALUES ('legacy', 'api', 'spike', 'critical', now())`); err != nil {
		t.Fatal(err)
	}

	claimAll := Claim{MaxAge: time.Hour, Limit: 100, Backoff: time.Hour, MaxBackoff: 4 * time.Hour}
	alerts, err := store.ClaimUnsentAlerts(ctx, claimAll)
	if err != nil {
		t.Fatalf("ClaimUnsentAlerts: %v", err)
	}
	if want := []omen.PredictiveAlert{sparse, pending}; !reflect.DeepEqual(alerts, want) {
		t.Errorf("alerts:\n got %+v\nwant %+v", alerts, want)
	}
	anomalies, err := store.ClaimUnnotifiedAnomalies(ctx, claimAll)
	if err != nil {
		t.Fatalf("ClaimUnnotifiedAnomalies: %v", err)
	}
	if want := []omen.Anomaly{bare, critical}; !reflect.DeepEqual(anomalies, want) {
		t.Errorf("anomalies:\n got %+v\nwant %+v", anomalies, want)
	}

	// Claimed: not due again for an hour, then for two, then four at most.
	if as, err := store.ClaimUnsentAlerts(ctx, claimAll); err != nil || len(as) != 0 {
		t.Errorf("second claim of alerts = %d, %v; want none before the backoff", len(as), err)
	}
	for _, want := range []time.Duration{time.Hour, 2 * time.Hour, 4 * time.Hour, 4 * time.Hour} {
		if got := nextRetryIn(t, pool, pending.ID); got != want {
			t.Errorf("next retry in %v, want %v", got, want)
		}
		if _, err := pool.Exec(ctx, "UPDATE ml_predictive_alerts SET notify_next_at = NULL WHERE alert_id = $1", pending.ID); err != nil {
			t.Fatal(err)
		}
		if as, err := store.ClaimUnsentAlerts(ctx, Claim{MaxAge: time.Hour, Limit: 1, Backoff: time.Hour, MaxBackoff: 4 * time.Hour}); err != nil || len(as) != 1 || as[0].ID != pending.ID {
			t.Fatalf("claim of the alert made due = %v, %v", as, err)
		}
	}

	if _, err := pool.Exec(ctx, "UPDATE ml_predictive_alerts SET notify_next_at = NULL; UPDATE ml_anomalies SET notify_next_at = NULL"); err != nil {
		t.Fatal(err)
	}
	selections := []struct {
		name              string
		c                 Claim
		alerts, anomalies int
	}{
		{"stored an hour ago or earlier", Claim{MinAge: time.Hour, MaxAge: 2 * time.Hour}, 0, 0},
		{"stored within the last millisecond", Claim{MaxAge: time.Millisecond}, 0, 0},
		{"limit 1", Claim{MaxAge: time.Hour, Limit: 1}, 1, 1},
		{"the rest", Claim{MaxAge: time.Hour}, 1, 1},
		{"nothing left", Claim{MaxAge: time.Hour}, 0, 0},
	}
	for _, c := range selections {
		c.c.Backoff, c.c.MaxBackoff = time.Hour, time.Hour
		if c.c.Limit == 0 {
			c.c.Limit = 100
		}
		as, err1 := store.ClaimUnsentAlerts(ctx, c.c)
		xs, err2 := store.ClaimUnnotifiedAnomalies(ctx, c.c)
		if err1 != nil || err2 != nil || len(as) != c.alerts || len(xs) != c.anomalies {
			t.Errorf("%s: %d alerts (%v), %d anomalies (%v); want %d and %d", c.name, len(as), err1, len(xs), err2, c.alerts, c.anomalies)
		}
	}
	for _, c := range []Claim{{MaxAge: time.Hour, Backoff: time.Hour, MaxBackoff: time.Hour}, {MaxAge: time.Hour, Limit: 1},
		{MaxAge: time.Hour, Limit: 1, Backoff: time.Hour, MaxBackoff: time.Minute}, {Limit: 1, Backoff: time.Hour, MaxBackoff: time.Hour},
		{MinAge: time.Hour, MaxAge: time.Hour, Limit: 1, Backoff: time.Hour, MaxBackoff: time.Hour}} {
		if _, err := store.ClaimUnsentAlerts(ctx, c); err == nil {
			t.Errorf("ClaimUnsentAlerts(%+v): no error", c)
		}
	}
}

// TestConcurrentClaimsAreDisjoint: instances claiming at once never take the same record.
func TestConcurrentClaimsAreDisjoint(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, _ := newTestStore(t)
	now := testNow()
	var r omen.Results
	for i := range 200 {
		r.Alerts = append(r.Alerts, testAlert(fmt.Sprintf("svc-%03d", i), now))
	}
	if err := store.Write(ctx, r); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				as, err := store.ClaimUnsentAlerts(ctx, Claim{MaxAge: time.Hour, Limit: 7, Backoff: time.Hour, MaxBackoff: time.Hour})
				if err != nil {
					t.Error(err)
					return
				}
				if len(as) == 0 {
					return
				}
				mu.Lock()
				for _, a := range as {
					seen[a.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != len(r.Alerts) {
		t.Errorf("%d alerts claimed, want all %d", len(seen), len(r.Alerts))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("alert %s claimed %d times", id, n)
		}
	}
}

// TestDeliveredTo: the targets that have a record are recorded once each, in order, and read
// back; unknown records read as none and cannot be marked.
func TestDeliveredTo(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, _ := newTestStore(t)
	now := testNow()
	a, x := testAlert("api", now), testAnomaly("api", now, omen.Spike, omen.Critical, 0.9)
	if err := store.Write(ctx, omen.Results{Alerts: []omen.PredictiveAlert{a}, Anomalies: []omen.Anomaly{x}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		kind string
		mark func(ctx context.Context, id, target string) error
		read func(ctx context.Context, id string) ([]string, error)
		id   string
	}{
		{"alert", store.MarkAlertDelivered, store.AlertDeliveredTo, a.ID},
		{"anomaly", store.MarkAnomalyDelivered, store.AnomalyDeliveredTo, x.ID},
	} {
		if got, err := c.read(ctx, c.id); err != nil || len(got) != 0 {
			t.Errorf("%s: delivered to %q, %v before any mark", c.kind, got, err)
		}
		for _, target := range []string{"pagerduty", "slack", "pagerduty"} {
			if err := c.mark(ctx, c.id, target); err != nil {
				t.Fatalf("%s: mark %s: %v", c.kind, target, err)
			}
		}
		if got, err := c.read(ctx, c.id); err != nil || !slices.Equal(got, []string{"pagerduty", "slack"}) {
			t.Errorf("%s: delivered to %q, %v; want pagerduty, slack", c.kind, got, err)
		}
		if got, err := c.read(ctx, "no-such-record"); err != nil || got != nil {
			t.Errorf("%s: unknown record delivered to %q, %v", c.kind, got, err)
		}
		if err := c.mark(ctx, "no-such-record", "slack"); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: mark of an unknown record: %v, want ErrNotFound", c.kind, err)
		}
	}
	// A rewrite of the records by the engine keeps the marks.
	if err := store.Write(ctx, omen.Results{Alerts: []omen.PredictiveAlert{a}, Anomalies: []omen.Anomaly{x}}); err != nil {
		t.Fatal(err)
	}
	if got, err := store.AlertDeliveredTo(ctx, a.ID); err != nil || len(got) != 2 {
		t.Errorf("after a rewrite: delivered to %q, %v", got, err)
	}
}

// TestClaimBackoffBeyondIntervalRange: a record claimed thirty times with a backoff of hours
// still schedules (capped) instead of overflowing PostgreSQL's interval and failing every claim.
func TestClaimBackoffBeyondIntervalRange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, pool := newTestStore(t)
	a := testAlert("api", testNow())
	if err := store.Write(ctx, omen.Results{Alerts: []omen.PredictiveAlert{a}}); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "UPDATE ml_predictive_alerts SET notify_attempts = 30"); err != nil {
		t.Fatal(err)
	}
	as, err := store.ClaimUnsentAlerts(ctx, Claim{MaxAge: time.Hour, Limit: 1, Backoff: 24 * time.Hour, MaxBackoff: 24 * time.Hour})
	if err != nil || len(as) != 1 {
		t.Fatalf("claim after thirty attempts = %d alerts, %v", len(as), err)
	}
	if d := nextRetryIn(t, pool, a.ID); d != 24*time.Hour {
		t.Errorf("next retry in %v, want the cap of 24 h", d)
	}
}

// nextRetryIn returns the time until the alert's next retry, to the minute.
func nextRetryIn(t *testing.T, pool *pgxpool.Pool, id string) time.Duration {
	t.Helper()
	var d time.Duration
	err := pool.QueryRow(context.Background(), "SELECT notify_next_at - CURRENT_TIMESTAMP FROM ml_predictive_alerts WHERE alert_id = $1", id).Scan(&d)
	if err != nil {
		t.Fatal(err)
	}
	return d.Round(time.Minute)
}

// TestLeases: a notifier's lease takes the records no retry holds, keeps a claim from taking
// them, and is itself refused for records a claim or another lease holds; claims of one write's
// records, stored at the same time, come in ID order.
func TestLeases(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, _ := newTestStore(t)
	now := testNow()
	var r omen.Results
	var ids []string
	for _, svc := range []string{"d", "b", "c", "a"} {
		a := testAlert(svc, now)
		r.Alerts = append(r.Alerts, a)
		ids = append(ids, a.ID)
	}
	x := testAnomaly("api", now, omen.Spike, omen.Critical, 0.9)
	r.Anomalies = append(r.Anomalies, x)
	if err := store.Write(ctx, r); err != nil {
		t.Fatal(err)
	}
	claim := Claim{MaxAge: time.Hour, Limit: 2, Backoff: time.Hour, MaxBackoff: time.Hour}
	claimed, err := store.ClaimUnsentAlerts(ctx, claim)
	if err != nil || len(claimed) != 2 {
		t.Fatalf("claim = %d, %v", len(claimed), err)
	}
	sorted := slices.Sorted(slices.Values(ids))
	if claimed[0].ID != sorted[0] || claimed[1].ID != sorted[1] {
		t.Errorf("claimed %s, %s of one write; want the two smallest IDs %s, %s", claimed[0].ID, claimed[1].ID, sorted[0], sorted[1])
	}
	leased, err := store.LeaseAlerts(ctx, append(slices.Clone(ids), "no-such-alert"), time.Hour)
	slices.Sort(leased)
	if err != nil || !slices.Equal(leased, sorted[2:]) {
		t.Errorf("lease = %v, %v; want the two alerts no claim holds, %v", leased, err, sorted[2:])
	}
	if again, err := store.LeaseAlerts(ctx, ids, time.Hour); err != nil || len(again) != 0 {
		t.Errorf("second lease = %v, %v; want none", again, err)
	}
	if rest, err := store.ClaimUnsentAlerts(ctx, claim); err != nil || len(rest) != 0 {
		t.Errorf("claim of leased alerts = %d, %v; want none", len(rest), err)
	}
	if got, err := store.LeaseAnomalies(ctx, []string{x.ID}, time.Hour); err != nil || !slices.Equal(got, []string{x.ID}) {
		t.Errorf("anomaly lease = %v, %v", got, err)
	}
	if xs, err := store.ClaimUnnotifiedAnomalies(ctx, claim); err != nil || len(xs) != 0 {
		t.Errorf("claim of a leased anomaly = %d, %v; want none", len(xs), err)
	}
	if got, err := store.LeaseAlerts(ctx, nil, time.Hour); err != nil || got != nil {
		t.Errorf("lease of nothing = %v, %v", got, err)
	}
	if _, err := store.LeaseAlerts(ctx, ids, 0); err == nil {
		t.Error("lease of 0: no error")
	}
}
