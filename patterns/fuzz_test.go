package patterns

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"testing"
)

// matrixFromBytes decodes fuzz input: the first byte picks the column count (1–9), the rest are
// little-endian float64s in row order (a short last row makes the matrix ragged).
func matrixFromBytes(b []byte) [][]float64 {
	if len(b) == 0 {
		return nil
	}
	d := 1 + int(b[0])%9
	b = b[1:]
	var X [][]float64
	var row []float64
	for len(b) >= 8 {
		row = append(row, math.Float64frombits(binary.LittleEndian.Uint64(b)))
		b = b[8:]
		if len(row) == d {
			X = append(X, row)
			row = nil
		}
	}
	if len(row) > 0 {
		X = append(X, row)
	}
	return X
}

func bytesFromMatrix(X [][]float64) []byte {
	b := []byte{byte(len(X[0]) - 1)}
	for _, row := range X {
		for _, v := range row {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
	}
	return b
}

func addMatrixSeeds(f *testing.F) {
	f.Add(bytesFromMatrix(normalRows(12)))
	f.Add(bytesFromMatrix([][]float64{{0, 0}, {0, 1}, {1, 0}, {1, 1}, {5, 5}}))
	f.Add(bytesFromMatrix([][]float64{{1}, {1}, {1}, {math.NaN()}}))
	f.Add(bytesFromMatrix([][]float64{{math.Inf(1), 2}}))
	f.Add([]byte{3, 1, 2, 3})
	f.Add([]byte{})
}

func checkInputError(t *testing.T, err error) {
	var ie *InputError
	if !errors.Is(err, ErrEmpty) && !errors.Is(err, ErrOverflow) && !errors.As(err, &ie) {
		t.Fatalf("unexpected error type %T: %v", err, err)
	}
}

func FuzzDBSCAN(f *testing.F) {
	addMatrixSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		X := matrixFromBytes(b)
		if kd, err := KDistances(X, 3); err == nil {
			if !slices.IsSorted(kd) || kd[0] < 0 {
				t.Fatalf("k-distances %v", kd)
			}
		}
		for _, eps := range []float64{0, 0.5, 2} {
			got, err := DBSCAN(X, DBSCANConfig{Eps: eps, MinSamples: 3})
			if err != nil {
				checkInputError(t, err)
				return
			}
			if len(X) <= 200 {
				// Huge coordinates overflow ‖p−q‖² to +Inf in both implementations alike.
				if want := bruteDBSCAN(X, got.Eps, 3); !slices.Equal(got.Labels, want) {
					t.Fatalf("eps %g: labels %v, brute force %v", got.Eps, got.Labels, want)
				}
			}
		}
	})
}

func FuzzFitAndMatch(f *testing.F) {
	addMatrixSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		X := matrixFromBytes(b)
		for _, scaling := range []Scaling{Standard, Robust} {
			m, err := Fit(X, nil, Config{Scaling: scaling})
			if err != nil {
				checkInputError(t, err)
				return
			}
			if len(m.Labels()) != len(X) {
				t.Fatalf("%d labels for %d rows", len(m.Labels()), len(X))
			}
			for i, x := range X {
				match := m.Match(x)
				if match.Distance < 0 || (match.Pattern != Noise && match.Pattern != match.Nearest) {
					t.Fatalf("row %d: %+v", i, match)
				}
			}
			if _, err := m.Refit(X, nil); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func FuzzShiftDetectorUnmarshalBinary(f *testing.F) {
	d := NewShiftDetector(ShiftConfig{Threshold: 2, Windows: 5})
	d.Add(3)
	b, _ := d.MarshalBinary()
	f.Add(b)
	f.Add([]byte{1})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var d ShiftDetector
		if err := d.UnmarshalBinary(b); err != nil {
			return
		}
		again, _ := d.MarshalBinary()
		var e ShiftDetector
		if err := e.UnmarshalBinary(again); err != nil || e != d {
			t.Fatalf("round trip: %+v vs %+v (%v)", e, d, err)
		}
		d.Add(math.Inf(1))
	})
}
