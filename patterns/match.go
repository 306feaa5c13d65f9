package patterns

import "math"

// Match describes how a feature vector relates to a model's patterns.
type Match struct {
	// Pattern is the ID of the pattern the vector belongs to (Distance ≤ 1), or Noise.
	Pattern int
	// Nearest is the ID of the pattern with the smallest standardised distance (the first pattern
	// when every distance is +Inf), or Noise when the model has no patterns or x contains NaN.
	Nearest int
	// Distance is the standardised distance to the nearest pattern: the Euclidean distance between
	// the scaled vector and the pattern's scaled centre divided by the pattern's Radius. It is +Inf
	// when the model has no patterns (whatever x holds) or x is too far from every pattern for a
	// finite distance (an infinite value), and otherwise NaN when x contains NaN.
	Distance float64
}

// Match finds the pattern of x: the pattern p minimising the standardised distance
// ‖(x − c_p) / s‖ / r_p, where c_p is the pattern's raw centre, s the scaler's per-column scale and
// r_p its Radius. x belongs to p when that distance is at most 1, and is noise otherwise.
// It allocates nothing, does not modify x, and panics if len(x) != m.Dim().
func (m *Model) Match(x []float64) Match {
	if len(x) != m.Dim() {
		panic("patterns: vector length does not match the model's dimension")
	}
	best := Match{Pattern: Noise, Nearest: Noise, Distance: math.Inf(1)}
	for _, p := range m.patterns {
		dist := m.scaledDistance(x, p.Center) / p.Radius
		if math.IsNaN(dist) {
			return Match{Pattern: Noise, Nearest: Noise, Distance: math.NaN()}
		}
		if dist < best.Distance || best.Nearest == Noise {
			best.Nearest, best.Distance = p.ID, dist
		}
	}
	if best.Distance <= 1 {
		best.Pattern = best.Nearest
	}
	return best
}
