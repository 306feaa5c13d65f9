package notify

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/stacklens/omen"
)

// targetStore is a Marker and TargetMarker in memory: it knows which targets have which record,
// and can fail its lookups and its per-target marks.
type targetStore struct {
	marker
	mu          sync.Mutex
	has         map[string][]string // targets by record ID
	lookupFails bool
	markFails   bool
}

func (s *targetStore) deliveredTo(id string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lookupFails {
		return nil, errors.New("database unreachable")
	}
	return slices.Clone(s.has[id]), nil
}

func (s *targetStore) markDelivered(id, target string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.markFails {
		return errors.New("database unreachable")
	}
	if !slices.Contains(s.has[id], target) {
		s.has[id] = append(s.has[id], target)
	}
	return nil
}

func (s *targetStore) AlertDeliveredTo(_ context.Context, id string) ([]string, error) {
	return s.deliveredTo(id)
}

func (s *targetStore) AnomalyDeliveredTo(_ context.Context, id string) ([]string, error) {
	return s.deliveredTo(id)
}

func (s *targetStore) MarkAlertDelivered(_ context.Context, id, target string) error {
	return s.markDelivered(id, target)
}

func (s *targetStore) MarkAnomalyDelivered(_ context.Context, id, target string) error {
	return s.markDelivered(id, target)
}

// TestTargetMarker: with a TargetMarker, a record new to the Notifier goes only to the targets
// the store does not list (a retry after a restart, or by another instance), every successful
// delivery is recorded by target, and a lookup that fails sends to every target.
func TestTargetMarker(t *testing.T) {
	alert, anomaly := testAlert(), testAnomaly()
	cases := []struct {
		name        string
		has         []string // targets that have the records before
		lookupFails bool
		markFails   bool
		slack, pd   int      // requests each receives per record
		recorded    []string // the store's targets of each record after
		markFailed  uint64
		wantErr     bool // an error from Notify
	}{
		{name: "new", slack: 1, pd: 1, recorded: []string{"pagerduty", "slack"}},
		{name: "PagerDuty had them", has: []string{"pagerduty"}, slack: 1, recorded: []string{"pagerduty", "slack"}},
		{name: "both had them", has: []string{"slack", "pagerduty"}, recorded: []string{"pagerduty", "slack"}},
		{name: "lookup fails", has: []string{"pagerduty"}, lookupFails: true, slack: 1, pd: 1, recorded: []string{"pagerduty", "slack"}},
		{name: "per-target mark fails", markFails: true, slack: 1, pd: 1, markFailed: 4, wantErr: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			slack, pd := newServer(t), newServer(t)
			store := &targetStore{has: map[string][]string{}, lookupFails: c.lookupFails, markFails: c.markFails}
			for _, id := range []string{alert.ID, anomaly.ID} {
				store.has[id] = slices.Clone(c.has)
			}
			n, _ := newTest(t, []Target{Slack{WebhookURL: slack.URL}, PagerDuty{RoutingKey: "k", EventsURL: pd.URL}}, WithMarker(store))
			r := omen.Results{Alerts: []omen.PredictiveAlert{alert}, Anomalies: []omen.Anomaly{anomaly}}
			err := n.Notify(context.Background(), r)
			if (err != nil) != c.wantErr {
				t.Errorf("Notify: %v, want an error: %v", err, c.wantErr)
			}
			if got, want := len(slack.received()), 2*c.slack; got != want {
				t.Errorf("Slack received %d requests, want %d", got, want)
			}
			if got, want := len(pd.received()), 2*c.pd; got != want {
				t.Errorf("PagerDuty received %d requests, want %d", got, want)
			}
			for _, id := range []string{alert.ID, anomaly.ID} {
				got := slices.Sorted(slices.Values(store.has[id]))
				if !slices.Equal(got, c.recorded) {
					t.Errorf("%s delivered to %q, want %q", id, got, c.recorded)
				}
			}
			if st := n.Stats(); st.MarkFailed != c.markFailed {
				t.Errorf("MarkFailed %d, want %d", st.MarkFailed, c.markFailed)
			}
			if got := len(store.recorded()); got != 2 {
				t.Errorf("%d records marked delivered to every target, want both", got)
			}
			// Delivered again in the same process (the store answering again): the ledger sends
			// nothing more, and records the targets whose marks failed.
			store.mu.Lock()
			store.markFails = false
			store.mu.Unlock()
			before := len(slack.received()) + len(pd.received())
			if err := n.Notify(context.Background(), r); err != nil {
				t.Errorf("second Notify: %v", err)
			}
			if after := len(slack.received()) + len(pd.received()); after != before {
				t.Errorf("second Notify made %d requests", after-before)
			}
			for _, id := range []string{alert.ID, anomaly.ID} {
				if got := slices.Sorted(slices.Values(store.has[id])); !slices.Equal(got, []string{"pagerduty", "slack"}) {
					t.Errorf("after the second Notify, %s delivered to %q, want both targets", id, got)
				}
			}
		})
	}
}

// TestCompletedElsewhere: a record the Notifier delivered to one target only, then another
// instance to the rest (the store lists them), is not sent again; the Notifier marks it.
func TestCompletedElsewhere(t *testing.T) {
	slack, pd := newServer(t, reply{status: 500}), newServer(t)
	alert := testAlert()
	store := &targetStore{has: map[string][]string{}}
	n, _ := newTest(t, []Target{Slack{WebhookURL: slack.URL}, PagerDuty{RoutingKey: "k", EventsURL: pd.URL}},
		WithMarker(store), WithAttempts(1))
	if err := n.NotifyAlert(context.Background(), alert); err == nil {
		t.Fatal("first NotifyAlert: Slack failed, want an error")
	}
	store.mu.Lock()
	store.has[alert.ID] = append(store.has[alert.ID], "slack") // another instance's delivery
	store.mu.Unlock()
	if err := n.NotifyAlert(context.Background(), alert); err != nil {
		t.Fatalf("second NotifyAlert: %v", err)
	}
	if got, got2 := len(slack.received()), len(pd.received()); got != 1 || got2 != 1 {
		t.Errorf("Slack received %d requests, PagerDuty %d; want 1 each (the failure, the delivery)", got, got2)
	}
	if got := len(store.recorded()); got != 1 {
		t.Errorf("%d marks, want 1", got)
	}
}
