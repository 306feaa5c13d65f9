package kafkaadapter

import (
	"slices"
	"testing"
	"time"

	"github.com/stacklens/omen"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestTwoConsumersShareAndTakeOver runs two consumers in one group: they share the partitions;
// when one stops, it commits and releases its services, and the other takes its partitions over
// from the committed offsets.
func TestTwoConsumersShareAndTakeOver(t *testing.T) {
	cluster := newCluster(t, 3)
	services := serviceNames(12)
	sink := newTestSink()
	procA, procB := newFakeProcessor(), newFakeProcessor()
	// Frequent heartbeats and short fetch waits make members take over partitions quickly.
	fast := testOptions(WithClientOptions(kgo.HeartbeatInterval(100*time.Millisecond), kgo.FetchMaxWait(200*time.Millisecond)))
	a, err := NewConsumer(cluster.ListenAddrs(), procA, sink, fast...)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewConsumer(cluster.ListenAddrs(), procB, sink, fast...)
	if err != nil {
		t.Fatal(err)
	}
	start(t, a)
	stopB := start(t, b)
	waitBalanced(t, cluster, 2)

	batch1 := windows(services, 3)
	produce(t, newClient(t, cluster), DefaultTopics().Input, batch1...)
	waitCommitted(t, cluster, DefaultGroup)
	byA, byB := procA.processed(), procB.processed()
	if len(byA) == 0 || len(byB) == 0 {
		t.Fatalf("partitions not shared: A processed %d windows, B %d", len(byA), len(byB))
	}
	if n := len(byA) + len(byB); n != len(batch1) {
		t.Errorf("A and B processed %d windows, want each of the %d once", n, len(batch1))
	}
	servicesOfB := serviceSet(byB)
	for s := range serviceSet(byA) {
		if servicesOfB[s] {
			t.Errorf("service %s processed by both consumers: messages keyed by service must stay on one", s)
		}
	}

	if err := stopB(); err != nil {
		t.Fatalf("B stopped with %v", err)
	}
	if got, want := procB.releasedServices(), sortedKeys(servicesOfB); !slices.Equal(got, want) {
		t.Errorf("B released %v, want its services %v", got, want)
	}

	batch2 := windows(services, 6)[len(batch1):] // the next three hours
	produce(t, newClient(t, cluster), DefaultTopics().Input, batch2...)
	waitCommitted(t, cluster, DefaultGroup)
	if n := len(procA.processed()) - len(byA); n != len(batch2) {
		t.Errorf("A processed %d windows after B stopped, want the %d new ones and none again", n, len(batch2))
	}
	if n := len(sink.Anomalies()); n != len(batch1)+len(batch2) {
		t.Errorf("%d anomalies stored, want %d", n, len(batch1)+len(batch2))
	}
}

// waitBalanced waits until the group is stable with members consumers that all own partitions.
func waitBalanced(t *testing.T, cluster *kfake.Cluster, members int) {
	t.Helper()
	adm := kadm.NewClient(newClient(t, cluster))
	eventually(t, "the group to be balanced", func() bool {
		groups, err := adm.DescribeGroups(testContext(t), DefaultGroup)
		if err != nil {
			return false
		}
		g := groups[DefaultGroup]
		if g.State != "Stable" || len(g.Members) != members {
			return false
		}
		for _, m := range g.Members {
			a, ok := m.Assigned.AsConsumer()
			if !ok || len(a.Topics) == 0 || len(a.Topics[0].Partitions) == 0 {
				return false
			}
		}
		return true
	})
}

func serviceSet(ms []omen.Metrics) map[string]bool {
	out := map[string]bool{}
	for _, m := range ms {
		out[m.Service] = true
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
