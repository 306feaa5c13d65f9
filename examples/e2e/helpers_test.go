package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/stacklens/omen"
	"github.com/stacklens/omen/examples/internal/pipeline"
	"github.com/stacklens/omen/examples/internal/pipeline/pipelinetest"
	"github.com/stacklens/omen/kafkaadapter"
)

// alerterConfig emits one forecast record per metric and window (the next step), as
// examples/phase5 does, which keeps ml_forecasts small.
var alerterConfig = omen.AlerterConfig{ForecastRecords: 1}

// fastKafka makes members join, heartbeat and retry quickly, and extra options follow.
func fastKafka(extra ...kgo.Opt) []kafkaadapter.Option {
	return []kafkaadapter.Option{
		kafkaadapter.WithClientOptions(append([]kgo.Opt{kgo.HeartbeatInterval(100 * time.Millisecond),
			kgo.FetchMaxWait(200 * time.Millisecond)}, extra...)...),
		kafkaadapter.WithRetryBackoff(20*time.Millisecond, 200*time.Millisecond),
	}
}

// services is the ML service and the predictive alerter of one pipeline.
type services struct {
	ml, alerter *pipeline.Service
}

// startServices starts both roles on the brokers with the store of base (its Pool, PostgresDSN
// or Memory), each with base's other settings. They are stopped at the end of the test if still
// running.
func startServices(t *testing.T, base pipeline.Config) services {
	t.Helper()
	start := func(role pipeline.Role) *pipeline.Service {
		cfg := base
		cfg.Role = role
		cfg.Alerter = alerterConfig
		s, err := pipeline.Start(pipelinetest.Context(t), cfg)
		if err != nil {
			t.Fatalf("Start(%s): %v", role, err)
		}
		t.Cleanup(func() { s.Stop() })
		return s
	}
	return services{ml: start(pipeline.MLService), alerter: start(pipeline.PredictiveAlerter)}
}

// stop stops both services gracefully, failing the test on error.
func (s services) stop(t *testing.T) {
	t.Helper()
	for _, svc := range []*pipeline.Service{s.ml, s.alerter} {
		if err := svc.Stop(); err != nil {
			t.Fatalf("stopping %s: %v", svc.Role(), err)
		}
	}
}

// waitCommitted waits until both groups have committed every record of the input topic.
func waitCommitted(t *testing.T, c *kfake.Cluster) {
	t.Helper()
	input := kafkaadapter.DefaultTopics().Input
	pipelinetest.Eventually(t, "every input offset committed by both groups", func() bool {
		return pipelinetest.FullyCommitted(t, c, pipeline.DefaultMLServiceGroup, input) &&
			pipelinetest.FullyCommitted(t, c, pipeline.DefaultPredictiveAlerterGroup, input)
	})
}

// reference runs the engines in-process over msgs in order, as one uninterrupted process does,
// and returns what they produce, merged: each record's latest version.
func reference(t *testing.T, msgs []pipelinetest.Message) *omen.MemoryStore {
	t.Helper()
	det, err := omen.NewDetector(omen.DetectorConfig{})
	if err != nil {
		t.Fatal(err)
	}
	al := omen.NewAlerter(alerterConfig)
	ctx := context.Background()
	store := omen.NewMemoryStore()
	for _, m := range msgs {
		for _, p := range []kafkaadapter.Processor{det, al} {
			r, err := p.Process(ctx, m.Metrics)
			if err != nil {
				t.Fatalf("%s %s: %v", m.Metrics.Service, m.Metrics.Timestamp, err)
			}
			if err := store.Write(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	return store
}

func anomalyIDs(s *omen.MemoryStore) []string {
	var ids []string
	for _, a := range s.Anomalies() {
		ids = append(ids, a.ID)
	}
	slices.Sort(ids)
	return ids
}

func alertIDs(s *omen.MemoryStore) []string {
	var ids []string
	for _, a := range s.Alerts() {
		ids = append(ids, a.ID)
	}
	slices.Sort(ids)
	return ids
}

// topicIDs reads every record of topic and returns the distinct values of the string field of
// their JSON values, sorted, and how many times each occurs.
func topicIDs(t *testing.T, c *kfake.Cluster, topic, field string) ([]string, map[string]int) {
	t.Helper()
	seen := map[string]int{}
	for _, r := range pipelinetest.ReadTopic(t, c, topic) {
		var v map[string]any
		if err := json.Unmarshal(r.Value, &v); err != nil {
			t.Fatalf("%s: record %s: %v", topic, r.Value, err)
		}
		id, _ := v[field].(string)
		if id == "" {
			t.Fatalf("%s: record without %s: %s", topic, field, r.Value)
		}
		if service, _ := v["service"].(string); service != string(r.Key) {
			t.Errorf("%s: record of service %q keyed %q", topic, service, r.Key)
		}
		seen[id]++
	}
	return slices.Sorted(maps.Keys(seen)), seen
}

// dbIDs returns the sorted values of a table's ID column.
func dbIDs(t *testing.T, pool *pgxpool.Pool, table, column string) []string {
	t.Helper()
	return pipelinetest.IDs(t, pool, fmt.Sprintf("SELECT %s FROM %s ORDER BY %s",
		pgx.Identifier{column}.Sanitize(), pgx.Identifier{table}.Sanitize(), pgx.Identifier{column}.Sanitize()))
}

// diff describes how two sorted ID lists differ.
func diff(got, want []string) string {
	var missing, extra []string
	for _, id := range want {
		if _, ok := slices.BinarySearch(got, id); !ok {
			missing = append(missing, id)
		}
	}
	for _, id := range got {
		if _, ok := slices.BinarySearch(want, id); !ok {
			extra = append(extra, id)
		}
	}
	return fmt.Sprintf("%d IDs, want %d: %d missing %s, %d unexpected %s", len(got), len(want),
		len(missing), head(missing), len(extra), head(extra))
}

func head(ids []string) string {
	if len(ids) > 5 {
		return "[" + strings.Join(ids[:5], " ") + " …]"
	}
	return "[" + strings.Join(ids, " ") + "]"
}

// volatile are the columns whose values depend on when a row was written, not on the stream:
// they are left out of table contents compared between runs.
var volatile = []string{"created_at", "updated_at", "changed_at", "aggregated_at", "archived_at",
	"trained_at", "last_used_at", "metric_id", "history_id"}

// resultTables are the tables the pipeline fills, with the key that orders their rows.
var resultTables = []struct{ name, key string }{
	{"ml_anomalies", "anomaly_id"},
	{"ml_patterns", "pattern_id"},
	{"ml_forecasts", "forecast_id"},
	{"ml_predictive_alerts", "alert_id"},
	{"analytics_metrics_1hour", "service, timestamp"},
	{"ml_models", "model_id"},
}

// tableContents returns the rows of the pipeline's tables as JSON, one string per row in key
// order, without the volatile columns.
func tableContents(t *testing.T, pool *pgxpool.Pool) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	drop := "'" + strings.Join(volatile, "' - '") + "'"
	for _, tab := range resultTables {
		out[tab.name] = pipelinetest.IDs(t, pool, fmt.Sprintf("SELECT (to_jsonb(t) - %s)::text FROM %s t ORDER BY %s",
			drop, tab.name, tab.key))
	}
	return out
}

// sameContents reports the tables whose rows differ between two runs.
func sameContents(t *testing.T, got, want map[string][]string) {
	t.Helper()
	for _, tab := range resultTables {
		g, w := got[tab.name], want[tab.name]
		if len(w) == 0 {
			t.Errorf("%s: empty in the uninterrupted run", tab.name)
		}
		if slices.Equal(g, w) {
			continue
		}
		msg := fmt.Sprintf("%s: %d rows, want %d", tab.name, len(g), len(w))
		for i := range min(len(g), len(w)) {
			if g[i] != w[i] {
				msg += fmt.Sprintf("; first difference at row %d:\n  got  %s\n  want %s", i+1, g[i], w[i])
				break
			}
		}
		t.Error(msg)
	}
}
