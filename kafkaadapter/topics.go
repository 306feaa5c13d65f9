package kafkaadapter

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Topics names the topics of the pipeline.
type Topics struct {
	Input      string // analytics windows consumed, default "analytics-alerts"
	Anomalies  string // default "ml-anomalies"
	Patterns   string // default "ml-patterns"
	Alerts     string // predictive alerts, default "predictive-alerts"
	DeadLetter string // default "ml-dead-letter"
}

// DefaultTopics returns the topic names of the original system.
func DefaultTopics() Topics {
	return Topics{
		Input:      "analytics-alerts",
		Anomalies:  "ml-anomalies",
		Patterns:   "ml-patterns",
		Alerts:     "predictive-alerts",
		DeadLetter: "ml-dead-letter",
	}
}

// withDefaults fills the empty names with the defaults.
func (t Topics) withDefaults() Topics {
	d := DefaultTopics()
	for _, f := range []struct {
		dst *string
		def string
	}{
		{&t.Input, d.Input}, {&t.Anomalies, d.Anomalies}, {&t.Patterns, d.Patterns},
		{&t.Alerts, d.Alerts}, {&t.DeadLetter, d.DeadLetter},
	} {
		if *f.dst == "" {
			*f.dst = f.def
		}
	}
	return t
}

// All lists the five topics, the input first.
func (t Topics) All() []string {
	return []string{t.Input, t.Anomalies, t.Patterns, t.Alerts, t.DeadLetter}
}

// validate rejects a topic that would both be read and written: consuming what the service
// itself publishes would loop.
func (t Topics) validate() error {
	outputs := []string{t.Anomalies, t.Patterns, t.Alerts, t.DeadLetter}
	if slices.Contains(outputs, t.Input) {
		return fmt.Errorf("kafkaadapter: input topic %q is also an output topic", t.Input)
	}
	return nil
}

// EnsureTopics creates those of topics that do not exist, with the given number of partitions
// and replication factor, and leaves existing ones untouched. Creating a topic that another
// client created meanwhile is not an error.
func EnsureTopics(ctx context.Context, client *kgo.Client, partitions int32, replicationFactor int16, topics ...string) error {
	adm := kadm.NewClient(client) // not closed: closing it would close client
	details, err := adm.ListTopics(ctx, topics...)
	if err != nil {
		return fmt.Errorf("kafkaadapter: listing topics: %w", err)
	}
	var missing []string
	for _, t := range topics {
		d, ok := details[t]
		switch {
		case !ok || errors.Is(d.Err, kerr.UnknownTopicOrPartition):
			missing = append(missing, t)
		case d.Err != nil:
			return fmt.Errorf("kafkaadapter: topic %q: %w", t, d.Err)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	created, err := adm.CreateTopics(ctx, partitions, replicationFactor, nil, missing...)
	if err != nil {
		return fmt.Errorf("kafkaadapter: creating topics %v: %w", missing, err)
	}
	for _, r := range created.Sorted() {
		if r.Err != nil && !errors.Is(r.Err, kerr.TopicAlreadyExists) {
			return fmt.Errorf("kafkaadapter: creating topic %q: %w (%s)", r.Topic, r.Err, r.ErrMessage)
		}
	}
	return nil
}
