package pgadapter

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stacklens/omen"
)

// quickStartPath is the Phase 5 quick start, relative to this package's directory.
var quickStartPath = filepath.Join("..", "..", "shared", "seed", "PHASE_5_QUICKSTART.md")

// quickStart returns the quick start's query with the given title.
func quickStart(title string) QuickStartQuery {
	for _, q := range QuickStartQueries() {
		if q.Title == title {
			return q
		}
	}
	panic("no quick start query " + title)
}

var (
	qsPhase4Count24h    = quickStart("Metrics windows stored in the last 24 hours")
	qsAnomalies         = quickStart("Recent anomalies")
	qsAlerts            = quickStart("Predictive alerts")
	qsRecentView        = quickStart("Recent anomalies view")
	qsDashboardLastHour = quickStart("Overview: Last hour anomalies by service")
	qsDashboardAlerts   = quickStart("Predictive alerts status")
	qsDashboardToday    = quickStart("Top anomalies today")
	qsPhase4Count       = quickStart("Metrics windows stored")
	qsHistory4Hours     = quickStart("History of api in the last 4 hours")
	qsArchive           = quickStart("Archive anomalies older than 90 days")
)

// TestQuickStartQueriesAreVerbatim checks each query against the quick start's text at its line.
func TestQuickStartQueriesAreVerbatim(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(quickStartPath)
	if err != nil {
		msg := fmt.Sprintf("the quick start is missing (%v); it lives in ../shared beside the repository", err)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	lines := strings.Split(string(data), "\n")
	for _, q := range QuickStartQueries() {
		n := strings.Count(q.SQL, "\n") + 1
		if q.Line-1+n > len(lines) {
			t.Errorf("line %d: beyond the quick start's %d lines", q.Line, len(lines))
			continue
		}
		if text := strings.Join(lines[q.Line-1:q.Line-1+n], "\n"); !strings.Contains(text, q.SQL) {
			t.Errorf("line %d of the quick start is\n%s\nnot\n%s", q.Line, text, q.SQL)
		}
	}
}

// TestQuickStartQueries runs the quick start's queries unchanged on data written through the
// Store, and checks their output as psql would print it (text format, UTC session).
func TestQuickStartQueries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, pool := newTestStore(t, utcSession)
	now := testNow()

	// Metrics: five api windows, 30 min to 4.5 h old, and one web window.
	var metrics []omen.Metrics
	for i := range 5 {
		metrics = append(metrics, testMetrics("api", now.Add(-time.Duration(30+60*i)*time.Minute), i))
	}
	metrics = append(metrics, testMetrics("web", now.Add(-30*time.Minute), 9))
	// Anomalies: the seeded set, two more api ones in the last hour, one 100 days old.
	anomalies := seedAnomalies(t, store, now)
	extra := []omen.Anomaly{
		testAnomaly("api", now.Add(-10*time.Minute), omen.Spike, omen.High, 0.65),
		testAnomaly("api", now.Add(-20*time.Minute), omen.Dip, omen.Medium, 0.5),
		testAnomaly("api", now.Add(-100*24*time.Hour), omen.Outlier, omen.Low, 0.3),
	}
	anomalies = append(anomalies, extra...)
	// Alerts: one sent, then (in a later transaction) one materialized.
	first, second := testAlert("api", now.Add(-time.Hour)), testAlert("web", now)
	second.Status, second.MaterializedAt = omen.Materialized, ptr(now)
	for _, r := range []omen.Results{{Metrics: metrics, Anomalies: extra, Alerts: []omen.PredictiveAlert{first}}, {Alerts: []omen.PredictiveAlert{second}}} {
		if err := store.Write(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.MarkAlertSent(ctx, first.ID, now); err != nil {
		t.Fatal(err)
	}

	// One transaction, so that NOW() is one instant the expectations can use.
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	var txNow time.Time
	if err := tx.QueryRow(ctx, "SELECT NOW()").Scan(&txNow); err != nil {
		t.Fatal(err)
	}
	txNow = txNow.UTC()
	run := func(q QuickStartQuery) [][]string {
		t.Helper()
		rows, err := tx.Query(ctx, q.SQL, pgx.QueryExecModeSimpleProtocol)
		if err != nil {
			t.Fatalf("quick start line %d: %v", q.Line, err)
		}
		defer rows.Close()
		var out [][]string
		for rows.Next() {
			var row []string
			for _, v := range rows.RawValues() {
				if v == nil {
					row = append(row, "NULL")
				} else {
					row = append(row, string(v))
				}
			}
			out = append(out, row)
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("quick start line %d: %v", q.Line, err)
		}
		return out
	}
	check := func(q QuickStartQuery, want [][]string) {
		t.Helper()
		if got := run(q); !reflect.DeepEqual(got, want) {
			t.Errorf("quick start line %d:\n%s\ngot  %q\nwant %q", q.Line, q.SQL, got, want)
		}
	}
	stamp := func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05+00") }
	within := func(t time.Time, d time.Duration) bool { return t.After(txNow.Add(-d)) }

	check(qsPhase4Count24h, [][]string{{"6"}})
	check(qsPhase4Count, [][]string{{"6"}})
	check(qsHistory4Hours, [][]string{{"4", stamp(metrics[3].Timestamp), stamp(metrics[0].Timestamp)}})

	// The ten most recent anomalies: web 30 min, api 10 min and 20 min, … by timestamp.
	byTime := append([]omen.Anomaly{}, anomalies...)
	sortByTimeDesc(byTime)
	var latest [][]string
	for _, a := range byTime[:10] {
		latest = append(latest, []string{a.ID, a.Service, string(a.Type), string(a.Severity),
			fmt.Sprint(a.Confidence), stamp(a.Timestamp)})
	}
	check(qsAnomalies, latest)

	check(qsAlerts, [][]string{
		{second.ID, "web", second.PredictedEvent, "0.8", stamp(second.WindowStart)},
		{first.ID, "api", first.PredictedEvent, "0.8", stamp(first.WindowStart)},
	})

	// Last hour: api's 10- and 20-minute anomalies (high 0.65, medium 0.5), web's resolved critical.
	var lastHour [2]struct{ total, critical, high, resolved int }
	var confSum [2]float64
	for i, a := range anomalies {
		if !within(a.Timestamp, time.Hour) {
			continue
		}
		k := map[string]int{"api": 0, "web": 1}[a.Service]
		lastHour[k].total++
		lastHour[k].critical += map[bool]int{true: 1}[a.Severity == omen.Critical]
		lastHour[k].high += map[bool]int{true: 1}[a.Severity == omen.High]
		lastHour[k].resolved += map[bool]int{true: 1}[i < len(seeded) && seeded[i].resolved]
		confSum[k] += a.Confidence
	}
	if lastHour[0].total != 2 || lastHour[1].total != 1 {
		t.Fatalf("fixture: last-hour anomalies %+v, want 2 of api and 1 of web", lastHour)
	}
	check(qsDashboardLastHour, [][]string{
		{"api", "2", "0", "1", fmt.Sprintf("%.3f", confSum[0]/2), fmt.Sprint(lastHour[0].resolved)},
		{"web", "1", "1", "0", fmt.Sprintf("%.3f", confSum[1]), fmt.Sprint(lastHour[1].resolved)},
	})

	check(qsDashboardAlerts, [][]string{{"2", "1", "1", "50.0"}})

	// Today (UTC, the session's zone): count by service and type, checked as a set since equal
	// counts have no order.
	type group struct{ service, typ string }
	today := map[group][]float64{}
	for _, a := range anomalies {
		if a.Timestamp.UTC().Format(time.DateOnly) == txNow.Format(time.DateOnly) {
			g := group{a.Service, string(a.Type)}
			today[g] = append(today[g], a.Confidence)
		}
	}
	got := run(qsDashboardToday)
	if len(got) != len(today) {
		t.Errorf("quick start line %d: %d groups, want %d: %q", qsDashboardToday.Line, len(got), len(today), got)
	}
	for i, row := range got {
		confs := today[group{row[0], row[1]}]
		sum := 0.0
		for _, c := range confs {
			sum += c
		}
		want := []string{row[0], row[1], fmt.Sprint(len(confs)), fmt.Sprintf("%.3f", sum/float64(len(confs)))}
		if len(confs) == 0 || !reflect.DeepEqual(row, want) {
			t.Errorf("quick start line %d: row %q, want %q", qsDashboardToday.Line, row, want)
		}
		if i > 0 && row[2] > got[i-1][2] {
			t.Errorf("quick start line %d: not ordered by count: %q", qsDashboardToday.Line, got)
		}
	}

	// The last 24 hours by service, type and severity: count and latest, by count then latest.
	type recent struct {
		count  int
		latest time.Time
	}
	groups := map[[3]string]*recent{}
	for _, a := range anomalies {
		if within(a.Timestamp, 24*time.Hour) {
			k := [3]string{a.Service, string(a.Type), string(a.Severity)}
			if groups[k] == nil {
				groups[k] = &recent{}
			}
			groups[k].count++
			if a.Timestamp.After(groups[k].latest) {
				groups[k].latest = a.Timestamp
			}
		}
	}
	var wantRecent [][]string
	for k, g := range groups {
		wantRecent = append(wantRecent, []string{k[0], k[1], k[2], fmt.Sprint(g.count), stamp(g.latest)})
	}
	slices.SortFunc(wantRecent, func(a, b []string) int {
		ca, _ := strconv.Atoi(a[3])
		cb, _ := strconv.Atoi(b[3])
		return cmp.Or(cb-ca, strings.Compare(b[4], a[4]))
	})
	var gotRecent [][]string
	for _, row := range run(qsRecentView) {
		gotRecent = append(gotRecent, row[:5])
	}
	if len(wantRecent) < 3 || !reflect.DeepEqual(gotRecent, wantRecent) {
		t.Errorf("quick start line %d: %q, want %q", qsRecentView.Line, gotRecent, wantRecent)
	}

	// Retention as the quick start runs it: the 100-day-old anomaly moves.
	old := extra[2].Timestamp
	check(qsArchive, [][]string{{fmt.Sprintf("(1,\"%s\",\"%s\")", stamp(old), stamp(old))}})
}

func sortByTimeDesc(as []omen.Anomaly) {
	slices.SortFunc(as, func(a, b omen.Anomaly) int { return b.Timestamp.Compare(a.Timestamp) })
}
