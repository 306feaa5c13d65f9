package kafkaadapter

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stacklens/omen"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestConsumerProcessesBothShapes(t *testing.T) {
	cluster := newCluster(t, 3)
	producer := newClient(t, cluster)
	var msgs []message
	for i := range 4 {
		ts := t0.Add(time.Duration(i) * time.Hour)
		msgs = append(msgs,
			message{"api", flatMessage("api", ts, 0.5)},
			message{"checkout", phase4Message("checkout", ts, 30)})
	}
	produce(t, producer, DefaultTopics().Input, msgs...)

	proc, sink := newFakeProcessor(), newTestSink()
	c := consumeAll(t, cluster, proc, sink)

	got := proc.processed()
	if len(got) != 8 {
		t.Fatalf("processed %d windows, want 8", len(got))
	}
	for _, m := range got {
		if m.Service == "checkout" { // the Phase 4 shape: metrics under details, naive timestamp
			want := omen.Metrics{Service: "checkout", Timestamp: m.Timestamp, Window: time.Hour, TotalRequests: 100,
				ErrorRate: 30, LatencyP50: 350, LatencyP95: 575, LatencyP99: 595, LatencyMean: 347.5,
				UniqueUsers: 7, UniqueIPs: 5, RiskScore: 0.35}
			if diff := cmp.Diff(want, m); diff != "" {
				t.Errorf("phase 4 window (-want +got):\n%s", diff)
			}
		} else if m.LatencyP99 != 150 || m.RiskScore != 0.3 || m.Window != time.Hour {
			t.Errorf("flat window decoded as %+v", m)
		}
		if m.Timestamp.Location() != time.UTC || m.Timestamp.Sub(t0)%time.Hour != 0 {
			t.Errorf("window timestamp %v", m.Timestamp)
		}
	}

	topics := DefaultTopics()
	for _, topic := range []string{topics.Anomalies, topics.Patterns, topics.Alerts} {
		recs := readTopic(t, cluster, topic, 8)
		for _, r := range recs {
			var probe struct {
				Service string `json:"service"`
			}
			if err := json.Unmarshal(r.Value, &probe); err != nil || string(r.Key) != probe.Service {
				t.Errorf("%s: key %q for record %s (%v)", topic, r.Key, r.Value, err)
			}
			if bytes.Contains(r.Value, []byte("+01:00")) {
				t.Errorf("%s: timestamp not in UTC: %s", topic, r.Value)
			}
		}
	}
	anomalies := decodeAll[omen.Anomaly](t, readTopic(t, cluster, topics.Anomalies, 8))
	var ids []string
	for _, a := range anomalies {
		ids = append(ids, a.ID)
		if want := omen.RecordID(a.Service, "anomaly", "error_rate", a.Timestamp); a.ID != want {
			t.Errorf("anomaly ID %s, want %s", a.ID, want)
		}
	}
	var stored []string
	for _, a := range sink.Anomalies() {
		stored = append(stored, a.ID)
	}
	slices.Sort(ids)
	slices.Sort(stored)
	if diff := cmp.Diff(stored, ids); diff != "" {
		t.Errorf("published and stored anomaly IDs differ (-stored +published):\n%s", diff)
	}
	raw := readTopic(t, cluster, topics.Anomalies, 1)[0].Value
	if !strings.Contains(string(raw), `"timestamp":"2024-01-15T`) || !strings.Contains(string(raw), `Z","metric_name"`) {
		t.Errorf("anomaly JSON %s: want an RFC 3339 UTC timestamp", raw)
	}

	s := c.Stats()
	if s.Messages != 8 || s.Processed != 8 || s.DeadLettersTotal() != 0 || s.Commits < 1 {
		t.Errorf("stats %+v", s)
	}
	for _, topic := range []string{topics.Anomalies, topics.Patterns, topics.Alerts} {
		if s.Published[topic] != 8 {
			t.Errorf("stats: %d published on %s, want 8", s.Published[topic], topic)
		}
	}
	if s.Latency.Count != 8 {
		t.Errorf("latency histogram counts %d records, want 8", s.Latency.Count)
	}
	if diff := cmp.Diff([]string{"api", "checkout"}, proc.releasedServices()); diff != "" {
		t.Errorf("services released at shutdown (-want +got):\n%s", diff)
	}
}

func TestByPartitionMergesFetches(t *testing.T) {
	rec := func(p int32, off int64) *kgo.Record { return &kgo.Record{Topic: "in", Partition: p, Offset: off} }
	fetches := kgo.Fetches{
		{Topics: []kgo.FetchTopic{{Topic: "in", Partitions: []kgo.FetchPartition{
			{Partition: 0, HighWatermark: 5, Records: []*kgo.Record{rec(0, 1), rec(0, 2)}},
			{Partition: 1, HighWatermark: 9, Records: nil},
		}}}},
		{Topics: []kgo.FetchTopic{{Topic: "in", Partitions: []kgo.FetchPartition{
			{Partition: 0, HighWatermark: 7, Records: []*kgo.Record{rec(0, 3)}},
			{Partition: 2, HighWatermark: 4, Records: []*kgo.Record{rec(2, 0)}},
		}}}},
	}
	parts := byPartition(fetches)
	if len(parts) != 2 || parts[0].Partition != 0 || parts[1].Partition != 2 {
		t.Fatalf("partitions %+v", parts)
	}
	var offsets []int64
	for _, r := range parts[0].Records {
		offsets = append(offsets, r.Offset)
	}
	if !slices.Equal(offsets, []int64{1, 2, 3}) || parts[0].HighWatermark != 7 {
		t.Errorf("partition 0: offsets %v, high watermark %d", offsets, parts[0].HighWatermark)
	}
}

// TestUnkeyedWindowsCounted: windows whose record key is not their service (a producer that does
// not key by service) are processed, and counted in Stats.Unkeyed and unkeyed_windows_total.
func TestUnkeyedWindowsCounted(t *testing.T) {
	cluster := newCluster(t, 1)
	produce(t, newClient(t, cluster), DefaultTopics().Input,
		message{"api", flatMessage("api", t0, 1)},
		message{"", flatMessage("api", t0.Add(time.Hour), 1)},
		message{"web", flatMessage("api", t0.Add(2*time.Hour), 1)},
		message{"web", flatMessage("web", t0, 1)})
	proc := newFakeProcessor()
	c := consumeAll(t, cluster, proc, newTestSink())
	s := c.Stats()
	if s.Processed != 4 || s.Unkeyed != 2 {
		t.Errorf("%d processed, %d unkeyed; want 4 and 2", s.Processed, s.Unkeyed)
	}
	var exposition strings.Builder
	if err := s.WritePrometheus(&exposition, "x"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(exposition.String(), "\nx_unkeyed_windows_total 2\n") {
		t.Errorf("no unkeyed_windows_total 2 in the exposition:\n%s", exposition.String())
	}
}
