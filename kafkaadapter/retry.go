package kafkaadapter

import (
	"context"
	"fmt"
	"time"
)

// backoff is an exponential backoff: min after the first failure, doubling up to max.
type backoff struct{ min, max time.Duration }

// delay returns the wait after the given number of failures (1 for the first).
func (b backoff) delay(failures int) time.Duration {
	d := b.min
	for i := 1; i < failures && d < b.max; i++ {
		d *= 2
	}
	return min(d, b.max)
}

// sleep waits d, or until ctx ends, and then returns the context's error.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// graceContext returns a context that is not canceled with parent but grace after it, so that
// in-flight work can finish after a stop was requested. stop releases its resources.
func graceContext(parent context.Context, grace time.Duration) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(context.WithoutCancel(parent))
	go func() {
		select {
		case <-parent.Done():
		case <-ctx.Done():
			return
		}
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-t.C:
			cancel(fmt.Errorf("kafkaadapter: shutdown grace of %v elapsed: %w", grace, context.Cause(parent)))
		case <-ctx.Done():
		}
	}()
	return ctx, func() { cancel(context.Canceled) }
}
