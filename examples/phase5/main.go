// Command phase5 runs the whole "Phase 5: ML & anomaly detection" pipeline in one process: it
// replays an analytics stream through the ML service's Detector and the predictive alerter's
// Alerter into an in-memory store, then prints the quick start's dashboard.
//
//	go run ./examples/phase5 [-in FILE] [-out FILE] [-seed N] [-quiet]
//
// With no flags it replays the bundled stream: 8 services, 14 days of hourly windows with
// labelled incidents (testdata/stream, made by internal/servicegen with seed 1). -in replays
// another stream of JSON lines, each an analytics message in either accepted shape; bad lines are
// reported with their line number and reason on stderr, counted, and skipped. -out writes every
// record produced as JSON lines {"kind":"anomaly"|"pattern"|"forecast"|"alert","record":{…}}:
// for each input window in input order, the Detector's records and then the Alerter's, each
// window's records as anomalies, patterns, forecasts, alerts. The output depends only on the
// stream and -seed: the same input and seed give the same bytes, whatever GOMAXPROCS.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/stacklens/omen"
	"github.com/stacklens/omen/internal/servicegen"
)

// options are the command's flags.
type options struct {
	in, out string // -in, -out; empty means the bundled stream and no output file
	seed    uint64 // the engines' seed
	quiet   bool   // no progress bar
}

func main() {
	var opts options
	flag.StringVar(&opts.in, "in", "", "replay this JSON-lines stream instead of the bundled one")
	flag.StringVar(&opts.out, "out", "", "write every produced record to this file as JSON lines")
	flag.Uint64Var(&opts.seed, "seed", 0, "seed of the Detector's isolation forests and the Alerter's Monte Carlo paths")
	flag.BoolVar(&opts.quiet, "quiet", false, "no progress bar")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "phase5: unexpected argument %q\n", flag.Arg(0))
		os.Exit(2)
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
	var outFile *os.File
	if opts.out != "" {
		// Created before the replay, so that an unwritable path fails at once.
		if outFile, err = os.Create(opts.out); err != nil {
			return err
		}
		defer outFile.Close()
	}

	rec := newRecorder()
	var bar *progressbar.ProgressBar
	if !opts.quiet {
		bar = progressbar.NewOptions(components*len(msgs), progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetDescription("replaying "+source), progressbar.OptionShowCount(),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
		rec.progress = func() { bar.Add(1) }
	}

	start := time.Now()
	store, rejected, err := replayInMemory(ctx, msgs, engineConfig{seed: opts.seed}, rec, source, stderr)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	if bar != nil {
		bar.Finish()
	}
	bad = append(bad, rejected...)

	if outFile != nil {
		if err := writeRecords(outFile, rec.ordered(msgs)); err != nil {
			return fmt.Errorf("writing %s: %w", opts.out, err)
		}
		if err := outFile.Close(); err != nil {
			return fmt.Errorf("writing %s: %w", opts.out, err)
		}
	}
	printDashboard(stdout, store, runStats{windows: len(msgs), services: countServices(msgs), bad: bad, elapsed: elapsed})
	return nil
}

// replayInMemory replays msgs through fresh engines into a new MemoryStore.
func replayInMemory(ctx context.Context, msgs []message, cfg engineConfig, rec *recorder, source string, stderr io.Writer) (*omen.MemoryStore, []badLine, error) {
	store := omen.NewMemoryStore()
	e, err := newEngines(cfg, store)
	if err != nil {
		return nil, nil, err
	}
	bad, err := replayDirect(ctx, msgs, e, rec, store, source, stderr)
	return store, bad, err
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
