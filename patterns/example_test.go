package patterns_test

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/stacklens/omen/patterns"
)

// history is a small two-feature history: error rate (%) and p99 latency (ms), with two
// behaviours (quiet nights and busy days) and one incident.
var history = [][]float64{
	{0.5, 100}, {0.6, 104}, {0.4, 98}, {0.5, 101}, {0.55, 99}, {0.45, 103},
	{1.5, 200}, {1.4, 205}, {1.6, 198}, {1.5, 202}, {1.55, 199}, {1.45, 201},
	{9, 900},
}

func ExampleFitStandard() {
	s, _ := patterns.FitStandard([][]float64{{1, 10}, {3, 10}})
	fmt.Println(s.Center(), s.Scale(), s.Transform([]float64{3, 10}))
	// Output: [2 10] [1 1] [1 0]
}

func ExampleFitRobust() {
	s, _ := patterns.FitRobust([][]float64{{1}, {2}, {3}, {100}})
	fmt.Printf("median %.1f, scale %.4f\n", s.Center()[0], s.Scale()[0])
	// Output: median 2.5, scale 1.4826
}

func ExampleScaler_TransformTo() {
	s, _ := patterns.FitStandard([][]float64{{0}, {2}})
	dst := make([]float64, 1)
	s.TransformTo(dst, []float64{4})
	fmt.Println(dst, s.Inverse(dst))
	// Output: [3] [4]
}

func ExampleDBSCAN() {
	X := [][]float64{{0}, {0.1}, {0.2}, {5}, {5.1}, {5.2}, {20}}
	c, _ := patterns.DBSCAN(X, patterns.DBSCANConfig{Eps: 0.5, MinSamples: 3})
	fmt.Println(c.Labels, c.Clusters)
	// Output: [0 0 0 1 1 1 -1] 2
}

func ExampleKneeEps() {
	X := [][]float64{{0}, {0.1}, {0.2}, {0.3}, {0.4}, {0.5}, {3}, {9}}
	eps, _ := patterns.KneeEps(X, 3)
	fmt.Printf("%.1f\n", eps)
	// Output: 0.2
}

func ExampleKDistances() {
	d, _ := patterns.KDistances([][]float64{{0}, {1}, {3}}, 2)
	fmt.Println(d)
	// Output: [1 1 2]
}

func ExampleFit() {
	t0 := time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)
	times := make([]time.Time, len(history))
	for i := range times {
		times[i] = t0.Add(time.Duration(i) * time.Hour)
	}
	m, _ := patterns.Fit(history, times, patterns.Config{DBSCAN: patterns.DBSCANConfig{MinSamples: 4}})
	for _, p := range m.Patterns() {
		fmt.Printf("pattern %d: %d windows around %.2f%% / %.0f ms, %s–%s\n",
			p.ID, p.Size, p.Center[0], p.Center[1], p.FirstSeen.Format("15:04"), p.LastSeen.Format("15:04"))
	}
	fmt.Println(m.Labels())
	// Output:
	// pattern 1: 6 windows around 0.50% / 101 ms, 00:00–05:00
	// pattern 2: 6 windows around 1.50% / 201 ms, 06:00–11:00
	// [1 1 1 1 1 1 2 2 2 2 2 2 -1]
}

func ExampleModel_Refit() {
	cfg := patterns.Config{DBSCAN: patterns.DBSCANConfig{MinSamples: 4}}
	m, _ := patterns.Fit(history[:6], nil, cfg) // only the quiet behaviour: pattern 1
	m2, _ := m.Refit(history, nil)              // both behaviours: quiet keeps ID 1
	for _, p := range m2.Patterns() {
		fmt.Printf("pattern %d around %.2f%%\n", p.ID, p.Center[0])
	}
	// Output:
	// pattern 1 around 0.50%
	// pattern 2 around 1.50%
}

func ExampleModel_Match() {
	m, _ := patterns.Fit(history, nil, patterns.Config{DBSCAN: patterns.DBSCANConfig{MinSamples: 4}})
	for _, x := range [][]float64{{0.52, 100}, {5, 500}} {
		match := m.Match(x)
		fmt.Printf("pattern %d, nearest %d, distance %.1f\n", match.Pattern, match.Nearest, match.Distance)
	}
	// Output:
	// pattern 1, nearest 1, distance 0.1
	// pattern -1, nearest 2, distance 20.1
}

func ExampleShiftDetector() {
	d := patterns.NewShiftDetector(patterns.ShiftConfig{Threshold: 1, Windows: 2})
	for _, distance := range []float64{0.4, 3.1, 0.6, 2.5, 2.8, 3.0} {
		fmt.Print(d.Add(distance), " ")
	}
	fmt.Println()
	// Output: false false false false true true
}

func ExampleShiftDetector_MarshalBinary() {
	var d patterns.ShiftDetector
	d.Add(5)
	b, _ := d.MarshalBinary()
	var restored patterns.ShiftDetector
	_ = restored.UnmarshalBinary(b)
	fmt.Println(restored.Run(), restored.Add(5), restored.Add(5))
	// Output: 1 false true
}

func ExampleScaler_TransformAll() {
	s, _ := patterns.FitStandard([][]float64{{1, 5}, {3, 5}})
	fmt.Println(s.TransformAll([][]float64{{1, 5}, {3, 5}, {5, 6}}))
	// Output: [[-1 0] [1 0] [3 1]]
}

func ExampleInputError() {
	_, err := patterns.FitStandard([][]float64{{1, 2}, {3, math.NaN()}})
	var ie *patterns.InputError
	fmt.Println(err, errors.As(err, &ie), ie.Row, ie.Column)
	// Output: patterns: row 1, column 1: NaN true 1 1
}

func ExampleModel_Patterns() {
	m, _ := patterns.Fit(history, nil, patterns.Config{DBSCAN: patterns.DBSCANConfig{MinSamples: 4}})
	for _, p := range m.Patterns() {
		fmt.Printf("%d: size %d, radius %.2f\n", p.ID, p.Size, p.Radius)
	}
	fmt.Printf("eps %.2f, %d features\n", m.Eps(), m.Dim())
	// Output:
	// 1: size 6, radius 0.12
	// 2: size 6, radius 0.11
	// eps 0.05, 2 features
}

func ExampleShiftDetector_Reset() {
	var d patterns.ShiftDetector
	d.Add(4)
	d.Reset()
	fmt.Println(d.Run(), d.Shifted())
	// Output: 0 false
}
