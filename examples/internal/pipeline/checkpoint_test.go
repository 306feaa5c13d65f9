package pipeline

import (
	"bytes"
	"context"
	"testing"

	"github.com/stacklens/omen"
	"github.com/stacklens/omen/examples/internal/pipeline/pipelinetest"
	"github.com/stacklens/omen/kafkaadapter"
)

// TestCheckpoints: with a checkpoint at every poll, a running service's saved states become,
// once every window is committed, exactly those of an engine that processed every window, while
// nothing was released.
func TestCheckpoints(t *testing.T) {
	topics := kafkaadapter.DefaultTopics()
	cluster := pipelinetest.Cluster(t, topics.Input, 3)
	msgs := pipelinetest.Stream(t, testStream)
	det, err := omen.NewDetector(omen.DetectorConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if _, err := det.Process(context.Background(), m.Metrics); err != nil {
			t.Fatal(err)
		}
	}

	mem := omen.NewMemoryStore()
	ml := start(t, Config{Role: MLService, Brokers: cluster.ListenAddrs(), Memory: mem, CheckpointInterval: 1, KafkaOptions: fastKafka()})
	pipelinetest.Produce(t, cluster, topics.Input, msgs)
	pipelinetest.Eventually(t, "every offset committed", func() bool {
		return pipelinetest.FullyCommitted(t, cluster, DefaultMLServiceGroup, topics.Input)
	})
	pipelinetest.Eventually(t, "every service's state checkpointed as of its last window", func() bool {
		for _, svc := range det.Services() {
			want, err := det.Snapshot(svc)
			if err != nil {
				t.Fatal(err)
			}
			got, err := mem.LoadState(context.Background(), omen.StateDetector, svc)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				return false
			}
		}
		return true
	})
	st := ml.Stats()
	if st.Checkpoints < int64(len(det.Services())) || st.CheckpointFailures != 0 || st.Consumer.Releases != 0 {
		t.Errorf("%d states checkpointed, %d failed, %d services released: want every service checkpointed and none released yet",
			st.Checkpoints, st.CheckpointFailures, st.Consumer.Releases)
	}
}
