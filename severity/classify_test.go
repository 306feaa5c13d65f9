package severity

import (
	"errors"
	"math"
	"testing"
)

func TestRobustBaseline(t *testing.T) {
	// /usr/bin/python3 -c "import numpy as np; from scipy.stats import median_abs_deviation as m;
	//   x=[10,12,11,13,9,10,250,11]; print(np.median(x), m(x, scale='normal'))"
	//   → 11.0 1.482602218505602
	b, err := RobustBaseline([]float64{10, 12, 11, 13, 9, 10, 250, 11, math.NaN(), math.Inf(1)})
	if err != nil || b.Center != 11 || math.Abs(b.Scale-1.482602218505602) > 1e-15 {
		t.Errorf("baseline %+v, %v", b, err)
	}
	if _, err := RobustBaseline([]float64{math.NaN()}); !errors.Is(err, ErrNoData) {
		t.Errorf("no finite values: %v", err)
	}
}

func TestClassifyPoint(t *testing.T) {
	b := Baseline{Center: 200, Scale: 10}
	tests := []struct {
		value  float64
		kind   Kind
		z, pct float64
	}{
		{260, Spike, 6, 30},
		{230, Spike, 3, 15},
		{229, NoDeviation, 2.9, 14.5},
		{150, Dip, -5, -25},
	}
	for _, tc := range tests {
		d := ClassifyPoint(tc.value, b, 0)
		if d.Kind != tc.kind || math.Abs(d.Z-tc.z) > 1e-12 || math.Abs(d.Percent-tc.pct) > 1e-12 || d.Effect != tc.value-200 {
			t.Errorf("ClassifyPoint(%g) = %+v", tc.value, d)
		}
	}
	// A zero baseline: infinite percent; a zero scale: infinite z.
	d := ClassifyPoint(3, Baseline{Center: 0, Scale: 0}, 5)
	if d.Kind != Spike || !math.IsInf(d.Z, 1) || !math.IsInf(d.Percent, 1) {
		t.Errorf("zero baseline: %+v", d)
	}
	if d := ClassifyPoint(0, Baseline{}, 0); d.Kind != NoDeviation || d.Z != 0 || d.Percent != 0 {
		t.Errorf("value equal to a zero baseline: %+v", d)
	}
	if d := ClassifyPoint(math.NaN(), b, 0); d.Kind != NoDeviation || !math.IsNaN(d.Z) {
		t.Errorf("NaN: %+v", d)
	}
}

func TestClassifySeasonal(t *testing.T) {
	// The expected value at 09:00 is 500 requests with residual scale 20: 380 breaks the pattern
	// even though it may be normal for another hour of the day.
	d := ClassifySeasonal(380, 500, 20, 0)
	if d.Kind != SeasonalityBreak || d.Z != -6 || d.Percent != -24 {
		t.Errorf("%+v", d)
	}
	if d := ClassifySeasonal(520, 500, 20, 0); d.Kind != NoDeviation {
		t.Errorf("%+v", d)
	}
	if SeasonalityBreak.String() != "seasonality_break" || Spike.String() != "spike" || Dip.String() != "dip" || NoDeviation.String() != "none" {
		t.Error("kind names")
	}
}
