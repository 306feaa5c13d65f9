package patterns

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// parallelChunk is the number of rows a worker takes at a time.
const parallelChunk = 256

// parallelFor calls body(lo, hi) over consecutive chunks covering [0, n), on up to GOMAXPROCS
// goroutines. Each row's result must depend on that row alone, so the outcome is the same for any
// GOMAXPROCS.
func parallelFor(n int, body func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), (n+parallelChunk-1)/parallelChunk)
	if workers <= 1 {
		body(0, n)
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				lo := int(next.Add(parallelChunk)) - parallelChunk
				if lo >= n {
					return
				}
				body(lo, min(lo+parallelChunk, n))
			}
		}()
	}
	wg.Wait()
}
