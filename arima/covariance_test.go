package arima

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestInvertScaledIsMatInverse: invertScaled gives mat.Dense.Inverse of h·n bit for bit, and
// NaNs where Inverse reports a singular or ill-conditioned matrix, for well-conditioned,
// nearly singular, singular and non-finite matrices of sizes 1 to 8.
func TestInvertScaledIsMatInverse(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for run := range 200 {
		k := 1 + run%8
		h := make([]float64, k*k)
		for i := range h {
			h[i] = rng.NormFloat64()
		}
		switch run % 5 {
		case 1: // nearly singular: one row almost a multiple of another
			if k > 1 {
				for j := range k {
					h[k+j] = 2*h[j] + 1e-14*rng.NormFloat64()
				}
			}
		case 2: // singular
			clear(h[(k-1)*k:])
		case 3: // a Hessian's scale
			for i := range h {
				h[i] *= 1e-6
			}
		case 4:
			if run%10 == 4 {
				h[rng.IntN(k*k)] = math.NaN()
			}
		}
		n := float64(10 + rng.IntN(200))
		got := invertScaled(h, k, n)
		a := mat.NewDense(k, k, nil)
		for i := range k {
			for j := range k {
				a.Set(i, j, h[i*k+j]*n)
			}
		}
		var inv mat.Dense
		want := make([]float64, k*k)
		if err := inv.Inverse(a); err != nil {
			for i := range want {
				want[i] = math.NaN()
			}
		} else {
			for i := range k {
				for j := range k {
					want[i*k+j] = inv.At(i, j)
				}
			}
		}
		same := slices.EqualFunc(got, want, func(x, y float64) bool {
			return math.Float64bits(x) == math.Float64bits(y) || (math.IsNaN(x) && math.IsNaN(y))
		})
		if !same {
			t.Errorf("run %d (k = %d): %v, Inverse %v", run, k, got, want)
		}
	}
}
