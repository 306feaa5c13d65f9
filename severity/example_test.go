package severity_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/stacklens/omen/severity"
)

func ExampleCalibrator() {
	// Learn the distribution of a detector's raw score under normal operation, then calibrate.
	rng := rand.New(rand.NewPCG(1, 2))
	c := severity.New(severity.Config{})
	for range 5000 {
		c.Add(rng.NormFloat64()) // e.g. a residual z-score
	}
	for _, x := range []float64{0.5, 2.5, 3.5, 8} {
		r := c.Calibrate(x)
		fmt.Printf("x=%.1f score %3.0f %-8s p=%.1e\n", x, r.Score, r.Level, r.Probability)
	}
	// Output:
	// x=0.5 score   8 low      p=3.2e-01
	// x=2.5 score  36 medium   p=7.4e-03
	// x=3.5 score  52 high     p=8.1e-04
	// x=8.0 score 100 critical p=3.9e-08
}

func ExampleCalibrator_Add() {
	var c severity.Calibrator // the zero value is ready: WarmUp 200
	for i := range 300 {
		c.Add(float64(i % 10))
	}
	// 9.5 was never seen in 300 values: p = 1/301.
	r := c.Add(9.5)
	fmt.Printf("score %.1f, level %s, confidence %.2f\n", r.Score, r.Level, r.Confidence)
	// Output: score 41.3, level medium, confidence 0.44
}

func ExampleCalibrator_Snapshot() {
	rng := rand.New(rand.NewPCG(3, 4))
	c := severity.New(severity.Config{})
	for range 2000 {
		c.Add(rng.ExpFloat64())
	}
	s := c.Snapshot()
	fmt.Printf("n=%d threshold %.2f excesses %d tail ξ=%.2f σ=%.2f\n", s.Count, s.Threshold, s.Excesses, s.Tail.Shape, s.Tail.Scale)
	// Output: n=2000 threshold 2.91 excesses 107 tail ξ=0.05 σ=0.96
}

func ExampleCalibrator_AlarmThreshold() {
	rng := rand.New(rand.NewPCG(5, 6))
	c := severity.New(severity.Config{Risk: 1e-3})
	for range 3000 {
		c.Add(rng.ExpFloat64())
	}
	fmt.Printf("%.1f\n", c.AlarmThreshold()) // exact for Exp(1): ln 1000 = 6.9
	// Output: 7.1
}

func ExampleCalibrator_MarshalBinary() {
	c := severity.New(severity.Config{WarmUp: 20})
	for i := range 100 {
		c.Add(float64(i % 7))
	}
	b, _ := c.MarshalBinary()
	var restored severity.Calibrator
	_ = restored.UnmarshalBinary(b)
	fmt.Println(restored.Calibrate(6.5) == c.Calibrate(6.5))
	// Output: true
}

func ExampleCalibrator_Reset() {
	c := severity.New(severity.Config{})
	c.Add(1)
	c.Reset()
	fmt.Println(c.Snapshot().Count)
	// Output: 0
}

func ExampleDigest() {
	var d severity.Digest
	for i := 1; i <= 1000; i++ {
		d.Add(float64(i))
	}
	fmt.Printf("median %.1f, p99 %.1f, CDF(100) %.3f\n", d.Quantile(0.5), d.Quantile(0.99), d.CDF(100))
	// Output: median 500.5, p99 990.5, CDF(100) 0.100
}

func ExampleFitGPD() {
	g, _ := severity.FitGPD([]float64{0.2, 1.5, 0.4, 3.1, 0.9, 0.1, 7.2, 0.6, 1.1, 0.3})
	fmt.Printf("ξ=%.3f σ=%.3f P(Y>10)=%.4f\n", g.Shape, g.Scale, g.Survival(10))
	// scipy.stats.genpareto.fit(y, floc=0): ξ=0.41833, σ=0.94670, sf(10)=0.017605
	// Output: ξ=0.418 σ=0.947 P(Y>10)=0.0176
}

func ExampleGPD_Quantile() {
	g := severity.GPD{Shape: 0, Scale: 2}
	fmt.Printf("%.4f\n", g.Quantile(0.01)) // 2·ln 100
	// Output: 9.2103
}

func ExampleLevels_Of() {
	var ls severity.Levels // 25 / 50 / 75
	fmt.Println(ls.Of(10), ls.Of(25), ls.Of(60), ls.Of(90))
	strict := severity.Levels{Medium: 40, High: 60, Critical: 80}
	fmt.Println(strict.Of(75))
	// Output:
	// low medium high critical
	// high
}

func ExampleLevels_Grade() {
	var ls severity.Levels
	// An error rate from 0.01 % to 0.05 %: improbable (score 90) but an effect of 0.0004 is below
	// the minimum effect of 0.005 set for this metric.
	fmt.Println(ls.Grade(90, 0.0004, 0.005), ls.Grade(90, 0.03, 0.005))
	// Output: low critical
}

func ExampleEscalator() {
	var e severity.Escalator // after 3 windows at medium or above, one step up per 3 windows
	for _, l := range []severity.Level{severity.Medium, severity.Medium, severity.Medium, severity.High, severity.Low} {
		fmt.Print(e.Add(l), " ")
	}
	fmt.Println()
	// Output: medium medium high critical low
}

func ExampleRobustBaseline() {
	b, _ := severity.RobustBaseline([]float64{100, 104, 98, 101, 99, 103, 2000})
	fmt.Printf("centre %.0f, scale %.2f\n", b.Center, b.Scale)
	// Output: centre 101, scale 2.97
}

func ExampleClassifyPoint() {
	b := severity.Baseline{Center: 120, Scale: 8} // p99 latency in ms
	for _, v := range []float64{180, 125, 60} {
		d := severity.ClassifyPoint(v, b, 0)
		fmt.Printf("%-5s z=%+.1f %+.0f%%\n", d.Kind, d.Z, d.Percent)
	}
	// Output:
	// spike z=+7.5 +50%
	// none  z=+0.6 +4%
	// dip   z=-7.5 -50%
}

func ExampleClassifySeasonal() {
	d := severity.ClassifySeasonal(380, 500, 20, 0) // 380 requests where the season predicts 500
	fmt.Println(d.Kind, d.Z, d.Percent)
	// Output: seasonality_break -6 -24
}

func ExampleLevel_String() {
	fmt.Println(severity.Critical)
	b, _ := severity.High.MarshalText()
	fmt.Println(string(b))
	// Output:
	// critical
	// high
}

func ExampleCalibrator_Calibrate() {
	c := severity.New(severity.Config{WarmUp: 50})
	for i := range 1000 {
		c.Add(float64(i % 100)) // uniform on 0..99
	}
	// Calibrate does not learn: asking twice gives the same answer.
	a, b := c.Calibrate(90), c.Calibrate(90)
	fmt.Printf("p=%.3f score %.1f %v\n", a.Probability, a.Score, a == b)
	// Output: p=0.099 score 16.7 true
}

func ExampleDigest_MarshalBinary() {
	var d severity.Digest
	for i := range 500 {
		d.Add(float64(i))
	}
	b, _ := d.MarshalBinary()
	var restored severity.Digest
	_ = restored.UnmarshalBinary(b)
	fmt.Println(restored.Count(), restored.Min(), restored.Max(), restored.CDF(250) == d.CDF(250))
	// Output: 500 0 499 true
}

func ExampleDigest_Reset() {
	var d severity.Digest
	d.Add(3)
	d.Reset()
	fmt.Println(d.Count())
	// Output: 0
}

func ExampleGPD_Survival() {
	g := severity.GPD{Shape: 0.5, Scale: 1}
	fmt.Printf("%.4f %.4f\n", g.Survival(2), g.Survival(100)) // (1 + 0.5y)^−2
	// Output: 0.2500 0.0004
}

func ExampleGPD_LogLikelihood() {
	g := severity.GPD{Shape: 0, Scale: 1} // Exp(1): log f(y) = −y
	fmt.Println(g.LogLikelihood([]float64{0.5, 1.5}))
	// Output: -2
}

func ExampleNewEscalator() {
	e := severity.NewEscalator(severity.EscalationConfig{After: 2, From: severity.High})
	fmt.Println(e.Add(severity.High), e.Add(severity.High), e.Add(severity.Medium))
	// Output: high critical medium
}

func ExampleEscalator_MarshalBinary() {
	var e severity.Escalator
	e.Add(severity.Medium)
	e.Add(severity.Medium)
	b, _ := e.MarshalBinary()
	var restored severity.Escalator
	_ = restored.UnmarshalBinary(b)
	fmt.Println(restored.Run(), restored.Add(severity.Medium))
	// Output: 2 high
}

func ExampleKind_String() {
	fmt.Println(severity.Spike, severity.Dip, severity.SeasonalityBreak, severity.NoDeviation)
	// Output: spike dip seasonality_break none
}
