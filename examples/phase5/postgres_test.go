package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stacklens/omen/examples/internal/pipeline/pipelinetest"
)

// TestPostgres runs the bundled stream through Kafka into PostgreSQL, as
// `go run ./examples/phase5 -postgres DSN` does, and checks that the tables hold every record
// of -out once, that ml_models is left alone, and that the quick start's queries show the
// results.
func TestPostgres(t *testing.T) {
	dsn, pool := pipelinetest.Postgres(t)
	r := runCommand(t, 0, options{postgres: dsn, recent: true})

	ids := map[string]map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(r.out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var env struct {
			Kind   string
			Record map[string]any
		}
		if err := json.Unmarshal(sc.Bytes(), &env); err != nil {
			t.Fatal(err)
		}
		if ids[env.Kind] == nil {
			ids[env.Kind] = map[string]bool{}
		}
		ids[env.Kind][env.Record[idField[env.Kind]].(string)] = true
	}
	ctx := context.Background()
	count := func(sql string) int {
		t.Helper()
		var n int
		if err := pool.QueryRow(ctx, sql).Scan(&n); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return n
	}
	for _, c := range []struct {
		sql  string
		want int
	}{
		{"SELECT COUNT(DISTINCT anomaly_id) FROM ml_anomalies", len(ids["anomaly"])},
		{"SELECT COUNT(*) FROM ml_anomalies", len(ids["anomaly"])},
		{"SELECT COUNT(*) FROM ml_patterns", len(ids["pattern"])},
		{"SELECT COUNT(*) FROM ml_forecasts", len(ids["forecast"])},
		{"SELECT COUNT(*) FROM ml_predictive_alerts", len(ids["alert"])},
		{"SELECT COUNT(*) FROM analytics_metrics_1hour", 2688},
	} {
		if got := count(c.sql); got != c.want || got == 0 {
			t.Errorf("%s = %d, want %d (> 0)", c.sql, got, c.want)
		}
	}
	// The engines' state stays in memory: ml_models belongs to deployed services.
	if n := count("SELECT COUNT(*) FROM ml_models"); n != 0 {
		t.Errorf("ml_models holds %d rows after a replay, want none", n)
	}

	_, quick, ok := strings.Cut(r.stdout, "== PostgreSQL: the quick start's queries")
	if !ok {
		t.Fatalf("no quick start section:\n%s", r.stdout)
	}
	for title, rows := range map[string]string{
		"Recent anomalies": "10", "Predictive alerts": fmt.Sprint(min(5, len(ids["alert"]))),
		"Predictive alerts status": "1", "Metrics windows stored in the last 24 hours": "1",
	} {
		re := regexp.MustCompile(`(?s)-- ` + regexp.QuoteMeta(title) + `\n.*?\((\d+) rows\)`)
		if m := re.FindStringSubmatch(quick); m == nil || m[1] != rows {
			t.Errorf("quick start query %q: %v rows, want %s:\n%s", title, m, rows, quick)
		}
	}
	if !regexp.MustCompile(`(?m)^2688\s*$`).MatchString(quick) {
		t.Errorf("the last 24 hours' windows are not 2688:\n%s", quick)
	}
}

// TestPostgresWithoutAlerts: with no predictive alert stored in the last day, the quick start's
// "Predictive alerts status" divides by zero; the run shows that error as psql would, prints the
// other queries and succeeds (it once failed after a complete replay, the last queries unshown).
func TestPostgresWithoutAlerts(t *testing.T) {
	dsn, _ := pipelinetest.Postgres(t)
	in := t.TempDir() + "/in.jsonl"
	var lines strings.Builder
	for h := range 3 {
		fmt.Fprintf(&lines, `{"service":"api","timestamp":"2024-03-01T%02d:00:00Z","total_requests":5}`+"\n", h)
	}
	if err := os.WriteFile(in, []byte(lines.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), options{in: in, postgres: dsn, quiet: true, direct: true}, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v", err)
	}
	out := stdout.String()
	if !strings.Contains(out, "division by zero") || !strings.Contains(out, "-- "+dashboardQueries[len(dashboardQueries)-1]) {
		t.Errorf("dashboard:\n%s", out)
	}
}

// TestQuickStartFailsOnLostConnection: a quick start query that fails for another reason than
// PostgreSQL refusing it (here a cancelled context, as at SIGINT) ends the run with an error
// (every query once printed the error, and the run exited 0).
func TestQuickStartFailsOnLostConnection(t *testing.T) {
	dsn, _ := pipelinetest.Postgres(t)
	p, err := openPostgres(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	if err := p.printQuickStart(ctx, &out); !errors.Is(err, context.Canceled) {
		t.Errorf("printQuickStart with a cancelled context: %v", err)
	}
}
