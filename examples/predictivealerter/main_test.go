package main

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stacklens/omen"
	"github.com/stacklens/omen/examples/internal/pipeline"
	"github.com/stacklens/omen/examples/internal/pipeline/pipelinetest"
	"github.com/stacklens/omen/internal/servicegen"
)

// stream is 4 services × 5 days of hourly windows with incidents after two days, among them
// ramps that the Alerter sees coming.
var stream = servicegen.Config{Seed: 1, Services: 4, Days: 5, WarmUp: 48 * time.Hour, IncidentsPerWeek: 2}

func getenv(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// expectedAlerts returns the IDs, sorted, of the predictive alerts omen.Alerter with the
// default configuration raises on msgs.
func expectedAlerts(t *testing.T, msgs []pipelinetest.Message) []string {
	t.Helper()
	al := omen.NewAlerter(omen.AlerterConfig{})
	ids := map[string]bool{}
	for _, m := range msgs {
		r, err := al.Process(context.Background(), m.Metrics)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range r.Alerts {
			ids[a.ID] = true
		}
	}
	out := make([]string, 0, len(ids))
	for id := range ids {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// TestRun runs the program, configured by the original's POSTGRES_* variables and Kafka
// variables, against an in-process Kafka broker and PostgreSQL: it serves /healthz and /metrics,
// stores and publishes exactly the predictive alerts of the stream with their forecasts, and
// stops cleanly with every offset committed and every model saved when its context ends.
func TestRun(t *testing.T) {
	dsn, pool := pipelinetest.Postgres(t)
	cluster := pipelinetest.Cluster(t, "analytics-alerts", 3)
	msgs := pipelinetest.Stream(t, stream)
	want := expectedAlerts(t, msgs)
	if len(want) == 0 {
		t.Fatal("the test stream raises no predictive alert")
	}

	env := map[string]string{
		"KAFKA_BOOTSTRAP_SERVERS": strings.Join(cluster.ListenAddrs(), ","),
		"DATABASE_URL":            dsn,
		"POSTGRES_HOST":           "ignored-since-DATABASE_URL-is-set",
		"HTTP_ADDR":               "127.0.0.1:0",
		"LOG_FORMAT":              "json",
		"LOG_LEVEL":               "INFO",
	}
	var logs pipelinetest.Logs
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exit := make(chan int, 1)
	go func() { exit <- run(ctx, nil, getenv(env), &logs) }()
	addr, _ := logs.Wait(t, "serving health and metrics")["addr"].(string)
	pipelinetest.Eventually(t, "/healthz 200", func() bool {
		code, _ := pipelinetest.Get(t, "http://"+addr+"/healthz")
		return code == 200
	})

	pipelinetest.Produce(t, cluster, "analytics-alerts", msgs)
	pipelinetest.Eventually(t, "every offset committed", func() bool {
		return pipelinetest.FullyCommitted(t, cluster, "predictive-alerts-group", "analytics-alerts")
	})

	code, exposition := pipelinetest.Get(t, "http://"+addr+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	if got := pipelinetest.Metric(t, exposition, "omen_predictivealerter_engine_windows_total"); got != float64(len(msgs)) {
		t.Errorf("engine_windows_total %v, want %d", got, len(msgs))
	}
	if got := pipelinetest.Metric(t, exposition, `omen_predictivealerter_predictive_alerts_total{status="pending"}`); got != float64(len(want)) {
		t.Errorf("%v alerts issued, want %d", got, len(want))
	}
	if got := pipelinetest.Metric(t, exposition, "omen_predictivealerter_forecasts_total"); got == 0 {
		t.Error("no forecast counted")
	}

	if got := pipelinetest.IDs(t, pool, "SELECT alert_id FROM ml_predictive_alerts ORDER BY alert_id"); !slices.Equal(got, want) {
		t.Errorf("ml_predictive_alerts hold %v, want %v", got, want)
	}
	var forecasts int
	if err := pool.QueryRow(pipelinetest.Context(t), "SELECT COUNT(*) FROM ml_forecasts").Scan(&forecasts); err != nil || forecasts == 0 {
		t.Errorf("%d forecasts stored (%v)", forecasts, err)
	}
	published := map[string]bool{}
	for _, r := range pipelinetest.ReadTopic(t, cluster, "predictive-alerts") {
		var a omen.PredictiveAlert
		if err := json.Unmarshal(r.Value, &a); err != nil {
			t.Fatal(err)
		}
		if string(r.Key) != a.Service {
			t.Errorf("record key %q, want the service %q", r.Key, a.Service)
		}
		published[a.ID] = true
	}
	if got := slices.Sorted(maps.Keys(published)); !slices.Equal(got, want) {
		t.Errorf("predictive-alerts carries %v, want %v", got, want)
	}

	cancel()
	if code := <-exit; code != 0 {
		t.Fatalf("exit status %d after the context ended, want 0; logs:\n%s", code, logs.String())
	}
	if !pipelinetest.FullyCommitted(t, cluster, "predictive-alerts-group", "analytics-alerts") {
		t.Error("offsets not committed after the stop")
	}
	states := pipelinetest.IDs(t, pool, "SELECT service FROM ml_models WHERE model_type = 'omen_state' ORDER BY service")
	if want := []string{"api", "auth", "payments", "web"}; !slices.Equal(states, want) {
		t.Errorf("models saved for %v, want %v", states, want)
	}
	if len(logs.Records("stopped")) != 1 {
		t.Errorf("no clean stop in the logs:\n%s", logs.String())
	}
}

// TestRunConfigurationErrors: an invalid setting is reported on stderr naming the variable or
// flag, with exit status 2.
func TestRunConfigurationErrors(t *testing.T) {
	tests := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{nil, map[string]string{"POSTGRES_PORT": "five"}, "predictivealerter: invalid configuration: POSTGRES_PORT: \"five\" is not an integer in [1, 65535]"},
		{nil, map[string]string{"ALERT_CAPACITY": "api=lots"}, "ALERT_CAPACITY"},
		{[]string{"-min-probability", "1.5"}, nil, "-min-probability"},
		{[]string{"-contamination", "0.1"}, nil, "flag provided but not defined: -contamination"},
	}
	for _, tt := range tests {
		var stderr pipelinetest.Logs
		if code := run(context.Background(), tt.args, getenv(tt.env), &stderr); code != 2 || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("args %q env %v: status %d, stderr %q; want 2 and %q", tt.args, tt.env, code, stderr.String(), tt.want)
		}
	}
}

// TestDocumentation: the package documentation lists every flag and variable of the program.
func TestDocumentation(t *testing.T) {
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(src)
	for _, s := range pipeline.Settings(pipeline.PredictiveAlerter) {
		if !strings.Contains(doc, "//\t-"+s.Flag+" ") {
			t.Errorf("the documentation lacks -%s", s.Flag)
		}
		for _, e := range s.Env {
			if !strings.Contains(doc, e) {
				t.Errorf("the documentation lacks %s", e)
			}
		}
	}
}
