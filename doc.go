// Package omen is a library of anomaly-detection and forecasting algorithms for service metrics,
// and the engine of the "Phase 5: ML & anomaly detection" pipeline assembled from them.
//
// The algorithms live in small packages, each usable on its own:
//
//   - [github.com/stacklens/omen/isoforest]: Isolation Forest and Extended Isolation Forest, with
//     per-feature explanations and compact persistence.
//   - [github.com/stacklens/omen/arima]: ARIMA and seasonal ARIMA by exact maximum likelihood,
//     forecasts and automatic order search.
//   - [github.com/stacklens/omen/trend]: trend tests and slopes, STL and MSTL, change points
//     (PELT, CUSUM, BOCPD), and the original service's legacy functions.
//   - [github.com/stacklens/omen/patterns]: scaling, DBSCAN, pattern signatures, shift detection.
//   - [github.com/stacklens/omen/severity]: calibrated 0–100 scores, levels, confidence.
//   - [github.com/stacklens/omen/notify]: delivery of predictive alerts and critical anomalies to
//     Slack, PagerDuty and webhooks, with retries and de-duplication.
//
// Every model is fitted by a Fit function that validates its input, returns an immutable model
// safe for concurrent use, and is deterministic for a given Seed whatever the number of workers.
//
// # The Phase 5 engine
//
// Metrics is one service's window as Phase 4 publishes it; Anomaly, Pattern, Forecast and
// PredictiveAlert are the records of the result topics and tables, with deterministic IDs
// (RecordID). History, Sink and StateStore are what the adapters implement; MemoryStore is all
// three in memory.
//
// Detector is the ML service. Per service it keeps the last History windows (default 168); it
// trains at MinHistory windows (default 24), retrains whenever the history has doubled while it
// fills, and then every RetrainEvery of the service's own windows (default 168):
//
//   - an isolation forest on the eight features of FeatureNames (50 trees of ψ = 128 by default,
//     about 70 kB), whose score is calibrated by a severity.Calibrator against the service's
//     normal windows; an outlier carries the metrics that explain it (Anomaly.Contributions);
//   - patterns: DBSCAN clusters of the windows in a space of logarithms and ratios (users per
//     request, IPs per user) where the daily cycle moves a window along its pattern and a change of
//     behaviour moves it off; IDs are carried across trainings, and ShiftWindows windows in a row
//     outside every pattern are a pattern shift, one anomaly per window.
//
// Every metric of every window also goes through its own StreamDetector (a robust seasonal
// baseline, standardised residuals, CUSUM evidence and a calibrated score). A value whose score
// reaches MinScore (default 40, a tail probability of 4·10⁻³ under the service's normal operation)
// and that stands 4 robust deviations from its baseline is a spike or a dip; a sustained shift is a
// trend change; a metric that stood 4 deviations above and below its baseline within one day has
// changed its daily shape: a seasonality break; a widened spread is an outlier of that metric
// (OutlierScore, default 50). Traffic counts must also fall below 40 % of their baseline to dip,
// since the daily baseline does not know the weekly cycle. Ramps (and, after a peak, reversals) of
// the error rate and the p99 latency, which a streaming baseline follows, are found by a
// Mann–Kendall test of the last 12 windows above the history's robust range (the original's
// mean-normalised slopes missed a clear V). Every anomaly has a score on the one 0–100 scale of
// package severity, a level, a confidence in [0, 1], and its baseline and deviation. An outlier of the whole window needs OutlierScore, or
// half of it when a metric of the same window is already anomalous.
//
// On the default generated stream (internal/servicegen, 8 services × 14 days, 24 labelled
// incidents) the Detector finds 22 of the 24 incidents, all but the two variance changes, with
// 93 % of its flagged windows inside an incident.
//
// Observe validates its input (Metrics.Validate, and a timestamp not older than the service's
// last) and leaves the state untouched when it rejects a window; the last window observed again
// gives the same results, so redelivery is idempotent. Snapshot and Restore carry a service's whole
// state in a versioned binary encoding; with a StateStore (WithStateStore) Release saves and
// forgets services and the next window restores them, which makes a Detector a
// kafkaadapter.Processor (and Discarder); WarmStart trains from a History. Calls for different
// services run in parallel, and the output depends only on each service's own windows and the
// Seed, never on GOMAXPROCS or timing. A warm service takes about 170 kB, so 1,000 services with a
// week of hourly history fit in about 170 MB.
//
// Alerter is the predictive alerter. Per service and thresholded metric (by default the error rate
// and the p99 latency, with the Phase 4 rules' thresholds) it keeps the last HistoryWindows values
// on the windows' own time grid, removes their daily profile (per-hour medians around a robust STL
// trend), fits a non-seasonal ARIMA chosen by arima.Auto, filters each new window into it and
// forecasts Horizon windows ahead with intervals. When the probability that the forecast path
// crosses a threshold within the horizon reaches MinProbability, it raises a PredictiveAlert with
// that probability as confidence, the expected time to breach and its 90 % range, a priority and a
// score on the anomalies' 0–100 scale; an alert later materializes or expires, and Outcomes
// reports the materialisation rate. Forecast records are completed with the actual value when
// their window arrives. With a capacity per service it also plans capacity (CapacityPlan). On
// thirty generated streams (seeds 1–30) its alerts precede 67 of 90 slow ramps' threshold
// crossings, and 15 % of its alerts expire without a breach (on seeds 31–50, held out: 41 of 60
// and 15 %). A warm service takes about 63 kB.
package omen
