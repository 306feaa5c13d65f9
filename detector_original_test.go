package omen

import (
	"context"
	"encoding/csv"
	"math"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stacklens/omen/patterns"
	"github.com/stacklens/omen/trend"
)

// The original system's tests 19–35 (ORIGINAL-SYSTEM.md §5), with corrected assertions. Tests
// 01–18 (the isolation forest and the pattern analyser alone) are ported in packages isoforest
// and patterns.

// detFixture reads testdata/detector/<name>.csv (the original's normal(100) or anomalous(20),
// see its README) as feature rows in the order of FeatureNames.
func detFixture(t *testing.T, name string) [][]float64 {
	t.Helper()
	f, err := os.Open("testdata/detector/" + name + ".csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	rows := make([][]float64, len(recs)-1)
	for i, rec := range recs[1:] {
		for _, cell := range rec {
			v, err := strconv.ParseFloat(cell, 64)
			if err != nil {
				t.Fatal(err)
			}
			rows[i] = append(rows[i], v)
		}
	}
	return rows
}

// detFixtureWindows turns fixture rows into hourly windows of service from start.
func detFixtureWindows(service string, start time.Time, rows [][]float64) []Metrics {
	ms := make([]Metrics, len(rows))
	for i, r := range rows {
		ms[i] = Metrics{
			Service: service, Timestamp: start.Add(time.Duration(i) * time.Hour), Window: time.Hour,
			ErrorRate: r[0], LatencyP99: r[1], LatencyP95: r[2], LatencyMean: r[3], LatencyP50: r[3] * 0.8,
			UniqueUsers: int64(math.Round(r[4])), UniqueIPs: int64(math.Round(r[5])), RiskScore: r[6],
			TotalRequests: int64(math.Round(r[7])),
		}
	}
	return ms
}

var detFixtureStart = time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC)

func linspace(a, b float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = a + (b-a)*float64(i)/float64(n-1)
	}
	return out
}

// Tests 19–22 and 24: the original's trend and seasonality functions, reproduced by package trend
// (values from the original, ORIGINAL-SYSTEM.md §4.5).
func TestOriginal19To24LegacyTrend(t *testing.T) {
	up := linspace(10, 20, 50)
	down := linspace(20, 10, 50)
	flat := make([]float64, 50)
	for i := range flat {
		flat[i] = 15
	}
	season := make([]float64, 50)
	for i, x := range linspace(0, 4*math.Pi, 50) {
		season[i] = 10 + 5*math.Sin(x)
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"19 trend up", trend.LegacyTrend(up, 5), 0.013605},
		{"20 trend down", trend.LegacyTrend(down, 5), -0.013605},
		{"21 constant", trend.LegacyTrend(flat, 5), 0},
		{"22 seasonality", trend.LegacySeasonality(season, 24), 0.4961},
		{"24 trend up", trend.LegacyTrend(up, 5), 0.013605},
	} {
		if math.Abs(c.got-c.want) > 5e-5 {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
}

// Test 23: the original misses a clear V (magnitude 0.033 against its 0.3 threshold); the
// Mann–Kendall test of each half finds the reversal, and the Detector reports a trend change when
// the V is an error rate.
func TestOriginal23TrendReversal(t *testing.T) {
	v := append(linspace(10, 15, 25), linspace(15, 10, 25)...)
	changed, magnitude := trend.LegacyTrendChange(v, 5, 0.3)
	if changed || math.Abs(magnitude-0.0333) > 5e-4 {
		t.Errorf("legacy: (%v, %v), want the original's (false, 0.0333)", changed, magnitude)
	}
	before, err := trend.MannKendall(v[:25])
	if err != nil {
		t.Fatal(err)
	}
	after, err := trend.MannKendall(v[25:])
	if err != nil {
		t.Fatal(err)
	}
	if !(before.Z > 0 && after.Z < 0 && before.P < 1e-6 && after.P < 1e-6) {
		t.Errorf("Mann–Kendall of the halves: Z %v (p %v) then %v (p %v), want a significant rise then fall",
			before.Z, before.P, after.Z, after.P)
	}

	// The Detector on a service whose error rate follows the V after 100 normal windows.
	d := detTestDetector(t)
	normal := detFixture(t, "normal")
	ms := detFixtureWindows("api", detFixtureStart, normal)
	vee := detFixtureWindows("api", detFixtureStart.Add(100*time.Hour), normal[:50])
	for i := range vee {
		vee[i].ErrorRate = v[i] // percent: 10 % rising to 15 % and back
	}
	var rising, falling int
	for i, r := range detReplay(t, d, append(ms, vee...))[len(ms):] {
		for _, a := range r.Anomalies {
			if a.Metric == "error_rate" && a.Type == TrendChange {
				if i < 25 {
					rising++
				} else {
					falling++
				}
			}
		}
	}
	if rising == 0 || falling == 0 {
		t.Errorf("the Detector reports %d trend changes of the error rate's rise and %d of its fall, want both", rising, falling)
	}
}

// Test 25: the original needed a database and Kafka to build the orchestrator; a Detector needs
// neither.
func TestOriginal25NewDetector(t *testing.T) {
	if d := detTestDetector(t); len(d.Services()) != 0 {
		t.Error("a new Detector holds services")
	}
}

// Test 30: the original looked for statistics attributes; a Detector reports its services and
// configuration.
func TestOriginal30DetectorState(t *testing.T) {
	d := detTestDetector(t)
	detReplay(t, d, detFixtureWindows("api", detFixtureStart, detFixture(t, "normal")[:30]))
	if got := d.Services(); len(got) != 1 || got[0] != "api" {
		t.Errorf("services %v", got)
	}
	if d.Config().History != 168 {
		t.Errorf("config %+v", d.Config())
	}
}

// Tests 31 and 34: after 100 normal windows, each of four services reports every one of the 20
// anomalous windows, with a calibrated score above the normal windows' and the metrics that
// explain the outlier (the original asserted a mean raw score above 0.3 and got −0.722).
func TestOriginal31And34Outliers(t *testing.T) {
	normal, anomalous := detFixture(t, "normal"), detFixture(t, "anomalous")
	d := detTestDetector(t)
	for _, svc := range []string{"api", "web", "db", "cache"} {
		ms := detFixtureWindows(svc, detFixtureStart, append(append([][]float64{}, normal...), anomalous...))
		results := detReplay(t, d, ms)
		flagged, outliers := 0, 0
		for i, r := range results[len(normal):] {
			if len(r.Anomalies) > 0 {
				flagged++
			}
			for _, a := range r.Anomalies {
				if a.Type != Outlier || a.Metric != detOutlierMetric {
					continue // a metric's wider spread is an outlier too, without contributions
				}
				outliers++
				if a.Score < 25 || len(a.Contributions) == 0 || a.Value <= a.Baseline {
					t.Errorf("%s anomalous window %d: %+v", svc, i, a)
				}
			}
		}
		if flagged != len(anomalous) || outliers == 0 {
			t.Errorf("%s: %d of %d anomalous windows flagged, %d outliers", svc, flagged, len(anomalous), outliers)
		}
		falseAlarms := 0
		for _, r := range results[48:len(normal)] {
			falseAlarms += len(r.Anomalies)
		}
		if falseAlarms > 2 {
			t.Errorf("%s: %d anomalies among the normal windows", svc, falseAlarms)
		}
	}
}

// Tests 32 and 17: the normal fixture forms at least one pattern (the original's DBSCAN at eps 0.5
// found none), and the Detector publishes it after training.
func TestOriginal32Patterns(t *testing.T) {
	model, err := patterns.Fit(detFixture(t, "normal"), nil, patterns.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if len(model.Patterns()) == 0 {
		t.Error("no pattern in the normal fixture")
	}
	d := detTestDetector(t)
	var found []Pattern
	for _, r := range detReplay(t, d, detFixtureWindows("api", detFixtureStart, detFixture(t, "normal"))) {
		found = append(found, r.Patterns...)
	}
	if len(found) == 0 {
		t.Fatal("the Detector published no pattern")
	}
	for _, p := range found {
		if p.Service != "api" || len(p.Vector) != len(FeatureNames) || p.WindowSize == 0 || p.FirstSeen.IsZero() {
			t.Errorf("pattern %+v", p)
		}
	}
}

// Test 35 (20 anomalous rows in under a second) is BenchmarkDetectorObserve.

func TestOriginalContextCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m := detFixtureWindows("api", detFixtureStart, detFixture(t, "normal")[:1])[0]
	if _, err := detTestDetector(t).Observe(ctx, m); err == nil {
		t.Error("Observe with a cancelled context succeeded")
	}
}
