// Package patterns finds the recurring behaviours of a service in a history of feature vectors
// (one vector of metrics per window), names them, and tells when new windows leave them.
//
// The pipeline is:
//
//  1. Scaling. FitStandard (mean, population standard deviation, as scikit-learn's StandardScaler)
//     or FitRobust (median, 1.4826·MAD) put the features on one scale; a constant column gets scale 1.
//  2. Clustering. DBSCAN (Ester, Kriegel, Sander & Xu, KDD 1996) with exactly scikit-learn's
//     semantics and labels, over a k-d tree (Bentley 1975) for up to 15 columns. Eps, when not
//     given, is the knee of the sorted k-distance curve (KneeEps, Kneedle rule of Satopää et al.
//     2011), which makes the dense bulk of a normal history one or more clusters — at the fixed
//     eps 0.5 of the original system 100 normal 8-feature rows formed none.
//  3. Signatures. Fit turns each cluster into a Pattern: centre in raw units, robust radius in
//     scaled units, size, first and last seen. Model.Refit keeps pattern IDs stable by matching new
//     clusters to earlier patterns.
//  4. Matching and shifts. Model.Match gives a new vector's pattern (or Noise) and its standardised
//     distance, the scaled Euclidean distance to the pattern's centre over its radius. Unlike the
//     original's raw-feature cosine, which total_requests and unique_users dominated, every feature
//     counts in its own units of spread. ShiftDetector turns distances that stay above a threshold
//     for k windows into a pattern shift.
//
// Determinism and concurrency: everything is deterministic (no randomness is used). DBSCAN,
// KDistances, KneeEps and Fit count neighbours on up to GOMAXPROCS goroutines, each row's count
// depending on that row alone, so results are identical for any GOMAXPROCS. Scaler and
// Model are immutable and safe for concurrent use; ShiftDetector is a small streaming state
// machine, not safe for concurrent use, with a versioned binary encoding. No function modifies its
// inputs.
package patterns
