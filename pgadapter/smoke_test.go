package pgadapter

import (
	"context"
	"testing"
)

func TestSmoke(t *testing.T) {
	_, pool := newTestStore(t)
	if err := Migrate(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	t.Log(count(t, pool, "SELECT COUNT(*) FROM omen_schema_migrations"))
}
