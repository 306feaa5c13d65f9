// Package trend detects and measures trends, seasonality and change points
// in univariate series of service metrics.
//
// # Trends
//
// OLS fits a least-squares line with the standard error and t-test of its
// slope; TheilSen gives the median pairwise slope with Sen's (1968)
// confidence interval, robust to outliers; SeasonalSen is its seasonal form
// (Hirsch, Slack and Smith 1982). MannKendall tests for a monotonic trend
// (Mann 1945; Kendall 1975) with the tie correction, HamedRao adds Hamed
// and Rao's (1998) variance correction for autocorrelated data, and
// SeasonalMannKendall is the seasonal Kendall test. Missing values (NaN) are
// skipped by all of them, which report the effective number of values.
//
// # Seasonality
//
// Decompose is STL (Cleveland, Cleveland, McRae and Terpenning 1990),
// reproducing R's stats::stl including the robust option, and
// DecomposeMultiple is MSTL (Bandara, Hyndman and Bergmeir 2021) as
// forecast::mstl, for several periods such as 24 and 168 on hourly data.
// Strength measures trend and seasonal strength (Wang, Smith and Hyndman
// 2006) and DetectPeriod finds periods from autocorrelation peaks.
//
// # Change points
//
// PELT (Killick, Fearnhead and Eckley 2012) finds the segmentation that
// minimises a normal-likelihood cost (change in mean, or in mean and
// variance) plus a BIC or MBIC penalty per change, exactly; binary
// segmentation is the faster greedy approximation. Online, CUSUM is Page's
// two-sided cumulative-sum chart and BOCPD the Bayesian online change-point
// detector of Adams and MacKay (2007) with a bounded run length; both are
// streaming types in the manner of hash.Hash: a ready zero value or a New
// constructor, Add, a read-only snapshot, Reset, and versioned binary
// encoding.
//
// # Legacy
//
// LegacyTrend, LegacySeasonality and LegacyTrendChange reproduce the
// original Python service's calculate_trend, calculate_seasonality and
// detect_trend_change exactly, defects included, for comparison.
//
// # Contract
//
// Functions never modify their inputs and are safe for concurrent use;
// results are deterministic. The streaming types are not safe for concurrent
// use. Data problems (too few values, non-finite values, magnitudes whose
// squares overflow or underflow: ErrMagnitude) are returned as errors; misuse (invalid settings) panics with a "trend:" message, except
// that Decompose and DecomposeMultiple return an error for settings STL
// cannot use (a period below 2, say), as R's stl stops with one.
package trend
