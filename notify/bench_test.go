package notify

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/stacklens/omen"
)

// BenchmarkPayload builds and encodes one request of each target for each kind of record.
func BenchmarkPayload(b *testing.B) {
	al, an := testAlert(), testAnomaly()
	for _, target := range []Target{Slack{WebhookURL: "https://hooks.slack.com/x"}, PagerDuty{RoutingKey: "k"},
		Webhook{URL: "https://example.com"}} {
		for _, e := range []Event{AlertEvent(&al), AnomalyEvent(&an)} {
			b.Run(target.Name()+"/"+string(e.Kind), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					req, err := target.NewRequest(context.Background(), e)
					if err != nil {
						b.Fatal(err)
					}
					io.Copy(io.Discard, req.Body)
				}
			})
		}
	}
}

// BenchmarkNotifyRedelivered measures Notify of results whose records every target already has
// (a Kafka redelivery): no request is made, only the ledger is consulted.
func BenchmarkNotifyRedelivered(b *testing.B) {
	for _, k := range []int{10, 1000} {
		b.Run(fmt.Sprintf("records=%d", 2*k), func(b *testing.B) {
			ok := func(req *http.Request) (*http.Response, error) {
				return &http.Response{StatusCode: 200, Body: http.NoBody, Request: req}, nil
			}
			n, err := New([]Target{Slack{WebhookURL: "https://hooks.slack.com/x"}, PagerDuty{RoutingKey: "k"}},
				WithHTTPClient(&http.Client{Transport: roundTripper(ok)}))
			if err != nil {
				b.Fatal(err)
			}
			r := resultsOf(k)
			if err := n.Notify(context.Background(), r); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := n.Notify(context.Background(), r); err != nil {
					b.Fatal(err)
				}
			}
			if st := n.Stats(); st.Sent != uint64(4*k) {
				b.Fatalf("sent %d, want %d", st.Sent, 4*k)
			}
		})
	}
}

// BenchmarkNotify measures Notify of new records to two targets through an in-memory transport:
// the notifier's own cost per delivery, without the network.
func BenchmarkNotify(b *testing.B) {
	ok := func(req *http.Request) (*http.Response, error) {
		io.Copy(io.Discard, req.Body)
		return &http.Response{StatusCode: 202, Body: http.NoBody, Request: req}, nil
	}
	n, err := New([]Target{Slack{WebhookURL: "https://hooks.slack.com/x"}, PagerDuty{RoutingKey: "k"}},
		WithHTTPClient(&http.Client{Transport: roundTripper(ok)}), WithDedupCapacity(1))
	if err != nil {
		b.Fatal(err)
	}
	a := anomalyOf("s", omen.Critical)
	ids := [2]string{a.ID, a.ID + "x"} // alternate, so that the ledger of capacity 1 forgets each
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		a.ID = ids[i%2]
		i++
		if err := n.NotifyAnomaly(context.Background(), a); err != nil {
			b.Fatal(err)
		}
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }
