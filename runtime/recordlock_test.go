package runtime

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// TestRecordLocks: a held lock makes another taker wait until its context
// ends; released locks leave nothing behind; several keys lock in any
// order without deadlock.
func TestRecordLocks(t *testing.T) {
	var l recordLocks
	ctx := context.Background()
	unlock, err := l.lock(ctx, "a", "b")
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := l.lock(cctx, "c", "b"); !errors.Is(err, context.Canceled) {
		t.Errorf("lock of a held key with a cancelled context: %v", err)
	}
	done := make(chan struct{})
	go func() {
		u, err := l.lock(ctx, "b", "a", "b")
		if err == nil {
			u()
		}
		close(done)
	}()
	unlock()
	<-done
	if len(l.locks) != 0 {
		t.Errorf("%d locks left after every holder released", len(l.locks))
	}
}

// TestMemoBounds: the memo keeps at most memoEntries objects and
// memoMaxBytes bytes, forgets on nil, and skips objects over memoMaxValue.
func TestMemoBounds(t *testing.T) {
	var c memo
	for i := range memoEntries + 100 {
		c.set(fmt.Sprint(i), []byte("v"))
	}
	if len(c.vals) != memoEntries || c.get("0") != nil || string(c.get(fmt.Sprint(memoEntries+99))) != "v" {
		t.Errorf("%d entries, oldest %q", len(c.vals), c.get("0"))
	}
	c.set("x", []byte("1"))
	c.set("x", []byte("22"))
	c.set("x", nil)
	if c.get("x") != nil {
		t.Error("set nil did not forget")
	}
	c.set("big", make([]byte, memoMaxValue+1))
	if c.get("big") != nil {
		t.Error("an object over memoMaxValue was kept")
	}
	for i := range 200 {
		c.set(fmt.Sprint("k", i), make([]byte, memoMaxValue))
	}
	if c.bytes > memoMaxBytes {
		t.Errorf("%d bytes kept, over %d", c.bytes, memoMaxBytes)
	}
	total := 0
	for _, e := range c.vals {
		total += len(e.val)
	}
	if total != c.bytes {
		t.Errorf("byte count %d, entries hold %d", c.bytes, total)
	}
}
