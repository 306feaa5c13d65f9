package main

import (
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/stacklens/omen"
)

func init() {
	register("stream", "score a time series online with the streaming anomaly detector", runStream)
}

// streamLayouts are the accepted timestamp forms, after the date and time separator is made a
// "T" and a zone letter "Z" (RFC 3339 §5.6 allows "t", "z" and a space): RFC 3339 (with or
// without fractional seconds), and a naive date and time, read as UTC.
var streamLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"}

// runStream implements `omen stream` per the CLI contract: it reads the columns timestamp and
// value of -in, feeds each row to a zero-configured omen.StreamDetector in order, and prints
// timestamp,value,anomaly_score with the first two cells echoed as given. Timestamps must
// increase from row to row.
func runStream(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("stream", flag.ContinueOnError)
	in := fs.String("in", "", "CSV file with the columns timestamp and value")
	if help, err := parseFlags(fs, args, stdout, "omen stream -in SERIES.csv"); help || err != nil {
		return err
	}
	if *in == "" {
		return fmt.Errorf("-in SERIES.csv is required")
	}
	t, err := readTable(*in)
	if err != nil {
		return err
	}
	tc, err := t.column("timestamp")
	if err != nil {
		return err
	}
	vc, err := t.column("value")
	if err != nil {
		return err
	}
	w := csv.NewWriter(stdout)
	w.Write([]string{"timestamp", "value", "anomaly_score"})
	var d omen.StreamDetector
	for row := range t.rows {
		ts, err := t.timestamp(row, tc)
		if err != nil {
			return err
		}
		v, err := t.number(row, vc)
		if err != nil {
			return err
		}
		score, err := d.AddChecked(ts, v)
		switch {
		case errors.Is(err, omen.ErrStreamOrder):
			return t.cellError(row, tc, "%q is not after the previous row's timestamp", t.rows[row][tc])
		case errors.Is(err, omen.ErrStreamTime):
			return t.cellError(row, tc, "%q is outside the years 1678–2261", t.rows[row][tc])
		case err != nil:
			return t.cellError(row, vc, "%v", err)
		}
		w.Write([]string{t.rows[row][tc], t.rows[row][vc], formatFloat(score)})
	}
	w.Flush()
	return w.Error()
}

// timestamp parses cell (row, col) as an RFC 3339 timestamp or a naive "2006-01-02 15:04:05"
// (UTC).
func (t *table) timestamp(row, col int) (time.Time, error) {
	s := strings.TrimSpace(t.rows[row][col])
	if s == "" {
		return time.Time{}, t.cellError(row, col, "empty cell")
	}
	norm := s
	if len(norm) > 10 && (norm[10] == ' ' || norm[10] == 't') {
		norm = norm[:10] + "T" + norm[11:]
	}
	if strings.HasSuffix(norm, "z") {
		norm = norm[:len(norm)-1] + "Z"
	}
	for _, layout := range streamLayouts {
		if ts, err := time.Parse(layout, norm); err == nil {
			return ts, nil
		}
	}
	return time.Time{}, t.cellError(row, col, "%q is not a timestamp (RFC 3339 or 2006-01-02 15:04:05)", t.rows[row][col])
}
