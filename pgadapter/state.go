package pgadapter

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stacklens/omen"
)

// The ml_models row that holds a service's engine state.
const (
	stateModelType = "omen_state"
	stateModelName = "omen engine state"
)

// stateModelID returns the ml_models key of a service's state: omen.RecordID of the service and
// the kind "state", 32 hex digits, so that any service name fits the 255-character key.
func stateModelID(service string) string {
	return omen.RecordID(service, "state", "", time.Time{})
}

const upsertState = `
INSERT INTO ml_models
    (model_id, model_name, model_type, service, status, trained_at, last_used_at, parameters, state)
VALUES ($1, $2, $3, $4, 'active', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, $5, $6)
ON CONFLICT (model_id) DO UPDATE SET
    service = EXCLUDED.service,
    status = 'active',
    trained_at = CURRENT_TIMESTAMP,
    last_used_at = CURRENT_TIMESTAMP,
    parameters = EXCLUDED.parameters,
    state = EXCLUDED.state`

// stateMetadata is the parameters JSONB of a state row: what the opaque bytes are.
type stateMetadata struct {
	Format string `json:"format"`
	Bytes  int    `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// SaveState implements omen.StateStore. The state goes to the BYTEA column state of the
// service's ml_models row (model_type omen_state), whose trained_at and last_used_at become now
// and whose parameters describe the bytes (size and SHA-256). A nil state is stored as empty.
func (s *Store) SaveState(ctx context.Context, service string, state []byte) error {
	if err := checkService(service); err != nil {
		return err
	}
	if state == nil {
		state = []byte{}
	}
	sum := sha256.Sum256(state)
	params, err := json.Marshal(stateMetadata{Format: "omen engine state", Bytes: len(state), SHA256: hex.EncodeToString(sum[:])})
	if err != nil {
		return fmt.Errorf("pgadapter: save state of %q: %w", service, err)
	}
	// The JSON goes as a string: the simple protocol would send a []byte as bytea.
	if _, err := s.pool.Exec(ctx, upsertState, stateModelID(service), stateModelName, stateModelType,
		service, string(params), state); err != nil {
		return fmt.Errorf("pgadapter: save state of %q: %w", service, err)
	}
	return nil
}

// LoadState implements omen.StateStore: the state last saved for the service, or nil and no
// error when there is none. Loading marks the row used (last_used_at), which
// ml_v_model_health reports.
func (s *Store) LoadState(ctx context.Context, service string) ([]byte, error) {
	var state []byte
	err := s.pool.QueryRow(ctx, `
		UPDATE ml_models SET last_used_at = CURRENT_TIMESTAMP
		WHERE model_id = $1 AND model_type = $2
		RETURNING COALESCE(state, '')`, stateModelID(service), stateModelType).Scan(&state)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pgadapter: load state of %q: %w", service, err)
	}
	return state, nil
}

func checkService(service string) error {
	c := newChecker("state of service", service)
	c.key("service", service, idWidth)
	return c.err
}
