package trend

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"
)

// floats decodes data as little-endian float64 values, at most 300.
func floats(data []byte) []float64 {
	n := min(len(data)/8, 300)
	y := make([]float64, n)
	for i := range y {
		y[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
	}
	return y
}

func encode(y ...float64) []byte {
	b := make([]byte, 0, 8*len(y))
	for _, v := range y {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return b
}

func seedSeries() [][]byte {
	return [][]byte{
		encode(1, 2, 3, 2, 5, 4, 6, 8, 7, 9, 10, 9),
		encode(5, 5, 5, 5, 5, 5),
		encode(1, math.NaN(), 3, 1e300, -1e300, 0),
		encode(0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1),
		encode(math.Inf(1), 1, 2),
	}
}

// FuzzTrendTests: the slope estimators and Mann–Kendall tests return an
// error or well-formed results, never panic, never modify their input.
func FuzzTrendTests(f *testing.F) {
	for _, s := range seedSeries() {
		f.Add(s, uint8(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, period uint8) {
		y := floats(data)
		orig := append([]float64(nil), y...)
		p := int(period%24) + 1
		if mk, err := MannKendall(y); err == nil {
			if mk.N < 2 || mk.P < 0 || mk.P > 1 || math.Abs(mk.Tau) > 1 {
				t.Fatalf("MannKendall %+v", mk)
			}
		}
		if hr, err := HamedRao(y, HamedRaoConfig{}); err == nil && !(hr.Correction > 0) {
			t.Fatalf("HamedRao correction %g", hr.Correction)
		}
		if smk, err := SeasonalMannKendall(y, p); err == nil && (smk.P < 0 || smk.P > 1) {
			t.Fatalf("SeasonalMannKendall %+v", smk)
		}
		if ts, err := TheilSen(y, 0); err == nil && !(ts.Lower <= ts.Upper) && !math.IsNaN(ts.Lower+ts.Upper) {
			t.Fatalf("TheilSen interval %+v", ts)
		}
		OLS(y)
		SeasonalSen(y, p)
		LegacyTrend(y, 5)
		LegacySeasonality(y, p)
		LegacyTrendChange(y, 5, 0.3)
		for i := range y {
			if math.Float64bits(y[i]) != math.Float64bits(orig[i]) {
				t.Fatal("input modified")
			}
		}
	})
}

// FuzzDecompose: STL, MSTL, strength and period detection on any input.
func FuzzDecompose(f *testing.F) {
	for _, s := range seedSeries() {
		f.Add(s, uint8(2), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, period uint8, robust bool) {
		y := floats(data)
		d, err := Decompose(y, STLConfig{Period: int(period), Robust: robust})
		if err == nil {
			ft, fs := Strength(d)
			if !(ft >= 0 && ft <= 1 && fs >= 0 && fs <= 1) && !math.IsNaN(ft+fs) {
				t.Fatalf("strengths %g %g", ft, fs)
			}
		}
		if m, err := DecomposeMultiple(y, []int{int(period), 2 * int(period)}, MSTLConfig{}); err == nil {
			SeasonalStrengths(m)
		}
		if p, err := DetectPeriod(y, PeriodConfig{}); err == nil && (len(p) == 0 || p[0].Lag < 2) {
			t.Fatalf("DetectPeriod %v", p)
		}
	})
}

// FuzzChangePoints: PELT and binary segmentation return sorted change
// points strictly inside the series, or an error.
func FuzzChangePoints(f *testing.F) {
	for _, s := range seedSeries() {
		f.Add(s, false, uint8(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, meanVar bool, minSeg uint8) {
		y := floats(data)
		cfg := ChangeConfig{MinSegment: int(minSeg % 8)}
		if meanVar {
			cfg.Cost = NormalMeanVar
		}
		for _, method := range []func([]float64, ChangeConfig) ([]int, error){PELT, BinarySegmentation} {
			cps, err := method(y, cfg)
			if err != nil {
				if !errors.Is(err, ErrTooFew) && !errors.Is(err, ErrNotFinite) {
					t.Fatalf("unexpected error %v", err)
				}
				continue
			}
			prev := 0
			for _, c := range cps {
				if c <= prev || c >= len(y) {
					t.Fatalf("change points %v for n = %d", cps, len(y))
				}
				prev = c
			}
		}
	})
}

// FuzzOnline: the streaming detectors accept any values, and their decoders
// any bytes, without panicking.
func FuzzOnline(f *testing.F) {
	for _, s := range seedSeries() {
		f.Add(s)
	}
	var b BOCPD
	b.Add(1)
	b.Add(2)
	enc, _ := b.MarshalBinary()
	f.Add(enc)
	c := NewCUSUM(CUSUMConfig{Target: 1, Sigma: 2})
	enc, _ = c.MarshalBinary()
	f.Add(enc)
	f.Fuzz(func(t *testing.T, data []byte) {
		var b BOCPD
		var c CUSUM
		for _, v := range floats(data) {
			st := b.Add(v)
			if !(st.ChangeProbability >= 0 && st.ChangeProbability <= 1+1e-9) {
				t.Fatalf("change probability %g", st.ChangeProbability)
			}
			c.Add(v)
		}
		var b2 BOCPD
		if b2.UnmarshalBinary(data) == nil {
			b2.Add(1)
		}
		var c2 CUSUM
		if c2.UnmarshalBinary(data) == nil {
			c2.Add(1)
		}
	})
}
