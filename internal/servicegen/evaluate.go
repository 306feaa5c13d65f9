package servicegen

import (
	"fmt"
	"time"
)

// Flag is one window a detector flagged as anomalous: the service and the window's start.
type Flag struct {
	Service string
	Time    time.Time
}

// FlagsFromMask returns a Flag for every window of service whose mask entry is true. It panics if
// times and mask differ in length.
func FlagsFromMask(service string, times []time.Time, mask []bool) []Flag {
	if len(times) != len(mask) {
		panic(fmt.Sprintf("servicegen: %d times but %d mask entries", len(times), len(mask)))
	}
	var flags []Flag
	for i, t := range times {
		if mask[i] {
			flags = append(flags, Flag{Service: service, Time: t})
		}
	}
	return flags
}

// Detection is the outcome of one labelled incident.
type Detection struct {
	Incident Incident
	Detected bool
	First    time.Time     // the earliest matching flag (zero when not detected)
	Delay    time.Duration // First − Incident.Start (zero when not detected)

	// Lead is Incident.Cross − First for a detected ramp: positive when the detector warned
	// before the threshold was crossed. Zero otherwise.
	Lead time.Duration
}

// Evaluation scores a detector's flags against labelled incidents at the event level.
type Evaluation struct {
	Detections []Detection // one per incident, in the order given

	Incidents, Detected int // incidents, and those with a matching flag
	Flags, TruePositive int // distinct flags, and those within some incident's span

	// Recall = Detected/Incidents (1 without incidents); Precision = TruePositive/Flags (1
	// without flags).
	Recall, Precision float64

	// MeanDelay and MaxDelay summarise Delay over the detected incidents.
	MeanDelay, MaxDelay time.Duration
}

// String summarises e on one line.
func (e Evaluation) String() string {
	return fmt.Sprintf("recall %.3f (%d/%d), precision %.3f (%d/%d), delay mean %v max %v",
		e.Recall, e.Detected, e.Incidents, e.Precision, e.TruePositive, e.Flags, e.MeanDelay, e.MaxDelay)
}

// Evaluate matches flags to incidents. An incident is detected when a flag of its service falls
// within [Start, End + tolerance]; its delay runs from Start to the earliest such flag. A flag is a
// true positive when it falls within [Start, End + tolerance] of some incident of its service.
// Duplicate flags (same service and time) count once. The tolerance (≥ 0) credits a detector
// that reacts when an incident ends, such as a level shift's return to normal; one step is a
// natural choice. Neither input is modified.
//
// Recall is Detected/Incidents and precision TruePositive/Flags; an empty input makes the
// corresponding ratio 1, since nothing was missed or nothing was wrong. Evaluate panics on a
// negative tolerance.
func Evaluate(flags []Flag, incidents []Incident, tolerance time.Duration) Evaluation {
	if tolerance < 0 {
		panic(fmt.Sprintf("servicegen: negative tolerance %v", tolerance))
	}
	type key struct {
		service string
		unix    int64
		nano    int
	}
	byService := make(map[string][]time.Time)
	seen := make(map[key]bool, len(flags))
	for _, f := range flags {
		k := key{f.Service, f.Time.Unix(), f.Time.Nanosecond()}
		if !seen[k] {
			seen[k] = true
			byService[f.Service] = append(byService[f.Service], f.Time)
		}
	}

	e := Evaluation{Incidents: len(incidents), Flags: len(seen), Detections: make([]Detection, len(incidents))}
	var total time.Duration
	for i, in := range incidents {
		d := Detection{Incident: in}
		for _, t := range byService[in.Service] {
			if in.Covers(t, tolerance) && (!d.Detected || t.Before(d.First)) {
				d.Detected, d.First = true, t
			}
		}
		if d.Detected {
			d.Delay = d.First.Sub(in.Start)
			if in.Cross != nil {
				d.Lead = in.Cross.Sub(d.First)
			}
			e.Detected++
			total += d.Delay
			e.MaxDelay = max(e.MaxDelay, d.Delay)
		}
		e.Detections[i] = d
	}
	for service, times := range byService {
		for _, t := range times {
			for _, in := range incidents {
				if in.Service == service && in.Covers(t, tolerance) {
					e.TruePositive++
					break
				}
			}
		}
	}

	e.Recall, e.Precision = 1, 1
	if e.Incidents > 0 {
		e.Recall = float64(e.Detected) / float64(e.Incidents)
	}
	if e.Flags > 0 {
		e.Precision = float64(e.TruePositive) / float64(e.Flags)
	}
	if e.Detected > 0 {
		e.MeanDelay = total / time.Duration(e.Detected)
	}
	return e
}

// RecallByKind returns the recall of each incident kind present among the detections.
func (e Evaluation) RecallByKind() map[Kind]float64 {
	detected, total := map[Kind]int{}, map[Kind]int{}
	for _, d := range e.Detections {
		total[d.Incident.Kind]++
		if d.Detected {
			detected[d.Incident.Kind]++
		}
	}
	out := make(map[Kind]float64, len(total))
	for k, n := range total {
		out[k] = float64(detected[k]) / float64(n)
	}
	return out
}
