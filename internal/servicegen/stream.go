package servicegen

import (
	"slices"
	"time"
)

// Stream is a generated multi-service stream with its labels. Generate fills it; it is read-only
// afterwards, and its methods are safe for concurrent use.
type Stream struct {
	Config    Config     // the configuration used, with the defaults filled in
	Services  []string   // service names, sorted
	Windows   []Window   // every window of every service, by time, ties by service name
	Incidents []Incident // the labels, by Start, ties by service name
}

// Series returns the univariate view of one service's metric: the window timestamps, the values,
// and for each window whether it lies within [Start, End] of an incident of that service that
// affects m. The slices are empty for an unknown service; an unknown metric panics.
func (s Stream) Series(service string, m Metric) (times []time.Time, values []float64, inIncident []bool) {
	incidents := s.IncidentsFor(service, m)
	for _, w := range s.Windows {
		if w.Service != service {
			continue
		}
		times = append(times, w.Time)
		values = append(values, w.Value(m))
		inIncident = append(inIncident, slices.ContainsFunc(incidents, func(in Incident) bool { return in.Covers(w.Time, 0) }))
	}
	return times, values, inIncident
}

// IncidentsFor returns the incidents of service that affect metric m, in Stream order. An empty
// m selects every incident of the service.
func (s Stream) IncidentsFor(service string, m Metric) []Incident {
	var out []Incident
	for _, in := range s.Incidents {
		if in.Service == service && (m == "" || in.Affects(m)) {
			out = append(out, in)
		}
	}
	return out
}
