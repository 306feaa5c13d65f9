//go:build !linux

package main

import "time"

// processCPUTime is not available here: only wall times are measured.
func processCPUTime() (time.Duration, bool) { return 0, false }
