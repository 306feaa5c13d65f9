package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stacklens/omen"
)

// callLog records, in order, the leases and the notifications of a leasingNotifier.
type callLog []string

func (l *callLog) Notify(_ context.Context, r omen.Results) error {
	var ids []string
	for _, a := range r.Anomalies {
		ids = append(ids, a.ID)
	}
	for _, a := range r.Alerts {
		ids = append(ids, a.ID)
	}
	*l = append(*l, "notify "+strings.Join(ids, ","))
	return nil
}

// TestLeasingNotifier: a batch of the role's kind goes to the notifier a chunk at a time, each
// leased just before it is handed over (so that no lease runs out while its records wait behind
// others), without the records a retry holds; when the store cannot lease, the chunk goes whole;
// records of the other kind go through unleased.
func TestLeasingNotifier(t *testing.T) {
	var anomalies []omen.Anomaly
	for i := range 2*notifyChunk + 2 {
		anomalies = append(anomalies, omen.Anomaly{ID: fmt.Sprintf("x%02d", i)})
	}
	held := anomalies[notifyChunk+1].ID // claimed by a retry
	var log callLog
	failing := false
	l := &leasingNotifier{Notifier: &log, lease: time.Minute, timeout: time.Second, log: slog.New(slog.DiscardHandler),
		leaseIDs: func(_ context.Context, ids []string, lease time.Duration) ([]string, error) {
			if lease != time.Minute {
				t.Errorf("lease of %v, want a minute", lease)
			}
			log = append(log, "lease "+strings.Join(ids, ","))
			if failing {
				return nil, errors.New("database unreachable")
			}
			return slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == held }), nil
		}}
	if err := l.Notify(context.Background(), omen.Results{Anomalies: anomalies}); err != nil {
		t.Fatal(err)
	}
	var want callLog
	for i := 0; i < len(anomalies); i += notifyChunk {
		var ids, leased []string
		for _, a := range anomalies[i:min(i+notifyChunk, len(anomalies))] {
			ids = append(ids, a.ID)
			if a.ID != held {
				leased = append(leased, a.ID)
			}
		}
		want = append(want, "lease "+strings.Join(ids, ","), "notify "+strings.Join(leased, ","))
	}
	if !slices.Equal(log, want) {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(log, "\n"), strings.Join(want, "\n"))
	}

	log, failing = nil, true
	alert := omen.PredictiveAlert{ID: "a00"}
	if err := l.Notify(context.Background(), omen.Results{Anomalies: anomalies[:2], Alerts: []omen.PredictiveAlert{alert}}); err != nil {
		t.Fatal(err)
	}
	want = callLog{"lease x00,x01", "notify x00,x01", "notify a00"}
	if !slices.Equal(log, want) {
		t.Errorf("with the store down and an alert beside the anomalies, calls %q, want %q", log, want)
	}

	log = nil
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Notify(ctx, omen.Results{Anomalies: anomalies}); !errors.Is(err, context.Canceled) || len(log) != 0 {
		t.Errorf("after the end of ctx: %v, calls %q; want context.Canceled and none", err, log)
	}
}
