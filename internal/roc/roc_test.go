package roc

import (
	"math"
	"testing"
)

func TestAUC(t *testing.T) {
	tests := []struct {
		name     string
		scores   []float64
		positive []bool
		want     float64
	}{
		{"perfect", []float64{0.1, 0.2, 0.8, 0.9}, []bool{false, false, true, true}, 1},
		{"reversed", []float64{0.9, 0.8, 0.2, 0.1}, []bool{false, false, true, true}, 0},
		{"all tied", []float64{1, 1, 1, 1}, []bool{false, true, false, true}, 0.5},
		// /usr/bin/python3 -c 'from sklearn.metrics import roc_auc_score as a; print(a([0,0,1,1,0,1],[0.1,0.4,0.35,0.8,0.4,0.4]))'
		// 0.6666666666666667 (scikit-learn 1.2.1)
		{"ties across classes", []float64{0.1, 0.4, 0.35, 0.8, 0.4, 0.4}, []bool{false, false, true, true, false, true}, 0.6666666666666667},
	}
	for _, tt := range tests {
		if got := AUC(tt.scores, tt.positive); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("%s: AUC = %v, want %v", tt.name, got, tt.want)
		}
	}
}
