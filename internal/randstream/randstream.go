// Package randstream derives independent, reproducible random streams from one seed, so that
// parallel work (one stream per tree, per chain, per worker item) gives identical results for any
// number of goroutines.
package randstream

import "math/rand/v2"

// New returns a PCG generator for stream number id of seed. Both words of the PCG state are
// passed through SplitMix64 so that neighbouring seeds and ids give unrelated streams.
func New(seed, id uint64) *rand.Rand {
	return rand.New(rand.NewPCG(state(seed, id)))
}

// Seed sets p to the start of stream number id of seed, so that rand.New(p) draws exactly what
// New(seed, id) draws. Work that goes through many streams one after the other can thus keep one
// PCG, and one rand.Rand on it, instead of allocating both for each stream as New does.
func Seed(p *rand.PCG, seed, id uint64) {
	p.Seed(state(seed, id))
}

// state returns the PCG state of stream number id of seed.
func state(seed, id uint64) (uint64, uint64) {
	a := splitMix64(seed ^ 0x6a09e667f3bcc909)
	return a, splitMix64(a ^ splitMix64(id+0xbb67ae8584caa73b))
}

// splitMix64 is the finaliser of Steele, Lea and Flood's SplitMix64 (2014): a bijective mixing of
// 64-bit words.
func splitMix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
