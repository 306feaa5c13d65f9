package isoforest

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"
)

// FuzzFitScore fits small forests on arbitrary matrices built from the fuzzer's bytes and checks
// that finite input never panics and always scores in (0, 1].
func FuzzFitScore(f *testing.F) {
	f.Add(uint8(2), uint8(0), []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	f.Add(uint8(1), uint8(0), []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add(uint8(3), uint8(2), make([]byte, 96))
	f.Add(uint8(4), uint8(1), []byte("a fuzzer seed that is long enough to fill a few rows of features"))
	f.Fuzz(func(t *testing.T, width, ext uint8, data []byte) {
		d := int(width%6) + 1
		var X [][]float64
		for len(data) >= 2*d && len(X) < 64 {
			row := make([]float64, d)
			for j := range row {
				// Small integers and their reciprocals: ties, constants, and spread.
				v := int16(binary.LittleEndian.Uint16(data))
				data = data[2:]
				row[j] = float64(v)
				if v%3 == 0 && v != 0 {
					row[j] = 1 / float64(v)
				}
			}
			X = append(X, row)
		}
		m, err := Fit(X, Config{Trees: 8, ExtensionLevel: int(ext) % d, Seed: 1, Workers: 2})
		if len(X) < 2 {
			if err == nil {
				t.Fatalf("Fit on %d rows succeeded", len(X))
			}
			return
		}
		if err != nil {
			t.Fatalf("Fit on %d finite rows: %v", len(X), err)
		}
		for i, s := range m.Scores(X) {
			if !(s > 0 && s <= 1) {
				t.Fatalf("row %d scores %v", i, s)
			}
		}
		if e := m.Explain(X[0]); math.Abs(sum(e)-1) > 1e-9 && sum(e) != 0 {
			t.Fatalf("explanation sums to %v", sum(e))
		}
	})
}

// FuzzUnmarshalBinary feeds arbitrary bytes to UnmarshalBinary: it must return an error or a
// model that scores in (0, 1] and re-encodes to the same bytes, and never panic.
func FuzzUnmarshalBinary(f *testing.F) {
	for _, cfg := range []Config{{Trees: 2, SampleSize: 8}, {Trees: 2, SampleSize: 8, ExtensionLevel: 1, Contamination: 0.1}} {
		m, err := Fit(gaussian(20, 2, 1), cfg)
		if err != nil {
			f.Fatal(err)
		}
		good, _ := m.MarshalBinary()
		f.Add(good)
	}
	f.Add([]byte("OMIF"))
	f.Add([]byte("OMIF\x01\x02\x08\x01\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var m Model
		if err := m.UnmarshalBinary(data); err != nil {
			if !errors.Is(err, ErrEncoding) {
				t.Fatalf("error %v does not wrap ErrEncoding", err)
			}
			return
		}
		x := make([]float64, m.Dim())
		if s := m.Score(x); !(s > 0 && s <= 1) {
			t.Fatalf("decoded model scores %v", s)
		}
		again, _ := m.MarshalBinary()
		if string(again) != string(data) {
			t.Fatalf("decoded model re-encodes differently")
		}
	})
}
