package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stacklens/omen"
	"github.com/stacklens/omen/examples/internal/pipeline"
	"github.com/stacklens/omen/examples/internal/pipeline/pipelinetest"
	"github.com/stacklens/omen/internal/servicegen"
)

// TestMain lets the tests run this test binary as the program itself (startProcess): with
// OMEN_TEST_RUN_MLSERVICE=1 it is main, with the program's arguments.
func TestMain(m *testing.M) {
	if os.Getenv("OMEN_TEST_RUN_MLSERVICE") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// stream is 4 services × 5 days of hourly windows with incidents after two days.
var stream = servicegen.Config{Seed: 1, Services: 4, Days: 5, WarmUp: 48 * time.Hour, IncidentsPerWeek: 2}

func getenv(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// expectedAnomalies returns the IDs, sorted, of the anomalies omen.Detector with the default
// configuration finds in msgs.
func expectedAnomalies(t *testing.T, msgs []pipelinetest.Message) []string {
	t.Helper()
	det, err := omen.NewDetector(omen.DetectorConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range msgs {
		r, err := det.Process(context.Background(), m.Metrics)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range r.Anomalies {
			ids = append(ids, a.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

// TestRun runs the program, configured by its environment as in the original's compose file,
// against an in-process Kafka broker and PostgreSQL: it serves /healthz and /metrics, stores and
// publishes exactly the anomalies of the stream, dead-letters the malformed messages, and stops
// cleanly with every offset committed and every model saved when its context ends.
func TestRun(t *testing.T) {
	dsn, pool := pipelinetest.Postgres(t)
	cluster := pipelinetest.Cluster(t, "analytics-alerts", 3)
	msgs := pipelinetest.Stream(t, stream)
	want := expectedAnomalies(t, msgs)
	if len(want) == 0 {
		t.Fatal("the test stream has no anomaly")
	}
	malformed := []pipelinetest.Message{
		{Key: []byte("api"), Value: []byte(`not json`)},
		{Key: []byte("web"), Value: []byte(`{"service":"web","timestamp":"2024-01-03T00:00:00Z","error_rate":140}`)},
	}

	env := map[string]string{
		"KAFKA_BOOTSTRAP_SERVERS": strings.Join(cluster.ListenAddrs(), ","),
		"DATABASE_URL":            dsn,
		"HTTP_ADDR":               "127.0.0.1:0",
		"LOG_FORMAT":              "json",
	}
	var logs pipelinetest.Logs
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exit := make(chan int, 1)
	go func() { exit <- run(ctx, nil, getenv(env), &logs) }()
	addr, _ := logs.Wait(t, "serving health and metrics")["addr"].(string)
	pipelinetest.Eventually(t, "/healthz 200", func() bool {
		code, _ := pipelinetest.Get(t, "http://"+addr+"/healthz")
		return code == 200
	})

	pipelinetest.Produce(t, cluster, "analytics-alerts", slices.Concat(msgs[:10], malformed, msgs[10:]))
	pipelinetest.Eventually(t, "every offset committed", func() bool {
		return pipelinetest.FullyCommitted(t, cluster, "ml-service-group", "analytics-alerts")
	})

	code, exposition := pipelinetest.Get(t, "http://"+addr+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	if got := pipelinetest.Metric(t, exposition, "omen_mlservice_messages_total"); got != float64(len(msgs)+len(malformed)) {
		t.Errorf("messages_total %v, want %d", got, len(msgs)+len(malformed))
	}
	if got := pipelinetest.Metric(t, exposition, `omen_mlservice_dead_letters_total{reason="undecodable"}`) +
		pipelinetest.Metric(t, exposition, `omen_mlservice_dead_letters_total{reason="invalid"}`); got != 2 {
		t.Errorf("%v dead letters counted, want 2", got)
	}
	var anomalies float64
	for _, typ := range omen.AnomalyTypes {
		anomalies += pipelinetest.Metric(t, exposition, fmt.Sprintf("omen_mlservice_anomalies_total{type=%q}", typ))
	}
	if anomalies != float64(len(want)) {
		t.Errorf("anomalies_total sums to %v, want %d", anomalies, len(want))
	}

	if got := pipelinetest.IDs(t, pool, "SELECT anomaly_id FROM ml_anomalies ORDER BY anomaly_id"); !slices.Equal(got, want) {
		t.Errorf("ml_anomalies hold %d anomalies, want the %d of the stream", len(got), len(want))
	}
	recs := pipelinetest.ReadTopic(t, cluster, "ml-anomalies")
	var published []string
	for _, r := range recs {
		var a omen.Anomaly
		if err := json.Unmarshal(r.Value, &a); err != nil {
			t.Fatal(err)
		}
		published = append(published, a.ID)
	}
	slices.Sort(published)
	if !slices.Equal(published, want) {
		t.Errorf("ml-anomalies carries %d records, want the %d anomalies once each", len(published), len(want))
	}
	if n := len(pipelinetest.ReadTopic(t, cluster, "ml-dead-letter")); n != len(malformed) {
		t.Errorf("ml-dead-letter holds %d records, want %d", n, len(malformed))
	}

	cancel()
	if code := <-exit; code != 0 {
		t.Fatalf("exit status %d after the context ended, want 0; logs:\n%s", code, logs.String())
	}
	if !pipelinetest.FullyCommitted(t, cluster, "ml-service-group", "analytics-alerts") {
		t.Error("offsets not committed after the stop")
	}
	states := pipelinetest.IDs(t, pool, "SELECT service FROM ml_models WHERE model_type = 'omen_state' ORDER BY service")
	if want := []string{"api", "auth", "payments", "web"}; !slices.Equal(states, want) {
		t.Errorf("models saved for %v, want %v", states, want)
	}
	for _, msg := range []string{"consumer stopped", "stopped"} {
		if len(logs.Records(msg)) != 1 {
			t.Errorf("no %q log record", msg)
		}
	}
}

// TestRunConfigurationErrors: an invalid setting is reported on stderr naming the variable or
// flag, with exit status 2; -h prints the usage and exits 0.
func TestRunConfigurationErrors(t *testing.T) {
	tests := []struct {
		args []string
		env  map[string]string
		code int
		want string
	}{
		{nil, map[string]string{"ML_CONTAMINATION": "lots"}, 2, "mlservice: invalid configuration: ML_CONTAMINATION: \"lots\" is not a share in (0, 0.5]"},
		{nil, map[string]string{"PATTERN_HISTORY_HOURS": "0"}, 2, "PATTERN_HISTORY_HOURS"},
		{[]string{"-brokers", "nohostport"}, nil, 2, "-brokers: broker \"nohostport\" is not host:port"},
		{[]string{"-help"}, nil, 0, "KAFKA_BOOTSTRAP_SERVERS"},
	}
	for _, tt := range tests {
		var stderr pipelinetest.Logs
		if code := run(context.Background(), tt.args, getenv(tt.env), &stderr); code != tt.code || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("args %q env %v: status %d, stderr %q; want %d and %q", tt.args, tt.env, code, stderr.String(), tt.code, tt.want)
		}
	}
}

// TestRunPostgresUnreachable: a database that does not answer is a failure to start, status 1.
func TestRunPostgresUnreachable(t *testing.T) {
	var logs pipelinetest.Logs
	env := map[string]string{"DB_HOST": "127.0.0.1", "DB_PORT": "1", "HTTP_ADDR": "", "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1", "LOG_FORMAT": "json"}
	if code := run(context.Background(), nil, getenv(env), &logs); code != 1 {
		t.Fatalf("status %d, want 1; logs:\n%s", code, logs.String())
	}
	if rec := logs.Records("service failed"); len(rec) != 1 || !strings.Contains(fmt.Sprint(rec[0]["error"]), "PostgreSQL unreachable") {
		t.Errorf("logs do not say PostgreSQL is unreachable:\n%s", logs.String())
	}
}

// TestDocumentation: the package documentation lists every flag and variable of the program.
func TestDocumentation(t *testing.T) {
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(src)
	for _, s := range pipeline.Settings(pipeline.MLService) {
		if !strings.Contains(doc, "//\t-"+s.Flag+" ") {
			t.Errorf("the documentation lacks -%s", s.Flag)
		}
		for _, e := range s.Env {
			if !strings.Contains(doc, e) {
				t.Errorf("the documentation lacks %s", e)
			}
		}
	}
}

// TestSignals runs the program as a process and stops it with SIGTERM: it exits 0 after
// committing what it consumed.
func TestSignals(t *testing.T) {
	cluster := pipelinetest.Cluster(t, "analytics-alerts", 2)
	msgs := pipelinetest.Stream(t, servicegen.Config{Seed: 2, Services: 2, Days: 2, NoIncidents: true})
	pipelinetest.Produce(t, cluster, "analytics-alerts", msgs)

	p := startProcess(t, []string{"-postgres", "none", "-http", "", "-log-format", "json"},
		"KAFKA_BOOTSTRAP_SERVERS="+strings.Join(cluster.ListenAddrs(), ","))
	pipelinetest.Eventually(t, "the backlog committed", func() bool {
		p.running(t)
		return pipelinetest.FullyCommitted(t, cluster, "ml-service-group", "analytics-alerts")
	})
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.exited:
		if err != nil {
			t.Fatalf("the program exited with %v after SIGTERM; logs:\n%s", err, p.logs.String())
		}
	case <-time.After(pipelinetest.Timeout):
		p.cmd.Process.Kill()
		t.Fatalf("the program did not stop after SIGTERM; logs:\n%s", p.logs.String())
	}
	if len(p.logs.Records("stopped")) != 1 {
		t.Errorf("no clean stop in the logs:\n%s", p.logs.String())
	}
}

// process is the program run by this test binary as a child process (see TestMain).
type process struct {
	cmd    *exec.Cmd
	logs   *pipelinetest.Logs
	exited chan error // receives the result of Wait
}

// startProcess starts the program with args and the environment variables env (KEY=value) on
// top of this process's.
func startProcess(t *testing.T, args []string, env ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(os.Args[0], args...), logs: &pipelinetest.Logs{}, exited: make(chan error, 1)}
	p.cmd.Env = append(append(os.Environ(), "OMEN_TEST_RUN_MLSERVICE=1"), env...)
	p.cmd.Stderr = p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	return p
}

// running fails the test if the program has exited.
func (p *process) running(t *testing.T) {
	t.Helper()
	select {
	case err := <-p.exited:
		t.Fatalf("the program exited early (%v); logs:\n%s", err, p.logs.String())
	default:
	}
}

// TestKillAndRestart kills the program (SIGKILL) once half of the stream is committed and its
// models are checkpointed, then runs it again on the same database: the final ml_anomalies
// equal those of an uninterrupted run, none missing and none twice.
func TestKillAndRestart(t *testing.T) {
	dsn, pool := pipelinetest.Postgres(t)
	cluster := pipelinetest.Cluster(t, "analytics-alerts", 3)
	msgs := pipelinetest.Stream(t, stream)
	want := expectedAnomalies(t, msgs)
	half := len(msgs) / 2

	// The states the checkpoints must reach: those of a Detector that saw the first half.
	det, err := omen.NewDetector(omen.DetectorConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs[:half] {
		if _, err := det.Process(context.Background(), m.Metrics); err != nil {
			t.Fatal(err)
		}
	}
	wantStates := map[string][]byte{}
	for _, svc := range det.Services() {
		if wantStates[svc], err = det.Snapshot(svc); err != nil {
			t.Fatal(err)
		}
	}

	env := []string{
		"KAFKA_BOOTSTRAP_SERVERS=" + strings.Join(cluster.ListenAddrs(), ","),
		"DATABASE_URL=" + dsn,
		"STATE_CHECKPOINT_INTERVAL=1ns", // at every poll
		"KAFKA_SESSION_TIMEOUT=6s",      // the broker's minimum: the dead member leaves the group soon
		"HTTP_ADDR=",
		"LOG_FORMAT=json",
	}
	p := startProcess(t, nil, env...)
	pipelinetest.Produce(t, cluster, "analytics-alerts", msgs[:half])
	pipelinetest.Eventually(t, "the first half committed and checkpointed", func() bool {
		p.running(t)
		if !pipelinetest.FullyCommitted(t, cluster, "ml-service-group", "analytics-alerts") {
			return false
		}
		rows, err := pool.Query(pipelinetest.Context(t), "SELECT service, state FROM ml_models WHERE model_type = 'omen_state'")
		if err != nil {
			return false // the schema is being migrated
		}
		got := map[string][]byte{}
		for rows.Next() {
			var svc string
			var state []byte
			if err := rows.Scan(&svc, &state); err != nil {
				t.Fatal(err)
			}
			got[svc] = state
		}
		if rows.Err() != nil || len(got) != len(wantStates) {
			return false
		}
		for svc, state := range wantStates {
			if !bytes.Equal(got[svc], state) {
				return false
			}
		}
		return true
	})
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.exited

	// The second run resumes from the committed offsets and the checkpointed models.
	vars := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs2 pipelinetest.Logs
	exit := make(chan int, 1)
	go func() { exit <- run(ctx, nil, getenv(vars), &logs2) }()
	pipelinetest.Produce(t, cluster, "analytics-alerts", msgs[half:])
	pipelinetest.Eventually(t, "the second half committed", func() bool {
		return pipelinetest.FullyCommitted(t, cluster, "ml-service-group", "analytics-alerts")
	})
	cancel()
	if code := <-exit; code != 0 {
		t.Fatalf("second run: exit status %d; logs:\n%s", code, logs2.String())
	}
	if got := pipelinetest.IDs(t, pool, "SELECT anomaly_id FROM ml_anomalies ORDER BY anomaly_id"); !slices.Equal(got, want) {
		t.Errorf("after the kill and restart, ml_anomalies hold %d anomalies, want the %d of an uninterrupted run (%d in common)",
			len(got), len(want), len(common(got, want)))
	}
}

// common returns the IDs in both sorted lists.
func common(a, b []string) []string {
	var out []string
	for _, id := range a {
		if _, found := slices.BinarySearch(b, id); found {
			out = append(out, id)
		}
	}
	return out
}
