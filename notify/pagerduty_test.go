package notify

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stacklens/omen"
)

// TestPagerDutyDedupKey: an anomaly's dedup_key names its problem — the same for the next
// window's anomaly of the same service, metric and type, different for another — within the
// Events API's 255 characters; an alert's, and every record's with PagePerAnomaly, is its ID.
func TestPagerDutyDedupKey(t *testing.T) {
	first := testAnomaly()
	next := first
	next.Timestamp, next.ID = first.Timestamp.Add(time.Hour), omen.RecordID(first.Service, "anomaly", "x", first.Timestamp.Add(time.Hour))
	otherType, otherMetric, otherService := first, first, first
	otherType.Type, otherMetric.Metric, otherService.Service = omen.Spike, "latency_p99_ms", "checkout"
	long := first
	long.Service = strings.Repeat("ü", 300)
	longer := long
	longer.Service += "x"
	alert := testAlert()
	key := func(a omen.Anomaly) string { return PagerDutyDedupKey(AnomalyEvent(&a), false) }

	if got, want := key(first), "omen/anomaly/"+first.Service+"/"+first.Metric+"/"+string(first.Type); got != want {
		t.Errorf("dedup_key %q, want %q", got, want)
	}
	if key(next) != key(first) {
		t.Errorf("the next window's anomaly of the same problem has dedup_key %q, the first %q", key(next), key(first))
	}
	for _, other := range []omen.Anomaly{otherType, otherMetric, otherService} {
		if key(other) == key(first) {
			t.Errorf("%s/%s/%s shares the dedup_key %q of another problem", other.Service, other.Metric, other.Type, key(first))
		}
	}
	if n := utf8.RuneCountInString(key(long)); n > 255 || key(long) == key(longer) || !strings.HasPrefix(key(long), "omen/anomaly/") {
		t.Errorf("dedup_keys of long names %q (%d characters) and %q", key(long), n, key(longer))
	}
	if got := PagerDutyDedupKey(AnomalyEvent(&first), true); got != first.ID {
		t.Errorf("dedup_key per anomaly %q, want the ID %q", got, first.ID)
	}
	for _, perAnomaly := range []bool{false, true} {
		if got := PagerDutyDedupKey(AlertEvent(&alert), perAnomaly); got != alert.ID {
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
