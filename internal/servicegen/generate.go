package servicegen

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/stacklens/omen/internal/randstream"
)

// Generate returns the stream described by cfg: every window of every service in time order,
// ties broken by service name, and the labels of the incidents. It returns an error for an
// invalid Config and ErrNoRoom when the incidents do not fit after the warm-up.
//
// Random stream 0 of cfg.Seed deals the incident kinds; service i draws its noise from stream
// 3i+1, its incidents from stream 3i+2 and, beyond the twelve hand-written profiles, its levels
// from stream 3i+3. The output therefore depends on cfg only.
func Generate(cfg Config) (Stream, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Stream{}, err
	}
	n := cfg.windows()
	if n == 0 {
		return Stream{}, fmt.Errorf("servicegen: Days = %d with Step = %v gives no window", cfg.Days, cfg.Step)
	}
	tl := timeline{n: n, warm: int((cfg.WarmUp + cfg.Step - 1) / cfg.Step), midnight: -1}
	if day := 24 * time.Hour; day%cfg.Step == 0 {
		tl.perDay = int(day / cfg.Step)
		if offset := cfg.Start.Sub(cfg.Start.Truncate(day)); offset%cfg.Step == 0 {
			tl.midnight = (tl.perDay - int(offset/cfg.Step)) % tl.perDay
		}
	}

	profiles := make([]profile, cfg.Services)
	for i := range profiles {
		profiles[i] = profileFor(i, randstream.New(cfg.Seed, 3*uint64(i)+3))
	}
	var decks [][]card
	if !cfg.NoIncidents {
		decks = planDecks(cfg, profiles, randstream.New(cfg.Seed, 0))
	}
	perService := make([][]Window, cfg.Services)
	var incidents []Incident
	for i, p := range profiles {
		id := 3 * uint64(i)
		var drafts []draft
		var effects []effect
		if decks != nil && len(decks[i]) > 0 {
			if drafts, effects, err = planService(p, decks[i], tl, randstream.New(cfg.Seed, id+2)); err != nil {
				return Stream{}, fmt.Errorf("%w (service %s)", err, p.name)
			}
		}
		perService[i] = simulate(cfg, p, effects, randstream.New(cfg.Seed, id+1))
		for _, d := range drafts {
			incidents = append(incidents, d.finish(perService[i]))
		}
	}

	slices.SortFunc(perService, func(a, b []Window) int { return cmp.Compare(a[0].Service, b[0].Service) })
	s := Stream{Config: cfg, Windows: make([]Window, 0, n*cfg.Services)}
	for _, ws := range perService {
		s.Services = append(s.Services, ws[0].Service)
	}
	for t := range n {
		for _, ws := range perService {
			s.Windows = append(s.Windows, ws[t])
		}
	}
	slices.SortFunc(incidents, func(a, b Incident) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.Service, b.Service))
	})
	s.Incidents = incidents
	return s, nil
}

// planService draws and places the incidents of one service and returns them with the per-window
// effects they cause.
func planService(p profile, cards []card, tl timeline, r *rand.Rand) ([]draft, []effect, error) {
	drafts := make([]draft, len(cards))
	for j, c := range cards {
		drafts[j] = newDraft(c, p, tl, r)
	}
	if err := place(drafts, tl, r); err != nil {
		return nil, nil, err
	}
	effects := make([]effect, tl.n)
	for i := range effects {
		effects[i] = neutral
	}
	for _, d := range drafts {
		for k := range d.length {
			d.apply(&effects[d.first+k], k)
		}
	}
	slices.SortFunc(drafts, func(a, b draft) int { return cmp.Compare(a.first, b.first) })
	return drafts, effects, nil
}
