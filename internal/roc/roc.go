// Package roc computes the area under the ROC curve of a scoring against binary labels.
package roc

import (
	"fmt"
	"sort"
)

// AUC returns the area under the ROC curve of scores against positive labels, by the
// Mann–Whitney identity AUC = (R₊ − n₊(n₊+1)/2) / (n₊ n₋), where R₊ is the sum of the ranks of
// the positives among all scores and tied scores share their average rank — the value
// scikit-learn's roc_auc_score gives. It panics if the lengths differ or either class is empty.
func AUC(scores []float64, positive []bool) float64 {
	if len(scores) != len(positive) {
		panic(fmt.Sprintf("roc: %d scores for %d labels", len(scores), len(positive)))
	}
	order := make([]int, len(scores))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return scores[order[a]] < scores[order[b]] })
	var rankSum, nPos float64
	for lo := 0; lo < len(order); {
		hi := lo + 1
		for hi < len(order) && scores[order[hi]] == scores[order[lo]] {
			hi++
		}
		avgRank := float64(lo+hi+1) / 2 // ranks lo+1..hi
		for _, i := range order[lo:hi] {
			if positive[i] {
				rankSum += avgRank
				nPos++
			}
		}
		lo = hi
	}
	nNeg := float64(len(scores)) - nPos
	if nPos == 0 || nNeg == 0 {
		panic("roc: AUC needs both classes")
	}
	return (rankSum - nPos*(nPos+1)/2) / (nPos * nNeg)
}
