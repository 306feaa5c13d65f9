package kafkaadapter

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// WritePrometheus writes s in the Prometheus text exposition format (version 0.0.4), each
// metric name prefixed with namespace and an underscore:
//
//	<ns>_messages_total                               counter
//	<ns>_windows_processed_total                      counter
//	<ns>_published_total{topic}                       counter
//	<ns>_dead_letters_total{reason}                   counter, every reason listed
//	<ns>_retries_total{stage="process"|"sink"|"publish"} counter
//	<ns>_commits_total, <ns>_commit_failures_total    counters
//	<ns>_services_released_total                      counter
//	<ns>_consumer_lag{topic,partition}                gauge
//	<ns>_processing_latency_seconds                   histogram, poll to commit
func (s Stats) WritePrometheus(w io.Writer, namespace string) error {
	bw := bufio.NewWriter(w)
	metric := func(name, kind, help string) string {
		full := namespace + "_" + name
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s %s\n", full, help, full, kind)
		return full
	}
	value := func(name string, v float64, labels ...string) {
		bw.WriteString(name)
		if len(labels) > 0 {
			bw.WriteByte('{')
			for i := 0; i < len(labels); i += 2 {
				if i > 0 {
					bw.WriteByte(',')
				}
				fmt.Fprintf(bw, "%s=\"%s\"", labels[i], labelEscaper.Replace(labels[i+1]))
			}
			bw.WriteByte('}')
		}
		bw.WriteByte(' ')
		bw.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
		bw.WriteByte('\n')
	}

	value(metric("messages_total", "counter", "Input records read, dead letters included."), float64(s.Messages))
	value(metric("windows_processed_total", "counter", "Windows turned into results."), float64(s.Processed))
	name := metric("published_total", "counter", "Records delivered, by topic.")
	for _, topic := range slices.Sorted(maps.Keys(s.Published)) {
		value(name, float64(s.Published[topic]), "topic", topic)
	}
	name = metric("dead_letters_total", "counter", "Input records dead-lettered, by reason.")
	for _, r := range Reasons {
		value(name, float64(s.DeadLetters[r]), "reason", string(r))
	}
	name = metric("retries_total", "counter", "Retries after errors, by stage.")
	value(name, float64(s.ProcessRetries), "stage", "process")
	value(name, float64(s.SinkRetries), "stage", "sink")
	value(name, float64(s.PublishRetries), "stage", "publish")
	value(metric("commits_total", "counter", "Successful offset commits."), float64(s.Commits))
	value(metric("commit_failures_total", "counter", "Failed offset commits."), float64(s.CommitFailures))
	value(metric("services_released_total", "counter", "Services released after their partitions were revoked."), float64(s.Releases))
	value(metric("unkeyed_windows_total", "counter", "Windows whose record key is not their service."), float64(s.Unkeyed))
	name = metric("consumer_lag", "gauge", "Records waiting after the last one polled, by input partition.")
	for _, l := range s.Lag {
		value(name, float64(l.Lag), "topic", l.Topic, "partition", strconv.Itoa(int(l.Partition)))
	}
	name = metric("processing_latency_seconds", "histogram", "Time from a record's poll to the commit of its offset.")
	for i, bound := range s.Latency.Bounds {
		value(name+"_bucket", float64(s.Latency.Counts[i]), "le", strconv.FormatFloat(bound, 'g', -1, 64))
	}
	value(name+"_bucket", float64(s.Latency.Count), "le", "+Inf")
	value(name+"_sum", s.Latency.Sum)
	value(name+"_count", float64(s.Latency.Count))
	return bw.Flush()
}

// labelEscaper escapes a label value as the text format requires.
var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
