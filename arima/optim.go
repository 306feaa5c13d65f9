package arima

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/optimize"
)

// gradStep is the central-difference step, in scaled parameters, of the optimiser's gradient.
const gradStep = 1e-4

// forwardStep is the one-sided difference step of the gradient while ranking models.
const forwardStep = 1e-6

// hessStep is R's optim ndeps: the finite-difference step of the Hessian, as R uses it.
const hessStep = 1e-3

// optimizer is the state of minimize: the objective and its scaling, the last value computed,
// and arrays that a problem's optimizer reuses from one minimisation to the next (a fit
// minimises two or three times, and problems are recycled).
type optimizer struct {
	f        func([]float64) float64
	parscale []float64
	forward  bool      // one-sided gradient differences
	x        []float64 // the point evaluated, in the objective's units
	// The optimiser asks for the value and then the gradient at the same point: the last
	// value is kept so that the one-sided gradient does not recompute it.
	lastU    []float64
	lastF    float64
	haveLast bool
	u0, work []float64
	run      bfgsRun
}

// minimize minimises f from x0 (returning a nil point when f(x0) is not finite; forward selects
// one-sided gradient differences) by BFGS (gonum/optimize) with a central-difference gradient,
// working on the scaled parameters x/parscale as R's optim does. It stops when the largest
// absolute gradient falls below gradTol (or the function stops improving); it returns the best
// point found (a new slice), its value, and whether the optimiser reported convergence.
func (o *optimizer) minimize(f func([]float64) float64, x0, parscale []float64, gradTol float64, maxIter int, forward bool) ([]float64, float64, bool) {
	k := len(x0)
	*o = optimizer{
		f: f, parscale: parscale, forward: forward,
		x: zeroed(o.x, k), lastU: zeroed(o.lastU, k), u0: zeroed(o.u0, k), work: zeroed(o.work, k),
		run: o.run,
	}
	if k == 0 {
		return nil, f(nil), true
	}
	for i := range x0 {
		o.u0[i] = x0[i] / parscale[i]
	}
	if v := o.value(o.u0); math.IsInf(v, 0) {
		return nil, v, false
	}
	loc, status, err := minimizeBFGS(o.value, o.grad, o.u0, gradTol, maxIter, &o.run)
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

// scaled returns the point u of the scaled parameters in the objective's units.
func (o *optimizer) scaled(u []float64) []float64 {
	for i := range u {
		o.x[i] = u[i] * o.parscale[i]
	}
	return o.x
}

// value returns the objective at the scaled point u, with NaN and −Inf taken as +Inf, and
// keeps it as the last value.
func (o *optimizer) value(u []float64) float64 {
	v := o.f(o.scaled(u))
	if math.IsNaN(v) || math.IsInf(v, -1) {
		// Only finite values are accepted, as in R's vmmin: a perfect fit (log 0 = −∞)
		// accepted by the line search ended the search at its starting point.
		v = math.Inf(1)
	}
	copy(o.lastU, u)
	o.lastF, o.haveLast = v, true
	return v
}

// valueAt is value, without evaluating the objective again at the last point.
func (o *optimizer) valueAt(u []float64) float64 {
	if o.haveLast && slices.Equal(u, o.lastU) {
		return o.lastF
	}
	return o.value(u)
}

// grad writes the finite-difference gradient at the scaled point u to g: central differences
// of step gradStep, or one-sided ones of step forwardStep when o.forward is set; a side where
// the objective is not finite is replaced by the other, and the component is 0 when both are.
func (o *optimizer) grad(g, u []float64) {
	work := o.work
	copy(work, u)
	if o.forward {
		// One-sided differences: half the evaluations, accurate enough for ranking.
		f0 := o.valueAt(u)
		for i := range u {
			work[i] = u[i] + forwardStep
			fp := o.value(work)
			work[i] = u[i]
			if math.IsInf(fp, 0) || math.IsInf(f0, 0) {
				work[i] = u[i] - forwardStep
				fp = o.value(work)
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
		fp := o.value(work)
		work[i] = u[i] - gradStep
		fm := o.value(work)
		work[i] = u[i]
		switch {
		case !math.IsInf(fp, 0) && !math.IsInf(fm, 0):
			g[i] = (fp - fm) / (2 * gradStep)
		case !math.IsInf(fp, 0):
			g[i] = (fp - o.value(u)) / gradStep
		case !math.IsInf(fm, 0):
			g[i] = (o.value(u) - fm) / gradStep
		default:
			g[i] = 0
		}
	}
}

// bfgsRun holds the state of a minimizeBFGS run, whose arrays the next run reuses.
type bfgsRun struct {
	loc, best optimize.Location
	method    optimize.LinesearchMethod
	dir       bfgs
	search    optimize.Bisection
	converger optimize.FunctionConverge
}

// minimizeBFGS minimises f (gradient grad) from u0 by gonum's BFGS with its default bisection
// line search, and returns the last accepted location (in run's arrays), the status and the
// method's error; run holds the state (nil: new).
//
// It runs the method's reverse-communication interface (optimize.LinesearchMethod) on the
// calling goroutine and applies, in the same order, the checks optimize.Minimize applies with
// Settings{GradientThreshold: gradTol, MajorIterations: maxIter, Converger: FunctionConverge{
// Absolute: 1e-13, Relative: 1e-13, Iterations: 20}}: its iterates and result are Minimize's,
// without the three goroutines and the channel hand-offs per evaluation Minimize uses, which
// cost more than evaluating an ARIMA objective (about 15 % of a model search).
func minimizeBFGS(f func([]float64) float64, grad func(g, u []float64), u0 []float64, gradTol float64, maxIter int, run *bfgsRun) (optimize.Location, optimize.Status, error) {
	const evaluations = optimize.FuncEvaluation | optimize.GradEvaluation | optimize.HessEvaluation
	if run == nil {
		run = new(bfgsRun)
	}
	k := len(u0)
	best, loc := &run.best, &run.loc
	*best = optimize.Location{X: zeroed(best.X, k), Gradient: best.Gradient[:0], F: math.Inf(1)}
	*loc = optimize.Location{X: append(loc.X[:0], u0...), Gradient: zeroed(loc.Gradient, k)}
	evaluate := func(op optimize.Operation) {
		if op&optimize.FuncEvaluation != 0 {
			loc.F = f(loc.X)
		}
		if op&optimize.GradEvaluation != 0 {
			grad(loc.Gradient, loc.X)
		}
	}
	run.converger = optimize.FunctionConverge{Absolute: 1e-13, Relative: 1e-13, Iterations: 20}
	converger := &run.converger
	converger.Init(k)
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
		if status := converger.Converged(best); status != optimize.NotTerminated {
			return status
		}
		if maxIter > 0 && iterations >= maxIter {
			return optimize.IterationLimit
		}
		return optimize.NotTerminated
	}
	evaluate(optimize.FuncEvaluation | optimize.GradEvaluation)
	if math.IsInf(loc.F, 1) || math.IsNaN(loc.F) {
		return *best, optimize.Failure, optimize.ErrFunc(loc.F)
	}
	for i, v := range loc.Gradient {
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return *best, optimize.Failure, optimize.ErrGrad{Grad: v, Index: i}
		}
	}
	if status := major(); status != optimize.NotTerminated {
		return *best, status, nil
	}
	// LinesearchMethod.Init sets every field of the method but the two set here, reusing its
	// arrays.
	run.search = optimize.Bisection{}
	method := &run.method
	method.NextDirectioner, method.Linesearcher = &run.dir, &run.search
	op, err := method.Init(loc)
	for err == nil {
		switch {
		case op == optimize.MajorIteration:
			if status := major(); status != optimize.NotTerminated {
				return *best, status, nil
			}
			// The method's own test, with BFGS's default GradStopThreshold.
			if floats.Norm(loc.Gradient, math.Inf(1)) < 1e-12 {
				return *best, optimize.GradientThreshold, nil
			}
		case op&evaluations != 0 && op&^evaluations == 0:
			evaluate(op)
		}
		op, err = method.Iterate(loc)
	}
	return *best, optimize.Failure, err
}

// bfgs is the search direction of gonum's optimize.BFGS, the quasi-Newton method that updates
// an estimate H of the inverse Hessian at each step (Nocedal & Wright 2006, §6.1): with the
// step s = x_{k+1} − x_k and the change of gradient y = g_{k+1} − g_k,
//
//	H ← H + (sᵀy + yᵀHy)/(sᵀy)² s sᵀ − (H y sᵀ + s yᵀ H)/(sᵀy),
//
// skipped when sᵀy = 0, from H = (sᵀy/yᵀy) I at the first step (their eq. 6.20); the direction
// is −H g, and the first one −g with step 1/‖g‖. It makes the same BLAS calls on the same
// values as optimize.BFGS, so its directions are that method's bit for bit, without the
// allocations its matrix wrappers make at every iteration.
type bfgs struct {
	x, grad  []float64 // location and gradient of the last major iteration
	s, y, hy []float64 // s, y and H y
	invHess  blas64.Symmetric
	first    bool // no step has been taken yet: H is not set
	dim      int
}

// InitDirection starts a minimisation at loc: dir = −g, with the step 1/‖g‖.
func (b *bfgs) InitDirection(loc *optimize.Location, dir []float64) (stepSize float64) {
	dim := len(loc.X)
	b.dim, b.first = dim, true
	b.x = append(b.x[:0], loc.X...)
	b.grad = append(b.grad[:0], loc.Gradient...)
	b.s, b.y, b.hy = zeroed(b.s, dim), zeroed(b.y, dim), zeroed(b.hy, dim)
	// Only the upper triangle is used; it is set at the first step.
	b.invHess = blas64.Symmetric{Uplo: blas.Upper, N: dim, Stride: dim, Data: zeroed(b.invHess.Data, dim*dim)}
	for i, g := range loc.Gradient {
		dir[i] = -1 * g
	}
	return 1 / blas64.Nrm2(blas64.Vector{N: dim, Inc: 1, Data: dir})
}

// NextDirection updates H with the step to loc and puts −H g in dir, with the step 1.
func (b *bfgs) NextDirection(loc *optimize.Location, dir []float64) (stepSize float64) {
	dim := b.dim
	if len(loc.X) != dim || len(loc.Gradient) != dim || len(dir) != dim {
		panic("arima: bfgs: unexpected size mismatch")
	}
	for i := range dim {
		b.s[i] = loc.X[i] - b.x[i]
		b.y[i] = loc.Gradient[i] - b.grad[i]
	}
	vec := func(v []float64) blas64.Vector { return blas64.Vector{N: len(v), Inc: 1, Data: v} }
	s, y, h := vec(b.s), vec(b.y), b.invHess
	sDotY := blas64.Dot(s, y)
	if b.first {
		scale := sDotY / blas64.Dot(y, y)
		for i := range dim {
			row := h.Data[i*h.Stride : i*h.Stride+dim]
			row[i] = scale
			clear(row[i+1:])
		}
		b.first = false
	}
	if math.Abs(sDotY) != 0 {
		yHy := symInner(b.y, h)
		blas64.Symv(1, h, y, 0, vec(b.hy))
		scale := (1 + yHy/sDotY) / sDotY
		blas64.Syr(scale, s, h)
		blas64.Syr2(-1/sDotY, vec(b.hy), s, h)
	}
	copy(b.x, loc.X)
	copy(b.grad, loc.Gradient)
	blas64.Symv(1, h, vec(loc.Gradient), 0, vec(dir))
	for i, v := range dir {
		dir[i] = -1 * v
	}
	return 1
}

// symInner returns xᵀ A x for the symmetric A stored in its upper triangle, summed as gonum's
// mat.Inner sums it: row i contributes x_i (A_{i,i:} · x_{i:}) and x_i (A_{i,i+1:} · x_{i+1:}).
func symInner(x []float64, a blas64.Symmetric) float64 {
	n := a.N
	vec := func(v []float64) blas64.Vector { return blas64.Vector{N: len(v), Inc: 1, Data: v} }
	var sum float64
	for i := range n {
		row := a.Data[i*a.Stride : i*a.Stride+n]
		if xi := x[i]; xi != 0 {
			sum += xi * blas64.Dot(vec(row[i:]), vec(x[i:]))
		}
		if xi := x[i]; i != n-1 && xi != 0 {
			sum += xi * blas64.Dot(vec(row[i+1:]), vec(x[i+1:]))
		}
	}
	return sum
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
