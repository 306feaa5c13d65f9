package servicegen

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Config describes the stream to generate. A zero field means its documented default, so the
// zero Config generates the default stream: 8 services, 14 days of hourly windows from
// 2024-01-01T00:00:00Z, about 3 incidents per service.
type Config struct {
	// Seed selects the random streams. The same Config always generates the same Stream.
	Seed uint64

	// Services is the number of services (default 8). The first twelve have hand-written profiles
	// (api, web, auth, payments, search, db, cache, queue, gateway, notifications, orders,
	// reports); further ones reuse them in turn with a numbered name ("api-2") and scaled levels.
	Services int

	// Days is the length of the stream in days (default 14).
	Days int

	// Step is the window length (default 1 h). Request counts scale with it; incident durations
	// are counted in windows.
	Step time.Duration

	// Start is the start of the first window (default 2024-01-01T00:00:00Z). It is converted to
	// UTC.
	Start time.Time

	// WarmUp is the initial period free of incidents (default 72 h), in which detectors learn.
	WarmUp time.Duration

	// IncidentsPerWeek is the mean number of incidents per service per week (default 1.5).
	IncidentsPerWeek float64

	// NoIncidents generates normal operation only: no incident and no label.
	NoIncidents bool
}

// Defaults of Config's zero fields.
const (
	DefaultServices         = 8
	DefaultDays             = 14
	DefaultStep             = time.Hour
	DefaultWarmUp           = 72 * time.Hour
	DefaultIncidentsPerWeek = 1.5
)

// DefaultStart is the start of the first window when Config.Start is zero.
var DefaultStart = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// ErrNoRoom is returned when the incidents cannot be placed after the warm-up without
// overlapping: the stream is too short for them.
var ErrNoRoom = errors.New("servicegen: no room for the incidents after the warm-up; use more Days, a shorter WarmUp or fewer IncidentsPerWeek")

// withDefaults returns c with its zero fields replaced by the defaults, or an error naming the
// first invalid field.
func (c Config) withDefaults() (Config, error) {
	if c.Services == 0 {
		c.Services = DefaultServices
	}
	if c.Days == 0 {
		c.Days = DefaultDays
	}
	if c.Step == 0 {
		c.Step = DefaultStep
	}
	if c.Start.IsZero() {
		c.Start = DefaultStart
	}
	c.Start = c.Start.UTC()
	if c.WarmUp == 0 {
		c.WarmUp = DefaultWarmUp
	}
	if c.IncidentsPerWeek == 0 {
		c.IncidentsPerWeek = DefaultIncidentsPerWeek
	}
	switch {
	case c.Services < 0:
		return c, fmt.Errorf("servicegen: Services = %d, want > 0", c.Services)
	case c.Days < 0 || c.Days > 36500:
		return c, fmt.Errorf("servicegen: Days = %d, want between 1 and 36500", c.Days)
	case c.Step < time.Second || c.Step > 24*time.Hour:
		return c, fmt.Errorf("servicegen: Step = %v, want between 1s and 24h", c.Step)
	case c.WarmUp < 0:
		return c, fmt.Errorf("servicegen: WarmUp = %v, want ≥ 0", c.WarmUp)
	case c.IncidentsPerWeek < 0 || math.IsNaN(c.IncidentsPerWeek) || math.IsInf(c.IncidentsPerWeek, 0):
		return c, fmt.Errorf("servicegen: IncidentsPerWeek = %v, want a finite value ≥ 0", c.IncidentsPerWeek)
	}
	if total := c.windows() * c.Services; total > 10_000_000 || c.Services > 10_000_000 {
		return c, fmt.Errorf("servicegen: %d services × %d windows is more than 10 million windows", c.Services, c.windows())
	}
	return c, nil
}

// windows is the number of windows per service.
func (c Config) windows() int {
	return int(time.Duration(c.Days) * 24 * time.Hour / c.Step)
}
