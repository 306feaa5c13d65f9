package omen

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/stacklens/omen/arima"
)

// ErrAlerterState is wrapped by the errors of Alerter.Restore for data it cannot decode.
var ErrAlerterState = errors.New("omen: invalid alerter state")

// alerterStateMagic opens every encoded service state; the byte after it is the version.
const (
	alerterStateMagic   = "omenALRT"
	alerterStateVersion = 2
)

// alerterState is the encoded form of an alerterService (encoding/gob after the magic and the
// version byte). Version 2 keeps the forecasts awaiting their actual value compactly
// (forecastSeries.Awaiting); a version 1 state decodes without them (its forecasts are then not
// completed), everything else intact.
type alerterState struct {
	Service string
	Started bool
	Last    time.Time
	Window  time.Duration
	Diffs   []time.Duration
	// Slot and SlotPeriod place the last window in the daily cycle (absent from states written
	// before them: the next window is then placed by its time of day).
	Slot, SlotPeriod int
	Series           []alerterSeriesState
	Alerts           []alertOpen
	Outcomes         AlertOutcomes
}

type alerterSeriesState struct {
	Series  forecastSeries
	Model   []byte // arima.Model.MarshalBinary, empty without a model
	Psi     []float64
	Fc      arima.Forecast
	ArimaSE []float64
	Drift   float64
	DriftSE float64
	HasFc   bool
}

// encode returns the versioned encoding of the service's state.
func (s *alerterService) encode() ([]byte, error) {
	st := alerterState{Service: s.name, Started: s.started, Last: s.last, Window: s.window,
		Diffs: s.diffs, Slot: s.slot, SlotPeriod: s.slotPeriod, Alerts: s.alerts, Outcomes: s.outcomes}
	for _, f := range s.series {
		fs := alerterSeriesState{Series: *f, Psi: f.weights.Psi, Fc: f.fc, ArimaSE: f.arimaSE, Drift: f.drift, DriftSE: f.driftSE, HasFc: f.hasFc}
		if f.model != nil {
			b, err := f.model.MarshalBinary()
			if err != nil {
				return nil, fmt.Errorf("omen: alerter: encode the model of %s/%s: %w", s.name, f.Metric, err)
			}
			fs.Model = b
		}
		st.Series = append(st.Series, fs)
	}
	var buf bytes.Buffer
	buf.WriteString(alerterStateMagic)
	buf.WriteByte(alerterStateVersion)
	if err := gob.NewEncoder(&buf).Encode(&st); err != nil {
		return nil, fmt.Errorf("omen: alerter: encode the state of %q: %w", s.name, err)
	}
	return buf.Bytes(), nil
}

// decodeAlerterState decodes the state of service encoded by encode.
func decodeAlerterState(data []byte, service string) (*alerterService, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w of %q: %s", ErrAlerterState, service, fmt.Sprintf(format, args...))
	}
	if len(data) <= len(alerterStateMagic) || string(data[:len(alerterStateMagic)]) != alerterStateMagic {
		return nil, bad("not an alerter state")
	}
	if v := data[len(alerterStateMagic)]; v < 1 || v > alerterStateVersion {
		return nil, bad("unknown version %d", v)
	}
	var st alerterState
	if err := gob.NewDecoder(bytes.NewReader(data[len(alerterStateMagic)+1:])).Decode(&st); err != nil {
		return nil, bad("%v", err)
	}
	if st.Service != service {
		return nil, bad("the state is of service %q", st.Service)
	}
	if len(st.Diffs) > alerterStepDiffs || slices.ContainsFunc(st.Diffs, func(d time.Duration) bool { return d <= 0 }) ||
		(st.Started && st.Window <= 0) || st.SlotPeriod < 0 || st.Slot < 0 || st.Slot >= max(st.SlotPeriod, 1) {
		return nil, bad("inconsistent time grid")
	}
	s := &alerterService{name: service, started: st.Started, last: st.Last, window: st.Window,
		diffs: st.Diffs, slot: st.Slot, slotPeriod: st.SlotPeriod, alerts: st.Alerts, outcomes: st.Outcomes}
	for i := range st.Series {
		fs := &st.Series[i]
		f := fs.Series
		f.fc, f.hasFc = fs.Fc, fs.HasFc
		f.arimaSE, f.drift, f.driftSE = fs.ArimaSE, fs.Drift, fs.DriftSE
		if len(fs.Model) > 0 {
			f.model = new(arima.Model)
			if err := f.model.UnmarshalBinary(fs.Model); err != nil {
				return nil, bad("model of %s: %v", f.Metric, err)
			}
			if len(fs.Psi) > 0 {
				f.weights = forecastWeightsOf(f.model, len(fs.Psi))
			}
		}
		if i > 0 && st.Series[i-1].Series.Metric >= f.Metric {
			return nil, bad("series out of order")
		}
		if _, ok := (Metrics{}).Value(f.Metric); !ok {
			return nil, bad("unknown metric %q", f.Metric)
		}
		n := len(f.fc.Mean)
		if fs.HasFc && (n == 0 || len(f.fc.SE) != n || len(f.fc.Lower) != n || len(f.fc.Upper) != n ||
			len(f.arimaSE) != n || len(fs.Psi) != n || f.model == nil) {
			return nil, bad("inconsistent forecast of %s", f.Metric)
		}
		if len(f.Errors) != len(f.ErrorSEs) || len(f.Errors) > forecastDriftWindows {
			return nil, bad("inconsistent forecast errors of %s", f.Metric)
		}
		s.series = append(s.series, &f)
	}
	return s, nil
}
