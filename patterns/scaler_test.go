package patterns

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// scalerX is the matrix of the scikit-learn/scipy references below; column 1 is constant.
var scalerX = [][]float64{{1, 5, 0.1}, {2, 5, 0.2}, {4, 5, 0.4}, {8, 5, 0.8}, {16, 5, 1.6}}

func TestFitStandardMatchesSklearn(t *testing.T) {
	// /usr/bin/python3 -c "import numpy as np; from sklearn.preprocessing import StandardScaler;
	//   X=np.array([[1.0,5,0.1],[2,5,0.2],[4,5,0.4],[8,5,0.8],[16,5,1.6]]); s=StandardScaler().fit(X);
	//   print(s.mean_, s.scale_, s.transform([[3.0,5,0.3]]))"   (sklearn 1.2.1)
	s, err := FitStandard(scalerX)
	if err != nil {
		t.Fatal(err)
	}
	assertClose(t, "center", s.Center(), []float64{6.2, 5, 0.62}, 1e-12)
	assertClose(t, "scale", s.Scale(), []float64{5.45527268, 1, 0.54552727}, 1e-8)
	assertClose(t, "transform", s.Transform([]float64{3, 5, 0.3}), []float64{-0.58658846, 0, -0.58658846}, 1e-8)
}

func TestFitRobustMatchesScipy(t *testing.T) {
	// /usr/bin/python3 -c "import numpy as np; from scipy.stats import median_abs_deviation;
	//   X=np.array([[1.0,5,0.1],[2,5,0.2],[4,5,0.4],[8,5,0.8],[16,5,1.6]]);
	//   print(np.median(X,axis=0), median_abs_deviation(X,axis=0,scale='normal'))"   (scipy 1.10.1)
	// A zero MAD (column 1) becomes scale 1.
	s, err := FitRobust(scalerX)
	if err != nil {
		t.Fatal(err)
	}
	assertClose(t, "center", s.Center(), []float64{4, 5, 0.4}, 1e-12)
	assertClose(t, "scale", s.Scale(), []float64{4.44780666, 1, 0.44478067}, 1e-8)
}

func TestScalerRoundTripAndNoAlloc(t *testing.T) {
	X := normalRows(50)
	for _, fit := range []func([][]float64) (*Scaler, error){FitStandard, FitRobust} {
		s, err := fit(X)
		if err != nil {
			t.Fatal(err)
		}
		z := make([]float64, s.Dim())
		back := make([]float64, s.Dim())
		for _, row := range X {
			s.TransformTo(z, row)
			s.InverseTo(back, z)
			assertClose(t, "round trip", back, row, 1e-9)
		}
		allocs := testing.AllocsPerRun(20, func() { s.InverseTo(back, s.TransformTo(z, X[0])) })
		if allocs != 0 {
			t.Errorf("TransformTo/InverseTo allocate %v times", allocs)
		}
	}
}

func TestStandardScaledColumnsHaveUnitVariance(t *testing.T) {
	X := normalRows(100)
	s, _ := FitStandard(X)
	Z := s.TransformAll(X)
	for j := range s.Dim() {
		var sum, ss float64
		for _, z := range Z {
			sum += z[j]
		}
		for _, z := range Z {
			ss += (z[j] - sum/100) * (z[j] - sum/100)
		}
		if math.Abs(sum/100) > 1e-12 || math.Abs(ss/100-1) > 1e-12 {
			t.Errorf("column %d: mean %g, variance %g", j, sum/100, ss/100)
		}
	}
}

func TestScalerInputErrors(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name     string
		X        [][]float64
		row, col int
	}{
		{"ragged", [][]float64{{1, 2}, {3}}, 1, -1},
		{"NaN", [][]float64{{1, 2}, {3, 4}, {5, nan}}, 2, 1},
		{"Inf", [][]float64{{math.Inf(-1), 2}}, 0, 0},
	}
	for _, tc := range tests {
		for _, fit := range []func([][]float64) (*Scaler, error){FitStandard, FitRobust} {
			_, err := fit(tc.X)
			var ie *InputError
			if !errors.As(err, &ie) || ie.Row != tc.row || ie.Column != tc.col {
				t.Errorf("%s: err = %v, want row %d column %d", tc.name, err, tc.row, tc.col)
			}
		}
	}
	if _, err := FitStandard([][]float64{{1e308}, {-1e308}, {1e308}}); !errors.Is(err, ErrOverflow) {
		t.Errorf("FitStandard, overflowing column: %v", err)
	}
	if _, err := FitRobust([][]float64{{1e308}, {-1e308}, {1e308}, {-1e308}}); !errors.Is(err, ErrOverflow) {
		t.Errorf("FitRobust, overflowing column: %v", err)
	}
	// At the limit the mean and spread are exact; beyond it, every entry point refuses.
	if s, err := FitStandard([][]float64{{1e150}, {-1e150}}); err != nil || s.Scale()[0] != 1e150 {
		t.Errorf("FitStandard at ±1e150: %v, %v", s, err)
	}
	big := [][]float64{{0, 1}, {1, 0}, {2, 1e160}}
	for name, f := range map[string]func() error{
		"FitStandard": func() error { _, err := FitStandard(big); return err },
		"FitRobust":   func() error { _, err := FitRobust(big); return err },
		"DBSCAN":      func() error { _, err := DBSCAN(big, DBSCANConfig{}); return err },
		"KDistances":  func() error { _, err := KDistances(big, 2); return err },
		"Fit":         func() error { _, err := Fit(big, nil, Config{Scaling: Robust}); return err },
	} {
		if err := f(); !errors.Is(err, ErrOverflow) || !strings.Contains(err.Error(), "row 2, column 1") {
			t.Errorf("%s with 1e160: %v, want ErrOverflow at row 2, column 1", name, err)
		}
	}
	for _, X := range [][][]float64{nil, {{}}} {
		if _, err := FitStandard(X); !errors.Is(err, ErrEmpty) {
			t.Errorf("FitStandard(%v) = %v, want ErrEmpty", X, err)
		}
	}
}

func TestScalerDoesNotModifyInput(t *testing.T) {
	X := [][]float64{{3, 1}, {1, 2}, {2, 9}}
	want := [][]float64{{3, 1}, {1, 2}, {2, 9}}
	FitRobust(X)
	FitStandard(X)
	for i := range X {
		assertClose(t, "input", X[i], want[i], 0)
	}
}

func assertClose(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: length %d, want %d", what, len(got), len(want))
	}
	for j := range got {
		if !(math.Abs(got[j]-want[j]) <= tol) {
			t.Errorf("%s[%d] = %.12g, want %.12g (tol %g)", what, j, got[j], want[j], tol)
		}
	}
}
