package stl_test

import (
	"fmt"
	"math"

	"github.com/stacklens/omen/internal/stl"
)

func ExampleDecompose() {
	// Ten weeks of a daily cycle of period 7 on a rising line.
	y := make([]float64, 70)
	for i := range y {
		y[i] = 10 + 0.5*float64(i) + 3*math.Sin(2*math.Pi*float64(i)/7)
	}
	r, err := stl.Decompose(y, stl.Config{Period: 7, Periodic: true})
	if err != nil {
		panic(err)
	}
	// Away from the ends the trend is recovered (10 + 0.5·35 = 27.5); the
	// seasonal value 3·sin(2π·2/7) ≈ 2.92 at i = 37 comes out slightly damped,
	// as the trend window of 11 points absorbs a little of the cycle.
	fmt.Printf("trend %.1f, seasonal %.1f\n", r.Trend[35], r.Seasonal[37])
	// Output:
	// trend 27.5, seasonal 2.8
}

func ExampleDecomposeMultiple() {
	// Hourly values with a daily (24) and a weekly (168) cycle, five weeks.
	y := make([]float64, 5*168)
	for i := range y {
		t := float64(i)
		y[i] = 100 + 10*math.Sin(2*math.Pi*t/24) + 5*math.Cos(2*math.Pi*t/168)
	}
	r, err := stl.DecomposeMultiple(y, []int{168, 24}, stl.MultipleConfig{})
	if err != nil {
		panic(err)
	}
	fmt.Println("periods", r.Periods)
	fmt.Printf("daily at 6h %.1f, weekly at 0h %.1f, trend %.1f\n", r.Seasonal[0][6+2*168], r.Seasonal[1][2*168], r.Trend[2*168])
	// Output:
	// periods [24 168]
	// daily at 6h 10.0, weekly at 0h 5.0, trend 100.0
}
