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

// The ml_models rows that hold the engine's state: one per component and service.
const (
	stateModelType = "omen_state"
	stateModelName = "omen %s state"
)

// stateModelID returns the ml_models key of a component's state of a service: omen.RecordID of
// the service, the kind "state" and the component, 32 hex digits, so that any service name fits
// the 255-character key.
func stateModelID(component, service string) string {
	return omen.RecordID(service, "state", component, time.Time{})
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
	Format    string `json:"format"`
	Component string `json:"component"`
	Bytes     int    `json:"bytes"`
	SHA256    string `json:"sha256"`
}

// SaveState implements omen.StateStore. The state goes to the BYTEA column state of the
// ml_models row of the component and service (model_type omen_state, model_name "omen
// <component> state"), whose trained_at and last_used_at become now and whose parameters
// describe the bytes (component, size and SHA-256). A nil state is stored as empty.
func (s *Store) SaveState(ctx context.Context, component, service string, state []byte) error {
	if err := checkState(component, service); err != nil {
		return err
	}
	if state == nil {
		state = []byte{}
	}
	sum := sha256.Sum256(state)
	params, err := json.Marshal(stateMetadata{Format: "omen engine state", Component: component, Bytes: len(state), SHA256: hex.EncodeToString(sum[:])})
	if err != nil {
		return fmt.Errorf("pgadapter: save %s state of %q: %w", component, service, err)
	}
	// The JSON goes as a string: the simple protocol would send a []byte as bytea.
	if _, err := s.pool.Exec(ctx, upsertState, stateModelID(component, service), fmt.Sprintf(stateModelName, component), stateModelType,
		service, string(params), state); err != nil {
		return fmt.Errorf("pgadapter: save %s state of %q: %w", component, service, err)
	}
	return nil
}

// LoadState implements omen.StateStore: the state last saved for the component and service, or
// nil and no error when there is none. Loading marks the row used (last_used_at), which
// ml_v_model_health reports.
func (s *Store) LoadState(ctx context.Context, component, service string) ([]byte, error) {
	if err := checkState(component, service); err != nil {
		return nil, err
	}
	var state []byte
	err := s.pool.QueryRow(ctx, `
		UPDATE ml_models SET last_used_at = CURRENT_TIMESTAMP
		WHERE model_id = $1 AND model_type = $2
		RETURNING COALESCE(state, '')`, stateModelID(component, service), stateModelType).Scan(&state)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pgadapter: load %s state of %q: %w", component, service, err)
	}
	return state, nil
}

func checkState(component, service string) error {
	c := newChecker("state of service", service)
	c.key("service", service, idWidth)
	c.key("component", component, 32)
	return c.err
}
