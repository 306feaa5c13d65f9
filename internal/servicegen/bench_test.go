package servicegen

import (
	"io"
	"testing"
)

// BenchmarkGenerate measures the default stream (8 services × 336 windows) and a large one
// (100 services × 14 days).
func BenchmarkGenerate(b *testing.B) {
	for _, bc := range []struct {
		name string
		cfg  Config
	}{{"default", Config{Seed: 1}}, {"services=100", Config{Seed: 1, Services: 100}}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Generate(bc.cfg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkWriteJSONLines(b *testing.B) {
	s, err := Generate(Config{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	for _, shape := range []Shape{Flat, Phase4, Mixed} {
		b.Run(shape.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := WriteJSONLines(io.Discard, s, shape); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
