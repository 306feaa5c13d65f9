// Package testenv locates the shared benchmark data for tests and applies the project's rule for
// missing prerequisites: skip with a clear message on a developer's machine, fail in CI.
package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// Shared returns the path of the shared data folder (../shared beside the repository root), found
// by walking up from the working directory to the directory holding go.work. When it is missing
// the test is skipped, or failed when the CI environment variable is set.
func Shared(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			Missing(tb, "the repository root (a directory holding go.work) above the test's directory")
			return ""
		}
		dir = parent
	}
	shared := filepath.Join(filepath.Dir(dir), "shared")
	if _, err := os.Stat(shared); err != nil {
		Missing(tb, "the shared data folder "+shared)
	}
	return shared
}

// Missing reports a missing test prerequisite: a failure when CI is set, a skip otherwise.
func Missing(tb testing.TB, what string) {
	tb.Helper()
	if os.Getenv("CI") != "" {
		tb.Fatalf("missing %s (CI is set, so this fails instead of skipping)", what)
	}
	tb.Skipf("skipping: missing %s", what)
}
