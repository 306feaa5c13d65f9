package omen

import (
	"context"
	"runtime"
	"sync"
	"testing"
)

// ReleaseContinually releases service through release, again and again on another goroutine,
// until the returned stop is called (stop waits for the goroutine). An error fails t. It is
// exported for the external tests of the package (TestAlerterReleaseDuringObserve).
func ReleaseContinually(t testing.TB, release func(context.Context, []string) error, service string) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			if err := release(context.Background(), []string{service}); err != nil {
				t.Error(err)
				return
			}
			runtime.Gosched()
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}
