package pgadapter

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// lockMigrations takes the transaction-scoped advisory lock that serializes Migrate across
// processes: one lock per database and target schema, so that migrations of different schemas
// do not wait for each other.
const lockMigrations = "SELECT pg_advisory_xact_lock(hashtextextended('omen.pgadapter.migrate:' || current_schema(), 0))"

// versionTable records the applied migrations, one row per version.
const versionTable = "omen_schema_migrations"

// Migration is one embedded schema migration.
type Migration struct {
	Version int    // from the file name's numeric prefix, 1, 2, …
	Name    string // the file name without prefix and extension, e.g. "original_schema"
	SQL     string
}

// Migrations returns the embedded migrations in the order Migrate applies them.
func Migrations() []Migration {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		panic("pgadapter: embedded migrations: " + err.Error())
	}
	out := make([]Migration, 0, len(entries))
	for _, e := range entries {
		prefix, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		version, err := strconv.Atoi(prefix)
		if !ok || err != nil || version <= 0 {
			panic("pgadapter: embedded migration " + e.Name() + " lacks a NNNN_ version prefix")
		}
		sql, err := migrationFiles.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			panic("pgadapter: embedded migration " + e.Name() + ": " + err.Error())
		}
		out = append(out, Migration{Version: version, Name: name, SQL: string(sql)})
	}
	slices.SortFunc(out, func(a, b Migration) int { return a.Version - b.Version })
	return out
}

// Migrate brings the connection's current schema (the first of its search_path, public by
// default) up to date: it applies, in order and in one transaction, every embedded migration not
// yet recorded in the omen_schema_migrations table, and records them there. While it runs, names
// resolve in the current schema alone (search_path is set to it for the transaction), so that a
// migration never reads or drops another schema's objects further down the search_path.
//
// It is safe to run at every start and from several processes at once: a transaction-scoped
// advisory lock, one per database and schema, serializes concurrent runs on the same schema, and
// a run that finds everything applied changes nothing. Each migration is itself idempotent (IF
// NOT EXISTS, CREATE OR REPLACE, DROP … IF EXISTS), so Migrate also upgrades a database where the
// original ml_schema.sql was applied by hand. On error nothing is applied.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, lockMigrations); err != nil {
			return fmt.Errorf("pgadapter: migrate: lock: %w", err)
		}
		if _, err := tx.Exec(ctx, "SELECT set_config('search_path', quote_ident(current_schema()), true)"); err != nil {
			return fmt.Errorf("pgadapter: migrate: search_path: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+versionTable+` (
			version    INTEGER PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP)`); err != nil {
			return fmt.Errorf("pgadapter: migrate: version table: %w", err)
		}
		applied, err := appliedVersions(ctx, tx)
		if err != nil {
			return err
		}
		for _, m := range Migrations() {
			if applied[m.Version] {
				continue
			}
			// Without arguments pgx uses the simple protocol, which runs a multi-statement script.
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("pgadapter: migrate: version %d (%s): %w", m.Version, m.Name, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO "+versionTable+" (version, name) VALUES ($1, $2)",
				m.Version, m.Name); err != nil {
				return fmt.Errorf("pgadapter: migrate: record version %d: %w", m.Version, err)
			}
		}
		return nil
	})
}

// SchemaVersion returns the highest migration version applied to the connection's current
// schema, or 0 when Migrate never ran there (whatever other schemas of the search_path hold).
func SchemaVersion(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	var table *string
	if err := pool.QueryRow(ctx, "SELECT to_regclass(quote_ident(current_schema()) || '.' || $1)::text", versionTable).Scan(&table); err != nil {
		return 0, fmt.Errorf("pgadapter: schema version: %w", err)
	}
	if table == nil {
		return 0, nil
	}
	var v int
	if err := pool.QueryRow(ctx, "SELECT COALESCE(MAX(version), 0) FROM "+*table).Scan(&v); err != nil {
		return 0, fmt.Errorf("pgadapter: schema version: %w", err)
	}
	return v, nil
}

func appliedVersions(ctx context.Context, tx pgx.Tx) (map[int]bool, error) {
	rows, err := tx.Query(ctx, "SELECT version FROM "+versionTable)
	if err != nil {
		return nil, fmt.Errorf("pgadapter: migrate: read versions: %w", err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return nil, fmt.Errorf("pgadapter: migrate: read versions: %w", err)
	}
	applied := make(map[int]bool, len(versions))
	for _, v := range versions {
		applied[int(v)] = true
	}
	return applied, nil
}
