package notify

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stacklens/omen"
)

// TestPagerDutyDedupKey: an anomaly's dedup_key names its problem and its span of time — the
// same for the next window's anomaly of the same service, metric and type, different for another
// problem or span — within the Events API's 255 characters; an alert's, and every record's
// without grouping, is its ID.
func TestPagerDutyDedupKey(t *testing.T) {
	first := testAnomaly() // at 01:00 UTC
	next := first
	next.Timestamp, next.ID = first.Timestamp.Add(time.Hour), omen.RecordID(first.Service, "anomaly", "x", first.Timestamp.Add(time.Hour))
	later := first
	later.Timestamp = first.Timestamp.Add(6 * time.Hour)
	otherType, otherMetric, otherService := first, first, first
	otherType.Type, otherMetric.Metric, otherService.Service = omen.Spike, "latency_p99_ms", "checkout"
	long := first
	long.Service = strings.Repeat("ü", 150)
	longer := long
	longer.Service += "x"
	alert := testAlert()
	key := func(a omen.Anomaly) string { return PagerDuty{}.dedupKey(AnomalyEvent(&a)) }

	want := "omen/anomaly/" + first.Service + "/" + first.Metric + "/" + string(first.Type) + "/" +
		first.Timestamp.UTC().Truncate(6*time.Hour).Format(time.RFC3339)
	if got := key(first); got != want {
		t.Errorf("dedup_key %q, want %q", got, want)
	}
	if key(next) != key(first) {
		t.Errorf("the next window's anomaly of the same problem has dedup_key %q, the first %q", key(next), key(first))
	}
	for _, other := range []omen.Anomaly{later, otherType, otherMetric, otherService} {
		if key(other) == key(first) {
			t.Errorf("%s/%s/%s at %s shares the dedup_key %q", other.Service, other.Metric, other.Type, other.Timestamp, key(first))
		}
	}
	daily := PagerDuty{GroupWindow: 24 * time.Hour}
	if got, want := daily.dedupKey(AnomalyEvent(&first)), daily.dedupKey(AnomalyEvent(&later)); got != want {
		t.Errorf("with a window of a day, dedup_keys %q and %q of one day differ", got, want)
	}
	if n := len(key(long)); n > 255 || key(long) == key(longer) || !strings.HasPrefix(key(long), "omen/anomaly/") {
		t.Errorf("dedup_keys of long names %q (%d bytes) and %q", key(long), n, key(longer))
	}
	if got := (PagerDuty{GroupWindow: -1}).dedupKey(AnomalyEvent(&first)); got != first.ID {
		t.Errorf("dedup_key without grouping %q, want the ID %q", got, first.ID)
	}
	for _, window := range []time.Duration{0, -1} {
		if got := (PagerDuty{GroupWindow: window}).dedupKey(AlertEvent(&alert)); got != alert.ID {
			t.Errorf("alert dedup_key %q, want the ID %q", got, alert.ID)
		}
	}

	// On the wire: the two windows' anomalies reach PagerDuty with one dedup_key.
	srv := newServer(t)
	n, _ := newTest(t, []Target{PagerDuty{RoutingKey: "k", EventsURL: srv.URL}})
	if err := n.Notify(context.Background(), omen.Results{Anomalies: []omen.Anomaly{first, next}}); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, r := range srv.received() {
		var ev pagerDutyEvent
		if err := json.Unmarshal(r.Body, &ev); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, ev.DedupKey)
	}
	if len(keys) != 2 || keys[0] != key(first) || keys[1] != key(first) {
		t.Errorf("dedup_keys sent %q, want %q twice", keys, key(first))
	}
}
