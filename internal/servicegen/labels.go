package servicegen

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
)

// WriteLabels writes the incidents as JSON lines, one Incident per line, with RFC 3339 UTC
// timestamps.
func WriteLabels(w io.Writer, incidents []Incident) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i, in := range incidents {
		in.Start, in.End = in.Start.UTC(), in.End.UTC()
		if in.Cross != nil {
			c := in.Cross.UTC()
			in.Cross = &c
		}
		if err := enc.Encode(in); err != nil {
			return fmt.Errorf("servicegen: writing label %d: %w", i, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("servicegen: writing labels: %w", err)
	}
	return nil
}

// maxLabelLine is the longest line ReadLabels accepts.
const maxLabelLine = 1 << 20

// ReadLabels reads incidents written by WriteLabels. Blank lines are skipped. A line that is not
// a valid label — malformed JSON, an unknown field, kind or metric, an empty service or metric
// list, End before Start, a non-finite Magnitude, or for a ramp a Threshold that is not positive
// or a Cross outside [Start, End]; Threshold or Cross on another kind — is an error naming its
// line number.
func ReadLabels(r io.Reader) ([]Incident, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLabelLine)
	var out []Incident
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var in Incident
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			return nil, fmt.Errorf("servicegen: labels line %d: %w", line, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("servicegen: labels line %d: more than one JSON value", line)
		}
		if err := in.validate(); err != nil {
			return nil, fmt.Errorf("servicegen: labels line %d: %w", line, err)
		}
		out = append(out, in)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("servicegen: reading labels: %w", err)
	}
	return out, nil
}

// validate checks the invariants ReadLabels documents.
func (in Incident) validate() error {
	switch {
	case in.Service == "":
		return errors.New("empty service")
	case !slices.Contains(Kinds, in.Kind):
		return fmt.Errorf("unknown kind %q", string(in.Kind))
	case len(in.Metrics) == 0:
		return errors.New("no metrics")
	case in.Start.IsZero() || in.End.IsZero():
		return errors.New("missing start or end")
	case in.End.Before(in.Start):
		return fmt.Errorf("end %v before start %v", in.End, in.Start)
	case math.IsNaN(in.Magnitude) || math.IsInf(in.Magnitude, 0):
		return fmt.Errorf("magnitude %v is not finite", in.Magnitude)
	}
	for _, m := range in.Metrics {
		if !slices.Contains(Metrics, m) {
			return fmt.Errorf("unknown metric %q", string(m))
		}
	}
	if in.Kind != Ramp {
		if in.Threshold != 0 || in.Cross != nil {
			return fmt.Errorf("threshold or cross on a %s", in.Kind)
		}
		return nil
	}
	switch {
	case !(in.Threshold > 0) || math.IsInf(in.Threshold, 0):
		return fmt.Errorf("ramp threshold %v, want a finite value > 0", in.Threshold)
	case in.Cross == nil:
		return errors.New("ramp without cross")
	case in.Cross.Before(in.Start) || in.Cross.After(in.End):
		return fmt.Errorf("ramp cross %v outside [%v, %v]", *in.Cross, in.Start, in.End)
	}
	return nil
}
