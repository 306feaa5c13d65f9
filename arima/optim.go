package arima

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/optimize"
)

// gradStep is the central-difference step, in scaled parameters, of the optimiser's gradient.
const gradStep = 1e-4

// forwardStep is the one-sided difference step of the gradient while ranking models.
const forwardStep = 1e-6

// hessStep is R's optim ndeps: the finite-difference step of the Hessian, as R uses it.
const hessStep = 1e-3

// minimize minimises f from x0 (returning a nil point when f(x0) is not finite; forward selects
// one-sided gradient differences) by BFGS (gonum/optimize) with a central-difference gradient,
// working on the scaled parameters x/parscale as R's optim does. It stops when the largest
// absolute gradient falls below gradTol (or the function stops improving); it returns the best
// point found, its value, and whether the optimiser reported convergence.
func minimize(f func([]float64) float64, x0, parscale []float64, gradTol float64, maxIter int, forward bool) ([]float64, float64, bool) {
	k := len(x0)
	x := make([]float64, k)
	scaled := func(u []float64) []float64 {
		for i := range u {
			x[i] = u[i] * parscale[i]
		}
		return x
	}
	// The optimiser asks for the value and then the gradient at the same point: the last
	// value is kept so that the one-sided gradient does not recompute it.
	lastU := make([]float64, k)
	lastF, haveLast := 0.0, false
	fs := func(u []float64) float64 {
		v := f(scaled(u))
		if math.IsNaN(v) || math.IsInf(v, -1) {
			// Only finite values are accepted, as in R's vmmin: a perfect fit (log 0 = −∞)
			// accepted by the line search ended the search at its starting point.
			v = math.Inf(1)
		}
		copy(lastU, u)
		lastF, haveLast = v, true
		return v
	}
	valueAt := func(u []float64) float64 {
		if haveLast && slices.Equal(u, lastU) {
			return lastF
		}
		return fs(u)
	}
	u0 := make([]float64, k)
	for i := range x0 {
		u0[i] = x0[i] / parscale[i]
	}
	work := make([]float64, k)
	grad := func(g, u []float64) {
		copy(work, u)
		if forward {
			// One-sided differences: half the evaluations, accurate enough for ranking.
			f0 := valueAt(u)
			for i := range u {
				work[i] = u[i] + forwardStep
				fp := fs(work)
				work[i] = u[i]
				if math.IsInf(fp, 0) || math.IsInf(f0, 0) {
					work[i] = u[i] - forwardStep
					fp = fs(work)
					work[i] = u[i]
					g[i] = (f0 - fp) / forwardStep
					if math.IsInf(fp, 0) || math.IsInf(f0, 0) {
						g[i] = 0
					}
					continue
				}
				g[i] = (fp - f0) / forwardStep
			}
			return
		}
		for i := range u {
			work[i] = u[i] + gradStep
			fp := fs(work)
			work[i] = u[i] - gradStep
			fm := fs(work)
			work[i] = u[i]
			switch {
			case !math.IsInf(fp, 0) && !math.IsInf(fm, 0):
				g[i] = (fp - fm) / (2 * gradStep)
			case !math.IsInf(fp, 0):
				g[i] = (fp - fs(u)) / gradStep
			case !math.IsInf(fm, 0):
				g[i] = (fs(u) - fm) / gradStep
			default:
				g[i] = 0
			}
		}
	}
	if k == 0 {
		return nil, f(nil), true
	}
	if v := fs(u0); math.IsInf(v, 0) {
		return nil, v, false
	}
	loc, status, err := minimizeBFGS(fs, grad, u0, gradTol, maxIter)
	if math.IsInf(loc.F, 0) || math.IsNaN(loc.F) {
		return append([]float64(nil), x0...), f(x0), false
	}
	out := make([]float64, k)
	for i := range out {
		out[i] = loc.X[i] * parscale[i]
	}
	ok := err == nil || status == optimize.GradientThreshold || status == optimize.FunctionConvergence
	return out, loc.F, ok
}

// minimizeBFGS minimises f (gradient grad) from u0 by gonum's BFGS with its default bisection
// line search, and returns the last accepted location, the status and the method's error.
//
// It runs the method's reverse-communication interface (optimize.LinesearchMethod) on the
// calling goroutine and applies, in the same order, the checks optimize.Minimize applies with
// Settings{GradientThreshold: gradTol, MajorIterations: maxIter, Converger: FunctionConverge{
// Absolute: 1e-13, Relative: 1e-13, Iterations: 20}}: its iterates and result are Minimize's,
// without the three goroutines and the channel hand-offs per evaluation Minimize uses, which
// cost more than evaluating an ARIMA objective (about 15 % of a model search).
func minimizeBFGS(f func([]float64) float64, grad func(g, u []float64), u0 []float64, gradTol float64, maxIter int) (optimize.Location, optimize.Status, error) {
	const evaluations = optimize.FuncEvaluation | optimize.GradEvaluation | optimize.HessEvaluation
	best := optimize.Location{X: make([]float64, len(u0)), F: math.Inf(1)}
	loc := &optimize.Location{X: slices.Clone(u0), Gradient: make([]float64, len(u0))}
	evaluate := func(op optimize.Operation) {
		if op&optimize.FuncEvaluation != 0 {
			loc.F = f(loc.X)
		}
		if op&optimize.GradEvaluation != 0 {
			grad(loc.Gradient, loc.X)
		}
	}
	converger := &optimize.FunctionConverge{Absolute: 1e-13, Relative: 1e-13, Iterations: 20}
	converger.Init(len(u0))
	iterations := 0
	// major records an accepted location and reports the status it ends the run with.
	major := func() optimize.Status {
		best.F = loc.F
		best.X = append(best.X[:0], loc.X...)
		best.Gradient = append(best.Gradient[:0], loc.Gradient...)
		iterations++
		switch {
		case math.IsInf(best.F, -1):
			return optimize.FunctionNegativeInfinity
		case floats.Norm(best.Gradient, math.Inf(1)) < gradTol:
			return optimize.GradientThreshold
		}
		if status := converger.Converged(&best); status != optimize.NotTerminated {
			return status
		}
		if maxIter > 0 && iterations >= maxIter {
			return optimize.IterationLimit
		}
		return optimize.NotTerminated
	}
	evaluate(optimize.FuncEvaluation | optimize.GradEvaluation)
	if math.IsInf(loc.F, 1) || math.IsNaN(loc.F) {
		return best, optimize.Failure, optimize.ErrFunc(loc.F)
	}
	for i, v := range loc.Gradient {
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return best, optimize.Failure, optimize.ErrGrad{Grad: v, Index: i}
		}
	}
	if status := major(); status != optimize.NotTerminated {
		return best, status, nil
	}
	method := &optimize.LinesearchMethod{NextDirectioner: &optimize.BFGS{}, Linesearcher: &optimize.Bisection{}}
	op, err := method.Init(loc)
	for err == nil {
		switch {
		case op == optimize.MajorIteration:
			if status := major(); status != optimize.NotTerminated {
				return best, status, nil
			}
			// The method's own test, with BFGS's default GradStopThreshold.
			if floats.Norm(loc.Gradient, math.Inf(1)) < 1e-12 {
				return best, optimize.GradientThreshold, nil
			}
		case op&evaluations != 0 && op&^evaluations == 0:
			evaluate(op)
		}
		op, err = method.Iterate(loc)
	}
	return best, optimize.Failure, err
}

// hessian returns the k × k Hessian of f at x, computed as R's optimHess: central differences
// (step hessStep) of a central-difference gradient whose step is hessStep·parscale.
func hessian(f func([]float64) float64, x, parscale []float64) []float64 {
	k := len(x)
	h := make([]float64, k*k)
	pt := append([]float64(nil), x...)
	g1 := make([]float64, k)
	g2 := make([]float64, k)
	gradAt := func(g []float64) {
		for j := range k {
			e := hessStep * parscale[j]
			old := pt[j]
			pt[j] = old + e
			fp := f(pt)
			pt[j] = old - e
			fm := f(pt)
			pt[j] = old
			g[j] = (fp - fm) / (2 * e)
		}
	}
	for i := range k {
		old := pt[i]
		pt[i] = old + hessStep
		gradAt(g1)
		pt[i] = old - hessStep
		gradAt(g2)
		pt[i] = old
		for j := range k {
			h[i*k+j] = (g1[j] - g2[j]) / (2 * hessStep)
		}
	}
	for i := range k {
		for j := range i {
			v := (h[i*k+j] + h[j*k+i]) / 2
			h[i*k+j], h[j*k+i] = v, v
		}
	}
	return h
}

// quickHessian returns a forward-difference Hessian of f at x from (k+1)(k+2)/2 function values,
// step hessStep·parscale. It is cheaper and less accurate than hessian; the automatic search
// uses it only to check that a candidate's standard errors exist.
func quickHessian(f func([]float64) float64, x, parscale []float64) []float64 {
	k := len(x)
	pt := append([]float64(nil), x...)
	f0 := f(pt)
	fi := make([]float64, k)
	for i := range k {
		pt[i] += hessStep * parscale[i]
		fi[i] = f(pt)
		pt[i] = x[i]
	}
	h := make([]float64, k*k)
	for i := range k {
		for j := i; j < k; j++ {
			pt[i] += hessStep * parscale[i]
			pt[j] += hessStep * parscale[j]
			fij := f(pt)
			copy(pt, x)
			v := (fij - fi[i] - fi[j] + f0) / (hessStep * parscale[i] * hessStep * parscale[j])
			h[i*k+j], h[j*k+i] = v, v
		}
	}
	return h
}
