package pgadapter

import (
	"errors"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stacklens/omen"
)

// Store keeps omen's records in PostgreSQL. It implements omen.History (read from
// analytics_metrics_1hour), omen.Sink (ml_anomalies, ml_patterns, ml_forecasts,
// ml_predictive_alerts and analytics_metrics_1hour) and omen.StateStore (ml_models), and adds the
// operations the notifier and operators need. Its tables are those Migrate creates.
//
// A Store is safe for concurrent use. Every method takes its connection from the pool for one
// call and returns it on every path, errors included.
type Store struct {
	pool   *pgxpool.Pool
	author string
}

var (
	_ omen.History    = (*Store)(nil)
	_ omen.Sink       = (*Store)(nil)
	_ omen.StateStore = (*Store)(nil)
)

// ErrInvalidRecord is wrapped by the errors of records that cannot be stored as they are: a
// non-finite number, a missing key, a string too long for its column or not valid UTF-8. Write
// checks every record before it sends anything, so such a write changes nothing. It wraps
// omen.ErrRejectedRecord, as do the errors of values the database refuses (see Store.Write).
var ErrInvalidRecord error = invalidRecord{}

// invalidRecord is ErrInvalidRecord: its message names the package alone, and it unwraps to
// omen.ErrRejectedRecord.
type invalidRecord struct{}

func (invalidRecord) Error() string { return "pgadapter: invalid record" }
func (invalidRecord) Unwrap() error { return omen.ErrRejectedRecord }

// ErrNotFound is wrapped by the errors of operations on a record that does not exist.
var ErrNotFound = errors.New("pgadapter: not found")

// Option configures a Store.
type Option func(*Store)

// WithAuthor sets the name recorded as resolved_by when a written anomaly arrives already
// resolved. The default is "omen". When the write resolves a stored open anomaly, the history
// row of that change has it as changed_by; an anomaly new to the table has no history row (the
// history records changes of a stored anomaly).
func WithAuthor(name string) Option {
	return func(s *Store) { s.author = name }
}

// New returns a Store on pool. The pool stays the caller's: Store never closes it.
func New(pool *pgxpool.Pool, opts ...Option) *Store {
	if pool == nil {
		panic("pgadapter: New with a nil pool")
	}
	s := &Store{pool: pool, author: "omen"}
	for _, opt := range opts {
		opt(s)
	}
	return s
}
