// Package servicegen generates a realistic, labelled stream of per-service metrics windows — the
// messages Phase 4 publishes on analytics-alerts — for testing and evaluating the detectors and the
// Phase 5 engine without any outside data.
//
// # The model
//
// Every service has a profile: its request volume (from a few hundred to over a hundred thousand
// requests an hour), baseline error rate (0.2–1 %), latency quantiles, users per request, IPs per
// user and risk score. For the window starting at t, with step h hours, the expected request count
// is
//
//	λ(t) = R · h · s(t) · (1 + g·d(t)),   s(t) = w(t) · (f + (1 − f)·a(t)·b(t)),
//
// where R is the profile's weekday peak rate, d(t) the days since the start, g a small growth rate,
// b(t) = exp(−½ (Δ(t)/σ)²) a working-day bump around the service's peak hour (Δ the circular
// distance in hours), f the night floor, and w(t), a(t) lower on Saturdays and Sundays (weekly
// seasonality). The observed count is Poisson with mean λ(t)·exp(ε_r(t)) (normal approximation
// from a mean of 50). Every noise term ε is a stationary AR(1) process,
//
//	ε(t) = φ·ε(t−1) + √(1−φ²)·σ·η(t),
//
// whose innovations η are standard normal scaled by 2.5 with probability 0.04: heavier tails than
// a Gaussian, as real metrics have. The growth g is 0.4 % a day.
//
// Failures are binomial on the requests with probability p = p₀·(1 + 0.3·ℓ)·exp(ε_e) where ℓ is
// the load (requests over the weekday peak), so error_rate = 100·failed/requests is in PERCENT.
// The median latency rises mildly with load, m₅₀ = L₅₀·(1 + 0.25·ℓ²)·exp(ε_50); p95 and p99 follow
// as noisy ratios of it, so p50 ≤ p95 ≤ p99 always, and the mean lies between p50 and p95. Users
// are proportional to the requests, IPs to the users, the risk score is an AR(1) around the
// profile's level, clipped to [0, 1]. Counts are non-negative integers; latencies carry two
// decimals and rates four, as a real aggregator prints them.
//
// # Incidents
//
// After a warm-up (3 days by default) each service suffers a few incidents (about 1.5 a week), at
// random places that never overlap and are at least 12 windows apart. The kinds are dealt from a
// shuffled deck holding each Kind in turn, so every kind appears about equally often: error and
// latency spikes, latency and traffic dips, level shifts, slow ramps towards a threshold, variance
// changes, pattern changes and seasonality breaks (see Kind). An incident moves the metrics its label names, in the
// windows from its Start to its End; the other metrics keep their distribution (the error rate is
// redrawn when an incident changes the requests, but its level stays). Outside the incidents every
// window is identical, field for field, to the window generated with NoIncidents.
//
// # Determinism
//
// Randomness comes only from math/rand/v2 PCG streams derived from Config.Seed by
// internal/randstream: one stream plans the incident deck, and every service has its own noise
// stream and its own incident stream. The same Config therefore always gives the same Stream, and
// with it the same bytes from WriteJSONLines and WriteLabels. Generate has no shared state and is
// safe for concurrent use.
//
// # Evaluating detectors
//
// Stream.Series gives the univariate view of one service's metric with a per-window incident mask,
// and Evaluate scores a detector's flagged windows against the labels at the event level: a
// labelled incident is detected when some flag of its service falls within [Start, End +
// tolerance], and a flag is a true positive when it falls within some incident's [Start, End +
// tolerance]; detection delay is the time from Start to the first such flag.
package servicegen
