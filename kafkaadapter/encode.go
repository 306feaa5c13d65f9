package kafkaadapter

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/stacklens/omen"
	"github.com/twmb/franz-go/pkg/kgo"
)

// encodeResults turns the records of r that have a topic — anomalies, patterns and predictive
// alerts — into Kafka records: key the service, value the record's JSON with every timestamp in
// UTC. Metrics and forecasts go only to the Sink. An error means a record cannot be encoded (a
// NaN or an infinity in a float field).
func encodeResults(t Topics, r omen.Results) ([]*kgo.Record, error) {
	out := make([]*kgo.Record, 0, len(r.Anomalies)+len(r.Patterns)+len(r.Alerts))
	add := func(topic, service, id string, v any) error {
		value, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("kafkaadapter: encoding %s record %s of service %q: %w", topic, id, service, err)
		}
		out = append(out, &kgo.Record{Topic: topic, Key: []byte(service), Value: value})
		return nil
	}
	for _, a := range r.Anomalies {
		a.Timestamp = a.Timestamp.UTC()
		if err := add(t.Anomalies, a.Service, a.ID, a); err != nil {
			return nil, err
		}
	}
	for _, p := range r.Patterns {
		p.FirstSeen, p.LastSeen = p.FirstSeen.UTC(), p.LastSeen.UTC()
		if err := add(t.Patterns, p.Service, p.ID, p); err != nil {
			return nil, err
		}
	}
	for _, a := range r.Alerts {
		if err := add(t.Alerts, a.Service, a.ID, alertInUTC(a)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func alertInUTC(a omen.PredictiveAlert) omen.PredictiveAlert {
	for _, t := range []*time.Time{&a.IssuedAt, &a.WindowStart, &a.WindowEnd, &a.ExpectedBreach, &a.BreachEarliest, &a.BreachLatest} {
		*t = t.UTC()
	}
	for _, t := range []**time.Time{&a.SentAt, &a.MaterializedAt} {
		if *t != nil {
			u := (*t).UTC()
			*t = &u
		}
	}
	return a
}
