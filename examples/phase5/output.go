package main

import (
	"bufio"
	"encoding/json"
	"io"

	"github.com/stacklens/omen"
)

// recordWriter writes produced records as JSON lines {"kind": …, "record": {…}}.
type recordWriter struct {
	w   *bufio.Writer
	enc *json.Encoder
}

func newRecordWriter(w io.Writer) *recordWriter {
	bw := bufio.NewWriter(w)
	return &recordWriter{w: bw, enc: json.NewEncoder(bw)}
}

type envelope struct {
	Kind   string `json:"kind"`
	Record any    `json:"record"`
}

// write appends the records of r in a fixed order: anomalies, patterns, forecasts, alerts.
func (rw *recordWriter) write(r omen.Results) error {
	for _, a := range r.Anomalies {
		if err := rw.enc.Encode(envelope{"anomaly", a}); err != nil {
			return err
		}
	}
	for _, p := range r.Patterns {
		if err := rw.enc.Encode(envelope{"pattern", p}); err != nil {
			return err
		}
	}
	for _, f := range r.Forecasts {
		if err := rw.enc.Encode(envelope{"forecast", f}); err != nil {
			return err
		}
	}
	for _, a := range r.Alerts {
		if err := rw.enc.Encode(envelope{"alert", a}); err != nil {
			return err
		}
	}
	return nil
}

func (rw *recordWriter) flush() error { return rw.w.Flush() }
