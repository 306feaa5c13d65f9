package pgadapter

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/stacklens/omen"
)

// Column widths of the schema's VARCHAR columns, in characters.
const (
	idWidth       = 255 // ids, service, metric and pattern names
	typeWidth     = 50  // anomaly_type, pattern_type, prediction_type
	severityWidth = 20  // severity, priority, status
	modelWidth    = 255 // model_type, model_order of ml_forecasts
)

// checker collects the first problem of one record.
type checker struct {
	kind, id string // e.g. "anomaly", "3f2a…"
	err      error
}

func newChecker(kind, id string) *checker {
	return &checker{kind: kind, id: id}
}

func (c *checker) fail(format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf("%w: %s %q: %s", ErrInvalidRecord, c.kind, c.id, fmt.Sprintf(format, args...))
	}
}

// finite requires a finite number: PostgreSQL's NUMERIC would store NaN and ±Inf, which no
// aggregate or dashboard handles.
func (c *checker) finite(column string, v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		c.fail("%s is %v, want a finite number", column, v)
	}
}

func (c *checker) finitePtr(column string, v *float64) {
	if v != nil {
		c.finite(column, *v)
	}
}

// text requires valid UTF-8 without NUL (PostgreSQL text cannot hold it) and at most width
// characters (0: unlimited).
func (c *checker) text(column, s string, width int) {
	switch {
	case !utf8.ValidString(s):
		c.fail("%s is not valid UTF-8", column)
	case strings.IndexByte(s, 0) >= 0:
		c.fail("%s contains a NUL byte", column)
	case width > 0 && utf8.RuneCountInString(s) > width:
		c.fail("%s has %d characters, the column holds %d", column, utf8.RuneCountInString(s), width)
	}
}

// key requires a non-empty text.
func (c *checker) key(column, s string, width int) {
	if s == "" {
		c.fail("no %s", column)
	}
	c.text(column, s, width)
}

// time requires t, when set (or required), in the years 1–9999 (UTC): beyond, pgx's encoding of
// a timestamp wraps around and stores another date.
func (c *checker) time(column string, t time.Time, required bool) {
	switch {
	case t.IsZero():
		if required {
			c.fail("no %s", column)
		}
	case t.UTC().Year() < 1 || t.UTC().Year() > 9999:
		c.fail("%s %s outside the years 1–9999", column, t.UTC().Format(time.RFC3339))
	}
}

func (c *checker) timePtr(column string, t *time.Time) {
	if t != nil {
		c.time(column, *t, false)
	}
}

func checkAnomaly(a omen.Anomaly) error {
	c := newChecker("anomaly", a.ID)
	c.key("anomaly_id", a.ID, idWidth)
	c.key("service", a.Service, idWidth)
	c.key("anomaly_type", string(a.Type), typeWidth)
	c.key("severity", string(a.Severity), severityWidth)
	c.time("timestamp", a.Timestamp, true)
	c.text("metric_name", a.Metric, idWidth)
	c.text("description", a.Description, 0)
	c.finite("anomaly_score", a.Score)
	c.finite("metric_value", a.Value)
	c.finite("baseline_value", a.Baseline)
	c.finite("deviation_percent", a.DeviationPercent)
	c.finite("confidence_score", a.Confidence)
	for name, share := range a.Contributions {
		c.text("contributions key", name, 0)
		c.finite("contributions["+name+"]", share)
	}
	return c.err
}

func checkPattern(p omen.Pattern) error {
	c := newChecker("pattern", p.ID)
	c.key("pattern_id", p.ID, idWidth)
	c.key("service", p.Service, idWidth)
	c.text("pattern_name", p.Name, idWidth)
	c.text("pattern_type", p.Type, typeWidth)
	c.finite("confidence", p.Confidence)
	c.time("first_seen", p.FirstSeen, false)
	c.time("last_seen", p.LastSeen, false)
	for i, v := range p.Vector {
		c.finite(fmt.Sprintf("feature_vector[%d]", i), v)
	}
	for _, name := range p.Features {
		c.text("feature_names", name, 0)
	}
	if p.WindowSize > math.MaxInt32 || p.WindowSize < math.MinInt32 {
		c.fail("window_size %d does not fit an INTEGER", p.WindowSize)
	}
	if p.Occurrences > math.MaxInt32 || p.Occurrences < math.MinInt32 {
		c.fail("occurrences %d does not fit an INTEGER", p.Occurrences)
	}
	return c.err
}

func checkForecast(f omen.Forecast) error {
	c := newChecker("forecast", f.ID)
	c.key("forecast_id", f.ID, idWidth)
	c.key("service", f.Service, idWidth)
	c.key("metric_name", f.Metric, idWidth)
	c.text("model_type", f.Model, modelWidth)
	c.text("model_order", f.ModelOrder, modelWidth)
	c.finite("predicted_value", f.Predicted)
	c.finite("prediction_lower_bound", f.Lower)
	c.finite("prediction_upper_bound", f.Upper)
	c.finite("confidence_interval", f.Level)
	c.time("issued_at", f.IssuedAt, false)
	c.time("forecast_timestamp", f.Timestamp, false)
	c.finitePtr("actual_value", f.Actual)
	c.finitePtr("prediction_error", f.Error)
	return c.err
}

func checkAlert(a omen.PredictiveAlert) error {
	c := newChecker("predictive alert", a.ID)
	c.key("alert_id", a.ID, idWidth)
	c.key("service", a.Service, idWidth)
	c.text("metric_name", a.Metric, idWidth)
	c.text("prediction_type", a.PredictionType, typeWidth)
	c.text("predicted_event", a.PredictedEvent, 0)
	c.text("recommended_action", a.RecommendedAction, 0)
	c.text("priority", string(a.Priority), severityWidth)
	c.text("severity", string(a.Severity), severityWidth)
	c.text("status", string(a.Status), severityWidth)
	c.finite("prediction_confidence", a.Confidence)
	c.finite("current_value", a.CurrentValue)
	c.finite("predicted_value", a.PredictedValue)
	c.finite("baseline_value", a.BaselineValue)
	c.finite("threshold_value", a.Threshold)
	c.finite("alert_score", a.Score)
	for _, t := range []struct {
		column string
		t      time.Time
	}{{"issued_at", a.IssuedAt}, {"predicted_time_start", a.WindowStart}, {"predicted_time_end", a.WindowEnd},
		{"expected_breach_at", a.ExpectedBreach}, {"breach_range_start", a.BreachEarliest}, {"breach_range_end", a.BreachLatest}} {
		c.time(t.column, t.t, false)
	}
	c.timePtr("alert_sent_at", a.SentAt)
	c.timePtr("materialized_at", a.MaterializedAt)
	return c.err
}

// checkResults checks every record of r; see ErrInvalidRecord.
func checkResults(r omen.Results) error {
	for _, m := range r.Metrics {
		if err := m.Validate(); err != nil {
			return fmt.Errorf("%w: metrics of %q at %s: %w", ErrInvalidRecord, m.Service, m.Timestamp, err)
		}
	}
	for _, a := range r.Anomalies {
		if err := checkAnomaly(a); err != nil {
			return err
		}
	}
	for _, p := range r.Patterns {
		if err := checkPattern(p); err != nil {
			return err
		}
	}
	for _, f := range r.Forecasts {
		if err := checkForecast(f); err != nil {
			return err
		}
	}
	for _, a := range r.Alerts {
		if err := checkAlert(a); err != nil {
			return err
		}
	}
	return nil
}
