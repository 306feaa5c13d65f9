package omen

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"
)

// The original mixed per-minute and per-point units: a ramp from 8000 to 9100 requests was
// "Critical" but got an exhaustion time of 540 h (§4.6, §7 item 12). Here the capacity is per
// hour, the forecast per window, and their ratio is the same in either unit.
func TestCapacityPlanUnits(t *testing.T) {
	const perHour = 3600.0
	step := 30 * time.Minute
	windows := alerterSynthetic("svc", step, 60, func(int) float64 { return 1 }, func(i int) float64 {
		return 1500 + 10*math.Sin(float64(i))
	})
	a := NewAlerter(AlerterConfig{Capacity: map[string]float64{"svc": perHour}})
	alerterRun(t, a, windows)
	p, err := a.CapacityPlan("svc")
	if err != nil {
		t.Fatal(err)
	}
	if p.Step != step || p.CapacityPerWindow != perHour/2 || p.Metric != "total_requests" {
		t.Errorf("step %v, capacity per window %v, metric %s; want 30m, %v, total_requests", p.Step, p.CapacityPerWindow, p.Metric, perHour/2)
	}
	last := float64(windows[len(windows)-1].TotalRequests)
	if p.Current != last || p.CurrentPerHour != 2*last || math.Abs(p.CurrentUtilization-last/1800) > 1e-12 {
		t.Errorf("current %v per window, %v per hour, utilisation %v; want %v, %v, %v", p.Current, p.CurrentPerHour, p.CurrentUtilization, last, 2*last, last/1800)
	}
	if len(p.Forecast) != 24 {
		t.Fatalf("%d forecast points, want 24", len(p.Forecast))
	}
	for h, pt := range p.Forecast {
		if !pt.Time.Equal(p.IssuedAt.Add(time.Duration(h+1) * step)) {
			t.Errorf("point %d at %s", h, pt.Time)
		}
		if math.Abs(pt.PerHour-2*pt.PerWindow) > 1e-9 || math.Abs(pt.Utilization-pt.PerHour/perHour) > 1e-12 ||
			!(pt.Lower <= pt.Utilization && pt.Utilization <= pt.Upper) {
			t.Errorf("point %d: %+v is not consistent", h, pt)
		}
		if math.Abs(pt.Utilization-1500.0/1800) > 0.05 {
			t.Errorf("point %d: utilisation %v, want about %v", h, pt.Utilization, 1500.0/1800)
		}
	}
	if p.Exhausted || p.PeakUtilization > 0.9 || p.Recommendation == "" {
		t.Errorf("steady load at 83 %%: exhausted %v, peak %v, %q", p.Exhausted, p.PeakUtilization, p.Recommendation)
	}
}

// A steady climb towards the capacity gets a time to exhaustion within the horizon, with an
// interval around it, and a predictive alert of the exhaustion.
func TestCapacityPlanExhaustion(t *testing.T) {
	windows := alerterSynthetic("svc", time.Hour, 48, func(int) float64 { return 1 }, func(i int) float64 {
		return 7000 + 45*float64(i) + 15*math.Sin(2.1*float64(i))
	})
	a := NewAlerter(AlerterConfig{Capacity: map[string]float64{"svc": 10000}})
	var capacityAlerts []PredictiveAlert
	for _, r := range alerterRun(t, a, windows) {
		for _, al := range r.Alerts {
			if al.Metric == "total_requests" {
				capacityAlerts = append(capacityAlerts, al)
			}
		}
	}
	p, err := a.CapacityPlan("svc")
	if err != nil {
		t.Fatal(err)
	}
	// 9115 requests an hour growing by 45 an hour: the capacity is reached in about 20 h.
	if !p.Exhausted || p.TimeToExhaustion < 14*time.Hour || p.TimeToExhaustion > 24*time.Hour {
		t.Fatalf("exhausted %v in %v, want about 20 h (%s)", p.Exhausted, p.TimeToExhaustion, p.Recommendation)
	}
	if p.ExhaustionEarliest.IsZero() || p.ExhaustionEarliest.After(p.ExhaustionAt) ||
		(!p.ExhaustionLatest.IsZero() && p.ExhaustionLatest.Before(p.ExhaustionAt)) {
		t.Errorf("exhaustion at %s, interval [%s, %s]", p.ExhaustionAt, p.ExhaustionEarliest, p.ExhaustionLatest)
	}
	if len(capacityAlerts) == 0 {
		t.Fatal("no predictive alert of the exhaustion")
	}
	al := capacityAlerts[0]
	if al.Threshold != 10000 || al.Priority == "" || al.Confidence < 0.5 {
		t.Errorf("capacity alert %+v", al)
	}
	t.Logf("%s; alert issued %s: %s (p = %.2f)", p.Recommendation, al.IssuedAt.Format(time.RFC3339), al.PredictedEvent, al.Confidence)

	// The JSON form: snake_case, seconds for durations, the exhaustion present.
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got["service"] != "svc" || got["step_seconds"] != 3600.0 || got["exhausted"] != true ||
		got["time_to_exhaustion_seconds"] != p.TimeToExhaustion.Seconds() ||
		got["exhaustion_at"] != p.ExhaustionAt.Format(time.RFC3339) || len(got["forecast"].([]any)) != 24 {
		t.Errorf("JSON plan %s", b)
	}
	pt := got["forecast"].([]any)[0].(map[string]any)
	if pt["utilization"] != p.Forecast[0].Utilization || pt["utilization_upper"] != p.Forecast[0].Upper {
		t.Errorf("JSON forecast point %v, want %+v", pt, p.Forecast[0])
	}
}

func TestCapacityPlanErrors(t *testing.T) {
	a := NewAlerter(AlerterConfig{Capacity: map[string]float64{"svc": 100}})
	if _, err := a.CapacityPlan("other"); !errors.Is(err, ErrNoCapacityPlan) {
		t.Errorf("service without capacity: %v", err)
	}
	if _, err := a.CapacityPlan("svc"); !errors.Is(err, ErrNoCapacityPlan) {
		t.Errorf("service never seen: %v", err)
	}
	alerterRun(t, a, alerterSynthetic("svc", time.Hour, 5, func(int) float64 { return 1 }, nil))
	if _, err := a.CapacityPlan("svc"); !errors.Is(err, ErrNoCapacityPlan) {
		t.Errorf("five windows: %v", err)
	}
}
