// Package stl decomposes a seasonal series into trend, seasonal and remainder
// components by STL, Seasonal-Trend decomposition based on Loess (Cleveland,
// Cleveland, McRae and Terpenning 1990), and into several seasonal components
// by MSTL (Bandara, Hyndman and Bergmeir 2021).
//
// The implementation follows R's stats::stl (the authors' Fortran code netlib
// stl) step for step — the same loess estimator, windows, degrees, jumps,
// inner and outer iterations and robustness weights — so that its results
// agree with R's to rounding error; DecomposeMultiple follows forecast::mstl.
// One exception: robust decompositions of very short periods (2 and 3) with
// outliers can amplify rounding differences through their fifteen robustness
// passes — the median of the absolute residuals that sets the weights then
// picks a different value — and end up apart from R's: of 30 seeded series of
// period 3 with spikes (2026-11-26), one by 0.24, three by 1e-12 to 3e-9, the
// others within 3e-13.
//
// Decomposition of y with period p repeats an inner loop:
//
//  1. detrend: y − T;
//  2. smooth each of the p cycle-subseries by loess (window ns, degree
//     sdeg), extended by one period at each end, giving C;
//  3. low-pass filter C: moving averages of lengths p, p and 3 followed by
//     loess (window nl, degree ldeg), giving L;
//  4. seasonal S = C − L (the central n values);
//  5. deseasonalise: y − S;
//  6. trend T = loess of y − S (window nt, degree tdeg).
//
// With the robust option an outer loop recomputes robustness weights
// ρ_i = B(|r_i| / (6·median|r|)), B(u) = (1−u²)² for u < 1 and 0 otherwise,
// from the remainder r = y − T − S, and the loess fits of steps 2 and 6 are
// weighted by them.
//
// All functions are pure: they never modify their inputs, are safe for
// concurrent use and deterministic.
//
// References:
//   - R. B. Cleveland, W. S. Cleveland, J. E. McRae and I. Terpenning (1990),
//     STL: A Seasonal-Trend Decomposition Procedure Based on Loess, Journal of
//     Official Statistics 6(1), 3–73.
//   - K. Bandara, R. J. Hyndman and C. Bergmeir (2021), MSTL: A Seasonal-Trend
//     Decomposition Algorithm for Time Series with Multiple Seasonal Patterns,
//     arXiv:2107.13462; R package forecast, function mstl.
package stl
