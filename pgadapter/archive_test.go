package pgadapter

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stacklens/omen"
)

func TestArchiveMovesWithoutLoss(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, pool := newTestStore(t)
	now := testNow()
	as := seedAnomalies(t, store, now)
	// History on an anomaly that will be archived (10 days old) and one that stays.
	if err := store.ResolveAnomaly(ctx, as[4].ID, "old incident", "ops"); err != nil {
		t.Fatal(err)
	}
	liveBefore := count(t, pool, "SELECT COUNT(*) FROM ml_anomalies")
	historyBefore := count(t, pool, "SELECT COUNT(*) FROM ml_anomaly_history")

	// Keep 7 days: the 10- and 40-day-old anomalies move.
	res, err := store.Archive(ctx, 7)
	if err != nil {
		t.Fatalf("Archive: %v", err)
	}
	want := ArchiveResult{Archived: 2, Earliest: now.Add(-40 * 24 * time.Hour), Latest: now.Add(-10 * 24 * time.Hour)}
	if res != want {
		t.Errorf("Archive(7) = %+v, want %+v", res, want)
	}
	live := count(t, pool, "SELECT COUNT(*) FROM ml_anomalies")
	archived := count(t, pool, "SELECT COUNT(*) FROM ml_anomalies_archive")
	if live+archived != liveBefore || archived != 2 {
		t.Errorf("live %d + archived %d, want %d with 2 archived", live, archived, liveBefore)
	}
	history := count(t, pool, "SELECT COUNT(*) FROM ml_anomaly_history")
	historyArchived := count(t, pool, "SELECT COUNT(*) FROM ml_anomaly_history_archive")
	if history+historyArchived != historyBefore || historyArchived != 1 {
		t.Errorf("history: live %d + archived %d, want %d with 1 archived", history, historyArchived, historyBefore)
	}
	// The archived rows are whole: every column came along.
	if n := count(t, pool, `SELECT COUNT(*) FROM ml_anomalies_archive a JOIN ml_anomaly_history_archive h USING (anomaly_id)
		WHERE a.anomaly_id = $1 AND a.resolved AND a.resolution_reason = 'old incident' AND a.contributions IS NOT NULL
		AND h.changed_by = 'ops'`, as[4].ID); n != 1 {
		t.Errorf("archived anomaly %s lacks its fields or history", as[4].ID)
	}

	// Nothing more to move: 0 and NULL times, as the function returns them.
	if res, err := store.Archive(ctx, 7); err != nil || res != (ArchiveResult{}) {
		t.Errorf("second Archive(7) = %+v, %v; want zero", res, err)
	}

	// Redelivered archived anomalies (a replay of old input) stay in the archive, the resolved
	// one resolved: they are not written again as open anomalies.
	if err := store.Write(ctx, omen.Results{Anomalies: []omen.Anomaly{as[4], as[5]}}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, pool, "SELECT COUNT(*) FROM ml_anomalies WHERE anomaly_id IN ($1, $2)", as[4].ID, as[5].ID); n != 0 {
		t.Errorf("%d archived anomalies written again to ml_anomalies by a redelivery", n)
	}
	if res, err := store.Archive(ctx, 7); err != nil || res != (ArchiveResult{}) {
		t.Errorf("Archive after a redelivery = %+v, %v; want nothing moved", res, err)
	}
	if n := count(t, pool, "SELECT COUNT(*) FROM ml_anomalies_archive WHERE anomaly_id = $1 AND resolved AND resolution_reason = 'old incident'", as[4].ID); n != 1 {
		t.Errorf("the archived resolved anomaly lost its resolution")
	}

	// The quick start's default of 90 days through SQL, and a negative period rejected.
	var n int64
	var earliest, latest *time.Time
	if err := pool.QueryRow(ctx, "SELECT * FROM ml_archive_old_anomalies()").Scan(&n, &earliest, &latest); err != nil || n != 0 {
		t.Errorf("ml_archive_old_anomalies() = %d, %v", n, err)
	}
	if _, err := pool.Exec(ctx, "SELECT ml_archive_old_anomalies(-1)"); err == nil {
		t.Errorf("ml_archive_old_anomalies(-1) succeeded")
	}
	if _, err := store.Archive(ctx, -1); err == nil {
		t.Errorf("Archive(-1) succeeded")
	}
	// Keep 0 days: everything older than now moves.
	if res, err := store.Archive(ctx, 0); err != nil || res.Archived != 5 {
		t.Errorf("Archive(0) = %+v, %v; want the 5 remaining anomalies", res, err)
	}
	if live, archived := count(t, pool, "SELECT COUNT(*) FROM ml_anomalies"), count(t, pool, "SELECT COUNT(*) FROM ml_anomalies_archive"); live != 0 || archived != liveBefore {
		t.Errorf("after Archive(0): live %d, archived %d; want 0, %d", live, archived, liveBefore)
	}
	if h, ha := count(t, pool, "SELECT COUNT(*) FROM ml_anomaly_history"), count(t, pool, "SELECT COUNT(*) FROM ml_anomaly_history_archive"); h != 0 || ha != historyBefore {
		t.Errorf("after Archive(0): history live %d, archived %d; want 0, %d", h, ha, historyBefore)
	}
}

// TestArchiveKeepsDelivery: the archive keeps which targets had an anomaly and its retry
// schedule (0004's columns were left behind), and a period too long for a timestamp archives
// nothing instead of failing.
func TestArchiveKeepsDelivery(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, pool := newTestStore(t)
	as := seedAnomalies(t, store, testNow())
	if err := store.MarkAnomalyDelivered(ctx, as[4].ID, "pagerduty"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Archive(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if n := count(t, pool, "SELECT COUNT(*) FROM ml_anomalies_archive WHERE anomaly_id = $1 AND delivered_to = '{pagerduty}'", as[4].ID); n != 1 {
		t.Error("the archived anomaly lost its delivery")
	}
	if res, err := store.Archive(ctx, 1<<31-1); err != nil || res != (ArchiveResult{}) {
		t.Errorf("Archive(2³¹−1) = %+v, %v; want nothing moved", res, err)
	}
}

// TestWriteRacingArchive: a redelivered anomaly written while an archiving run moves it waits for
// the run and leaves the anomaly in the archive, resolved as it was. The write once waited only
// for the row and then put the anomaly back, open and unnotified, to be paged again; the next run
// then replaced the resolved archived copy by the open one.
func TestWriteRacingArchive(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	app := fmt.Sprintf("omen-archive-race-%d", rand.Uint64())
	store, pool := newTestStore(t, func(c *pgxpool.Config) { c.ConnConfig.RuntimeParams["application_name"] = app })
	as := seedAnomalies(t, store, testNow())
	old := as[4] // 10 days old
	if err := store.ResolveAnomaly(ctx, old.ID, "fixed", "ops"); err != nil {
		t.Fatal(err)
	}
	if err := store.MarkAnomalyNotified(ctx, old.ID, testNow()); err != nil {
		t.Fatal(err)
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT * FROM ml_archive_old_anomalies(7)"); err != nil {
		t.Fatal(err)
	}
	written := make(chan error, 1)
	go func() { written <- store.Write(ctx, omen.Results{Anomalies: []omen.Anomaly{old}}) }()
	// Commit only once the write waits for a lock (the archive's, or without it the moved row's),
	// so that its statements run against the archiving run, not after it.
	admin := adminConn(t)
	defer admin.Close(ctx)
	for {
		var waiting int
		if err := admin.QueryRow(ctx, `SELECT COUNT(*) FROM pg_stat_activity
			WHERE application_name = $1 AND wait_event_type = 'Lock'`, app).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		select {
		case err := <-written:
			t.Fatalf("the write did not wait for the archiving run: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-written; err != nil {
		t.Fatal(err)
	}
	if n := count(t, pool, "SELECT COUNT(*) FROM ml_anomalies WHERE anomaly_id = $1", old.ID); n != 0 {
		t.Error("the write put the archived anomaly back")
	}
	if _, err := store.Archive(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if n := count(t, pool, "SELECT COUNT(*) FROM ml_anomalies_archive WHERE anomaly_id = $1 AND resolved AND resolution_reason = 'fixed'", old.ID); n != 1 {
		t.Error("the archived anomaly lost its resolution")
	}
}
