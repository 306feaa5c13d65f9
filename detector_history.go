package omen

import "time"

// detHistory is a ring of a service's most recent windows, oldest first.
type detHistory struct {
	windows []Metrics // capacity: the configured History
	start   int       // index of the oldest window once the ring is full
}

func newDetHistory(capacity int) detHistory {
	return detHistory{windows: make([]Metrics, 0, capacity)}
}

func (h *detHistory) len() int { return len(h.windows) }

// at returns the i-th window, 0 the oldest.
func (h *detHistory) at(i int) Metrics {
	return h.windows[(h.start+i)%len(h.windows)]
}

// push appends m, dropping the oldest window when the ring is full.
func (h *detHistory) push(m Metrics) {
	if len(h.windows) < cap(h.windows) {
		h.windows = append(h.windows, m)
		return
	}
	h.windows[h.start] = m
	h.start = (h.start + 1) % len(h.windows)
}

// all returns the windows, oldest first, in a new slice.
func (h *detHistory) all() []Metrics {
	out := make([]Metrics, h.len())
	for i := range out {
		out[i] = h.at(i)
	}
	return out
}

// features returns the feature vectors of the windows, oldest first.
func (h *detHistory) features() [][]float64 {
	X := make([][]float64, h.len())
	flat := make([]float64, 8*h.len())
	for i := range X {
		f := h.at(i).Features()
		X[i] = flat[8*i : 8*i+8 : 8*i+8]
		copy(X[i], f[:])
	}
	return X
}

// times returns the windows' timestamps, oldest first.
func (h *detHistory) times() []time.Time {
	out := make([]time.Time, h.len())
	for i := range out {
		out[i] = h.at(i).Timestamp
	}
	return out
}
