package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/stacklens/omen"
	"github.com/stacklens/omen/internal/servicegen"
)

// replayRun is the result of one run of the command.
type replayRun struct {
	stdout, stderr string
	out            []byte // the -out file
}

// runCommand runs the command in-process with GOMAXPROCS set to procs (0 leaves it alone), and
// fails the test on error.
func runCommand(t *testing.T, procs int, opts options) replayRun {
	t.Helper()
	if procs > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	}
	if opts.out == "" {
		opts.out = filepath.Join(t.TempDir(), "out.jsonl")
	}
	opts.quiet = true
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), opts, &stdout, &stderr); err != nil {
		t.Fatalf("run(%+v): %v\nstderr:\n%s", opts, err, stderr.String())
	}
	out, err := os.ReadFile(opts.out)
	if err != nil {
		t.Fatal(err)
	}
	return replayRun{stdout: stdout.String(), stderr: stderr.String(), out: out}
}

var bundled struct {
	once sync.Once
	run  replayRun
	ok   bool
}

// bundledRun returns the run of the command with no flags but -out, at GOMAXPROCS 2, made once
// for all the tests that read it.
func bundledRun(t *testing.T) replayRun {
	t.Helper()
	bundled.once.Do(func() {
		bundled.run = runCommand(t, 2, options{})
		bundled.ok = true
	})
	if !bundled.ok {
		t.Fatal("the bundled replay failed (see the first test that ran it)")
	}
	return bundled.run
}

// TestBadInputLines replays a stream whose bad lines must each be reported with its line number
// and reason, counted in the dashboard, and skipped while the good lines are replayed.
func TestBadInputLines(t *testing.T) {
	t0 := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	var lines []string
	good := func(service string, hour int) string {
		m := omen.Metrics{Service: service, Timestamp: t0.Add(time.Duration(hour) * time.Hour), Window: time.Hour,
			TotalRequests: int64(1000 + 10*hour), ErrorRate: 0.5, LatencyP50: 40, LatencyP95: 90, LatencyP99: 120,
			LatencyMean: 50, UniqueUsers: 100, UniqueIPs: 80, RiskScore: 0.2}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for h := range 30 {
		lines = append(lines, good("api", h))
	}
	// A window of api older than its last, one repeating it, and a first window of web.
	lines = append(lines, good("api", 9), good("api", 29), good("web", 0))
	// Bad lines, each with the words its reason must contain; they replace good lines so that
	// their numbers are spread over the file.
	bad := map[int]string{
		3:  `{"service":"api","timestamp":"2024-03-01T03:00:00Z","total_requests":-5}`,
		7:  `not json at all`,
		8:  `{"timestamp":"2024-03-01T08:00:00Z","total_requests":5}`,
		12: `{"service":"api","timestamp":"yesterday","total_requests":5}`,
		20: `{"service":"api","timestamp":"2024-03-01T20:00:00Z","error_rate":"high"}`,
		25: `{"service":"api","timestamp":"2024-03-01T25:00:00Z","error_rate":150}`,
		// A million bytes, past maxLine: reported. Under the former 1 MiB limit it was passed on,
		// refused by the broker, and the whole replay failed.
		29: `{"service":"api","timestamp":"2024-03-01T29:00:00Z","total_requests":` + strings.Repeat("1", 1_000_000) + `}`,
		31: lines[30],
		32: lines[31],
	}
	for n, l := range bad {
		lines[n-1] = l
	}
	lines = slices.Insert(lines, 15, "", "   ") // blank lines 16 and 17 are neither windows nor bad
	moved := func(n int) int {                  // a line's number after the insertion
		if n > 15 {
			return n + 2
		}
		return n
	}
	want := map[int]bool{}
	for n := range bad {
		want[moved(n)] = true
	}
	in := filepath.Join(t.TempDir(), "in.jsonl")
	if err := os.WriteFile(in, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	r := runCommand(t, 0, options{in: in})

	report := regexp.MustCompile(`(?m)^phase5: ` + regexp.QuoteMeta(in) + `: line (\d+) skipped: (.+)$`)
	got := map[int]string{}
	for _, m := range report.FindAllStringSubmatch(r.stderr, -1) {
		n, _ := strconv.Atoi(m[1])
		if _, dup := got[n]; dup {
			t.Errorf("line %d reported twice", n)
		}
		got[n] = m[2]
	}
	for n := range want {
		reason, ok := got[n]
		if !ok {
			t.Errorf("bad line %d not reported; stderr:\n%s", n, r.stderr)
			continue
		}
		if strings.TrimSpace(reason) == "" {
			t.Errorf("line %d reported without a reason", n)
		}
	}
	for n, reason := range got {
		if !want[n] {
			t.Errorf("good line %d reported as bad: %s", n, reason)
		}
	}
	// Spot-check that reasons say what is wrong.
	for n, words := range map[int][]string{3: {"total_requests"}, 7: {"invalid"}, 8: {"service"}, 12: {"timestamp"}, 29: {"longer than"},
		31: {"not after", fmt.Sprintf("line %d", moved(30))}, 32: {"not after", fmt.Sprintf("line %d", moved(30))}} {
		for _, w := range words {
			if !strings.Contains(got[moved(n)], w) {
				t.Errorf("reason for line %d = %q, want it to mention %q", moved(n), got[moved(n)], w)
			}
		}
	}
	goodLines := 33 - len(bad)
	if want := fmt.Sprintf("%d windows of 2 services", goodLines); !strings.Contains(r.stdout, want) {
		t.Errorf("dashboard does not report the %d good windows (%q):\n%s", goodLines, want, r.stdout)
	}
	if want := fmt.Sprintf("; %d bad input lines skipped", len(bad)); !strings.Contains(r.stdout, want) {
		t.Errorf("dashboard does not count the bad lines (%q):\n%s", want, r.stdout)
	}
	// Through Kafka, each consumer dead-letters the bad lines that were produced: all but the
	// one too long to keep and the two windows out of order.
	for _, consumer := range []string{`ml service\s+ml-service-group`, `predictive alerter\s+predictive-alerts-group`} {
		m := regexp.MustCompile(consumer + `\s+(\d+)\s+(\d+)\s+(\d+)\s`).FindStringSubmatch(r.stdout)
		if m == nil {
			t.Errorf("no %s row in the dashboard:\n%s", consumer, r.stdout)
			continue
		}
		if got, want := m[1:], []string{strconv.Itoa(33 - 3), strconv.Itoa(goodLines), strconv.Itoa(len(bad) - 3)}; !slices.Equal(got, want) {
			t.Errorf("%s: messages, windows, dead letters = %q, want %q", consumer, got, want)
		}
	}
}

// TestBadFlags checks the combinations of flags that are refused.
func TestBadFlags(t *testing.T) {
	for _, opts := range []options{
		{direct: true, brokers: []string{"127.0.0.1:9092"}},
		{brokers: []string{"127.0.0.1:9092", " "}},
	} {
		var stdout, stderr bytes.Buffer
		opts.quiet = true
		if err := run(context.Background(), opts, &stdout, &stderr); err == nil {
			t.Errorf("run(%+v) succeeded", opts)
		}
	}
}

// TestNoValidLine checks that a stream without a single window is an error, not an empty
// dashboard.
func TestNoValidLine(t *testing.T) {
	in := filepath.Join(t.TempDir(), "in.jsonl")
	if err := os.WriteFile(in, []byte("{}\nnope\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), options{in: in, quiet: true}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "no valid analytics message") {
		t.Fatalf("run = %v, want an error saying there is no valid message", err)
	}
	if err := run(context.Background(), options{in: filepath.Join(t.TempDir(), "missing"), quiet: true}, &stdout, &stderr); err == nil {
		t.Fatal("run with a missing -in file succeeded")
	}
}

// timeFields and enumFields list, per kind, the record fields that must be RFC 3339 UTC
// timestamps (null allowed where marked) and lowercase enums with their values.
var (
	timeFields = map[string]map[string]bool{ // field → nullable
		"anomaly":  {"timestamp": false},
		"pattern":  {"first_seen": false, "last_seen": false},
		"forecast": {"issued_at": false, "forecast_timestamp": false},
		"alert": {"issued_at": false, "predicted_time_start": false, "predicted_time_end": false,
			"expected_breach_at": false, "breach_range_start": false, "breach_range_end": false,
			"alert_sent_at": true, "materialized_at": true},
	}
	enumFields = map[string]map[string][]string{
		"anomaly": {"anomaly_type": typeNames(), "severity": {"low", "medium", "high", "critical"}},
		"alert": {"priority": {"informational", "warning", "critical"}, "severity": {"low", "medium", "high", "critical"},
			"status": {"pending", "materialized", "expired"}, "prediction_type": {"threshold_breach"}},
	}
	idField = map[string]string{"anomaly": "anomaly_id", "pattern": "pattern_id", "forecast": "forecast_id", "alert": "alert_id"}
	hexID   = regexp.MustCompile(`^[0-9a-f]{32}$`)
)

func typeNames() []string {
	var names []string
	for _, t := range omen.AnomalyTypes {
		names = append(names, string(t))
	}
	return names
}

// TestOutputFormat parses every line of -out of the bundled replay and checks it against the
// topic formats: the envelope, the record's fields (decoded strictly into the omen type),
// RFC 3339 UTC timestamps and lowercase enums.
func TestOutputFormat(t *testing.T) {
	r := bundledRun(t)
	counts := map[string]int{}
	anomalyIDs := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(r.out))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		var env struct {
			Kind   string          `json:"kind"`
			Record json.RawMessage `json:"record"`
		}
		if err := strictDecode(line, &env); err != nil {
			t.Fatalf("line %d: %v: %s", n, err, line)
		}
		var fields map[string]any
		if err := json.Unmarshal(env.Record, &fields); err != nil {
			t.Fatalf("line %d: record is not an object: %v", n, err)
		}
		var err error
		switch env.Kind {
		case "anomaly":
			var a omen.Anomaly
			if err = strictDecode(env.Record, &a); err == nil {
				anomalyIDs[a.ID]++
			}
		case "pattern":
			err = strictDecode(env.Record, new(omen.Pattern))
		case "forecast":
			err = strictDecode(env.Record, new(omen.Forecast))
		case "alert":
			err = strictDecode(env.Record, new(omen.PredictiveAlert))
		default:
			t.Fatalf("line %d: kind %q", n, env.Kind)
		}
		if err != nil {
			t.Fatalf("line %d: %s record: %v: %s", n, env.Kind, err, env.Record)
		}
		counts[env.Kind]++
		if id, _ := fields[idField[env.Kind]].(string); !hexID.MatchString(id) {
			t.Errorf("line %d: %s = %q, want 32 lowercase hex digits", n, idField[env.Kind], id)
		}
		for f, nullable := range timeFields[env.Kind] {
			v, present := fields[f]
			if !present {
				t.Errorf("line %d: %s record lacks %s", n, env.Kind, f)
				continue
			}
			if v == nil && nullable {
				continue
			}
			s, _ := v.(string)
			ts, err := time.Parse(time.RFC3339, s)
			if err != nil || !strings.HasSuffix(s, "Z") || ts.IsZero() {
				t.Errorf("line %d: %s.%s = %v, want an RFC 3339 UTC timestamp", n, env.Kind, f, v)
			}
		}
		for f, allowed := range enumFields[env.Kind] {
			if s, _ := fields[f].(string); !slices.Contains(allowed, s) {
				t.Errorf("line %d: %s.%s = %v, want one of %q", n, env.Kind, f, fields[f], allowed)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"anomaly", "pattern", "forecast", "alert"} {
		if counts[kind] == 0 {
			t.Errorf("no %s record in the output of the bundled replay", kind)
		}
	}
	for id, n := range anomalyIDs {
		if n > 1 {
			t.Errorf("anomaly %s written %d times", id, n)
		}
	}
}

// strictDecode decodes one JSON value into v, rejecting unknown fields and trailing data.
func strictDecode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("data after the JSON value")
	}
	return nil
}

// TestDashboard checks that the dashboard of the bundled replay shows anomalies of every type
// and predictive alerts, as the quick start's does.
func TestDashboard(t *testing.T) {
	r := bundledRun(t)
	section := func(title string) string {
		_, rest, ok := strings.Cut(r.stdout, "== "+title)
		if !ok {
			t.Fatalf("no %q section in the dashboard:\n%s", title, r.stdout)
		}
		text, _, _ := strings.Cut(rest, "\n== ")
		return text
	}
	byType := section("Anomalies by type and severity")
	for _, typ := range omen.AnomalyTypes {
		row := regexp.MustCompile(`(?m)^\s*` + string(typ) + `\s+(low|medium|high|critical)\s+([1-9]\d*)\s`)
		if !row.MatchString(byType) {
			t.Errorf("no %s anomaly in the dashboard:\n%s", typ, byType)
		}
	}
	alerts := regexp.MustCompile(`total (\d+), sent \d+, materialized (\d+), expired (\d+), pending (\d+); materialisation rate`).
		FindStringSubmatch(section("Predictive alerts"))
	if alerts == nil {
		t.Fatalf("no predictive alert summary:\n%s", r.stdout)
	}
	if total, _ := strconv.Atoi(alerts[1]); total == 0 {
		t.Errorf("no predictive alert in the dashboard:\n%s", section("Predictive alerts"))
	}
	if !strings.Contains(section("Anomalies by service"), "avg confidence") {
		t.Errorf("no per-service table:\n%s", r.stdout)
	}
	if !regexp.MustCompile(`2688 windows of 8 services in \S+: \d+ windows/s\nthrough Kafka \(in-process broker\): ` +
		`the first window reached the engines after \S+ \(topics, the stream produced, groups joined\), the last was committed \S+ later: \d+ windows/s\n`).MatchString(section("Throughput")) {
		t.Errorf("throughput line missing or wrong:\n%s", section("Throughput"))
	}
}

// -capacity: the capacity planner's output reaches the dashboard, through Kafka and with
// -direct alike — plans for the services given a capacity and a reason for one never seen — and
// the capacity alerts reach the alert list.
func TestCapacity(t *testing.T) {
	for _, direct := range []bool{false, true} {
		r := runCommand(t, 0, options{direct: direct, capacity: map[string]float64{"api": 4000, "auth": 2000, "ghost": 5}})
		_, capacity, ok := strings.Cut(r.stdout, "== Capacity (total_requests)\n")
		capacity, _, _ = strings.Cut(capacity, "\n== ")
		if !ok {
			t.Fatalf("direct %v: no capacity section:\n%s", direct, r.stdout)
		}
		for _, want := range []*regexp.Regexp{
			regexp.MustCompile(`(?m)^  api\s+\d+/h of 4000/h\s+now \d+ %\s+peak \d+ %\s+exhaustion in \S+ \(2024-\S+ \S+\)\s+Critical: api is forecast to exhaust`),
			regexp.MustCompile(`(?m)^  auth\s+\d+/h of 2000/h\s+now \d+ %\s+peak \d+ %\s+exhaustion not within the horizon\s+\S+: auth`),
			regexp.MustCompile(`(?m)^  omen: no capacity plan: no window of service "ghost" yet$`),
		} {
			if !want.MatchString(capacity) {
				t.Errorf("direct %v: the capacity section does not match %s:\n%s", direct, want, capacity)
			}
		}
		if !strings.Contains(r.stdout, "total_requests exceeds its capacity of 4000 per window") {
			t.Errorf("direct %v: no capacity alert of api:\n%s", direct, r.stdout)
		}
	}
	for _, bad := range []string{"api", "api=0", "api=-5", "=5", "api=x", "api=5,"} {
		if _, err := parseCapacity(bad); err == nil {
			t.Errorf("parseCapacity(%q) accepted", bad)
		}
	}
	if got, err := parseCapacity(" api = 10 , web=2.5"); err != nil || got["api"] != 10 || got["web"] != 2.5 || len(got) != 2 {
		t.Errorf("parseCapacity = %v, %v", got, err)
	}
}

// TestBrokers runs a short stream through brokers given with -brokers (an in-process cluster
// started by the test, standing for real ones): the run consumes it through them in groups of
// its own, leaves the records on their topics, and writes the same -out as the engines alone.
func TestBrokers(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	stream, err := servicegen.Generate(servicegen.Config{Seed: 2, Services: 3, Days: 4, WarmUp: 48 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := servicegen.WriteJSONLines(&buf, stream, servicegen.Flat); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(t.TempDir(), "in.jsonl")
	if err := os.WriteFile(in, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	viaBrokers := runCommand(t, 0, options{in: in, brokers: cluster.ListenAddrs()})
	direct := runCommand(t, 0, options{in: in, direct: true})
	if !bytes.Equal(viaBrokers.out, direct.out) {
		t.Errorf("-out through -brokers differs from -direct: %s", firstDifference(viaBrokers.out, direct.out))
	}
	for _, want := range []string{"through Kafka at " + strings.Join(cluster.ListenAddrs(), ","),
		"phase5-ml-service-group", "phase5-predictive-alerts-group"} {
		if !strings.Contains(viaBrokers.stdout, want) {
			t.Errorf("the dashboard does not say %q:\n%s", want, viaBrokers.stdout)
		}
	}
	windows := len(stream.Windows)
	for _, topic := range []string{"analytics-alerts", "ml-anomalies"} {
		info := cluster.TopicInfo(topic)
		if info == nil {
			t.Errorf("no topic %s on the brokers", topic)
			continue
		}
		var n int64
		for _, p := range cluster.PartitionInfos(topic) {
			n += p.HighWatermark
		}
		if topic == "analytics-alerts" && n != int64(windows) {
			t.Errorf("%s holds %d records, want the %d windows", topic, n, windows)
		}
		if topic == "ml-anomalies" && (n == 0 || n != int64(bytes.Count(direct.out, []byte(`{"kind":"anomaly"`)))) {
			t.Errorf("%s holds %d records, want one per anomaly of -out", topic, n)
		}
	}
}

// TestFailedRunKeepsOutput: a run that fails after the replay started leaves an existing -out
// file as it was, mode included (it was truncated first), and creates none; a directory as -out
// fails before the replay.
func TestFailedRunKeepsOutput(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.jsonl"), filepath.Join(dir, "out.jsonl")
	line := `{"service":"api","timestamp":"2024-03-01T00:00:00Z","total_requests":5}` + "\n"
	if err := os.WriteFile(in, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, []byte("earlier results\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// PostgreSQL refuses the connection: the run fails after -out is opened.
	failing := func(out string) error {
		var stdout, stderr bytes.Buffer
		return run(context.Background(), options{in: in, out: out, quiet: true, direct: true,
			postgres: "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1"}, &stdout, &stderr)
	}
	if failing(out) == nil {
		t.Fatal("the run succeeded")
	}
	if data, _ := os.ReadFile(out); string(data) != "earlier results\n" {
		t.Errorf("-out holds %q after a failed run", data)
	}
	if info, err := os.Stat(out); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("-out mode %v, %v; want 0600", info.Mode(), err)
	}
	created := filepath.Join(dir, "new.jsonl")
	if failing(created) == nil {
		t.Fatal("the run succeeded")
	}
	if _, err := os.Stat(created); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a failed run created the -out file: %v", err)
	}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), options{in: in, out: dir, quiet: true, direct: true}, &stdout, &stderr); err == nil || stdout.Len() != 0 {
		t.Errorf("a directory as -out: %v, %d bytes of dashboard", err, stdout.Len())
	}
}

// TestDashboardWriteError: a dashboard that cannot be written fails the run (it was lost
// silently, with exit status 0).
func TestDashboardWriteError(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	line := `{"service":"api","timestamp":"2024-03-01T00:00:00Z","total_requests":5}` + "\n"
	if err := os.WriteFile(in, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	err := run(context.Background(), options{in: in, quiet: true, direct: true}, failingWriter{}, &stderr)
	if err == nil || !strings.Contains(err.Error(), "writing the dashboard") {
		t.Errorf("run = %v, want a dashboard write error", err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// TestMoveToHour: -recent moves the latest window into the current hour, whatever the
// distance (a stream from 1700, beyond a time.Duration's 292 years, once stopped short).
func TestMoveToHour(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 42, 0, 0, time.UTC)
	for _, latest := range []time.Time{
		time.Date(2024, 1, 15, 23, 0, 0, 0, time.UTC),
		time.Date(1700, 1, 15, 23, 30, 0, 0, time.UTC),
		time.Date(2250, 6, 1, 4, 0, 0, 0, time.UTC),
	} {
		msgs := []message{
			{line: 1, metrics: omen.Metrics{Service: "api", Timestamp: latest.Add(-time.Hour), Window: time.Hour}},
			{line: 2, metrics: omen.Metrics{Service: "api", Timestamp: latest, Window: time.Hour}},
		}
		moved, err := moveToHour(msgs, now)
		if err != nil {
			t.Fatal(err)
		}
		want := now.Truncate(time.Hour).Add(latest.Sub(latest.Truncate(time.Hour)))
		if got := moved[1].metrics.Timestamp; !got.Equal(want) || !moved[0].metrics.Timestamp.Equal(want.Add(-time.Hour)) {
			t.Errorf("latest %v moved to %v, want %v", latest, got, want)
		}
	}
}

// failingSink fails the write of one window's results; the writes of every other service wait
// until the replay is stopped.
type failingSink struct {
	omen.Sink
	service string
	at      time.Time
}

var errSinkDown = errors.New("sink down")

func (s failingSink) Write(ctx context.Context, r omen.Results) error {
	for _, m := range r.Metrics {
		switch {
		case m.Service == s.service && m.Timestamp.Equal(s.at):
			return errSinkDown
		case m.Service != s.service:
			<-ctx.Done()
			return ctx.Err()
		}
	}
	return s.Sink.Write(ctx, r)
}

// -direct replays services in parallel: a write that fails stops the replay with the error of
// its line, and stops the other services, whose writes here wait for that (without the stop the
// replay would never end).
func TestDirectStopsOnSinkError(t *testing.T) {
	input, _, err := openInput("")
	if err != nil {
		t.Fatal(err)
	}
	msgs, bad, err := readMessages(input)
	if err != nil || len(bad) > 0 {
		t.Fatal(err, bad)
	}
	target := msgs[len(msgs)/4] // a window of the first quarter
	e, err := newEngines(engineConfig{}, omen.NewMemoryStore())
	if err != nil {
		t.Fatal(err)
	}
	sink := failingSink{Sink: omen.NewMemoryStore(), service: target.metrics.Service, at: target.metrics.Timestamp}
	done := make(chan error, 1)
	go func() {
		_, err := replayDirect(context.Background(), msgs, e, newRecorder(), sink, "bundled", &bytes.Buffer{})
		done <- err
	}()
	select {
	case err = <-done:
	case <-time.After(time.Minute):
		t.Fatal("the replay did not stop the other services after the failed write")
	}
	if !errors.Is(err, errSinkDown) || !strings.Contains(err.Error(), fmt.Sprintf("line %d:", target.line)) {
		t.Fatalf("error %v, want the sink's error at line %d", err, target.line)
	}
}
