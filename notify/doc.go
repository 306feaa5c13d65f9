// Package notify delivers predictive alerts and critical anomalies to people: to Slack incoming
// webhooks, to PagerDuty through its Events API v2, and to any HTTP endpoint as JSON.
//
// A Notifier is built from targets (Slack, PagerDuty, Webhook, or any Target) and options:
//
//	n, err := notify.New([]notify.Target{
//		notify.Slack{WebhookURL: slackURL},
//		notify.PagerDuty{RoutingKey: key},
//	}, notify.WithMarker(store), notify.WithLogger(logger))
//
// and is handed each window's results after the Sink has written them:
//
//	if err := sink.Write(ctx, results); err != nil { … }
//	if err := n.Notify(ctx, results); err != nil { … } // logged; the results are durable
//
// # What is delivered
//
// Notify delivers every predictive alert of the results whose status is pending and that is not
// yet sent (Sent false), and every open anomaly whose severity is at least the minimum
// (WithMinSeverity, critical by default). Alerts that changed to materialized or expired, resolved
// anomalies, and anomalies below the minimum are not. NotifyAlert, NotifyAnomaly and Deliver send
// one record whatever its status or severity.
//
// # Delivery contract
//
// A delivery is one record to one target. Each is an HTTP POST, bounded by WithTimeout (10 s),
// tried at most WithAttempts times (5):
//
//   - a 2xx response is success;
//   - a network error, a timeout, 429 and 5xx are retried after an exponential backoff with
//     jitter: retry k waits a uniformly random time in [d/2, d], d = min(max, min·2^(k−1))
//     (WithRetryBackoff, 500 ms and 30 s). A positive Retry-After (seconds or an HTTP date) of a
//     429 or 5xx response replaces the backoff; one longer than max ends the delivery at once
//     instead of blocking the pipeline;
//   - any other status (400, 401, 403, 404, 410, …) is permanent and not retried; the
//     *DeliveryError says so (Permanent) and its *StatusError carries the status and the start of
//     the response body, which names the problem;
//   - the end of ctx stops the delivery at once, during a request or a backoff.
//
// The targets of one record are served at once; Notify serves WithParallelism records (4) at a
// time, the anomalies (in their order) before the alerts, and returns every failure joined in
// one error. A failure of one
// record or target never stops the others.
//
// De-duplication. The Notifier remembers, for the last WithDedupCapacity records (65,536), which
// targets have each record, keyed by its kind and ID. A record is never sent twice to a target
// while it is remembered, even when the same results are delivered again (Kafka redelivery,
// reprocessing) or from several goroutines at once: a record that one goroutine is delivering is
// waited for by the others. A failed delivery is not remembered, so the next Notify of the record
// tries that target again, and only that target. Across restarts the memory is gone; when the
// Marker also implements Checker, a record the Notifier does not know to be delivered to every
// target is looked up there first and skipped if an earlier run or another instance delivered it,
// and when it implements TargetMarker, every delivery to a target is recorded there and such a
// record goes only to the targets that lack it — a retry by a restarted service or by another
// instance reaches each target once (when a lookup fails, the record is sent: a page twice is
// better than none).
// pgadapter.Store is all three. Without them, PagerDuty still folds a repeated trigger into the
// open incident because the dedup_key is deterministic, and alerts loaded back with Sent set are
// skipped.
//
// Marking. When every target has a record, the Marker (WithMarker; *pgadapter.Store implements
// it) records it: MarkAlertSent sets alert_sent and alert_sent_at of the predictive alert,
// MarkAnomalyNotified sets notified_at of the anomaly, with the time of the delivery; a
// TargetMarker also records each target's delivery. A call is tried up to WithAttempts times with
// the deliveries' backoff, and each try outlives the end of ctx by up to the request timeout, so
// that a page that went out is recorded during a store's short outage or a shutdown. A failed
// delivery is never marked. A mark that fails every try is returned and counted; the record
// stays delivered, so a later Notify of it sends nothing and only retries the mark.
// Call Notify after the Sink has written the records, or the Marker will not find them.
//
// Concurrency: a Notifier is safe for concurrent use. Targets are values; a Webhook's Header
// must not change after New.
//
// Errors and secrets: webhook URLs and routing keys are secrets; errors and logs show only a
// URL's scheme and host.
//
// # Slack
//
// The body is {"text": …, "attachments": [{"color": …, "blocks": […]}]}: text is a one-line
// summary for notifications and clients without Block Kit; the attachment's colour is that of
// the severity (critical #d32f2f, high #f57c00, medium #fbc02d, low #1976d2); its blocks are a
// header ("Predicted breach: <service> · <metric>" or "Anomaly: <service> · <metric>"), a section
// with the description and six fields, for an alert the recommended action, and a context line
// with the record's ID and time. For a predictive alert:
//
//	text     [critical] checkout: latency_p99_ms predicted to reach 512.4 ms (threshold 500 ms) in
//	         about 2 h (90 % range 1–3 h), at 2026-11-26 03:00 UTC, 87.3 % confidence
//	fields   Service, Metric, Severity "critical (score 79, priority critical)", Confidence "87.3 %",
//	         Predicted / threshold "512.4 ms / 500 ms (now 430.2 ms)",
//	         Time to breach "in about 2 h (90 % range 1–3 h), at 2026-11-26 03:00 UTC"
//
// The time to breach and its interval are measured from the alert's issue time to its expected
// breach and to the ends of its breach range. For an anomaly the fields are Service, Metric, Type,
// Severity "critical (score 91)", Value / baseline "7.5 % / 0.82 % (+814.6 %)" and Confidence.
// Values carry their metric's unit (ms for *_ms, % for error_rate) with four significant digits;
// a missing (non-finite) value reads "n/a". Texts are escaped for mrkdwn (&, <, > as &amp;, &lt;,
// &gt;), so a service name cannot mention a channel or forge a link, and shortened to Slack's
// limits (header 150, section 3000, field 2000 characters) with "…".
//
// # PagerDuty
//
// The body is an Events API v2 trigger:
//
//	{"routing_key": …, "event_action": "trigger", "dedup_key": …,
//	 "payload": {"summary": …, "source": <service>, "severity": …, "timestamp": <RFC 3339 UTC>,
//	             "component": <metric>, "class": <anomaly type, or prediction type of an alert>,
//	             "custom_details": {…}}}
//
// The dedup_key of a predictive alert is its ID; that of an anomaly names its problem and a span
// of six hours (PagerDuty.GroupWindow), "omen/anomaly/<service>/<metric>/<type>/<span start>",
// so that the critical anomalies of one incident's successive windows are
// folded into the PagerDuty alert the first one opened instead of paging once per window. The
// record's ID is always in custom_details.
//
// The summary is the Slack text — for an anomaly without its score and confidence (they are in
// custom_details), followed by its description — shortened to 1,024 characters. Severity maps critical → critical, high → error, medium → warning, low → info. The
// timestamp is an anomaly's window or an alert's issue time. custom_details holds every field of
// the record under the names of the ml-anomalies and predictive-alerts topics, plus "kind" and,
// for an alert, "time_to_breach"; a non-finite number is null.
//
// # Webhook
//
// The body is {"kind": "alert"|"anomaly", "record": {…}}, the record exactly as the pipeline
// publishes it. A record holding a non-finite number cannot be encoded as JSON; its delivery
// fails as permanent.
//
// # Counters
//
// Stats returns running totals — deliveries sent, failed, retried and deduplicated, and failed
// marks — in total and per target, for export as Prometheus counters.
package notify
