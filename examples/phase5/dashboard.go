package main

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/stacklens/omen"
)

// runStats describes a replay.
type runStats struct {
	windows  int
	services int
	bad      []badLine
	elapsed  time.Duration
	// startup is the part of elapsed before the first window reached an engine: on the Kafka
	// path, the broker's topics, the stream produced and the consumers' groups joined.
	startup time.Duration
	via     string      // how the windows reached the engines
	kafka   *kafkaStats // the consumers' counters, on the Kafka path
	// capacity holds the plans of the services given a capacity, and noCapacity why the others
	// have none.
	capacity   []omen.CapacityPlan
	noCapacity []string
}

// printDashboard prints the quick start's monitoring dashboard over everything the replay stored:
// anomalies by service, by type and severity, predictive alerts with their materialisation, the
// top anomalies, and the throughput.
func printDashboard(w io.Writer, store *omen.MemoryStore, st runStats) {
	anomalies := store.Anomalies()
	alerts := store.Alerts()

	fmt.Fprintf(w, "\n== Anomalies by service (%d anomalies in %d windows)\n", len(anomalies), st.windows)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "service\ttotal\tcritical\thigh\tmedium\tlow\tavg confidence\tresolved\t")
	for _, g := range groupBy(anomalies, func(a omen.Anomaly) string { return a.Service }) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%.3f\t%d\t\n", g.key, len(g.items),
			countSeverity(g.items, omen.Critical), countSeverity(g.items, omen.High),
			countSeverity(g.items, omen.Medium), countSeverity(g.items, omen.Low),
			avgConfidence(g.items), countIf(g.items, func(a omen.Anomaly) bool { return a.Resolved }))
	}
	tw.Flush()

	fmt.Fprintln(w, "\n== Anomalies by type and severity")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "type\tseverity\tcount\tavg confidence\tlatest\t")
	for _, g := range groupBy(anomalies, func(a omen.Anomaly) string { return string(a.Type) + "\x00" + severityRank(a.Severity) }) {
		a := g.items[0]
		latest := slices.MaxFunc(g.items, func(x, y omen.Anomaly) int { return x.Timestamp.Compare(y.Timestamp) })
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.3f\t%s\t\n", a.Type, a.Severity, len(g.items), avgConfidence(g.items), latest.Timestamp.Format("2006-01-02 15:04"))
	}
	tw.Flush()

	fmt.Fprintln(w, "\n== Predictive alerts")
	sent := countIf(alerts, func(a omen.PredictiveAlert) bool { return a.Sent })
	materialized := countIf(alerts, func(a omen.PredictiveAlert) bool { return a.Status == omen.Materialized })
	expired := countIf(alerts, func(a omen.PredictiveAlert) bool { return a.Status == omen.Expired })
	rate := "n/a"
	if closed := materialized + expired; closed > 0 {
		rate = fmt.Sprintf("%.1f %% of %d closed", 100*float64(materialized)/float64(closed), closed)
	}
	fmt.Fprintf(w, "total %d, sent %d, materialized %d, expired %d, pending %d; materialisation rate %s\n",
		len(alerts), sent, materialized, expired, len(alerts)-materialized-expired, rate)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, a := range alerts[max(0, len(alerts)-5):] {
		fmt.Fprintf(tw, "  %s\t%s\t%s\tconfidence %.2f\t%s\t%s\n", a.IssuedAt.Format("2006-01-02 15:04"), a.Service, a.Priority, a.Confidence, a.Status, a.PredictedEvent)
	}
	tw.Flush()

	fmt.Fprintln(w, "\n== Top anomalies")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	top := slices.Clone(anomalies)
	slices.SortStableFunc(top, func(a, b omen.Anomaly) int { return cmp.Compare(b.Score, a.Score) })
	for _, a := range top[:min(10, len(top))] {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\tscore %.0f\t%s\n", a.Timestamp.Format("2006-01-02 15:04"), a.Service, a.Type, a.Severity, a.Score, a.Description)
	}
	tw.Flush()

	if len(st.capacity)+len(st.noCapacity) > 0 {
		fmt.Fprintln(w, "\n== Capacity (total_requests)")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, p := range st.capacity {
			exhaustion := "not within the horizon"
			if p.Exhausted {
				exhaustion = "in " + p.TimeToExhaustion.String() + " (" + p.ExhaustionAt.Format("2006-01-02 15:04") + ")"
			}
			fmt.Fprintf(tw, "  %s\t%.0f/h of %.0f/h\tnow %.0f %%\tpeak %.0f %%\texhaustion %s\t%s\n", p.Service, p.CurrentPerHour,
				p.CapacityPerHour, 100*p.CurrentUtilization, 100*p.PeakUtilization, exhaustion, p.Recommendation)
		}
		tw.Flush()
		for _, why := range st.noCapacity {
			fmt.Fprintf(w, "  %s\n", why)
		}
	}

	fmt.Fprintf(w, "\n== Throughput\n%d windows of %d services in %v: %.0f windows/s", st.windows, st.services,
		st.elapsed.Round(time.Millisecond), float64(st.windows)/st.elapsed.Seconds())
	if len(st.bad) > 0 {
		fmt.Fprintf(w, "; %d bad input lines skipped", len(st.bad))
	}
	fmt.Fprintf(w, "\nthrough %s", st.via)
	if st.kafka != nil && st.startup > 0 && st.elapsed > st.startup {
		run := st.elapsed - st.startup
		fmt.Fprintf(w, ": the first window reached the engines after %v (topics, the stream produced, groups joined), the last was committed %v later: %.0f windows/s",
			st.startup.Round(time.Millisecond), run.Round(time.Millisecond), float64(st.windows)/run.Seconds())
	}
	fmt.Fprintln(w)
	if k := st.kafka; k != nil {
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "consumer\tgroup\tmessages\twindows\tdead letters\tpublished\tcommits\t")
		for c, name := range [components]string{"ml service", "predictive alerter"} {
			s := k.stats[c]
			var published int64
			for _, n := range s.Published {
				published += n
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t\n", name, k.groups[c],
				s.Messages, s.Processed, s.DeadLettersTotal(), published, s.Commits)
		}
		tw.Flush()
	}
}

type group[T any] struct {
	key   string
	items []T
}

// groupBy groups items by key, largest group first, then by key.
func groupBy[T any](items []T, key func(T) string) []group[T] {
	index := map[string]int{}
	var groups []group[T]
	for _, it := range items {
		k := key(it)
		i, ok := index[k]
		if !ok {
			i = len(groups)
			index[k] = i
			groups = append(groups, group[T]{key: k})
		}
		groups[i].items = append(groups[i].items, it)
	}
	slices.SortStableFunc(groups, func(a, b group[T]) int {
		return cmp.Or(cmp.Compare(len(b.items), len(a.items)), cmp.Compare(a.key, b.key))
	})
	return groups
}

func countIf[T any](items []T, pred func(T) bool) int {
	n := 0
	for _, it := range items {
		if pred(it) {
			n++
		}
	}
	return n
}

func countSeverity(items []omen.Anomaly, s omen.Severity) int {
	return countIf(items, func(a omen.Anomaly) bool { return a.Severity == s })
}

func avgConfidence(items []omen.Anomaly) float64 {
	var sum float64
	for _, a := range items {
		sum += a.Confidence
	}
	return sum / float64(len(items))
}

// severityRank sorts critical before high before medium before low within a type.
func severityRank(s omen.Severity) string {
	return fmt.Sprint(3 - slices.Index(omen.Severities, s))
}
