package pipeline

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
)

// Exit statuses of Main.
const (
	ExitOK      = 0 // stopped cleanly, or -h
	ExitFailure = 1 // could not start (PostgreSQL unreachable, HTTP address taken, …) or stopped with uncommitted work
	ExitUsage   = 2 // invalid configuration
)

// Main is the body of a standalone program of role named name: it reads the configuration with
// ParseServiceConfig from args and getenv, runs the Service until ctx ends (the program's
// SIGINT/SIGTERM context), stops it gracefully and returns the process's exit status. Logs and
// configuration errors go to stderr.
func Main(ctx context.Context, role Role, name string, args []string, getenv func(string) string, stderr io.Writer) int {
	cfg, err := ParseServiceConfig(role, name, args, getenv, stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return ExitOK
	case err != nil:
		fmt.Fprintf(stderr, "%s: invalid configuration: %v\n", name, err)
		return ExitUsage
	}
	if err := Run(ctx, cfg); err != nil {
		cfg.Logger.Error("service failed", slog.Any("error", err))
		return ExitFailure
	}
	cfg.Logger.Info("stopped")
	return ExitOK
}
