// Package e2e holds the end-to-end and fault tests of the Phase 5 pipeline: the ML service and
// the predictive alerter (package examples/internal/pipeline, as examples/mlservice and
// examples/predictivealerter run them) on an in-process Kafka broker (franz-go's kfake) and a
// real PostgreSQL.
//
// The tests, all in _test.go files:
//
//   - TestBundledStream: the bundled stream (internal/servicegen, seed 1) with malformed
//     messages mixed in, through both services: the database and the output topics hold the
//     same anomaly and predictive-alert IDs, those of the engines run in-process over the
//     stream; every malformed message is on each service's dead-letter topic with its reason
//     and original bytes; every input offset is committed.
//   - TestPostgresOutage: PostgreSQL unreachable for a while mid-stream, through a TCP proxy
//     that drops the open connections and refuses new ones: consumption pauses (no offset is
//     committed, the store health check fails), then resumes; no result is missing and none is
//     duplicated.
//   - TestKillAndRestart: services that checkpoint their engines' state at every poll, stopped
//     abruptly mid-stream (PostgreSQL cut under a write, no shutdown grace: nothing more is
//     committed or saved) and restarted: the final database content equals that of an
//     uninterrupted run.
//   - TestGracefulRestart: the same with a clean stop, which commits and saves every service's
//     state.
//   - TestViewsAndFunctions: the migrations applied twice (by each service, then again), and
//     every view, function and trigger of the schema used on the pipeline's own results.
//
// PostgreSQL comes from OMEN_TEST_POSTGRES (default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable); each test works in a schema of its
// own, dropped at its end. When the database is unreachable the tests are skipped, or fail when
// the CI variable is set.
//
//	go test ./examples/e2e
package e2e
