package arima

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/optimize"
)

// TestMinimizeBFGSIsMinimize: the serial driver reproduces optimize.Minimize with the same
// method and settings bit for bit — location, value and status — on smooth, badly scaled,
// bounded-domain and non-finite objectives, with the gradients minimize uses.
func TestMinimizeBFGSIsMinimize(t *testing.T) {
	rosenbrock := func(x []float64) float64 {
		return 100*(x[1]-x[0]*x[0])*(x[1]-x[0]*x[0]) + (1-x[0])*(1-x[0])
	}
	tests := []struct {
		name    string
		f       func([]float64) float64
		x0      []float64
		gradTol float64
		maxIter int
	}{
		{"rosenbrock", rosenbrock, []float64{-1.2, 1}, 1e-6, 1000},
		{"rosenbrock, 5 iterations", rosenbrock, []float64{-1.2, 1}, 1e-6, 5},
		{"no iteration limit (0)", rosenbrock, []float64{-1.2, 1}, 1e-6, 0},
		{"no iteration limit (negative)", func(x []float64) float64 { return (x[0]-3)*(x[0]-3) + 1 }, []float64{0}, 1e-6, -1},
		{"rosenbrock to convergence of f", rosenbrock, []float64{-1.2, 1}, 1e-300, 1000},
		{"noisy bowl", func(x []float64) float64 { return x[0]*x[0] + x[1]*x[1] + 1e-9*math.Sin(1e6*x[0]) }, []float64{2, 1}, 1e-300, 1000},
		{"badly scaled quadratic", func(x []float64) float64 {
			return 1e4*x[0]*x[0] + x[1]*x[1] + 1e-2*x[2]*x[2] + x[0]*x[2]
		}, []float64{1, -2, 3}, 1e-8, 1000},
		{"log barrier", func(x []float64) float64 {
			if x[0] <= 0 || x[1] <= 0 {
				return math.Inf(1)
			}
			return x[0] + 2*x[1] - math.Log(x[0]) - math.Log(x[1])
		}, []float64{3, 0.05}, 1e-6, 1000},
		{"already at the minimum", func(x []float64) float64 { return x[0] * x[0] }, []float64{0}, 1e-6, 1000},
		{"unbounded below", func(x []float64) float64 { return -math.Exp(x[0]) }, []float64{0}, 1e-6, 1000},
		{"not finite at the start", func([]float64) float64 { return math.NaN() }, []float64{1, 2}, 1e-6, 1000},
	}
	run := new(bfgsRun) // reused, as a problem reuses it
	for _, tc := range tests {
		grad := func(g, u []float64) {
			work := slices.Clone(u)
			for i := range u {
				work[i] = u[i] + gradStep
				fp := tc.f(work)
				work[i] = u[i] - gradStep
				fm := tc.f(work)
				work[i] = u[i]
				g[i] = (fp - fm) / (2 * gradStep)
				if math.IsInf(g[i], 0) || math.IsNaN(g[i]) {
					g[i] = 0
				}
			}
		}
		f := func(u []float64) float64 {
			if v := tc.f(u); !math.IsNaN(v) {
				return v
			}
			return math.Inf(1)
		}
		want, wantErr := optimize.Minimize(optimize.Problem{Func: f, Grad: grad}, tc.x0, &optimize.Settings{
			GradientThreshold: tc.gradTol,
			MajorIterations:   tc.maxIter,
			Converger:         &optimize.FunctionConverge{Absolute: 1e-13, Relative: 1e-13, Iterations: 20},
		}, &optimize.BFGS{})
		got, status, err := minimizeBFGS(f, grad, tc.x0, tc.gradTol, tc.maxIter, run)
		if (err == nil) != (wantErr == nil) || status != want.Status {
			t.Errorf("%s: status %v, error %v; Minimize: %v, %v", tc.name, status, err, want.Status, wantErr)
		}
		if got.F != want.F && !(math.IsInf(got.F, 1) && math.IsInf(want.F, 1)) {
			t.Errorf("%s: f = %.17g, Minimize %.17g", tc.name, got.F, want.F)
		}
		if !slices.Equal(got.X, want.X) {
			t.Errorf("%s: x = %v, Minimize %v", tc.name, got.X, want.X)
		}
	}
}

// TestBFGSIsGonums: bfgs gives optimize.BFGS's directions and steps bit for bit, over sequences
// of locations of every dimension up to 6, reused across minimisations of different sizes, with
// steps whose change of gradient is orthogonal to them (no update) among them.
func TestBFGSIsGonums(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	mine := &bfgs{}
	for run := range 40 {
		dim := 1 + run%6
		theirs := &optimize.BFGS{}
		loc := &optimize.Location{X: make([]float64, dim), Gradient: make([]float64, dim)}
		for i := range dim {
			loc.X[i], loc.Gradient[i] = rng.NormFloat64(), rng.NormFloat64()
		}
		got, want := make([]float64, dim), make([]float64, dim)
		for step := range 12 {
			var gs, ws float64
			if step == 0 {
				gs, ws = mine.InitDirection(loc, got), theirs.InitDirection(loc, want)
			} else {
				gs, ws = mine.NextDirection(loc, got), theirs.NextDirection(loc, want)
			}
			if gs != ws || !slices.Equal(got, want) {
				t.Fatalf("run %d (dim %d), step %d: direction %v, step %v; BFGS: %v, %v", run, dim, step, got, gs, want, ws)
			}
			next := &optimize.Location{X: make([]float64, dim), Gradient: make([]float64, dim)}
			for i := range dim {
				next.X[i] = loc.X[i] + 0.1*rng.NormFloat64()
				next.Gradient[i] = loc.Gradient[i] + rng.NormFloat64()
			}
			if step == 5 { // the same gradient: sᵀy = 0
				copy(next.Gradient, loc.Gradient)
			}
			if step == 7 && dim > 1 { // a zero in s and in y
				next.X[0], next.Gradient[0] = loc.X[0], loc.Gradient[0]
			}
			loc = next
		}
	}
}
