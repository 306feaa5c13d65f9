package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stacklens/omen"
)

// recordingNotifier records the IDs of each batch it is handed.
type recordingNotifier struct {
	mu      sync.Mutex
	batches [][]string
}

func (n *recordingNotifier) Notify(_ context.Context, r omen.Results) error {
	var ids []string
	for _, a := range r.Anomalies {
		ids = append(ids, a.ID)
	}
	for _, a := range r.Alerts {
		ids = append(ids, a.ID)
	}
	n.mu.Lock()
	n.batches = append(n.batches, ids)
	n.mu.Unlock()
	return nil
}

// TestRetryDeliverLeasesChunks: a queued batch is delivered a chunk at a time, each leased just
// before it is handed over (so no lease runs out while its records wait behind others); records
// a retry holds are left to it; when the store cannot lease, the chunk is delivered whole.
func TestRetryDeliverLeasesChunks(t *testing.T) {
	var batch omen.Results
	for i := range 10 {
		batch.Anomalies = append(batch.Anomalies, omen.Anomaly{ID: fmt.Sprintf("x%02d", i)})
	}
	for i := range 3 {
		batch.Alerts = append(batch.Alerts, omen.PredictiveAlert{ID: fmt.Sprintf("a%02d", i)})
	}
	var leases [][]string
	held := map[string]bool{"x05": true} // claimed by a retry
	failing := false
	r := &notifyRetry{interval: time.Second, backoff: time.Minute,
		leaseIDs: func(_ context.Context, ids []string, lease time.Duration) ([]string, error) {
			if lease != time.Minute {
				t.Errorf("lease of %v, want the backoff", lease)
			}
			leases = append(leases, ids)
			if failing {
				return nil, errors.New("database unreachable")
			}
			var out []string
			for _, id := range ids {
				if !held[id] {
					out = append(out, id)
				}
			}
			return out, nil
		}}
	s := newDurableSink(nil, newCounters(), slog.New(slog.DiscardHandler), true, 1)
	n := &recordingNotifier{}
	r.deliver(context.Background(), s, n, batch)

	want := [][]string{{"x00", "x01", "x02", "x03"}, {"x04", "x06", "x07"}, {"x08", "x09"}, {"a00", "a01", "a02"}}
	if !slices.EqualFunc(n.batches, want, slices.Equal) {
		t.Errorf("delivered %v, want %v", n.batches, want)
	}
	if len(leases) != 4 || len(leases[1]) != notifyRetryChunk || !slices.Contains(leases[1], "x05") {
		t.Errorf("leases %v, want one per chunk of %d", leases, notifyRetryChunk)
	}

	failing, n.batches = true, nil
	r.deliver(context.Background(), s, n, omen.Results{Anomalies: batch.Anomalies[:2]})
	if want := [][]string{{"x00", "x01"}}; !slices.EqualFunc(n.batches, want, slices.Equal) {
		t.Errorf("with the store down, delivered %v, want %v", n.batches, want)
	}
}
