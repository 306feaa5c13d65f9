package omen

import (
	"cmp"
	"maps"
	"slices"
	"time"
)

// detService is the whole state of one service: its recent windows, the models trained on them
// and the streaming detectors that follow every window.
type detService struct {
	name string
	cfg  DetectorConfig

	history detHistory
	// sinceTraining counts the service's windows since its models were last trained, trainedOn
	// the number of windows they were trained on (0: not trained yet).
	sinceTraining, trainedOn int

	// last is the last window observed and lastResults what it produced, returned again when the
	// window is redelivered.
	last        Metrics
	hasLast     bool
	lastResults Results

	metrics  detMetrics
	trends   detTrends
	outliers detOutliers
	patterns detPatterns
}

func newDetService(name string, cfg DetectorConfig) *detService {
	return &detService{
		name:     name,
		cfg:      cfg,
		history:  newDetHistory(cfg.History),
		metrics:  newDetMetrics(cfg),
		outliers: newDetOutliers(cfg),
		patterns: newDetPatterns(cfg),
	}
}

// observe analyses the validated window m (timestamp in UTC) and learns it.
func (s *detService) observe(m Metrics) (Results, error) {
	if s.hasLast {
		switch c := m.Timestamp.Compare(s.last.Timestamp); {
		case c < 0:
			return Results{}, stale("", m.Service, m.Timestamp, s.last.Timestamp)
		case c == 0:
			if !detSameWindow(m, s.last) {
				return Results{}, invalid("the %s window of service %q was already observed with other values",
					m.Timestamp.Format(time.RFC3339), m.Service)
			}
			return detCloneResults(s.lastResults), nil
		}
	}
	res := Results{Metrics: []Metrics{m}}
	res.Anomalies = s.metrics.observe(s, m, res.Anomalies)
	res.Anomalies = s.trends.observe(s, m, res.Anomalies)
	res.Anomalies = s.outliers.observe(s, m, res.Anomalies)
	res.Anomalies = s.patterns.observe(s, m, res.Anomalies)
	slices.SortFunc(res.Anomalies, detCompareAnomalies)

	s.history.push(m)
	s.sinceTraining++
	if s.trainingDue() {
		res.Patterns = s.train()
	}
	s.last, s.hasLast, s.lastResults = m, true, res
	return detCloneResults(res), nil
}

// trainingDue reports whether the models should be (re)trained now: at MinHistory windows, again
// whenever the history has doubled since the last training while it grows, and every RetrainEvery
// windows of the service's own.
func (s *detService) trainingDue() bool {
	n := s.history.len()
	switch {
	case n < s.cfg.MinHistory:
		return false
	case s.trainedOn == 0:
		return true
	}
	return n >= 2*s.trainedOn || s.sinceTraining >= s.cfg.RetrainEvery
}

// train fits the outlier and pattern models on the history and returns the pattern updates.
func (s *detService) train() []Pattern {
	s.sinceTraining, s.trainedOn = 0, s.history.len()
	X := s.history.features()
	s.outliers.train(s, X)
	s.trends.train(&s.history)
	return s.patterns.train(s)
}

// warm learns stored windows without reporting anything: the windows after the last one seen,
// in order. A window that fails validation stops it with an error; the windows before it are
// learned.
func (s *detService) warm(windows []Metrics) error {
	for _, m := range windows {
		if err := m.Validate(); err != nil {
			return err
		}
		m.Timestamp = m.Timestamp.UTC()
		if m.Service != s.name {
			return invalid("a window of service %q in the history of %q", m.Service, s.name)
		}
		if s.hasLast && !m.Timestamp.After(s.last.Timestamp) {
			continue
		}
		if _, err := s.observe(m); err != nil {
			return err
		}
	}
	return nil
}

// catchUp learns the windows (oldest first) newer than the last one, discarding their results:
// the windows a restored state missed. Unlike warm it skips what it cannot use — a window of
// another service, an invalid one — since the history is outside data and one bad row must not
// keep the service from loading.
func (s *detService) catchUp(windows []Metrics) {
	for _, m := range windows {
		m.Timestamp = m.Timestamp.UTC()
		if m.Service != s.name || m.Validate() != nil || (s.hasLast && !m.Timestamp.After(s.last.Timestamp)) {
			continue
		}
		_, _ = s.observe(m) // a valid window newer than the last one is always accepted
	}
}

// detSameWindow reports whether a and b carry the same window.
func detSameWindow(a, b Metrics) bool {
	at, bt := a.Timestamp, b.Timestamp
	a.Timestamp, b.Timestamp = time.Time{}, time.Time{}
	return at.Equal(bt) && a == b
}

// detCompareAnomalies orders a window's anomalies by type, then metric.
func detCompareAnomalies(a, b Anomaly) int {
	return cmp.Or(
		cmp.Compare(slices.Index(AnomalyTypes, a.Type), slices.Index(AnomalyTypes, b.Type)),
		cmp.Compare(a.Metric, b.Metric),
	)
}

// detCloneResults returns a deep copy of r, so that callers cannot alter the cached results.
func detCloneResults(r Results) Results {
	out := Results{
		Metrics:   slices.Clone(r.Metrics),
		Anomalies: slices.Clone(r.Anomalies),
		Patterns:  slices.Clone(r.Patterns),
	}
	for i := range out.Anomalies {
		out.Anomalies[i].Contributions = maps.Clone(out.Anomalies[i].Contributions)
	}
	for i := range out.Patterns {
		out.Patterns[i].Vector = slices.Clone(out.Patterns[i].Vector)
		out.Patterns[i].Features = slices.Clone(out.Patterns[i].Features)
	}
	return out
}
