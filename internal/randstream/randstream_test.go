package randstream

import (
	"math/rand/v2"
	"testing"
)

func TestStreamsReproducibleAndDistinct(t *testing.T) {
	a, b := New(7, 3), New(7, 3)
	for i := 0; i < 100; i++ {
		if x, y := a.Uint64(), b.Uint64(); x != y {
			t.Fatalf("draw %d: same seed and id gave %d and %d", i, x, y)
		}
	}
	seen := map[uint64]bool{}
	for seed := uint64(0); seed < 4; seed++ {
		for id := uint64(0); id < 64; id++ {
			first := New(seed, id).Uint64()
			if seen[first] {
				t.Fatalf("seed %d id %d: first draw %d repeats another stream's", seed, id, first)
			}
			seen[first] = true
		}
	}
}

// TestSeedMatchesNew re-seeds one generator from stream to stream, after draws of every kind the
// callers make, and checks that it draws exactly what New's generator for each stream draws.
func TestSeedMatchesNew(t *testing.T) {
	var p rand.PCG
	r := rand.New(&p)
	for seed := uint64(0); seed < 3; seed++ {
		for id := uint64(0); id < 20; id++ {
			Seed(&p, seed, id)
			want := New(seed, id)
			for i := range 50 {
				if x, y := r.Uint64(), want.Uint64(); x != y {
					t.Fatalf("seed %d id %d draw %d: Uint64 %d, New's %d", seed, id, i, x, y)
				}
				if x, y := r.IntN(1000+i), want.IntN(1000+i); x != y {
					t.Fatalf("seed %d id %d draw %d: IntN %d, New's %d", seed, id, i, x, y)
				}
				if x, y := r.Float64(), want.Float64(); x != y {
					t.Fatalf("seed %d id %d draw %d: Float64 %g, New's %g", seed, id, i, x, y)
				}
				if x, y := r.NormFloat64(), want.NormFloat64(); x != y {
					t.Fatalf("seed %d id %d draw %d: NormFloat64 %g, New's %g", seed, id, i, x, y)
				}
			}
		}
	}
}
