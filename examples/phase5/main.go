// Command phase5 runs the whole "Phase 5: ML & anomaly detection" pipeline in one process and
// prints the quick start's dashboard:
//
//	go run ./examples/phase5 [-in FILE] [-out FILE] [-seed N] [-brokers HOST:PORT,…] [-postgres DSN]
//	                         [-recent] [-direct] [-capacity SERVICE=N,…] [-quiet]
//
// With no flags it starts an in-process Kafka broker (franz-go's kfake), produces the bundled
// stream — 8 services, 14 days of hourly windows with labelled incidents (testdata/stream, made by
// internal/servicegen with seed 1) — to analytics-alerts, and runs the ML service (the Detector,
// group ml-service-group) and the predictive alerter (the Alerter, group predictive-alerts-group)
// as kafkaadapter consumers: results go to an in-memory store and to the output topics
// ml-anomalies, ml-patterns and predictive-alerts, malformed messages to each service's
// dead-letter topic. It returns once both groups have committed every message, with a progress
// bar on stderr, then prints the dashboard (anomalies by service, type and severity; predictive
// alerts with the materialisation rate; top anomalies) and the throughput.
//
// -brokers uses real Kafka brokers instead: topics are created when absent, and the services
// consume in groups of their own, phase5-ml-service-group and phase5-predictive-alerts-group,
// so that they never take partitions from services deployed on the same cluster; they consume
// whatever the input topic holds beyond their committed offsets, so use a cluster or an input
// topic that no other producer writes to. -postgres migrates the schema of the database
// (pgadapter.Migrate) and stores the results there, then runs the quick start's dashboard
// queries; with it the stream is moved (-recent, on by default with -postgres) by whole hours so
// that its last window starts at the current hour, since those queries look at the last hour,
// the last day and today. That moves every window's hour of day, to which the engines' daily
// profiles are anchored (UTC), so such a run's analysis differs a little from the unmoved
// stream's and from one hour to the next (the bundled stream: 395–412 anomalies); -recent=false
// keeps the stream's own times. The engines' state stays in memory: each run analyses the stream
// afresh, and the state that deployed services keep in ml_models is left alone. -direct calls
// the engines in-process without Kafka: each service's windows in order, services in parallel.
//
// -capacity gives services a capacity in requests per hour (as the predictive alerter's
// ALERT_CAPACITY): they also get predictive alerts of its exhaustion, and the dashboard shows
// their capacity plans — utilisation now and at the peak of the horizon, the forecast time of
// exhaustion, and the recommendation.
//
// -in replays another stream of JSON lines, each an analytics message in either accepted shape;
// bad lines are reported with their line number and reason on stderr, counted, and skipped
// (through Kafka, lines that are not windows are produced too, and dead-lettered; windows out of
// order or repeated, and lines longer than 990,000 bytes, are skipped before). -out writes every record produced as
// JSON lines {"kind":"anomaly"|"pattern"|"forecast"|"alert","record":{…}} in the topic formats:
// for each input window in input order, the Detector's records and then the Alerter's, each
// window's as anomalies, patterns, forecasts, alerts. The output depends only on the stream (as
// moved by -recent) and -seed: it is byte-identical through Kafka and with -direct, whatever
// GOMAXPROCS (testdata/phase5/replay.json holds its digest; refresh it with
// `go test ./examples/phase5 -run TestDeterministicReplay -update`).
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/stacklens/omen"
	"github.com/stacklens/omen/internal/servicegen"
)

// options are the command's flags.
type options struct {
	in, out  string   // -in, -out; empty means the bundled stream and no output file
	seed     uint64   // the engines' seed
	quiet    bool     // no progress bar
	direct   bool     // the engines called in-process, without Kafka
	brokers  []string // real Kafka brokers; none means an in-process broker
	postgres string   // a PostgreSQL connection string; empty means the in-memory store
	recent   bool     // move the stream so that its last window starts at the current hour
	// capacity holds the capacities, in requests per hour, of the services given by -capacity.
	capacity map[string]float64
}

func main() {
	var opts options
	var brokers string
	flag.StringVar(&opts.in, "in", "", "replay this JSON-lines stream instead of the bundled one")
	flag.StringVar(&opts.out, "out", "", "write every produced record to this file as JSON lines")
	flag.Uint64Var(&opts.seed, "seed", 0, "seed of the Detector's isolation forests and the Alerter's Monte Carlo paths")
	flag.BoolVar(&opts.quiet, "quiet", false, "no progress bar")
	flag.StringVar(&brokers, "brokers", "", "comma-separated Kafka brokers (host:port); default an in-process broker")
	flag.StringVar(&opts.postgres, "postgres", "", "PostgreSQL connection string: migrate the schema and store the results there")
	flag.BoolVar(&opts.direct, "direct", false, "call the engines in-process, without Kafka (not with -brokers)")
	flag.BoolVar(&opts.recent, "recent", false, "move the stream by whole hours so that its last window starts at the current hour\n"+
		"(default true with -postgres, so that the quick start's queries of the last hour and day show results)")
	flag.Func("capacity", "capacities in requests per hour, as service=n,service=n: those services get capacity\n"+
		"alerts, and the dashboard their capacity plans", func(v string) (err error) {
		opts.capacity, err = parseCapacity(v)
		return err
	})
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "phase5: unexpected argument %q\n", flag.Arg(0))
		os.Exit(2)
	}
	if brokers != "" {
		opts.brokers = strings.Split(brokers, ",")
	}
	explicit := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	if opts.postgres != "" && !explicit["recent"] {
		opts.recent = true
	}
	if os.Getenv("GOGC") == "" {
		// A replay is a batch over a heap of a few tens of MB that keeps every result for the
		// dashboard: collecting when the heap has grown by 400 % of the live heap instead of
		// Go's default 100 % costs about 5 MB more memory and takes a tenth off the replay's
		// time (GOGC=100 restores the default).
		debug.SetGCPercent(400)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, opts, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "phase5: %v\n", err)
		os.Exit(1)
	}
}

// run replays the stream of opts, writes -out and prints the dashboard on stdout; bad input lines
// and progress go to stderr.
func run(ctx context.Context, opts options, stdout, stderr io.Writer) error {
	if opts.direct && len(opts.brokers) > 0 {
		return errors.New("-direct runs without Kafka: it cannot be combined with -brokers")
	}
	for _, b := range opts.brokers {
		if strings.TrimSpace(b) == "" {
			return fmt.Errorf("-brokers: empty broker address in %q", strings.Join(opts.brokers, ","))
		}
	}
	input, source, err := openInput(opts.in)
	if err != nil {
		return err
	}
	msgs, bad, err := readMessages(input)
	if err != nil {
		return fmt.Errorf("%s: %w", source, err)
	}
	for _, b := range bad {
		fmt.Fprintf(stderr, "phase5: %s: line %d skipped: %s\n", source, b.Line, b.Reason)
	}
	if len(msgs) == 0 {
		return fmt.Errorf("%s: no valid analytics message", source)
	}
	if opts.recent {
		if msgs, err = moveToHour(msgs, time.Now()); err != nil {
			return err
		}
	}
	if opts.out != "" {
		// Checked before the replay, so that a path that cannot be a file fails at once; written
		// only when the results are complete, so that a failed run leaves an existing file as it
		// was.
		if info, err := os.Stat(opts.out); err == nil && info.IsDir() {
			return fmt.Errorf("-out %s is a directory", opts.out)
		}
		if info, err := os.Stat(filepath.Dir(opts.out)); err != nil || !info.IsDir() {
			return fmt.Errorf("-out %s: no directory %s", opts.out, filepath.Dir(opts.out))
		}
	}

	// The results go to PostgreSQL or to memory. The engines' per-service state stays in memory
	// either way: a replay analyses its stream afresh, whatever an earlier run saved, and leaves
	// alone the state that services deployed on the same database keep in ml_models.
	states := omen.NewMemoryStore()
	var store omen.Sink = states
	var pg *postgres
	if opts.postgres != "" {
		if pg, err = openPostgres(ctx, opts.postgres); err != nil {
			return err
		}
		defer pg.close()
		store = pg.store
	}
	engCfg := engineConfig{seed: opts.seed, capacity: opts.capacity}
	e, err := newEngines(engCfg, states)
	if err != nil {
		return err
	}

	rec := newRecorder()
	var bar *progressbar.ProgressBar
	if !opts.quiet {
		bar = progressbar.NewOptions(components*len(msgs), progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetDescription("replaying "+source), progressbar.OptionShowCount(),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
		rec.progress = func() { bar.Add(1) }
	}

	st := runStats{windows: len(msgs), services: countServices(msgs)}
	start := time.Now()
	if opts.direct {
		st.via = "in-process engines (-direct)"
		rejected, err := replayDirect(ctx, msgs, e, rec, store, source, stderr)
		if err != nil {
			return err
		}
		bad = append(bad, rejected...)
	} else {
		st.via = "Kafka (in-process broker)"
		if len(opts.brokers) > 0 {
			st.via = "Kafka at " + strings.Join(opts.brokers, ",")
		}
		groups := [components]string{detectorGroup, alerterGroup}
		if len(opts.brokers) > 0 {
			for i := range groups {
				groups[i] = "phase5-" + groups[i]
			}
		}
		ks, err := replayKafka(ctx, opts.brokers, groups, msgs, bad, e, rec, store)
		if err != nil {
			return err
		}
		st.kafka = &ks
	}
	st.elapsed = time.Since(start)
	if st.kafka != nil && !st.kafka.caughtUp.IsZero() {
		st.elapsed = st.kafka.caughtUp.Sub(start) // the consumers' shutdown is not the replay's
	}
	if first := rec.firstWindow(); !first.IsZero() {
		st.startup = first.Sub(start)
	}
	if bar != nil {
		bar.Finish()
	}
	st.bad = bad

	results := rec.ordered(msgs)
	if opts.out != "" {
		if err := writeOutput(opts.out, results); err != nil {
			return fmt.Errorf("writing %s: %w", opts.out, err)
		}
	}
	view, err := memoryStoreOf(ctx, results)
	if err != nil {
		return err
	}
	if len(opts.capacity) > 0 {
		// The consumers released their services' state when they stopped; -direct's is saved now.
		if err := e.release(ctx); err != nil {
			return err
		}
		if st.capacity, st.noCapacity, err = capacityPlans(ctx, engCfg, states); err != nil {
			return err
		}
	}
	out := &errWriter{w: stdout}
	printDashboard(out, view, st)
	if pg != nil {
		if err := pg.printQuickStart(ctx, out); err != nil {
			return err
		}
	}
	if out.err != nil {
		return fmt.Errorf("writing the dashboard: %w", out.err)
	}
	return nil
}

// writeOutput writes the records to the file at path, created or truncated.
func writeOutput(path string, results []omen.Results) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := writeRecords(f, results); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// errWriter writes to w until a write fails, and keeps that error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

// parseCapacity parses -capacity: service=requests per hour, comma-separated.
func parseCapacity(v string) (map[string]float64, error) {
	out := map[string]float64{}
	for item := range strings.SplitSeq(v, ",") {
		svc, n, ok := strings.Cut(strings.TrimSpace(item), "=")
		c, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
		if svc = strings.TrimSpace(svc); !ok || svc == "" || err != nil || !(c > 0) || math.IsInf(c, 0) {
			return nil, fmt.Errorf("%q is not service=requests per hour with a positive number", item)
		}
		out[svc] = c
	}
	return out, nil
}

// countServices returns the number of distinct services of msgs.
func countServices(msgs []message) int {
	seen := map[string]bool{}
	for _, m := range msgs {
		seen[m.metrics.Service] = true
	}
	return len(seen)
}

// openInput returns the stream to replay: the file at path, or the bundled stream, generated
// here exactly as testdata/stream/analytics.jsonl was (a golden test keeps the two identical).
func openInput(path string) (io.Reader, string, error) {
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, "", err
		}
		return bytes.NewReader(data), path, nil
	}
	stream, err := servicegen.Generate(servicegen.Config{Seed: 1})
	if err != nil {
		return nil, "", err
	}
	var buf bytes.Buffer
	if err := servicegen.WriteJSONLines(&buf, stream, servicegen.Mixed); err != nil {
		return nil, "", err
	}
	return &buf, "the bundled stream", nil
}
