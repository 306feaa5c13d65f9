package arima

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"
)

// seriesFromBytes decodes up to 50 values: each byte pair is a small number, except a few
// codes that stand for NaN, +Inf, −Inf and a repeat of the previous value (constant runs).
func seriesFromBytes(data []byte) []float64 {
	var y []float64
	for i := 0; i+1 < len(data) && len(y) < 50; i += 2 {
		v := float64(int16(binary.LittleEndian.Uint16(data[i:]))) / 100
		switch data[i] {
		case 0xF0:
			v = math.NaN()
		case 0xF1:
			v = math.Inf(1)
		case 0xF2:
			v = math.Inf(-1)
		case 0xF3:
			if len(y) > 0 {
				v = y[len(y)-1]
			}
		}
		y = append(y, v)
	}
	return y
}

func knownFitError(err error) bool {
	var short *TooShortError
	if errors.As(err, &short) {
		return short.Need > short.Have
	}
	return errors.Is(err, ErrNonFinite) || errors.Is(err, ErrDegenerate) || errors.Is(err, ErrNonStationaryCSS) ||
		errors.Is(err, ErrNonStationary) || errors.Is(err, ErrRankDeficient) || errors.Is(err, ErrNoModel)
}

func fuzzSeeds(f *testing.F) [][]byte {
	seeds := [][]byte{
		nil,
		{1, 0},
		{0xF0, 0, 10, 0, 20, 0},
		{0xF1, 0, 1, 0, 2, 0, 3, 0, 4, 0},
		{5, 0, 0xF3, 0, 0xF3, 0, 0xF3, 0, 0xF3, 0, 0xF3, 0, 0xF3, 0, 0xF3, 0},
	}
	var ramp []byte
	for i := range 50 {
		ramp = append(ramp, byte(i*37), byte(i%3))
	}
	seeds = append(seeds, ramp)
	return seeds
}

// FuzzFit: arbitrary short series (NaN, ±Inf, constants, lengths 0–50) never panic and fail
// only with the documented errors; a fitted model forecasts.
func FuzzFit(f *testing.F) {
	for i, s := range fuzzSeeds(f) {
		f.Add(s, uint8(i%3), uint8(i%2), uint8(1), uint8(i%2), uint8(4), true, uint8(i%3))
	}
	f.Fuzz(func(t *testing.T, data []byte, p, d, q, seasonal, period uint8, mean bool, method uint8) {
		y := seriesFromBytes(data)
		spec := Spec{Order: Order{int(p % 3), int(d % 3), int(q % 3)}, Mean: mean, Drift: !mean}
		if seasonal%2 == 1 {
			spec.Seasonal = Seasonal{int(seasonal % 2), int(seasonal / 2 % 2), 1, 2 + int(period%6)}
		}
		m, err := Fit(y, spec, Config{Method: Method(method % 3)})
		if err != nil {
			if !knownFitError(err) {
				t.Fatalf("Fit(%v, %+v): unexpected error %v", y, spec, err)
			}
			return
		}
		fc := m.Forecast(3, 95)
		if len(fc.Mean) != 3 {
			t.Fatal("forecast length")
		}
		if _, err := m.Update(1, math.NaN(), 2); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzAuto: the automatic search never panics on arbitrary short series, with any seasonal
// test and with or without a regressor (a NaN in it, or one that is constant or collinear
// with the constant, must give a clear error or a model).
func FuzzAuto(f *testing.F) {
	for i, s := range fuzzSeeds(f) {
		f.Add(s, uint8(i%5), uint8(i%3), uint8(i%4))
	}
	f.Fuzz(runFuzzAuto)
}

// runFuzzAuto is the body of FuzzAuto.
func runFuzzAuto(t *testing.T, data []byte, period, test, xregKind uint8) {
	y := seriesFromBytes(data)
	cfg := AutoConfig{Period: int(period % 8), SeasonalTest: SeasonalTest(test % 3)}
	if k := xregKind % 4; k > 0 {
		x := make([]float64, len(y))
		for i := range x {
			switch k {
			case 1:
				x[i] = float64(i%3) + 0.5*float64(i)
			case 2:
				x[i] = 7 // constant: left out of the unit-root tests, collinear with a mean
			case 3:
				x[i] = float64(i)
				if i == len(x)/2 {
					x[i] = math.NaN()
				}
			}
		}
		cfg.Xreg = [][]float64{x}
	}
	m, err := Auto(y, cfg)
	if err != nil {
		if !knownFitError(err) {
			t.Fatalf("Auto(%v, %+v): unexpected error %v", y, cfg, err)
		}
		return
	}
	var fc Forecast
	var future [][]float64
	if len(cfg.Xreg) > 0 {
		future = [][]float64{{1, 2}}
	}
	if err := m.ForecastTo(&fc, 2, 80, ForecastConfig{Xreg: future}); err != nil {
		t.Fatal(err)
	}
}

// FuzzUnmarshalBinary: arbitrary bytes never panic the decoder, and a decoded model forecasts.
func FuzzUnmarshalBinary(f *testing.F) {
	y := []float64{1, 3, 2, 5, 4, 6, 5, 8, 7, 9, 8, 11, 10, 12}
	m, err := Fit(y, Spec{Order: Order{1, 1, 0}}, Config{})
	if err != nil {
		f.Fatal(err)
	}
	b, _ := m.MarshalBinary()
	f.Add(b)
	f.Add(b[:len(b)/2])
	f.Add([]byte("ARMA\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var m Model
		if err := m.UnmarshalBinary(data); err != nil {
			if !errors.Is(err, ErrEncoding) {
				t.Fatalf("error %v does not wrap ErrEncoding", err)
			}
			return
		}
		m.Forecast(2, 95)
		m.SE()
	})
}
