// Command phase5 runs the whole "Phase 5: ML & anomaly detection" pipeline in one process: it
// replays an analytics stream through the ML service's Detector and the predictive alerter's
// Alerter into an in-memory store, then prints the quick start's dashboard.
//
//	go run ./examples/phase5 [-in FILE] [-out FILE]
//
// With no flags it replays the bundled stream: 8 services, 14 days of hourly windows with
// labelled incidents (testdata/stream, made by internal/servicegen with seed 1). -in replays
// another stream of JSON lines, each an analytics message in either accepted shape; bad lines are
// reported with their line number and skipped. -out writes every record produced as JSON lines
// {"kind":"anomaly"|"pattern"|"forecast"|"alert","record":{…}}.
package main

import (
	"bytes"
	"context"
	"errors"
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

func main() {
	in := flag.String("in", "", "replay this JSON-lines stream instead of the bundled one")
	out := flag.String("out", "", "write every produced record to this file as JSON lines")
	quiet := flag.Bool("quiet", false, "no progress bar")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "phase5: unexpected argument %q\n", flag.Arg(0))
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *in, *out, *quiet, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "phase5: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, inPath, outPath string, quiet bool, stdout, stderr io.Writer) error {
	input, source, err := openInput(inPath)
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

	var rw *recordWriter
	if outPath != "" {
		f, err := os.Create(outPath)
		if err != nil {
			return err
		}
		defer f.Close()
		rw = newRecordWriter(f)
	}

	store := omen.NewMemoryStore()
	engines, err := newEngines(store)
	if err != nil {
		return err
	}
	var bar *progressbar.ProgressBar
	if !quiet {
		bar = progressbar.NewOptions(len(msgs), progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetDescription("replaying "+source), progressbar.OptionShowCount(),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
	}

	services := map[string]bool{}
	start := time.Now()
	for _, msg := range msgs {
		if err := ctx.Err(); err != nil {
			return err
		}
		services[msg.metrics.Service] = true
		for _, eng := range engines {
			res, err := eng.Process(ctx, msg.metrics)
			if err != nil {
				if errors.Is(err, omen.ErrInvalidMetrics) {
					bad = append(bad, badLine{msg.line, err.Error()})
					fmt.Fprintf(stderr, "phase5: %s: line %d skipped: %v\n", source, msg.line, err)
					break
				}
				return fmt.Errorf("%s: line %d: %w", source, msg.line, err)
			}
			if err := store.Write(ctx, res); err != nil {
				return err
			}
			if rw != nil {
				if err := rw.write(res); err != nil {
					return fmt.Errorf("writing %s: %w", outPath, err)
				}
			}
		}
		if bar != nil {
			bar.Add(1)
		}
	}
	elapsed := time.Since(start)
	if bar != nil {
		bar.Finish()
	}
	if rw != nil {
		if err := rw.flush(); err != nil {
			return fmt.Errorf("writing %s: %w", outPath, err)
		}
	}
	printDashboard(stdout, store, runStats{windows: len(msgs), services: len(services), bad: bad, elapsed: elapsed})
	return nil
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

// newEngines returns the ML service's Detector and the predictive alerter's Alerter, which see
// every window in turn.
func newEngines(store *omen.MemoryStore) ([]processor, error) {
	det, err := omen.NewDetector(omen.DetectorConfig{}, omen.WithStateStore(store))
	if err != nil {
		return nil, err
	}
	alerter := omen.NewAlerter(omen.AlerterConfig{ForecastRecords: 1})
	return []processor{det, alerter}, nil
}
