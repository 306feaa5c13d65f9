package stl

import (
	"encoding/binary"
	"math"
	"testing"
)

// floatsFrom decodes data as little-endian float64 values.
func floatsFrom(data []byte) []float64 {
	y := make([]float64, len(data)/8)
	for i := range y {
		y[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
	}
	return y
}

// FuzzDecompose checks that any series and small settings give either an
// error or finite components that add up to the input.
func FuzzDecompose(f *testing.F) {
	seed := make([]byte, 8*30)
	for i := range 30 {
		binary.LittleEndian.PutUint64(seed[8*i:], math.Float64bits(float64(i%5)+0.1*float64(i)))
	}
	f.Add(seed, uint8(4), uint8(0), false, false)
	f.Add(seed, uint8(5), uint8(7), true, false)
	f.Add(seed, uint8(3), uint8(2), false, true)
	f.Fuzz(func(t *testing.T, data []byte, period, window uint8, periodic, robust bool) {
		y := floatsFrom(data)
		r, err := Decompose(y, Config{Period: int(period), SeasonalWindow: int(window), Periodic: periodic, Robust: robust})
		if err != nil {
			return
		}
		scale := 0.0
		for _, v := range y {
			scale = math.Max(scale, math.Abs(v))
		}
		if scale > 1e100 {
			return // sums of such values may overflow
		}
		for i := range y {
			if d := math.Abs(r.Trend[i] + r.Seasonal[i] + r.Remainder[i] - y[i]); !(d <= 1e-9*math.Max(1, scale)) {
				t.Fatalf("components differ from y[%d] = %g by %g", i, y[i], d)
			}
		}
	})
}

// FuzzDecomposeMultiple checks that MSTL never panics and its components add
// up to the input.
func FuzzDecomposeMultiple(f *testing.F) {
	seed := make([]byte, 8*40)
	for i := range 40 {
		binary.LittleEndian.PutUint64(seed[8*i:], math.Float64bits(float64(i%3)+float64(i%8)))
	}
	f.Add(seed, uint8(3), uint8(8))
	f.Fuzz(func(t *testing.T, data []byte, p1, p2 uint8) {
		y := floatsFrom(data)
		r, err := DecomposeMultiple(y, []int{int(p1), int(p2)}, MultipleConfig{})
		if err != nil {
			return
		}
		scale := 0.0
		for _, v := range y {
			scale = math.Max(scale, math.Abs(v))
		}
		if scale > 1e100 {
			return // sums of such values may overflow
		}
		// The components are of the size of the series, not of each value: their sum
		// carries rounding of that size.
		for i := range y {
			sum := r.Trend[i] + r.Remainder[i]
			for _, s := range r.Seasonal {
				sum += s[i]
			}
			if d := math.Abs(sum - y[i]); !(d <= 1e-8*math.Max(1, scale)*float64(len(y))) {
				t.Fatalf("components differ from y[%d] = %g by %g", i, y[i], d)
			}
		}
	})
}
