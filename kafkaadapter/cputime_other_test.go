//go:build !unix

package kafkaadapter

import "time"

// processCPU is unknown here: the windows/cpu-s metric is then not reported.
func processCPU() time.Duration { return 0 }
