package trend

import (
	"encoding/binary"
	"errors"
	"math"
)

// BOCPDConfig holds the settings of a Bayesian online change-point detector;
// zero fields mean the defaults given with each.
type BOCPDConfig struct {
	// ExpectedRunLength λ sets the constant hazard H = 1/λ, the prior
	// probability of a change at each step; zero means 250.
	ExpectedRunLength float64
	// MaxRunLength bounds the run lengths tracked (memory and time per value
	// are O(MaxRunLength): one logarithm and one exponential per run length,
	// some 20 µs per value at the default); the posterior mass of longer runs
	// is dropped and the rest renormalised. Zero means 300.
	MaxRunLength int
	// Kappa and Alpha are the prior pseudo-counts of the normal-gamma prior
	// for the mean and the precision of a new segment; zero means 0.01 (a
	// vague mean, so that a new level is believed after a value or two) and 1.
	// The prior mean and variance of a new segment are the running mean and
	// variance of all values seen so far (max(1, mean²) until two distinct
	// values have been seen), so the detector needs no knowledge of the
	// scale.
	Kappa, Alpha float64
	// Window is the number of recent steps over which ChangeProbability sums
	// the run-length posterior; zero means 5.
	Window int
}

// BOCPDState is a snapshot of a BOCPD detector.
type BOCPDState struct {
	// RunLength is the most probable number of values since the last
	// change.
	RunLength int
	// ChangeProbability is the posterior probability that the current run
	// started within the last Window values, P(r_t < Window | x_1..t): it
	// stays near Window/λ in a stable stretch and rises towards 1 shortly
	// after a change.
	ChangeProbability float64
	// N is the number of values added.
	N int
}

// BOCPD is the Bayesian online change-point detector of Adams and MacKay
// (2007) for a stream of normal values whose mean and variance change at
// unknown times. It keeps the posterior of the run length r_t, the number of
// values since the last change, and updates it with each value x_t by
//
//	P(r_t = r+1 | x_1..t) ∝ P(r_{t−1} = r | x_1..t−1) · π_r(x_t) · (1 − H),
//	P(r_t = 0   | x_1..t) ∝ Σ_r P(r_{t−1} = r | x_1..t−1) · π_r(x_t) · H,
//
// where π_r is the Student-t predictive density of the normal-gamma
// posterior of a run of length r (ν = 2α_r degrees of freedom, location μ_r,
// squared scale β_r(κ_r+1)/(α_r κ_r)). Run lengths beyond MaxRunLength are
// dropped, which bounds memory and time per value. The first value seeds the
// first run's prior with its own value as mean and max(1, x²) as variance;
// when the first different value arrives, the runs started so far have that
// seed variance replaced by the data's, as if they had started from it.
//
// The zero value is ready to use with the default settings; NewBOCPD sets
// others. A BOCPD is not safe for concurrent use.
type BOCPD struct {
	cfg BOCPDConfig
	n   int
	// Running mean and sum of squared deviations of all values (Welford).
	mean, m2 float64
	// For run length r: posterior probability, and mean, β and log β of its
	// normal-gamma posterior; κ_r = κ0 + r and α_r = α0 + r/2 follow from r.
	prob, mu, beta, logBeta []float64
	// Scratch: scaled predictive weights, and β and log β after absorbing
	// the current value.
	weight, betaNext, logBetaNext []float64
	// logC[r] = lnΓ((ν+1)/2) − lnΓ(ν/2) − ½·ln(2π(κ_r+1)/κ_r), ν = 2α_r.
	logC []float64
}

// maxBOCPDLength bounds MaxRunLength and Window (a run-length posterior of a million
// entries costs 24 MB and a million operations per value).
const maxBOCPDLength = 1 << 20

// NewBOCPD returns a detector with the settings of cfg. Negative or
// non-finite settings, an ExpectedRunLength in (0, 1], or a MaxRunLength or
// Window above 2²⁰ panic.
func NewBOCPD(cfg BOCPDConfig) *BOCPD {
	if !(cfg.ExpectedRunLength == 0 || cfg.ExpectedRunLength > 1) || cfg.MaxRunLength < 0 ||
		!(cfg.Kappa >= 0) || !(cfg.Alpha >= 0) || cfg.Window < 0 ||
		cfg.MaxRunLength > maxBOCPDLength || cfg.Window > maxBOCPDLength ||
		math.IsInf(cfg.ExpectedRunLength+cfg.Kappa+cfg.Alpha, 0) {
		panic("trend: invalid BOCPDConfig")
	}
	return &BOCPD{cfg: cfg}
}

type bocpdSettings struct {
	hazard       float64
	maxRun       int
	kappa, alpha float64
	window       int
}

func (b *BOCPD) settings() bocpdSettings {
	s := bocpdSettings{hazard: 1.0 / 250, maxRun: 300, kappa: 0.01, alpha: 1, window: 5}
	if b.cfg.ExpectedRunLength > 0 {
		s.hazard = 1 / b.cfg.ExpectedRunLength
	}
	if b.cfg.MaxRunLength > 0 {
		s.maxRun = b.cfg.MaxRunLength
	}
	if b.cfg.Kappa > 0 {
		s.kappa = b.cfg.Kappa
	}
	if b.cfg.Alpha > 0 {
		s.alpha = b.cfg.Alpha
	}
	if b.cfg.Window > 0 {
		s.window = b.cfg.Window
	}
	return s
}

// Reset returns the detector to its initial state, keeping its settings.
func (b *BOCPD) Reset() { *b = BOCPD{cfg: b.cfg} }

// allocate sizes the state arrays for s and fills the log-constant table.
func (b *BOCPD) allocate(s bocpdSettings) {
	m := s.maxRun + 1
	buf := make([]float64, 8*m)
	col := func(i int) []float64 { return buf[i*m : i*m : (i+1)*m] }
	b.prob, b.mu, b.beta, b.logBeta = col(0), col(1), col(2), col(3)
	b.weight, b.betaNext, b.logBetaNext = col(4)[:m], col(5)[:m], col(6)[:m]
	b.logC = col(7)[:m]
	for r := range b.logC {
		nu := 2*s.alpha + float64(r)
		kappa := s.kappa + float64(r)
		lg1, _ := math.Lgamma((nu + 1) / 2)
		lg2, _ := math.Lgamma(nu / 2)
		b.logC[r] = lg1 - lg2 - 0.5*math.Log(2*math.Pi*(kappa+1)/kappa)
	}
}

// priorVariance is the variance a new segment is expected to have: the
// running variance, or max(1, x̄²) before two distinct values.
func (b *BOCPD) priorVariance() float64 {
	if b.n < 2 || !(b.m2 > 0) {
		return math.Max(1, b.mean*b.mean)
	}
	return b.m2 / float64(b.n-1)
}

// Add feeds the value x and returns the detector's state after it. A NaN or
// infinite x is ignored, and so is a value beyond ±1e150, whose square would
// overflow the posterior's arithmetic.
func (b *BOCPD) Add(x float64) BOCPDState {
	if !(math.Abs(x) <= 1e150) {
		return b.State()
	}
	s := b.settings()
	if b.logC == nil {
		b.allocate(s)
	}
	if len(b.prob) == 0 {
		b.prob, b.mu, b.beta, b.logBeta = b.prob[:1], b.mu[:1], b.beta[:1], b.logBeta[:1]
		b.prob[0], b.mu[0], b.beta[0] = 1, x, s.alpha*math.Max(1, x*x)
		b.logBeta[0] = math.Log(b.beta[0])
	}
	// Predictive log-densities of x under each run. With ν = 2α and the
	// updated β' = β + κ(x−μ)²/(2(κ+1)), the Student-t log-density reduces to
	// logC + (ν/2)·log β − ((ν+1)/2)·log β', and β' is the grown run's β.
	m := len(b.prob)
	w := b.weight[:m]
	maxLog := math.Inf(-1)
	for r := range m {
		kappa := s.kappa + float64(r)
		nu := 2*s.alpha + float64(r)
		d := x - b.mu[r]
		b.betaNext[r] = b.beta[r] + kappa*d*d/(2*(kappa+1))
		b.logBetaNext[r] = math.Log(b.betaNext[r])
		w[r] = b.logC[r] + nu/2*b.logBeta[r] - (nu+1)/2*b.logBetaNext[r]
		if b.prob[r] > 0 {
			maxLog = math.Max(maxLog, w[r])
		}
	}
	total := 0.0
	for r := range m {
		w[r] = b.prob[r] * math.Exp(w[r]-maxLog)
		total += w[r]
	}
	if !(total > 0) || math.IsInf(total, 0) {
		// x is so far out that every density underflows: it carries no
		// usable evidence, so the runs keep their probabilities.
		total = 0
		for r := range m {
			w[r] = b.prob[r]
			total += w[r]
		}
	}
	// Grow every run by one (the longest falls off at MaxRunLength) and
	// start a new one with the change mass.
	next := min(m+1, s.maxRun+1)
	b.prob, b.mu, b.beta, b.logBeta = b.prob[:next], b.mu[:next], b.beta[:next], b.logBeta[:next]
	for r := next - 1; r >= 1; r-- {
		kappa := s.kappa + float64(r-1)
		b.prob[r] = w[r-1] * (1 - s.hazard) / total
		b.mu[r] = (kappa*b.mu[r-1] + x) / (kappa + 1)
		b.beta[r], b.logBeta[r] = b.betaNext[r-1], b.logBetaNext[r-1]
	}
	b.prob[0] = s.hazard
	sum := 0.0
	for _, p := range b.prob {
		sum += p
	}
	for r := range b.prob {
		b.prob[r] /= sum
	}
	seed, hadVariance := b.priorVariance(), b.m2 > 0
	b.observe(x)
	if !hadVariance && b.m2 > 0 {
		// The first distinct value: every run so far started from the seed
		// variance; give them the data's variance instead, which only
		// shifts the additive prior term of β.
		shift := s.alpha * (b.priorVariance() - seed)
		for r := 1; r < next; r++ {
			b.beta[r] += shift
			b.logBeta[r] = math.Log(b.beta[r])
		}
	}
	b.mu[0], b.beta[0] = b.mean, s.alpha*b.priorVariance()
	b.logBeta[0] = math.Log(b.beta[0])
	return b.State()
}

// observe adds x to the running mean and variance.
func (b *BOCPD) observe(x float64) {
	b.n++
	d := x - b.mean
	b.mean += d / float64(b.n)
	b.m2 += d * (x - b.mean)
}

// State returns the current state without changing it.
func (b *BOCPD) State() BOCPDState {
	st := BOCPDState{N: b.n}
	window := b.settings().window
	best := -1.0
	for r, p := range b.prob {
		if p > best {
			best, st.RunLength = p, r
		}
		if r < window {
			st.ChangeProbability += p
		}
	}
	return st
}

const bocpdVersion = 1

// MarshalBinary encodes the detector's settings and state (version 1,
// 8-byte little-endian fields).
func (b *BOCPD) MarshalBinary() ([]byte, error) {
	head := []float64{b.cfg.ExpectedRunLength, float64(b.cfg.MaxRunLength), b.cfg.Kappa, b.cfg.Alpha,
		float64(b.cfg.Window), float64(b.n), b.mean, b.m2, float64(len(b.prob))}
	out := make([]byte, 1, 1+8*(len(head)+3*len(b.prob)))
	out[0] = bocpdVersion
	for _, group := range [][]float64{head, b.prob, b.mu, b.beta} {
		for _, f := range group {
			out = binary.LittleEndian.AppendUint64(out, math.Float64bits(f))
		}
	}
	return out, nil
}

// UnmarshalBinary restores a detector encoded by MarshalBinary.
func (b *BOCPD) UnmarshalBinary(data []byte) error {
	bad := errors.New("trend: invalid BOCPD encoding")
	if len(data) < 1+8*9 || data[0] != bocpdVersion || (len(data)-1)%8 != 0 {
		return bad
	}
	f := make([]float64, (len(data)-1)/8)
	for i := range f {
		f[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[1+8*i:]))
		if math.IsNaN(f[i]) || math.IsInf(f[i], 0) {
			return bad
		}
	}
	cfg := BOCPDConfig{ExpectedRunLength: f[0], Kappa: f[2], Alpha: f[3]}
	if !(f[1] >= 0 && f[1] <= maxBOCPDLength && f[4] >= 0 && f[4] <= maxBOCPDLength && f[5] >= 0 && f[5] < 1<<53 && f[8] >= 0) {
		return bad
	}
	cfg.MaxRunLength, cfg.Window = int(f[1]), int(f[4])
	if !(cfg.ExpectedRunLength == 0 || cfg.ExpectedRunLength > 1) || cfg.Kappa < 0 || cfg.Alpha < 0 {
		return bad
	}
	nb := BOCPD{cfg: cfg, n: int(f[5]), mean: f[6], m2: f[7]}
	s := nb.settings()
	m := int(f[8])
	if m > s.maxRun+1 || len(f) != 9+3*m || (m == 0) != (nb.n == 0) || nb.m2 < 0 {
		return bad
	}
	nb.allocate(s)
	nb.prob, nb.mu, nb.beta, nb.logBeta = nb.prob[:m], nb.mu[:m], nb.beta[:m], nb.logBeta[:m]
	copy(nb.prob, f[9:9+m])
	copy(nb.mu, f[9+m:9+2*m])
	copy(nb.beta, f[9+2*m:])
	total := 0.0
	for r := range m {
		if nb.prob[r] < 0 || !(nb.beta[r] > 0) {
			return bad
		}
		total += nb.prob[r]
		nb.logBeta[r] = math.Log(nb.beta[r])
	}
	if m > 0 && math.Abs(total-1) > 1e-6 { // a run-length distribution (all zeros made NaN)
		return bad
	}
	*b = nb
	return nil
}
