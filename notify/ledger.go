package notify

import (
	"container/list"
	"context"
	"sync"
)

// ledgerKey identifies a record: alert and anomaly IDs live in separate name spaces.
type ledgerKey struct {
	kind Kind
	id   string
}

// ledgerEntry is what the ledger knows of one record.
type ledgerEntry struct {
	key       ledgerKey
	delivered uint64        // bit i set: target i has the record
	recorded  uint64        // bit i set: the TargetMarker knows that target i has it (all: there is none)
	marked    bool          // the Marker has recorded the delivery (or there is no Marker)
	busy      chan struct{} // non-nil while a goroutine delivers the record; closed when it is done
	waiters   int           // goroutines waiting for busy: the entry is not forgotten under them
	elem      *list.Element // the entry's place in the age list
}

// ledger remembers which targets have which records, for a bounded number of records, and lets
// one goroutine at a time deliver a given record. Entries are forgotten oldest first; an entry
// being delivered, or waited for, is never forgotten.
type ledger struct {
	mu       sync.Mutex
	capacity int
	entries  map[ledgerKey]*ledgerEntry
	age      *list.List // of *ledgerEntry, oldest at the front
}

func newLedger(capacity int) *ledger {
	return &ledger{capacity: capacity, entries: map[ledgerKey]*ledgerEntry{}, age: list.New()}
}

// claim returns the entry of k reserved for the caller, who must call release with it; or nil
// when there is nothing left to do for the record: every target in all has it, and it is marked
// and recorded. A new entry starts with marked and recorded as given (true and all when there is
// nothing to mark or record). A record that another goroutine is delivering is waited for
// first. The error is ctx's, when it ends during the wait.
func (l *ledger) claim(ctx context.Context, k ledgerKey, all, recorded uint64, marked bool) (*ledgerEntry, error) {
	l.mu.Lock()
	for {
		e := l.entries[k]
		if e == nil { // busy from the start, so that evict spares it
			e = &ledgerEntry{key: k, marked: marked, recorded: recorded, busy: make(chan struct{})}
			e.elem = l.age.PushBack(e)
			l.entries[k] = e
			l.evict()
			l.mu.Unlock()
			return e, nil
		}
		if busy := e.busy; busy != nil {
			// Counted as a waiter, the entry outlives its release even over capacity: once
			// forgotten there, the record was delivered again by the waiter.
			e.waiters++
			l.mu.Unlock()
			var err error
			select {
			case <-busy:
			case <-ctx.Done():
				err = ctx.Err()
			}
			l.mu.Lock()
			e.waiters--
			if err != nil {
				l.evict()
				l.mu.Unlock()
				return nil, err
			}
			continue // still under the lock: the entry is as the release left it
		}
		if e.delivered&all == all && e.marked && e.recorded&all == all {
			l.evict()
			l.mu.Unlock()
			return nil, nil
		}
		e.busy = make(chan struct{})
		l.mu.Unlock()
		return e, nil
	}
}

// state returns the entry's delivered and recorded sets and marked flag. Only the goroutine
// that claimed e calls it, and only it changes them, so no lock is needed beyond the memory
// barrier of claim.
func (e *ledgerEntry) state() (delivered, recorded uint64, marked bool) {
	return e.delivered, e.recorded, e.marked
}

// release records what the claimant achieved and hands the record to the next waiter. An entry
// that no target has is forgotten at once: there is nothing to de-duplicate.
func (l *ledger) release(e *ledgerEntry, delivered, recorded uint64, marked bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e.delivered, e.recorded, e.marked = delivered, recorded, marked
	close(e.busy)
	e.busy = nil
	if e.delivered == 0 && l.entries[e.key] == e {
		delete(l.entries, e.key)
		l.age.Remove(e.elem)
	}
	l.evict()
}

// evict forgets the oldest idle entries while there are more than capacity. l.mu is held.
func (l *ledger) evict() {
	for el := l.age.Front(); el != nil && len(l.entries) > l.capacity; {
		next := el.Next()
		if e := el.Value.(*ledgerEntry); e.busy == nil && e.waiters == 0 {
			delete(l.entries, e.key)
			l.age.Remove(el)
		}
		el = next
	}
}

// len returns the number of remembered records.
func (l *ledger) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}
