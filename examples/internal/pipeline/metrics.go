package pipeline

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stacklens/omen"
	"github.com/stacklens/omen/kafkaadapter"
	"github.com/stacklens/omen/notify"
)

// Stats is a snapshot of a Service's counters. Counters only grow; they count what was made
// durable (a window redelivered after a crash is counted again, with the same record IDs).
type Stats struct {
	Role     Role
	Consumer kafkaadapter.Stats // the Kafka side: messages, dead letters, lag, poll-to-commit latency

	Checkpoints        int64 // service states saved by checkpoints
	CheckpointFailures int64 // service states whose checkpoint failed (retried at the next)
	StatesRejected     int64 // stored service states that could not be restored (the service started afresh)
	Restarts           int64 // runs of the consumer that failed and were restarted
	Windows            int64 // windows the engine processed
	EngineErrors       int64 // engine calls that returned an error
	// StaleWindows counts the windows older than their service's last: redeliveries on input
	// keyed by service, windows never analysed on input that is not (Consumer.Unkeyed).
	StaleWindows  int64
	Anomalies     map[omen.AnomalyType]int64 // durable anomalies by type
	Severities    map[omen.Severity]int64    // durable anomalies by severity
	Patterns      int64                      // durable patterns
	Forecasts     int64                      // durable forecasts
	Alerts        map[omen.AlertStatus]int64 // durable predictive alerts by status (an alert is written again at each change)
	SinkWrites    int64                      // successful store writes (one per batch)
	SinkFailures  int64                      // failed store writes (retried by the consumer)
	Notifications NotificationStats          // batches handed to the Notifier
	Notifier      notify.Stats               // deliveries of a notify.Notifier (zero for another Notifier)
	Engine        kafkaadapter.Histogram     // seconds per window in the engine
	SinkLatency   kafkaadapter.Histogram     // seconds per successful store write
}

// NotificationStats counts the work of the Notifier.
type NotificationStats struct {
	Batches int64 // durable batches with something to notify, handed to the Notifier
	Dropped int64 // such batches not notified because the queue was full or the Service stopped
	Failed  int64 // queued batches, and chunks of retried records, whose notification returned an error
	// Redelivered counts the records that the store held as undelivered, claimed and handed to
	// the Notifier again (Config.NotifyRetryInterval), and RetryFailed the claims that failed.
	Redelivered, RetryFailed int64
}

// latencyBounds are the upper bounds, in seconds, of the latency histograms' buckets.
var latencyBounds = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// histogram is a concurrent-safe cumulative histogram over latencyBounds.
type histogram struct {
	mu     sync.Mutex
	counts []uint64 // per bucket, not cumulative; the last is +Inf
	sum    float64
}

func newHistogram() *histogram { return &histogram{counts: make([]uint64, len(latencyBounds)+1)} }

func (h *histogram) observe(d time.Duration) {
	s := d.Seconds()
	i, _ := slices.BinarySearch(latencyBounds, s)
	h.mu.Lock()
	h.counts[i]++
	h.sum += s
	h.mu.Unlock()
}

func (h *histogram) snapshot() kafkaadapter.Histogram {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := kafkaadapter.Histogram{Bounds: slices.Clone(latencyBounds), Counts: make([]uint64, len(latencyBounds)), Sum: h.sum}
	var cum uint64
	for i := range latencyBounds {
		cum += h.counts[i]
		out.Counts[i] = cum
	}
	out.Count = cum + h.counts[len(latencyBounds)]
	return out
}

// counters are a Service's own counters.
type counters struct {
	windows, engineErrors, restarts  atomic.Int64
	stale                            atomic.Int64
	checkpointed, checkpointFailures atomic.Int64
	statesRejected                   atomic.Int64
	patterns, forecasts              atomic.Int64
	sinkWrites, sinkFailures         atomic.Int64
	notifyBatches, notifyDropped     atomic.Int64
	notifyFailed                     atomic.Int64
	notifyRedelivered                atomic.Int64
	notifyRetryFailed                atomic.Int64
	engine, sink                     *histogram
	mu                               sync.Mutex
	anomalies                        map[omen.AnomalyType]int64
	severities                       map[omen.Severity]int64
	alerts                           map[omen.AlertStatus]int64
}

func newCounters() *counters {
	return &counters{
		engine:     newHistogram(),
		sink:       newHistogram(),
		anomalies:  map[omen.AnomalyType]int64{},
		severities: map[omen.Severity]int64{},
		alerts:     map[omen.AlertStatus]int64{},
	}
}

// written counts the records of a durable batch.
func (c *counters) written(r omen.Results) {
	c.patterns.Add(int64(len(r.Patterns)))
	c.forecasts.Add(int64(len(r.Forecasts)))
	if len(r.Anomalies) == 0 && len(r.Alerts) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, a := range r.Anomalies {
		c.anomalies[a.Type]++
		c.severities[a.Severity]++
	}
	for _, a := range r.Alerts {
		c.alerts[a.Status]++
	}
}

func (c *counters) snapshot() Stats {
	c.mu.Lock()
	s := Stats{Anomalies: maps.Clone(c.anomalies), Severities: maps.Clone(c.severities), Alerts: maps.Clone(c.alerts)}
	c.mu.Unlock()
	s.Windows = c.windows.Load()
	s.Restarts = c.restarts.Load()
	s.Checkpoints = c.checkpointed.Load()
	s.CheckpointFailures = c.checkpointFailures.Load()
	s.EngineErrors = c.engineErrors.Load()
	s.StaleWindows = c.stale.Load()
	s.StatesRejected = c.statesRejected.Load()
	s.Patterns = c.patterns.Load()
	s.Forecasts = c.forecasts.Load()
	s.SinkWrites = c.sinkWrites.Load()
	s.SinkFailures = c.sinkFailures.Load()
	s.Notifications = NotificationStats{Batches: c.notifyBatches.Load(), Dropped: c.notifyDropped.Load(), Failed: c.notifyFailed.Load(),
		Redelivered: c.notifyRedelivered.Load(), RetryFailed: c.notifyRetryFailed.Load()}
	s.Engine = c.engine.snapshot()
	s.SinkLatency = c.sink.snapshot()
	return s
}

// WritePrometheus writes s in the Prometheus text exposition format (version 0.0.4), every name
// prefixed with namespace and an underscore: first the consumer's metrics
// (kafkaadapter.Stats.WritePrometheus: messages, windows, published records, dead letters,
// retries, commits, lag per partition, poll-to-commit latency), then the Service's own:
//
//	<ns>_consumer_restarts_total              counter
//	<ns>_state_checkpoints_total              counter
//	<ns>_state_checkpoint_failures_total      counter
//	<ns>_engine_windows_total                 counter
//	<ns>_engine_errors_total                  counter
//	<ns>_engine_stale_windows_total           counter
//	<ns>_engine_seconds                       histogram, per window
//	<ns>_anomalies_total{type}                counter, every type listed
//	<ns>_anomalies_by_severity_total{severity} counter, every severity listed
//	<ns>_patterns_total, <ns>_forecasts_total counters
//	<ns>_predictive_alerts_total{status}      counter, every status listed
//	<ns>_sink_writes_total, <ns>_sink_failures_total counters
//	<ns>_sink_write_seconds                   histogram
//	<ns>_notification_batches_total{outcome="queued"|"dropped"|"failed"} counter
//	<ns>_notification_redelivered_total       counter, records handed to the Notifier again
//	<ns>_notification_retry_failures_total    counter, failed claims of undelivered records
//	<ns>_notifications_total{target,outcome="sent"|"failed"|"retried"|"deduplicated"} counter
//	<ns>_notification_marks_failed_total      counter (these two with a notify.Notifier only)
//	<ns>_consumer_lag_total                   gauge, the sum over the assigned partitions
func (s Stats) WritePrometheus(w io.Writer, namespace string) error {
	if err := s.Consumer.WritePrometheus(w, namespace); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	p := promWriter{w: bw, ns: namespace}
	p.single("consumer_restarts_total", "counter", "Consumer runs that failed and were restarted.", float64(s.Restarts))
	p.single("state_checkpoints_total", "counter", "Service states saved at checkpoints.", float64(s.Checkpoints))
	p.single("state_checkpoint_failures_total", "counter", "Service states whose checkpoint failed.", float64(s.CheckpointFailures))
	p.single("state_rejected_total", "counter", "Stored service states that could not be restored; the service started afresh.", float64(s.StatesRejected))
	p.single("engine_windows_total", "counter", "Windows the engine processed.", float64(s.Windows))
	p.single("engine_errors_total", "counter", "Engine calls that returned an error.", float64(s.EngineErrors))
	p.single("engine_stale_windows_total", "counter", "Windows older than their service's last, not analysed again.", float64(s.StaleWindows))
	p.histogram("engine_seconds", "Time the engine took per window, in seconds.", s.Engine)
	p.header("anomalies_total", "counter", "Anomalies made durable, by type.")
	for _, t := range omen.AnomalyTypes {
		p.sample("anomalies_total", "type", string(t), float64(s.Anomalies[t]))
	}
	p.header("anomalies_by_severity_total", "counter", "Anomalies made durable, by severity.")
	for _, v := range omen.Severities {
		p.sample("anomalies_by_severity_total", "severity", string(v), float64(s.Severities[v]))
	}
	p.single("patterns_total", "counter", "Patterns made durable.", float64(s.Patterns))
	p.single("forecasts_total", "counter", "Forecasts made durable.", float64(s.Forecasts))
	p.header("predictive_alerts_total", "counter", "Predictive alerts made durable, by status (an alert is written at issue and at each change).")
	for _, st := range []omen.AlertStatus{omen.Pending, omen.Materialized, omen.Expired} {
		p.sample("predictive_alerts_total", "status", string(st), float64(s.Alerts[st]))
	}
	p.single("sink_writes_total", "counter", "Successful store writes.", float64(s.SinkWrites))
	p.single("sink_failures_total", "counter", "Failed store writes (retried).", float64(s.SinkFailures))
	p.histogram("sink_write_seconds", "Time of a successful store write, in seconds.", s.SinkLatency)
	p.header("notification_batches_total", "counter", "Durable batches with alerts or critical anomalies, by notification outcome.")
	p.sample("notification_batches_total", "outcome", "queued", float64(s.Notifications.Batches))
	p.sample("notification_batches_total", "outcome", "dropped", float64(s.Notifications.Dropped))
	p.sample("notification_batches_total", "outcome", "failed", float64(s.Notifications.Failed))
	p.single("notification_redelivered_total", "counter", "Records the store held as undelivered, claimed and handed to the notifier again.", float64(s.Notifications.Redelivered))
	p.single("notification_retry_failures_total", "counter", "Failed claims of the records the store holds as undelivered.", float64(s.Notifications.RetryFailed))
	if len(s.Notifier.Targets) > 0 {
		p.header("notifications_total", "counter", "Webhook deliveries (one record to one target), by target and outcome.")
		for _, target := range slices.Sorted(maps.Keys(s.Notifier.Targets)) {
			c := s.Notifier.Targets[target]
			for _, o := range []struct {
				name string
				v    uint64
			}{{"sent", c.Sent}, {"failed", c.Failed}, {"retried", c.Retried}, {"deduplicated", c.Deduplicated}} {
				fmt.Fprintf(p.w, "%s_notifications_total{target=%q,outcome=%q} %d\n", p.ns, target, o.name, o.v)
			}
		}
		p.single("notification_marks_failed_total", "counter", "Deliveries whose recording in the store failed after its tries (of a record to every target, or to one).", float64(s.Notifier.MarkFailed))
	}
	var lag int64
	for _, l := range s.Consumer.Lag {
		lag += l.Lag
	}
	p.single("consumer_lag_total", "gauge", "Records waiting in the assigned input partitions.", float64(lag))
	return bw.Flush()
}

// promWriter writes samples in the text exposition format.
type promWriter struct {
	w  *bufio.Writer
	ns string
}

func (p promWriter) header(name, typ, help string) {
	fmt.Fprintf(p.w, "# HELP %s_%s %s\n# TYPE %s_%s %s\n", p.ns, name, help, p.ns, name, typ)
}

func (p promWriter) single(name, typ, help string, v float64) {
	p.header(name, typ, help)
	fmt.Fprintf(p.w, "%s_%s %s\n", p.ns, name, promFloat(v))
}

func (p promWriter) sample(name, label, value string, v float64) {
	fmt.Fprintf(p.w, "%s_%s{%s=%q} %s\n", p.ns, name, label, value, promFloat(v))
}

func (p promWriter) histogram(name, help string, h kafkaadapter.Histogram) {
	p.header(name, "histogram", help)
	for i, b := range h.Bounds {
		fmt.Fprintf(p.w, "%s_%s_bucket{le=%q} %d\n", p.ns, name, promFloat(b), h.Counts[i])
	}
	fmt.Fprintf(p.w, "%s_%s_bucket{le=\"+Inf\"} %d\n", p.ns, name, h.Count)
	fmt.Fprintf(p.w, "%s_%s_sum %s\n%s_%s_count %d\n", p.ns, name, promFloat(h.Sum), p.ns, name, h.Count)
}

func promFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
