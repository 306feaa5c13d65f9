package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	"github.com/stacklens/omen"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// HealthReport is the body of /healthz and /readyz.
type HealthReport struct {
	Status  string           `json:"status"` // "ok" or "unavailable"
	Role    Role             `json:"role"`
	Group   string           `json:"group"`
	Uptime  float64          `json:"uptime_seconds"`
	Checks  map[string]Check `json:"checks"`
	healthy bool
}

// Healthy reports whether every check passed.
func (h HealthReport) Healthy() bool { return h.healthy }

// Check is the outcome of one health check.
type Check struct {
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// The health checks of a HealthReport.
const (
	CheckConsumer   = "consumer"   // the consumer runs and is not stopping
	CheckGroup      = "group"      // the consumer is a member of its group
	CheckKafka      = "kafka"      // a broker answered within the stall timeout
	CheckProcessing = "processing" // the poll in hand has not been in work for longer than the stall timeout
	CheckStore      = "store"      // the store answers (PostgreSQL: a ping within 2 s)
)

// tracker follows the consumer's client through franz-go hooks, which are additive and leave the
// consumer's own callbacks alone.
type tracker struct {
	running    atomic.Bool
	stopping   atomic.Bool
	joined     atomic.Bool
	groupErr   atomic.Pointer[string]
	runErr     atomic.Pointer[string] // the last failure of the consumer
	lastBroker atomic.Int64           // unix nanoseconds of the last successful read from a broker
	busySince  atomic.Int64           // unix nanoseconds at which the records of the poll in hand were taken; 0 between polls

	onPollStart func(context.Context) // called at every poll boundary, in the poll loop
}

var (
	_ kgo.HookBrokerRead            = (*tracker)(nil)
	_ kgo.HookGroupManageError      = (*tracker)(nil)
	_ kgo.HookPollStart             = (*tracker)(nil)
	_ kgo.HookFetchRecordUnbuffered = (*tracker)(nil)
)

// OnBrokerRead records a broker's answer; a group's SyncGroup or Heartbeat answer (or, in the
// consumer protocol of KIP-848, ConsumerGroupHeartbeat) means the consumer is a member.
func (t *tracker) OnBrokerRead(_ kgo.BrokerMetadata, key int16, _ int, _, _ time.Duration, err error) {
	if err != nil {
		return
	}
	t.lastBroker.Store(time.Now().UnixNano())
	switch kmsg.Key(key) {
	case kmsg.SyncGroup, kmsg.Heartbeat, kmsg.ConsumerGroupHeartbeat:
		t.joined.Store(true)
		t.groupErr.Store(nil)
	}
}

// OnGroupManageError records that the consumer left its group session.
func (t *tracker) OnGroupManageError(err error) {
	msg := err.Error()
	t.groupErr.Store(&msg)
	t.joined.Store(false)
}

// OnPollStart marks the end of the previous poll's work: its results are durable, published
// and committed (or their commit failed, and they will be delivered again).
func (t *tracker) OnPollStart(ctx context.Context) {
	t.busySince.Store(0)
	if t.onPollStart != nil {
		t.onPollStart(ctx)
	}
}

// OnFetchRecordUnbuffered marks the start of a poll's work at its first record.
func (t *tracker) OnFetchRecordUnbuffered(_ *kgo.Record, polled bool) {
	if polled {
		t.busySince.CompareAndSwap(0, time.Now().UnixNano())
	}
}

// health returns the report of s at now.
func (s *Service) health(ctx context.Context) HealthReport {
	t := s.tracker
	now := time.Now()
	r := HealthReport{Role: s.cfg.Role, Group: s.cfg.Group, Uptime: now.Sub(s.started).Seconds(), Checks: map[string]Check{}}

	stopped := false
	select {
	case <-s.done:
		stopped = true
	default:
	}
	switch {
	case stopped:
		r.Checks[CheckConsumer] = Check{false, "stopped"}
	case t.stopping.Load():
		r.Checks[CheckConsumer] = Check{false, "stopping"}
	case !t.running.Load() && t.runErr.Load() != nil:
		r.Checks[CheckConsumer] = Check{false, "restarting after a failure: " + *t.runErr.Load()}
	case !t.running.Load():
		r.Checks[CheckConsumer] = Check{false, "not running"}
	default:
		r.Checks[CheckConsumer] = Check{true, "running"}
	}

	switch e := t.groupErr.Load(); {
	case t.joined.Load():
		r.Checks[CheckGroup] = Check{true, "member of " + s.cfg.Group}
	case e != nil:
		r.Checks[CheckGroup] = Check{false, "group session failed: " + *e}
	default:
		r.Checks[CheckGroup] = Check{false, "joining " + s.cfg.Group}
	}

	if last := t.lastBroker.Load(); last == 0 {
		r.Checks[CheckKafka] = Check{false, "no broker has answered yet"}
	} else if age := now.Sub(time.Unix(0, last)); age > s.cfg.StallTimeout {
		r.Checks[CheckKafka] = Check{false, fmt.Sprintf("no broker has answered for %s", age.Round(time.Second))}
	} else {
		r.Checks[CheckKafka] = Check{true, fmt.Sprintf("last answer %s ago", age.Round(time.Millisecond))}
	}

	if since := t.busySince.Load(); since != 0 && now.Sub(time.Unix(0, since)) > s.cfg.StallTimeout {
		r.Checks[CheckProcessing] = Check{false, fmt.Sprintf("the current poll has been in work for %s", now.Sub(time.Unix(0, since)).Round(time.Second))}
	} else {
		r.Checks[CheckProcessing] = Check{true, fmt.Sprintf("%d windows processed", s.counters.windows.Load())}
	}

	r.Checks[CheckStore] = s.pingStore(ctx)

	r.healthy = true
	for _, c := range r.Checks {
		r.healthy = r.healthy && c.OK
	}
	r.Status = "unavailable"
	if r.healthy {
		r.Status = "ok"
	}
	return r
}

func (s *Service) pingStore(ctx context.Context) Check {
	if s.pool == nil {
		return Check{true, "in memory"}
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := s.pool.Ping(ctx); err != nil {
		return Check{false, "PostgreSQL: " + err.Error()}
	}
	return Check{true, "PostgreSQL"}
}

// Health returns the Service's health report, as /healthz serves it.
func (s *Service) Health(ctx context.Context) HealthReport { return s.health(ctx) }

// Handler returns the Service's HTTP handler:
//
//   - GET /healthz: 200 with the HealthReport as JSON when every check passes (the consumer runs,
//     is a member of its group, hears from the brokers, is not stuck on a poll, and the store
//     answers); 503 with the same report otherwise.
//   - GET /readyz: 200 once the consumer is a member of its group and until it begins to stop,
//     503 otherwise; the same JSON report.
//   - GET /metrics: Stats.WritePrometheus in the text exposition format 0.0.4.
//   - GET /capacity (PredictiveAlerter only): the capacity plans (omen.CapacityPlan, as JSON) of
//     the services with a configured capacity, {"plans": […], "missing": [{"service", "reason"}]},
//     a service being missing until this instance has forecast it (another instance of the group
//     may hold its partition); GET /capacity/{service}: one plan, or 404 with {"error": reason}.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		rep := s.health(r.Context())
		writeReport(w, rep, rep.healthy)
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		rep := s.health(r.Context())
		writeReport(w, rep, rep.Checks[CheckConsumer].OK && rep.Checks[CheckGroup].OK)
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		if err := s.Stats().WritePrometheus(w, s.cfg.MetricsNamespace); err != nil {
			s.log.WarnContext(r.Context(), "writing metrics", "error", err)
		}
	})
	s.handleCapacity(mux)
	return mux
}

// handleCapacity registers the capacity endpoints of a PredictiveAlerter on mux (see Handler).
func (s *Service) handleCapacity(mux *http.ServeMux) {
	if s.alerter == nil {
		return
	}
	type missing struct {
		Service string `json:"service"`
		Reason  string `json:"reason"`
	}
	mux.HandleFunc("GET /capacity", func(w http.ResponseWriter, r *http.Request) {
		body := struct {
			Plans   []omen.CapacityPlan `json:"plans"`
			Missing []missing           `json:"missing"`
		}{Plans: []omen.CapacityPlan{}, Missing: []missing{}}
		for _, svc := range slices.Sorted(maps.Keys(s.cfg.Alerter.Capacity)) {
			p, err := s.alerter.CapacityPlan(svc)
			if err != nil {
				body.Missing = append(body.Missing, missing{svc, err.Error()})
				continue
			}
			body.Plans = append(body.Plans, p)
		}
		writeReport(w, body, true)
	})
	mux.HandleFunc("GET /capacity/{service}", func(w http.ResponseWriter, r *http.Request) {
		p, err := s.alerter.CapacityPlan(r.PathValue("service"))
		if err != nil {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
			return
		}
		writeReport(w, p, true)
	})
}

// writeReport writes a health report as JSON, with status 200 when ok and 503 otherwise.
func writeReport(w http.ResponseWriter, rep any, ok bool) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if ok {
		w.WriteHeader(http.StatusOK)
	} else {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(rep)
}

// Handler returns one HTTP handler for several Services of one process (both roles of the
// pipeline, say): /healthz is 200 when every Service is healthy and /readyz when every one is
// ready, each with the body {"status": …, "services": [reports]}; /metrics concatenates the
// Services' expositions, whose namespaces must differ (the default, "omen_" + Role, does for
// one Service per Role); /capacity is the first PredictiveAlerter's.
func Handler(services ...*Service) http.Handler {
	type combined struct {
		Status   string         `json:"status"`
		Services []HealthReport `json:"services"`
	}
	serve := func(w http.ResponseWriter, r *http.Request, ready bool) {
		body := combined{Status: "ok", Services: make([]HealthReport, len(services))}
		ok := true
		for i, s := range services {
			rep := s.health(r.Context())
			body.Services[i] = rep
			if ready {
				ok = ok && rep.Checks[CheckConsumer].OK && rep.Checks[CheckGroup].OK
			} else {
				ok = ok && rep.healthy
			}
		}
		if !ok {
			body.Status = "unavailable"
		}
		writeReport(w, body, ok)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { serve(w, r, false) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) { serve(w, r, true) })
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		for _, s := range services {
			if err := s.Stats().WritePrometheus(w, s.cfg.MetricsNamespace); err != nil {
				s.log.WarnContext(r.Context(), "writing metrics", "error", err)
				return
			}
		}
	})
	for _, s := range services {
		if s.alerter != nil {
			s.handleCapacity(mux) // the first PredictiveAlerter's
			break
		}
	}
	return mux
}
