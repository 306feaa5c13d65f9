package servicegen_test

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/stacklens/omen/internal/servicegen"
)

func ExampleGenerate() {
	s, err := servicegen.Generate(servicegen.Config{Seed: 1})
	if err != nil {
		panic(err)
	}
	fmt.Println(len(s.Services), "services:", strings.Join(s.Services, ", "))
	fmt.Println(len(s.Windows), "windows from", s.Windows[0].Time.Format(time.RFC3339))
	fmt.Println(len(s.Incidents), "incidents; the first:", s.Incidents[0].Description)
	// Output:
	// 8 services: api, auth, cache, db, payments, queue, search, web
	// 2688 windows from 2024-01-01T00:00:00Z
	// 24 incidents; the first: request noise ×3 for 32 windows
}

func ExampleStream_Series() {
	s, _ := servicegen.Generate(servicegen.Config{Seed: 1})
	times, values, inIncident := s.Series("api", servicegen.TotalRequests)
	fmt.Println(times[14].Format("Mon 15:04"), values[14], inIncident[14])
	fmt.Println(times[3].Format("Mon 15:04"), values[3], inIncident[3])
	// Output:
	// Mon 14:00 20423 false
	// Mon 03:00 4303 false
}

func ExampleStream_IncidentsFor() {
	s, _ := servicegen.Generate(servicegen.Config{Seed: 1})
	for _, in := range s.IncidentsFor("cache", servicegen.ErrorRate) {
		fmt.Println(in.Kind, in.Start.Format("Jan 2 15h"), "crosses", in.Threshold, "% at", in.Cross.Format("Jan 2 15h"))
	}
	// Output:
	// ramp Jan 6 20h crosses 5 % at Jan 7 03h
	// ramp Jan 8 20h crosses 5 % at Jan 9 02h
}

func ExampleWindow_Value() {
	s, _ := servicegen.Generate(servicegen.Config{Seed: 1, Days: 1, NoIncidents: true})
	w := s.Windows[0]
	fmt.Println(w.Service, w.Value(servicegen.ErrorRate), w.Value(servicegen.LatencyP99))
	// Output:
	// api 0.7635 144.11
}

func ExampleWriteJSONLines() {
	s, _ := servicegen.Generate(servicegen.Config{Seed: 1, Services: 1, Days: 1, NoIncidents: true})
	s.Windows = s.Windows[:1]
	servicegen.WriteJSONLines(os.Stdout, s, servicegen.Flat)
	// Output:
	// {"service":"api","timestamp":"2024-01-01T00:00:00Z","window":"3600s","total_requests":4584,"error_rate":0.7635,"latency_p99_ms":144.11,"latency_p95_ms":98.82,"latency_mean_ms":56.74,"unique_users":384,"unique_ips":261,"risk_score":0.1846}
}

func ExampleWriteJSONLines_phase4() {
	s, _ := servicegen.Generate(servicegen.Config{Seed: 1, Services: 1, Days: 1, NoIncidents: true})
	s.Windows = s.Windows[:1]
	servicegen.WriteJSONLines(os.Stdout, s, servicegen.Phase4)
	// Output:
	// {"alert_id":"rule_error_rate_high_api_1704070800","rule_id":"rule_error_rate_high","rule_name":"High Error Rate","service":"api","severity":"warning","metric":"error_rate","value":0.7635,"threshold":5,"triggered_at":"2024-01-01T01:00:00","resolved_at":null,"status":"resolved","message":"High Error Rate: error_rate=0.7635 <= 5.0","details":{"service":"api","timestamp":"2024-01-01T00:00:00","window":"1hour","total_requests":4584,"successful_requests":4549,"failed_requests":35,"error_rate":0.7635,"latency_min":6.27,"latency_p50":38.82,"latency_p95":98.82,"latency_p99":144.11,"latency_max":179.36,"latency_mean":56.74,"unique_users":384,"unique_ips":261,"avg_risk_score":0.1846,"high_risk_count":92,"aggregated_at":"2024-01-01T01:00:00"}}
}

func ExampleShape_String() {
	fmt.Println(servicegen.Flat, servicegen.Phase4, servicegen.Mixed)
	// Output: flat phase4 mixed
}

func ExampleWriteLabels() {
	s, _ := servicegen.Generate(servicegen.Config{Seed: 1})
	servicegen.WriteLabels(os.Stdout, s.Incidents[:1])
	// Output:
	// {"service":"payments","kind":"variance_change","metrics":["total_requests","unique_users","unique_ips"],"start":"2024-01-04T07:00:00Z","end":"2024-01-05T14:00:00Z","magnitude":3,"description":"request noise ×3 for 32 windows"}
}

func ExampleReadLabels() {
	labels := `{"service":"api","kind":"error_spike","metrics":["error_rate"],"start":"2024-01-05T10:00:00Z","end":"2024-01-05T11:00:00Z","magnitude":12.5,"description":"error rate jumps to 12.50 % for 2 windows"}`
	incidents, err := servicegen.ReadLabels(strings.NewReader(labels))
	if err != nil {
		panic(err)
	}
	in := incidents[0]
	fmt.Println(in.Service, in.Kind, in.End.Sub(in.Start), in.Affects(servicegen.ErrorRate))
	_, err = servicegen.ReadLabels(strings.NewReader(strings.Replace(labels, "error_spike", "blip", 1)))
	fmt.Println(err)
	// Output:
	// api error_spike 1h0m0s true
	// servicegen: labels line 1: unknown kind "blip"
}

func ExampleIncident_Covers() {
	start := time.Date(2024, 1, 5, 10, 0, 0, 0, time.UTC)
	in := servicegen.Incident{Service: "api", Kind: servicegen.LatencySpike, Start: start, End: start.Add(time.Hour)}
	for _, h := range []int{9, 10, 11, 12} {
		t := start.Add(time.Duration(h-10) * time.Hour)
		fmt.Println(h, in.Covers(t, 0), in.Covers(t, time.Hour))
	}
	// Output:
	// 9 false false
	// 10 true true
	// 11 true true
	// 12 false true
}

func ExampleIncident_Affects() {
	in := servicegen.Incident{Kind: servicegen.TrafficDip, Metrics: []servicegen.Metric{servicegen.TotalRequests, servicegen.UniqueUsers}}
	fmt.Println(in.Affects(servicegen.TotalRequests), in.Affects(servicegen.ErrorRate))
	// Output: true false
}

// A naive detector that flags the error rate above 3 %, scored against the labels of the error-rate
// incidents with a tolerance of one window.
func ExampleEvaluate() {
	s, _ := servicegen.Generate(servicegen.Config{Seed: 1})
	var flags []servicegen.Flag
	var incidents []servicegen.Incident
	for _, svc := range s.Services {
		times, values, _ := s.Series(svc, servicegen.ErrorRate)
		mask := make([]bool, len(values))
		for i, v := range values {
			mask[i] = v > 3
		}
		flags = append(flags, servicegen.FlagsFromMask(svc, times, mask)...)
		incidents = append(incidents, s.IncidentsFor(svc, servicegen.ErrorRate)...)
	}
	e := servicegen.Evaluate(flags, incidents, time.Hour)
	fmt.Println(e)
	for _, d := range e.Detections {
		fmt.Println(d.Incident.Service, d.Incident.Kind, d.Detected, d.Delay)
	}
	// Output:
	// recall 0.857 (6/7), precision 1.000 (29/29), delay mean 5h20m0s max 25h0m0s
	// api level_shift true 25h0m0s
	// cache ramp true 4h0m0s
	// cache ramp true 3h0m0s
	// payments level_shift false 0s
	// payments error_spike true 0s
	// queue error_spike true 0s
	// search error_spike true 0s
}

func ExampleEvaluation_RecallByKind() {
	s, _ := servicegen.Generate(servicegen.Config{Seed: 1})
	var flags []servicegen.Flag
	for _, w := range s.Windows {
		if w.ErrorRate > 3 {
			flags = append(flags, servicegen.Flag{Service: w.Service, Time: w.Time})
		}
	}
	e := servicegen.Evaluate(flags, s.Incidents, time.Hour)
	byKind := e.RecallByKind()
	for _, k := range servicegen.Kinds {
		fmt.Printf("%s %.2f\n", k, byKind[k])
	}
	d := e.Detections[7]
	fmt.Println(d.Incident.Service, d.Incident.Kind, "flagged", d.Lead, "before crossing")
	// Output:
	// error_spike 1.00
	// latency_spike 0.00
	// latency_dip 0.00
	// traffic_dip 0.00
	// level_shift 0.33
	// ramp 0.67
	// variance_change 0.00
	// pattern_change 0.00
	// seasonality_break 0.00
	// cache ramp flagged 3h0m0s before crossing
}

func ExampleFlagsFromMask() {
	start := time.Date(2024, 1, 5, 0, 0, 0, 0, time.UTC)
	times := []time.Time{start, start.Add(time.Hour), start.Add(2 * time.Hour)}
	for _, f := range servicegen.FlagsFromMask("db", times, []bool{false, true, true}) {
		fmt.Println(f.Service, f.Time.Format("15:04"))
	}
	// Output:
	// db 01:00
	// db 02:00
}

// A larger, finer stream: 14 services every 5 minutes for a week, with more incidents.
func ExampleConfig() {
	s, err := servicegen.Generate(servicegen.Config{Seed: 42, Services: 14, Days: 7, Step: 5 * time.Minute, IncidentsPerWeek: 3})
	if err != nil {
		panic(err)
	}
	fmt.Println(len(s.Windows), "windows,", len(s.Incidents), "incidents")
	fmt.Println(s.Services[:3], s.Services[len(s.Services)-3:])
	_, err = servicegen.Generate(servicegen.Config{Days: 3})
	fmt.Println(err)
	// Output:
	// 28224 windows, 42 incidents
	// [api api-2 auth] [search web web-2]
	// servicegen: no room for the incidents after the warm-up; use more Days, a shorter WarmUp or fewer IncidentsPerWeek (service api)
}
