// Package pgadapter stores omen's records in PostgreSQL with pgx: embedded schema migrations, a
// Store implementing the engine's History, Sink and StateStore, and retention.
package pgadapter
