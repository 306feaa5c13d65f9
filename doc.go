// Package omen is a library of anomaly-detection and forecasting algorithms for service metrics,
// and the engine of the "Phase 5: ML & anomaly detection" pipeline assembled from them.
//
// The algorithms live in small packages, each usable on its own:
//
//   - [github.com/stacklens/omen/isoforest]: Isolation Forest and Extended Isolation Forest, with
//     per-feature explanations and compact persistence.
//
// Every model is fitted by a Fit function that validates its input, returns an immutable model
// safe for concurrent use, and is deterministic for a given Seed whatever the number of workers.
package omen
