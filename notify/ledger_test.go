package notify

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"
)

// TestLedgerWait checks that a second claimant waits for the first, gives up when its context
// ends, and finds the record done afterwards.
func TestLedgerWait(t *testing.T) {
	l := newLedger(10)
	k := ledgerKey{KindAlert, "a"}
	first, err := l.claim(context.Background(), k, 0b11, 0b11, true)
	if err != nil || first == nil {
		t.Fatalf("first claim: %v, %v", first, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if e, err := l.claim(ctx, k, 0b11, 0b11, true); e != nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("claim of a busy record with an ending context: %v, %v", e, err)
	}
	got := make(chan *ledgerEntry)
	go func() {
		e, err := l.claim(context.Background(), k, 0b11, 0b11, true)
		if err != nil {
			t.Error(err)
		}
		got <- e
	}()
	// Half delivered: the waiter gets the record, to deliver the rest.
	l.release(first, 0b01, 0b11, true)
	second := <-got
	if second == nil {
		t.Fatal("waiter found nothing to do after a partial delivery")
	}
	if d, _, m := second.state(); d != 0b01 || !m {
		t.Errorf("state %b, %v; want 01, true", d, m)
	}
	l.release(second, 0b11, 0b11, true)
	if e, err := l.claim(context.Background(), k, 0b11, 0b11, true); e != nil || err != nil {
		t.Errorf("claim of a delivered record: %v, %v", e, err)
	}
	// Delivered but not marked: there is work left (the mark).
	k2 := ledgerKey{KindAnomaly, "a"} // the same ID of another kind is another record
	e, _ := l.claim(context.Background(), k2, 0b11, 0b11, false)
	l.release(e, 0b11, 0b11, false)
	if e, _ := l.claim(context.Background(), k2, 0b11, 0b11, false); e == nil {
		t.Error("an unmarked record needs no work")
	} else {
		l.release(e, 0b11, 0b11, true)
	}
	if n := l.len(); n != 2 {
		t.Errorf("%d entries, want 2", n)
	}
}

// TestLedgerEvictionSparesBusy fills a ledger of capacity 2 while its oldest entry is busy: the
// busy entry survives and idle ones go, oldest first; once idle, it goes first.
func TestLedgerEvictionSparesBusy(t *testing.T) {
	l := newLedger(2)
	ctx := context.Background()
	key := func(id string) ledgerKey { return ledgerKey{KindAlert, id} }
	deliver := func(id string) {
		e, _ := l.claim(ctx, key(id), 1, 1, true)
		if e == nil {
			t.Fatalf("%s: already delivered", id)
		}
		l.release(e, 1, 1, true)
	}
	known := func(id string) bool { return l.known(key(id)) }
	busy, _ := l.claim(ctx, key("busy"), 1, 1, true)
	for _, id := range []string{"x", "y", "z"} {
		deliver(id)
	}
	if n := l.len(); n != 2 {
		t.Errorf("%d entries, want 2", n)
	}
	if known("x") || known("y") || !known("z") {
		t.Errorf("known x, y, z: %v %v %v; want false false true", known("x"), known("y"), known("z"))
	}
	l.release(busy, 1, 1, true)
	deliver("w")
	if known("busy") || !known("z") || !known("w") {
		t.Errorf("known busy, z, w: %v %v %v; want false true true", known("busy"), known("z"), known("w"))
	}
	if n := l.len(); n != 2 {
		t.Errorf("%d entries, want 2", n)
	}
}

// known reports whether the ledger remembers k, without changing it.
func (l *ledger) known(k ledgerKey) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.entries[k]
	return ok
}

// TestLedgerKeepsWaitedEntry: a record released over the ledger's capacity while another
// goroutine waits for it is not forgotten before the waiter sees it delivered (the waiter once
// found it forgotten and delivered it again).
func TestLedgerKeepsWaitedEntry(t *testing.T) {
	l := newLedger(1)
	ctx := context.Background()
	x, y := ledgerKey{KindAlert, "x"}, ledgerKey{KindAlert, "y"}
	ex, _ := l.claim(ctx, x, 1, 1, true)
	ey, _ := l.claim(ctx, y, 1, 1, true) // two busy entries for a capacity of one
	got := make(chan *ledgerEntry, 1)
	go func() {
		e, _ := l.claim(ctx, x, 1, 1, true)
		got <- e
	}()
	for {
		l.mu.Lock()
		waiting := ex.waiters == 1
		l.mu.Unlock()
		if waiting {
			break
		}
		runtime.Gosched()
	}
	l.release(ex, 1, 1, true) // delivered to the only target and marked
	if e := <-got; e != nil {
		t.Error("the waiter was handed the delivered record again")
	}
	l.release(ey, 1, 1, true)
	if n := l.len(); n != 1 {
		t.Errorf("%d records remembered, want the capacity of 1", n)
	}
}
