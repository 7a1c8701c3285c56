package runtime

import (
	"context"
	"fmt"
	"slices"
	"sync"
)

// recordLocks serializes the writes of one record within a Datastore:
// every dual write (KV, then D1, then a compensation when D1 refuses the
// row) holds the lock of each record it writes, from the taken-id check
// of a create to the end of the compensation. Goroutines of one service
// therefore never interleave their KV and D1 steps on the same record.
// It does nothing across processes: there D1 decides (see put and
// compensate). No hook or middleware runs while a lock is held.
type recordLocks struct {
	mu    sync.Mutex
	locks map[string]*recordLock
}

type recordLock struct {
	ch   chan struct{} // holds a token while locked
	refs int           // holders and waiters
}

// lockKey names a record for the locks and the memo.
func lockKey(m *model, id string) string { return m.name + "\x00" + id }

// lock takes the locks of keys (in sorted order, so two bulk writes never
// deadlock) and returns the function that releases them. It gives up when
// ctx ends.
func (l *recordLocks) lock(ctx context.Context, keys ...string) (func(), error) {
	if len(keys) > 1 {
		keys = slices.Clone(keys)
		slices.Sort(keys)
		keys = slices.Compact(keys)
	}
	held := make([]*recordLock, 0, len(keys))
	release := func() {
		for i := len(held) - 1; i >= 0; i-- {
			<-held[i].ch
		}
		l.mu.Lock()
		for i, k := range keys {
			if i >= len(held) {
				break
			}
			if held[i].refs--; held[i].refs == 0 {
				delete(l.locks, k)
			}
		}
		l.mu.Unlock()
	}
	for _, k := range keys {
		l.mu.Lock()
		if l.locks == nil {
			l.locks = map[string]*recordLock{}
		}
		rl := l.locks[k]
		if rl == nil {
			rl = &recordLock{ch: make(chan struct{}, 1)}
			l.locks[k] = rl
		}
		rl.refs++
		l.mu.Unlock()
		select {
		case rl.ch <- struct{}{}:
			held = append(held, rl)
		case <-ctx.Done():
			l.mu.Lock()
			if rl.refs--; rl.refs == 0 {
				delete(l.locks, k)
			}
			l.mu.Unlock()
			release()
			return nil, fmt.Errorf("wait for another write of the same record: %w", ctx.Err())
		}
	}
	return release, nil
}

// memo remembers the KV object this Datastore last wrote for records of
// models whose rows D1 can refuse (a unique index): when a later save of
// the record, made from an older read, is refused, its compensation puts
// back this object (the last acknowledged one) rather than the older read
// it started from, provided the D1 row still is its projection. It is
// bounded: memoEntries objects of at most memoMaxValue bytes, memoMaxBytes
// in all, the oldest dropped first.
type memo struct {
	mu    sync.Mutex
	vals  map[string]memoEntry
	order []memoRef // insertion order, oldest first
	seq   uint64
	bytes int
}

type memoEntry struct {
	val []byte
	seq uint64
}

type memoRef struct {
	key string
	seq uint64
}

const (
	memoEntries  = 4096
	memoMaxValue = 256 << 10
	memoMaxBytes = 32 << 20
)

// set remembers val (nil forgets the record).
func (c *memo) set(key string, val []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.vals[key]; ok {
		c.bytes -= len(old.val)
		delete(c.vals, key)
	}
	if val == nil || len(val) > memoMaxValue {
		return
	}
	if c.vals == nil {
		c.vals = map[string]memoEntry{}
	}
	c.seq++
	c.vals[key] = memoEntry{val, c.seq}
	c.bytes += len(val)
	c.order = append(c.order, memoRef{key, c.seq})
	for len(c.order) > 0 && (len(c.vals) > memoEntries || c.bytes > memoMaxBytes || len(c.order) > 2*memoEntries) {
		r := c.order[0]
		c.order = c.order[1:]
		if e, ok := c.vals[r.key]; ok && e.seq == r.seq {
			c.bytes -= len(e.val)
			delete(c.vals, r.key)
		}
	}
}

// get returns the remembered object, or nil.
func (c *memo) get(key string) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.vals[key].val
}
