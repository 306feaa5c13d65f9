package isoforest

import (
	"math"
	"sync"
)

// eulerGamma is the Euler–Mascheroni constant γ.
const eulerGamma = 0.57721566490153286060651209008240243104215933593992

// exactHarmonicLimit is the largest k for which H(k) is summed term by term; above it the
// asymptotic expansion is exact to the last bit of a float64.
const exactHarmonicLimit = 256

// harmonic returns the k-th harmonic number H(k) = Σ_{i=1..k} 1/i for k ≥ 1, and 0 for k ≤ 0.
// For k ≤ 256 it is the sum of the terms, smallest first (looked up in harmonicTable); for
// k > 256 it uses H(k) = ln k + γ + 1/(2k) − 1/(12k²) + 1/(120k⁴) − 1/(252k⁶), whose truncation
// error is below 1/(240k⁸) < 1e-21.
func harmonic(k int) float64 {
	if k <= 0 {
		return 0
	}
	if k <= exactHarmonicLimit {
		return harmonicTable()[k]
	}
	x := float64(k)
	x2 := x * x
	return math.Log(x) + eulerGamma + 1/(2*x) - 1/(12*x2) + 1/(120*x2*x2) - 1/(252*x2*x2*x2)
}

// harmonicTable holds H(k) for k = 0..256, each summed term by term from its smallest term
// 1/k up: computed once, on first use, because the sums cost O(k) each and Fit needs c(m) for
// every m up to ψ (pathLengthTable) and for every leaf of every tree.
var harmonicTable = sync.OnceValue(func() []float64 {
	h := make([]float64, exactHarmonicLimit+1)
	for k := 1; k <= exactHarmonicLimit; k++ {
		for i := k; i >= 1; i-- { // smallest terms first
			h[k] += 1 / float64(i)
		}
	}
	return h
})

// averagePathLength returns c(m), the average path length of an unsuccessful search in a binary
// search tree of m keys: 2 H(m−1) − 2 (m−1)/m for m ≥ 2, and 0 for m ≤ 1. In scikit-learn's
// approximation H(m−1) is ln(m−1) + γ for m > 2 and c(2) = 1, as in its _average_path_length.
func averagePathLength(m int, sklearn bool) float64 {
	switch {
	case m <= 1:
		return 0
	case m == 2:
		return 1
	}
	k := float64(m - 1)
	if sklearn {
		return 2*(math.Log(k)+eulerGamma) - 2*k/float64(m)
	}
	return 2*harmonic(m-1) - 2*k/float64(m)
}

// maxDepth is the depth limit ceil(log2 ψ) for a subsample of ψ rows (at least 1).
func maxDepth(psi int) int {
	d := 0
	for 1<<d < psi {
		d++
	}
	return max(d, 1)
}
