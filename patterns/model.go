package patterns

import (
	"math"
	"slices"
	"time"
)

// Scaling chooses how Fit standardises the features before clustering.
type Scaling int

const (
	// Standard scaling: mean and population standard deviation (FitStandard). The default.
	Standard Scaling = iota
	// Robust scaling: median and scaled MAD (FitRobust).
	Robust
)

// Config holds the hyperparameters of Fit. A zero field means its documented default.
type Config struct {
	// Scaling of the features before clustering; default Standard.
	Scaling Scaling
	// DBSCAN parameters in scaled units; a zero Eps is chosen automatically by KneeEps.
	DBSCAN DBSCANConfig
}

// Pattern is the signature of one cluster of feature vectors.
type Pattern struct {
	// ID identifies the pattern; it is kept across Refit when the cluster is matched to an earlier one.
	ID int
	// Center is the mean of the members' raw (unscaled) features.
	Center []float64
	// Radius is the robust spread of the members around Center in scaled units: the median member
	// distance plus three scaled MADs of the member distances, and never below the model's Eps.
	Radius float64
	// Size is the number of members (core and border points).
	Size int
	// FirstSeen and LastSeen are the earliest and latest member times (zero when Fit got no times).
	// Across Refit, FirstSeen keeps the earliest time of the matched earlier pattern.
	FirstSeen, LastSeen time.Time
}

// Model is a set of patterns found in a history of feature vectors together with the scaler they
// were found with. It is immutable and safe for concurrent use.
type Model struct {
	cfg      Config
	scaler   *Scaler
	eps      float64
	patterns []Pattern
	labels   []int // pattern ID per training row, or Noise
	nextID   int
}

// Fit scales the rows of X (one feature vector per row, e.g. one service's metrics per window),
// clusters them with DBSCAN and returns one Pattern per cluster, IDs numbered 1, 2, … in cluster
// order. times, if not nil, gives each row's time for FirstSeen/LastSeen; it must have len(X)
// entries (misuse panics otherwise).
//
// X and times are not modified. Errors: ErrEmpty, or an *InputError naming the row and column of a
// ragged row, NaN or ±Inf. A history in which no cluster is dense enough is not an error: the model
// then has no patterns and every vector matches Noise.
func Fit(X [][]float64, times []time.Time, cfg Config) (*Model, error) {
	return fit(X, times, cfg, nil)
}

// Refit fits a new model on X with m's Config and carries the pattern IDs over: each new cluster is
// matched to the nearest earlier pattern whose centre lies within the larger of the two radii
// (distances measured with the new scaler), closest pairs first, one to one. A matched pattern keeps
// its ID and the earlier FirstSeen; an unmatched cluster gets a fresh ID never used before by m's
// lineage; earlier patterns with no match are dropped. Arguments and errors as for Fit.
func (m *Model) Refit(X [][]float64, times []time.Time) (*Model, error) {
	return fit(X, times, m.cfg, m)
}

func fit(X [][]float64, times []time.Time, cfg Config, prev *Model) (*Model, error) {
	if times != nil && len(times) != len(X) {
		panic("patterns: len(times) != len(X)")
	}
	var scaler *Scaler
	var err error
	switch cfg.Scaling {
	case Standard:
		scaler, err = FitStandard(X)
	case Robust:
		scaler, err = FitRobust(X)
	default:
		panic("patterns: unknown Scaling")
	}
	if err != nil {
		return nil, err
	}
	Z := scaler.TransformAll(X)
	cl, err := DBSCAN(Z, cfg.DBSCAN)
	if err != nil {
		return nil, err
	}
	m := &Model{cfg: cfg, scaler: scaler, eps: cl.Eps, nextID: 1}
	m.patterns = signatures(X, Z, times, cl)
	ids := make([]int, len(m.patterns))
	if prev != nil {
		m.nextID = prev.nextID
		ids = m.matchPrevious(prev)
	}
	for k := range m.patterns {
		if ids[k] == 0 {
			ids[k] = m.nextID
			m.nextID++
		}
		m.patterns[k].ID = ids[k]
	}
	m.labels = make([]int, len(X))
	for i, l := range cl.Labels {
		m.labels[i] = Noise
		if l != Noise {
			m.labels[i] = ids[l]
		}
	}
	return m, nil
}

// signatures builds one Pattern per cluster of cl, without IDs.
func signatures(X, Z [][]float64, times []time.Time, cl *Clustering) []Pattern {
	d := len(X[0])
	ps := make([]Pattern, cl.Clusters)
	for k := range ps {
		ps[k].Center = make([]float64, d)
	}
	for i, l := range cl.Labels {
		if l == Noise {
			continue
		}
		p := &ps[l]
		p.Size++
		for j, v := range X[i] {
			p.Center[j] += v
		}
		if times != nil {
			t := times[i]
			if p.FirstSeen.IsZero() || t.Before(p.FirstSeen) {
				p.FirstSeen = t
			}
			if t.After(p.LastSeen) {
				p.LastSeen = t
			}
		}
	}
	members := make([][]float64, cl.Clusters) // member distances to the centre, scaled units
	centres := make([][]float64, cl.Clusters) // centres in scaled units
	for k := range ps {
		for j := range ps[k].Center {
			ps[k].Center[j] /= float64(ps[k].Size)
		}
		centres[k] = make([]float64, d)
	}
	for i, l := range cl.Labels {
		if l != Noise {
			for j, v := range Z[i] {
				centres[l][j] += v / float64(ps[l].Size)
			}
		}
	}
	for i, l := range cl.Labels {
		if l != Noise {
			members[l] = append(members[l], euclid(Z[i], centres[l]))
		}
	}
	for k := range ps {
		ps[k].Radius = max(robustRadius(members[k]), cl.Eps)
	}
	return ps
}

// robustRadius returns median + 3·1.4826·MAD of the distances ds (reordered in place).
func robustRadius(ds []float64) float64 {
	med := median(ds)
	for i := range ds {
		ds[i] = math.Abs(ds[i] - med)
	}
	return med + 3*madToSigma*median(ds)
}

func euclid(a, b []float64) float64 {
	var s float64
	for j := range a {
		g := a[j] - b[j]
		s += g * g
	}
	return math.Sqrt(s)
}

// matchPrevious returns for each pattern of m the ID of the earlier pattern it continues, or 0.
func (m *Model) matchPrevious(prev *Model) []int {
	type pair struct {
		newK, oldK int
		dist       float64
	}
	var pairs []pair
	for k, p := range m.patterns {
		for o, q := range prev.patterns {
			if len(q.Center) != len(p.Center) {
				continue
			}
			dist := m.scaledDistance(q.Center, p.Center)
			if dist <= max(p.Radius, q.Radius) {
				pairs = append(pairs, pair{k, o, dist})
			}
		}
	}
	slices.SortStableFunc(pairs, func(a, b pair) int {
		switch {
		case a.dist < b.dist:
			return -1
		case a.dist > b.dist:
			return 1
		}
		return 0
	})
	ids := make([]int, len(m.patterns))
	usedOld := make([]bool, len(prev.patterns))
	for _, pr := range pairs {
		if ids[pr.newK] != 0 || usedOld[pr.oldK] {
			continue
		}
		old := prev.patterns[pr.oldK]
		ids[pr.newK] = old.ID
		usedOld[pr.oldK] = true
		p := &m.patterns[pr.newK]
		if !old.FirstSeen.IsZero() && (p.FirstSeen.IsZero() || old.FirstSeen.Before(p.FirstSeen)) {
			p.FirstSeen = old.FirstSeen
		}
		if old.LastSeen.After(p.LastSeen) {
			p.LastSeen = old.LastSeen
		}
	}
	return ids
}

// scaledDistance is the Euclidean distance between raw vectors a and b after scaling.
func (m *Model) scaledDistance(a, b []float64) float64 {
	var s float64
	for j, sc := range m.scaler.scale {
		g := (a[j] - b[j]) / sc
		s += g * g
	}
	return math.Sqrt(s)
}

// Patterns returns a copy of the patterns, in ascending ID order.
func (m *Model) Patterns() []Pattern {
	out := make([]Pattern, len(m.patterns))
	for k, p := range m.patterns {
		p.Center = slices.Clone(p.Center)
		out[k] = p
	}
	slices.SortFunc(out, func(a, b Pattern) int { return a.ID - b.ID })
	return out
}

// Labels returns a copy of the pattern ID of every training row, Noise for rows in no pattern.
func (m *Model) Labels() []int { return slices.Clone(m.labels) }

// Scaler returns the scaler the model was fitted with.
func (m *Model) Scaler() *Scaler { return m.scaler }

// Eps returns the DBSCAN radius used, in scaled units.
func (m *Model) Eps() float64 { return m.eps }

// Dim returns the number of features.
func (m *Model) Dim() int { return m.scaler.Dim() }
