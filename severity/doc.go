// Package severity turns raw anomaly evidence into what an operator reads: a calibrated 0–100
// anomaly score, a level (low, medium, high, critical), a confidence, and the kind of a point
// deviation (spike, dip, seasonality_break).
//
// Calibration. A raw score — a residual z-score, an isolation-forest score, a pattern distance — has
// no common scale, and the original system compared them all with one fixed cut (0.4/0.6/0.8), which
// an isolation-forest score capped at 0.731 could never pass. Calibrator learns how a raw score is
// distributed under normal operation and maps a new value to its tail probability p, then to the
// score 100·min(1, −log10(p)/6): 25 at p ≈ 0.03, 50 at p = 10⁻³, 75 at p ≈ 3·10⁻⁵, 100 at
// p ≤ 10⁻⁶. The body of the distribution comes from a merging t-digest (Digest; Dunning & Ertl
// 2019) and the far tail from a generalised Pareto distribution fitted to the peaks over a
// threshold (FitGPD, Grimshaw 1993), as in SPOT (Siffer, Fouque, Termier & Largouët, KDD 2017),
// which extrapolates to probabilities far smaller than one over the number of values seen.
//
// Levels. Levels maps scores to levels at 25/50/75 (configurable); Levels.Grade caps the level at
// low when the absolute effect is below a per-metric minimum, so a tiny baseline cannot make a tiny
// change critical; Escalator raises the level of an anomaly that persists.
//
// Confidence. Calibrated.Confidence combines the warm-up size, the precision of the probability
// estimate (binomial precision in the body, goodness of the GPD fit in the tail) and the distance of
// the score from the nearest level boundary; it is never a constant.
//
// Classification. RobustBaseline, ClassifyPoint and ClassifySeasonal classify a value against a
// robust baseline (median and MAD) or against the value its seasonal pattern predicts, with the
// deviation in robust standard deviations and in percent of the baseline.
//
// Determinism and concurrency: nothing here is random. Digest, Calibrator and Escalator are
// streaming types in the manner of hash.Hash — a ready zero value or New, Add, a read-only view,
// Reset, and a versioned MarshalBinary/UnmarshalBinary — and are not safe for concurrent use. The
// functions never modify their inputs.
package severity
