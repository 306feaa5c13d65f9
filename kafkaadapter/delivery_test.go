package kafkaadapter

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stacklens/omen"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestCommitAfterSinkWrite blocks the sink and checks that nothing is committed or published
// until the write completes.
func TestCommitAfterSinkWrite(t *testing.T) {
	cluster := newCluster(t, 3)
	msgs := windows(serviceNames(6), 5)
	produce(t, newClient(t, cluster), DefaultTopics().Input, msgs...)

	sink := newTestSink()
	sink.gate = make(chan struct{})
	c, err := NewConsumer(cluster.ListenAddrs(), newFakeProcessor(), sink, testOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, c)
	select {
	case <-sink.entered:
	case <-testContext(t).Done():
		t.Fatal("the sink was never written")
	}
	if got := committed(t, cluster, DefaultGroup, DefaultTopics().Input); len(got) != 0 {
		t.Errorf("offsets %v committed while the sink write is pending", got)
	}
	if n := topicSize(t, cluster, DefaultTopics().Anomalies); n != 0 {
		t.Errorf("%d anomalies published before the sink write", n)
	}
	close(sink.gate)
	waitCommitted(t, cluster, DefaultGroup)
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if n := len(sink.Anomalies()); n != len(msgs) {
		t.Errorf("%d anomalies stored, want %d", n, len(msgs))
	}
}

// TestSinkFailuresAreRetried: a sink that is down pauses consumption; nothing is lost.
func TestSinkFailuresAreRetried(t *testing.T) {
	cluster := newCluster(t, 3)
	msgs := windows(serviceNames(6), 5)
	produce(t, newClient(t, cluster), DefaultTopics().Input, msgs...)

	sink := newTestSink()
	sink.failures = 4
	// Small batches: several sink writes per partition and poll.
	c := consumeAll(t, cluster, newFakeProcessor(), sink, WithMaxBatchRecords(4))
	if n := len(sink.Anomalies()); n != len(msgs) {
		t.Errorf("%d anomalies stored, want %d", n, len(msgs))
	}
	if n := topicSize(t, cluster, DefaultTopics().Anomalies); n != int64(len(msgs)) {
		t.Errorf("%d anomalies published, want %d", n, len(msgs))
	}
	if s := c.Stats(); s.SinkRetries != 4 {
		t.Errorf("%d sink retries, want 4", s.SinkRetries)
	}
	if sink.writes < len(msgs)/4+4 {
		t.Errorf("%d sink writes for %d windows in batches of at most 4", sink.writes, len(msgs))
	}
}

// TestGracefulStopFinishesInFlight cancels Run while a sink write is pending: the poll in
// hand is still made durable, published and committed.
func TestGracefulStopFinishesInFlight(t *testing.T) {
	cluster := newCluster(t, 1)
	msgs := windows(serviceNames(3), 4)
	produce(t, newClient(t, cluster), DefaultTopics().Input, msgs...)

	sink := newTestSink()
	sink.gate = make(chan struct{})
	proc := newFakeProcessor()
	c, err := NewConsumer(cluster.ListenAddrs(), proc, sink, testOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	<-sink.entered
	cancel()
	close(sink.gate)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-testContext(t).Done():
		t.Fatal("Run did not return")
	}
	if got, want := committed(t, cluster, DefaultGroup, DefaultTopics().Input), endOffsets(t, cluster, DefaultTopics().Input); got[0] != want[0] {
		t.Errorf("committed %v after a graceful stop, want %v", got, want)
	}
	if n := topicSize(t, cluster, DefaultTopics().Anomalies); n != int64(len(msgs)) {
		t.Errorf("%d anomalies published, want %d", n, len(msgs))
	}
	if got := proc.releasedServices(); !slices.Equal(got, serviceNames(3)) {
		t.Errorf("released %v at shutdown", got)
	}
}

// TestPublishFailuresAreRetried fails produce requests to the anomalies topic a few times with
// a non-retriable error: the adapter produces again and nothing is lost.
func TestPublishFailuresAreRetried(t *testing.T) {
	cluster := newCluster(t, 3)
	msgs := windows(serviceNames(6), 5)
	produce(t, newClient(t, cluster), DefaultTopics().Input, msgs...)
	fault := cluster.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: DefaultTopics().Anomalies,
		Err: kerr.PolicyViolation, Count: 3})
	defer fault.Remove()

	sink := newTestSink()
	c := consumeAll(t, cluster, newFakeProcessor(), sink)
	if fault.Hits() != 3 {
		t.Errorf("the fault failed %d produce requests, want 3", fault.Hits())
	}
	published := decodeAll[struct {
		ID string `json:"anomaly_id"`
	}](t, readTopic(t, cluster, DefaultTopics().Anomalies, len(msgs)))
	ids := map[string]bool{}
	for _, a := range published {
		ids[a.ID] = true
	}
	for _, a := range sink.Anomalies() {
		if !ids[a.ID] {
			t.Errorf("anomaly %s stored but never published", a.ID)
		}
	}
	if s := c.Stats(); s.PublishRetries < 1 || s.Published[DefaultTopics().Anomalies] != int64(len(msgs)) {
		t.Errorf("stats after publish failures: %+v", s)
	}
}

// TestRedeliveryAfterCrash: a consumer whose results are durable but cannot be published stops
// without committing; a new consumer of the group processes the records again, and the
// idempotent sink holds each result once.
func TestRedeliveryAfterCrash(t *testing.T) {
	cluster := newCluster(t, 3)
	services := serviceNames(6)
	msgs := windows(services, 5)
	produce(t, newClient(t, cluster), DefaultTopics().Input, msgs...)
	fault := cluster.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: DefaultTopics().Anomalies,
		Err: kerr.PolicyViolation, Count: -1})

	sink := newTestSink()
	first := newFakeProcessor()
	c1, err := NewConsumer(cluster.ListenAddrs(), first, sink, testOptions(WithShutdownGrace(0))...)
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, c1)
	eventually(t, "results to be durable and publishing to fail", func() bool {
		return sink.MetricsCount() > 0 && c1.Stats().PublishRetries > 0
	})
	err = stop()
	if err == nil || !errors.Is(err, kerr.PolicyViolation) {
		t.Fatalf("Run stopped with %v, want the delivery error", err)
	}
	if got := committed(t, cluster, DefaultGroup, DefaultTopics().Input); len(got) != 0 {
		t.Fatalf("offsets %v committed although publishing failed", got)
	}
	first.mu.Lock()
	discarded, released := slices.Clone(first.discarded), first.released
	first.mu.Unlock()
	// Every service whose results were stored but not committed is discarded, none released.
	for _, m := range first.processed() {
		if !slices.Contains(discarded, m.Service) {
			t.Errorf("service %s processed but not discarded (discarded: %v)", m.Service, discarded)
		}
	}
	if len(released) != 0 {
		t.Errorf("released %v after a failed stop", released)
	}
	stored := sink.MetricsCount()
	fault.Remove()

	second := newFakeProcessor()
	c2, err := NewConsumer(cluster.ListenAddrs(), second, sink, testOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	stop = start(t, c2)
	waitCommitted(t, cluster, DefaultGroup)
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if n := len(second.processed()); n != len(msgs) {
		t.Errorf("the new consumer processed %d windows, want all %d again (%d were stored before)", n, len(msgs), stored)
	}
	if n := len(sink.Anomalies()); n != len(msgs) {
		t.Errorf("%d anomalies stored, want %d: redelivery duplicated or lost results", n, len(msgs))
	}
	if n := topicSize(t, cluster, DefaultTopics().Anomalies); n != int64(len(msgs)) {
		t.Errorf("%d anomalies published, want %d", n, len(msgs))
	}
}

// TestPublishToDeletedTopic deletes an output topic mid-run: the adapter creates it again and
// delivers the results that failed meanwhile.
func TestPublishToDeletedTopic(t *testing.T) {
	cluster := newCluster(t, 3)
	services := serviceNames(6)
	all := windows(services, 6)
	batch1, batch2 := all[:len(all)/2], all[len(all)/2:]
	producer := newClient(t, cluster)
	produce(t, producer, DefaultTopics().Input, batch1...)

	sink := newTestSink()
	c, err := NewConsumer(cluster.ListenAddrs(), newFakeProcessor(), sink,
		testOptions(WithClientOptions(kgo.UnknownTopicRetries(1), kgo.MetadataMinAge(50*time.Millisecond), kgo.FetchMaxWait(200*time.Millisecond)))...)
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, c)
	waitCommitted(t, cluster, DefaultGroup)
	withAdmin(t, cluster, func(ctx context.Context, adm *kadm.Client) {
		if _, err := adm.DeleteTopics(ctx, DefaultTopics().Anomalies); err != nil {
			t.Fatal(err)
		}
	})
	produce(t, producer, DefaultTopics().Input, batch2...)
	waitCommitted(t, cluster, DefaultGroup)
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if n := topicSize(t, cluster, DefaultTopics().Anomalies); n != int64(len(batch2)) {
		t.Errorf("the recreated topic holds %d anomalies, want the %d of the second batch", n, len(batch2))
	}
	if n := len(sink.Anomalies()); n != len(all) {
		t.Errorf("%d anomalies stored, want %d", n, len(all))
	}
}

// TestProcessFailuresAreRetried: a Processor that fails for a while — its store down while it
// loads a service's state — pauses the partition instead of dead-lettering its windows, however
// many attempts the outage takes; the windows are then processed, stored and committed.
func TestProcessFailuresAreRetried(t *testing.T) {
	cluster := newCluster(t, 1)
	msgs := windows(serviceNames(2), 4)
	produce(t, newClient(t, cluster), DefaultTopics().Input, msgs...)

	proc := newFakeProcessor()
	proc.fail = func(m omen.Metrics, attempt int) error {
		if attempt <= 6 {
			return errors.New("loading the state: connection refused")
		}
		return nil
	}
	sink := newTestSink()
	c := consumeAll(t, cluster, proc, sink, WithRetryBackoff(time.Millisecond, 5*time.Millisecond))
	if n := len(sink.Anomalies()); n != len(msgs) {
		t.Errorf("%d anomalies stored, want %d", n, len(msgs))
	}
	s := c.Stats()
	if s.DeadLettersTotal() != 0 || s.ProcessRetries < int64(6*len(msgs)) {
		t.Errorf("%d dead letters and %d process retries, want none and at least %d", s.DeadLettersTotal(), s.ProcessRetries, 6*len(msgs))
	}
}

// TestFailedReleaseForgets: when the Processor cannot save the services it is handed back (its
// store down), the consumer has it forget them, so that a later assignment of their partitions
// restores them instead of resuming from state that misses another member's windows.
func TestFailedReleaseForgets(t *testing.T) {
	cluster := newCluster(t, 1)
	msgs := windows(serviceNames(3), 2)
	produce(t, newClient(t, cluster), DefaultTopics().Input, msgs...)
	proc := newFakeProcessor()
	proc.releaseErr = errors.New("saving the state: connection refused")
	consumeAll(t, cluster, proc, newTestSink())
	if got := proc.discardedServices(); !slices.Equal(got, serviceNames(3)) {
		t.Errorf("discarded %v after the failed release, want %v", got, serviceNames(3))
	}
}

// TestRejectedResultsAreDeadLettered: when the Sink rejects a batch for good (omen.ErrRejectedRecord,
// say a value out of a column's range), the consumer writes it window by window: the windows it
// takes are stored and published, the one it rejects is dead-lettered as unstorable, and the
// partition moves on instead of retrying for ever.
func TestRejectedResultsAreDeadLettered(t *testing.T) {
	cluster := newCluster(t, 1)
	msgs := windows([]string{"api", "poison", "web"}, 3)
	produce(t, newClient(t, cluster), DefaultTopics().Input, msgs...)
	sink := newTestSink()
	sink.rejects = "poison"
	c := consumeAll(t, cluster, newFakeProcessor(), sink)
	if n := len(sink.Anomalies()); n != 6 {
		t.Errorf("%d anomalies stored, want the 6 of api and web", n)
	}
	if n := topicSize(t, cluster, DefaultTopics().Anomalies); n != 6 {
		t.Errorf("%d anomalies published, want 6", n)
	}
	dead := readTopic(t, cluster, DefaultTopics().DeadLetter, 3)
	for _, r := range dead {
		dl, err := DecodeDeadLetter(r)
		if err != nil || dl.Reason != Unstorable || !strings.Contains(dl.Error, "rejected by the store") || string(r.Key) != "poison" {
			t.Errorf("dead letter %+v (%v), key %q", dl, err, r.Key)
		}
	}
	if s := c.Stats(); s.DeadLetters[Unstorable] != 3 || s.Processed != 6 || s.SinkRetries != 0 {
		t.Errorf("stats: %d unstorable, %d processed, %d sink retries; want 3, 6, 0", s.DeadLetters[Unstorable], s.Processed, s.SinkRetries)
	}
}
