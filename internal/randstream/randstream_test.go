package randstream

import "testing"

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
