// Package isoforest implements the Isolation Forest of Liu, Ting and Zhou (2008, 2012) and the
// Extended Isolation Forest of Hariri, Carrasco Kind and Brunner (2018, 2021) for unsupervised
// anomaly detection, with per-feature explanations and a compact binary encoding.
//
// # Model
//
// Each of T trees is grown on a subsample of ψ rows drawn without replacement (with replacement
// when Bootstrap is set). A node splits its rows by a random hyperplane until it holds one row,
// all its rows are identical, or it reaches the depth limit ceil(log2 ψ). With ExtensionLevel 0
// the hyperplane is axis-parallel: a feature chosen uniformly among those not constant in the
// node, and a threshold drawn uniformly in [min, max) of that feature, rows with x ≤ threshold
// going left (scikit-learn's rule). With ExtensionLevel e ≥ 1 the normal vector has e+1 non-zero
// standard-normal components on randomly chosen features, and the intercept is drawn uniformly
// in the range of the node's projections onto it, so both children are never empty; e = d−1 is
// the fully extended forest. Projections are of x − c, c the midrange of each feature in the
// training data, so that a feature far from zero does not swamp the others in rounding; a node
// whose projections overflow is a leaf.
//
// The path length of x in a tree is h(x) = depth(leaf) + c(m), where m is the number of training
// rows in the leaf and c(m) is the average path length of an unsuccessful search in a binary
// search tree of m keys:
//
//	c(m) = 2 H(m−1) − 2 (m−1)/m   for m ≥ 2,   c(1) = c(0) = 0,
//
// H(k) being the k-th harmonic number. The anomaly score is
//
//	s(x) = 2^(−E[h(x)] / c(ψ)),
//
// in (0, 1]: near 1 for points isolated at once, near 0.5 or below for inliers. scikit-learn
// approximates H(k) by ln k + γ; Config.SklearnCompatible selects that approximation so scores
// agree with its score_samples (which is −s(x)), and otherwise H is exact.
//
// # Thresholds
//
// With Contamination zero the anomaly threshold is the paper's s = 0.5 (scikit-learn's
// contamination="auto"). With a contamination fraction q in (0, 0.5] it is the (1−q) quantile
// (linear interpolation, as NumPy's default) of the scores of all training rows. A point is an
// anomaly when s(x) > threshold.
//
// # Explanations
//
// Explain credits each split on the path of x, in the spirit of DIFFI (Carletti, Terzi and
// Susto 2020): a split of a node holding n training rows, which sends x to a child holding n_c of
// them, gives its feature the credit (1 − n_c/n) / h_t(x) — large when the split isolates x from
// most of the sample and when x is isolated early. For an extended split the credit is shared
// among its features in proportion to |normal component|. Credits are averaged over trees and
// normalised to sum to 1. FeatureImportance is the same quantity averaged over the in-bag rows of
// every tree, computed at fit time, so no training rows need be kept.
//
// # Determinism and concurrency
//
// Tree t draws from its own PCG stream seeded by (Seed, t), and trees are stored in order, so a
// model depends only on X, Config and Seed — never on Workers or GOMAXPROCS. A Model is immutable
// after Fit or UnmarshalBinary and safe for concurrent use. Inputs are never modified.
//
// # References
//
//   - F. T. Liu, K. M. Ting, Z.-H. Zhou. Isolation Forest. ICDM 2008; Isolation-based anomaly
//     detection. ACM TKDD 6(1), 2012.
//   - S. Hariri, M. Carrasco Kind, R. J. Brunner. Extended Isolation Forest. IEEE TKDE 33(4), 2021.
//   - M. Carletti, M. Terzi, G. A. Susto. Interpretable Anomaly Detection with DIFFI: Depth-based
//     Feature Importance of Isolation Forest. Engineering Applications of AI 119, 2023
//     (arXiv:2007.11117, 2020).
package isoforest
