package trend_test

import (
	"fmt"
	"math"

	"github.com/stacklens/omen/trend"
)

// series returns deterministic test data: a slope, a cycle of the given
// period and a wobble.
func series(n, period int, slope float64) []float64 {
	y := make([]float64, n)
	for i := range y {
		y[i] = 20 + slope*float64(i) + 5*math.Sin(2*math.Pi*float64(i)/float64(period)) + math.Sin(float64(i*i))
	}
	return y
}

func ExampleOLS() {
	fit, _ := trend.OLS([]float64{1.1, 1.9, 3.2, 3.9, 5.1, 5.8})
	fmt.Printf("slope %.3f ± %.3f, p = %.1e\n", fit.Slope, fit.SlopeSE, fit.P)
	// Output:
	// slope 0.966 ± 0.038, p = 1.4e-05
}

func ExampleTheilSen() {
	// One wild value barely moves the median slope.
	fit, _ := trend.TheilSen([]float64{1, 2, 3, 40, 5, 6, 7, 8}, 0.95)
	fmt.Printf("slope %.2f, 95%% interval [%.2f, %.2f]\n", fit.Slope, fit.Lower, fit.Upper)
	// Output:
	// slope 1.00, 95% interval [1.00, 1.00]
}

func ExampleSeasonalSen() {
	slope, _ := trend.SeasonalSen(series(120, 12, 0.25), 12)
	fmt.Printf("%.2f per step\n", slope)
	// Output:
	// 0.25 per step
}

func ExampleMannKendall() {
	r, _ := trend.MannKendall([]float64{3, 4, math.NaN(), 4, 6, 5, 7, 9, 8, 10})
	fmt.Printf("S=%d n=%d tau=%.3f p=%.4f\n", r.S, r.N, r.Tau, r.P)
	// Output:
	// S=31 n=9 tau=0.861 p=0.0017
}

func ExampleHamedRao() {
	// A slow drift with autocorrelated wobble.
	y := make([]float64, 60)
	for i := range y {
		y[i] = 0.05*float64(i) + 2*math.Sin(float64(i)/4)
	}
	plain, _ := trend.MannKendall(y)
	hr, _ := trend.HamedRao(y, trend.HamedRaoConfig{})
	fmt.Printf("variance inflated ×%.2f: z %.2f → %.2f\n", hr.Correction, plain.Z, hr.Z)
	// Output:
	// variance inflated ×2.24: z 3.63 → 2.43
}

func ExampleSeasonalMannKendall() {
	r, _ := trend.SeasonalMannKendall(series(72, 12, 0.1), 12)
	fmt.Printf("S=%d p=%.2g\n", r.S, r.P)
	// Output:
	// S=162 p=2.5e-18
}

func ExampleDecompose() {
	d, _ := trend.Decompose(series(96, 12, 0.5), trend.STLConfig{Period: 12, Robust: true})
	fmt.Printf("trend at 48: %.1f, seasonal at 51: %.1f\n", d.Trend[48], d.Seasonal[51])
	// Output:
	// trend at 48: 44.0, seasonal at 51: 4.9
}

func ExampleDecomposeMultiple() {
	y := make([]float64, 24*7*3) // three weeks of hourly values
	for i := range y {
		y[i] = 100 + 10*math.Sin(2*math.Pi*float64(i)/24) + 20*math.Sin(2*math.Pi*float64(i)/168)
	}
	d, _ := trend.DecomposeMultiple(y, []int{24, 168}, trend.MSTLConfig{})
	fmt.Printf("periods %v, daily at 6h %.1f, weekly at 42h %.1f\n", d.Periods, d.Seasonal[0][168+6], d.Seasonal[1][168+42])
	// Output:
	// periods [24 168], daily at 6h 10.0, weekly at 42h 20.0
}

func ExampleStrength() {
	d, _ := trend.Decompose(series(96, 12, 0.5), trend.STLConfig{Period: 12})
	ft, fs := trend.Strength(d)
	fmt.Printf("trend strength %.2f, seasonal strength %.2f\n", ft, fs)
	// Output:
	// trend strength 1.00, seasonal strength 0.97
}

func ExampleSeasonalStrengths() {
	d, _ := trend.DecomposeMultiple(series(96, 12, 0.5), []int{12}, trend.MSTLConfig{})
	fmt.Printf("%.2f\n", trend.SeasonalStrengths(d))
	// Output:
	// [0.97]
}

func ExampleDetectPeriod() {
	p, _ := trend.DetectPeriod(series(240, 24, 0), trend.PeriodConfig{})
	fmt.Printf("period %d (ACF %.2f)\n", p[0].Lag, p[0].ACF)
	// Output:
	// period 24 (ACF 0.87)
}

// steps is a noisy series whose mean moves at 40 and 70.
func steps() []float64 {
	y := make([]float64, 100)
	for i := range y {
		level := 0.0
		switch {
		case i >= 70:
			level = 2
		case i >= 40:
			level = 6
		}
		y[i] = level + math.Sin(float64(i*i))
	}
	return y
}

func ExamplePELT() {
	cps, _ := trend.PELT(steps(), trend.ChangeConfig{})
	fmt.Println(cps)
	// Output:
	// [40 70]
}

func ExampleBinarySegmentation() {
	cps, _ := trend.BinarySegmentation(steps(), trend.ChangeConfig{Cost: trend.NormalMeanVar, Penalty: trend.BIC})
	fmt.Println(cps)
	// Output:
	// [40 70]
}

func ExampleCUSUM() {
	c := trend.NewCUSUM(trend.CUSUMConfig{Target: 100, Sigma: 5})
	for i, v := range []float64{101, 98, 103, 99, 108, 110, 109, 112, 111} {
		if st := c.Add(v); st.Alarm != 0 {
			fmt.Printf("alarm %+d at %d\n", st.Alarm, i)
		}
	}
	// Output:
	// alarm +1 at 7
}

func ExampleNewCUSUM() {
	var c trend.CUSUM // the zero value learns its baseline from 30 values
	for i := range 30 {
		c.Add(50 + math.Sin(float64(i)))
	}
	st := c.State()
	fmt.Printf("ready %v, target %.1f\n", st.Ready, st.Target)
	c2 := trend.NewCUSUM(trend.CUSUMConfig{WarmUp: 10, H: 4})
	fmt.Println(c2.State().Ready)
	// Output:
	// ready true, target 50.0
	// false
}

func ExampleBOCPD() {
	var b trend.BOCPD
	for i, v := range steps() {
		if st := b.Add(v); i == 39 || i == 43 || i == 60 {
			fmt.Printf("%d: run length %d, change probability %.2f\n", i, st.RunLength, st.ChangeProbability)
		}
	}
	// Output:
	// 39: run length 40, change probability 0.01
	// 43: run length 4, change probability 1.00
	// 60: run length 21, change probability 0.00
}

func ExampleNewBOCPD() {
	b := trend.NewBOCPD(trend.BOCPDConfig{ExpectedRunLength: 100, MaxRunLength: 50})
	data, _ := b.MarshalBinary()
	var restored trend.BOCPD
	fmt.Println(restored.UnmarshalBinary(data))
	// Output:
	// <nil>
}

func ExampleLegacyTrend() {
	fmt.Printf("%.6f\n", trend.LegacyTrend([]float64{10, 11, 12, 15, 16, 18, 20}, 5))
	// Output:
	// 0.130392
}

func ExampleLegacySeasonality() {
	y := make([]float64, 50)
	for i := range y {
		y[i] = 10 + 5*math.Sin(4*math.Pi*float64(i)/49)
	}
	fmt.Printf("%.4f\n", trend.LegacySeasonality(y, 24))
	// Output:
	// 0.4961
}

func ExampleLegacyTrendChange() {
	v := make([]float64, 50) // a V: 10 → 15 → 10
	for i := range 25 {
		v[i] = 10 + 5*float64(i)/24
		v[49-i] = v[i]
	}
	changed, magnitude := trend.LegacyTrendChange(v, 5, 0.3)
	fmt.Printf("%v %.4f\n", changed, magnitude)
	// Output:
	// false 0.0333
}

// Example shows a typical pass over four weeks of an hourly metric: find
// its cycle, take the cycles out, and test what is left for a trend and for
// a change in level.
func Example() {
	y := make([]float64, 24*7*4)
	for i := range y {
		y[i] = 200 + 30*math.Sin(2*math.Pi*float64(i)/24) + 4*math.Sin(float64(i*i))
		if i >= 500 {
			y[i] += 25 // a deployment raised latency
		}
	}
	periods, _ := trend.DetectPeriod(y, trend.PeriodConfig{MaxPeriod: 48})
	d, _ := trend.Decompose(y, trend.STLConfig{Period: periods[0].Lag, Robust: true})
	_, seasonal := trend.Strength(d)
	deseasoned := make([]float64, len(y))
	for i := range y {
		deseasoned[i] = y[i] - d.Seasonal[i]
	}
	mk, _ := trend.MannKendall(deseasoned)
	cps, _ := trend.PELT(deseasoned, trend.ChangeConfig{})
	fmt.Printf("period %d, seasonal strength %.2f, Mann–Kendall p %.1g, changes at %v\n",
		periods[0].Lag, seasonal, mk.P, cps)
	// Output:
	// period 24, seasonal strength 0.98, Mann–Kendall p 2e-50, changes at [500]
}

// A chart survives a restart through MarshalBinary and UnmarshalBinary.
func ExampleCUSUM_MarshalBinary() {
	c := trend.NewCUSUM(trend.CUSUMConfig{Target: 10, Sigma: 1})
	c.Add(12)
	data, _ := c.MarshalBinary()
	var restored trend.CUSUM
	if err := restored.UnmarshalBinary(data); err != nil {
		panic(err)
	}
	fmt.Printf("upper %.1f\n", restored.Add(12).Upper)
	restored.Reset()
	fmt.Printf("after Reset %.1f\n", restored.State().Upper)
	// Output:
	// upper 3.0
	// after Reset 0.0
}

func ExampleBOCPD_State() {
	b := trend.NewBOCPD(trend.BOCPDConfig{Window: 3})
	for _, v := range []float64{5, 5.1, 4.9, 5, 5.2, 4.8, 5.1, 5} {
		b.Add(v)
	}
	st := b.State()
	fmt.Printf("%d values, run length %d\n", st.N, st.RunLength)
	// Output:
	// 8 values, run length 8
}
