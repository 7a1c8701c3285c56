package applier

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/state"
)

// TestConcurrentApplies runs two applies of the same plan in goroutines.
// The first holds the lock (its progress callback waits) while the second
// tries: exactly one applies, the other reports the lock and its holder.
func TestConcurrentApplies(t *testing.T) {
	ctx := context.Background()
	b := openStore(t)
	spec := loadSpec(t, baseHCL)
	p := makePlan(t, b, spec)

	holding := make(chan struct{})
	proceed := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, errs[0] = Apply(ctx, b, p, Options{Actor: "first@test", Progress: func(Event) {
			once.Do(func() { close(holding); <-proceed })
		}})
	}()
	<-holding
	// The second apply fails at once (LockTimeout 0) while the first waits
	// inside its run, holding the lock.
	second := make(chan struct{})
	go func() {
		defer close(second)
		_, errs[1] = Apply(ctx, b, p, Options{Actor: "second@test"})
	}()
	<-second
	close(proceed)
	wg.Wait()
	if errs[0] != nil {
		t.Fatalf("first apply: %v", errs[0])
	}
	var le *LockedError
	if !errors.As(errs[1], &le) || !errors.Is(errs[1], ErrLocked) {
		t.Fatalf("second apply = %v, want ErrLocked", errs[1])
	}
	if le.Holder.Who != "first@test" || le.Holder.Operation != "apply" || le.Holder.Since.IsZero() {
		t.Errorf("holder = %+v", le.Holder)
	}
	for _, w := range []string{"first@test", "since", le.Holder.ID} {
		if !strings.Contains(errs[1].Error(), w) {
			t.Errorf("error %q lacks %q", errs[1], w)
		}
	}
	hist, err := History(ctx, b.D1(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 || hist[0].Outcome != state.OutcomeApplied || hist[0].Actor != "first@test" {
		t.Errorf("history = %+v, want one applied row by first@test", hist)
	}
	if h, err := LockHolder(ctx, b.D1()); err != nil || h != nil {
		t.Errorf("lock after both applies = %+v, %v; want released", h, err)
	}
}

func TestLockLease(t *testing.T) {
	ctx := context.Background()
	b := openStore(t)
	d1 := b.D1()

	l, err := AcquireLock(ctx, d1, LockOptions{Who: "alice@host", Operation: "apply"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := AcquireLock(ctx, d1, LockOptions{Who: "bob@host"}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second AcquireLock = %v, want ErrLocked", err)
	}

	// Renewing moves expires_at forward, on the database's clock.
	exec(t, b, "UPDATE "+LockTable+" SET expires_at = '2000-01-01T00:00:00.000Z'")
	if err := l.Renew(ctx); err != nil {
		t.Fatal(err)
	}
	h, err := LockHolder(ctx, d1)
	if err != nil || h == nil || !h.ExpiresAt.After(time.Now().Add(-time.Hour)) || h.ID != l.ID {
		t.Fatalf("after renew: %+v, %v", h, err)
	}

	// A crashed holder's lease expires and the next one takes it over.
	exec(t, b, "UPDATE "+LockTable+" SET expires_at = '2000-01-01T00:00:00.000Z'")
	l2, err := AcquireLock(ctx, d1, LockOptions{Who: "bob@host"})
	if err != nil {
		t.Fatalf("take over an expired lease: %v", err)
	}
	if l2.ID == l.ID || l2.Who != "bob@host" {
		t.Errorf("new holder %+v", l2.LockInfo)
	}
	// The old holder finds out at its next renewal and stops.
	if err := l.Renew(ctx); !errors.Is(err, ErrLockLost) || !errors.Is(l.Err(), ErrLockLost) {
		t.Errorf("old holder renew = %v, Err = %v; want ErrLockLost", err, l.Err())
	}
	// Releasing the old lock does not remove the new holder's.
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if h, _ := LockHolder(ctx, d1); h == nil || h.ID != l2.ID {
		t.Errorf("after the old holder released: %+v", h)
	}

	// force-unlock by id: a wrong id is refused and names the holder.
	if _, err := ForceUnlock(ctx, d1, "no-such-id"); !errors.Is(err, ErrNoLock) || !strings.Contains(err.Error(), "bob@host") {
		t.Errorf("ForceUnlock(wrong id) = %v", err)
	}
	got, err := ForceUnlock(ctx, d1, l2.ID)
	if err != nil || got.Who != "bob@host" {
		t.Fatalf("ForceUnlock = %+v, %v", got, err)
	}
	if h, _ := LockHolder(ctx, d1); h != nil {
		t.Errorf("after force-unlock: %+v", h)
	}
	if err := l2.Renew(ctx); !errors.Is(err, ErrLockLost) {
		t.Errorf("renew after force-unlock = %v, want ErrLockLost", err)
	}
	l2.Release(ctx)
}

// TestLockTimeoutWaits: a waiter with a timeout is refused while the lock
// is held, keeps polling, and gets the lock once the holder releases it.
func TestLockTimeoutWaits(t *testing.T) {
	ctx := context.Background()
	b := openStore(t)
	l, err := AcquireLock(ctx, b.D1(), LockOptions{Who: "first"})
	if err != nil {
		t.Fatal(err)
	}
	attempts := make(chan struct{}, 100)
	waiterD1 := signalD1{D1: b.D1(), batch: attempts}
	got := make(chan error, 1)
	go func() {
		l2, err := AcquireLock(ctx, waiterD1, LockOptions{Who: "second", Timeout: time.Minute})
		if err == nil {
			err = l2.Release(ctx)
		}
		got <- err
	}()
	<-attempts // the first attempt ran while the lock was held
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Errorf("waiter: %v", err)
	}
	if len(attempts) < 1 {
		t.Errorf("the waiter took the lock without polling again")
	}
}

// signalD1 reports each finished Batch on a channel.
type signalD1 struct {
	backend.D1
	batch chan struct{}
}

func (s signalD1) Batch(ctx context.Context, sts []backend.Stmt) ([]*backend.Result, error) {
	res, err := s.D1.Batch(ctx, sts)
	s.batch <- struct{}{}
	return res, err
}

// TestApplyStopsWhenLockLost: an apply whose lease was force-unlocked
// stops before its next batch and records the failure.
func TestApplyStopsWhenLockLost(t *testing.T) {
	ctx := context.Background()
	b := openStore(t)
	p := makePlan(t, b, loadSpec(t, baseHCL))
	l, err := AcquireLock(ctx, b.D1(), LockOptions{Who: "me"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release(ctx)
	if _, err := ForceUnlock(ctx, b.D1(), l.ID); err != nil {
		t.Fatal(err)
	}
	if err := l.Renew(ctx); !errors.Is(err, ErrLockLost) {
		t.Fatalf("renew = %v", err)
	}
	_, err = Apply(ctx, b, p, Options{Lock: l, MaxBatchStatements: 1})
	if !errors.Is(err, ErrLockLost) {
		t.Fatalf("Apply with a lost lock = %v, want ErrLockLost", err)
	}
	live, _ := backend.Inspect(ctx, b.D1(), b.KV())
	if len(live.Tables) != 0 {
		t.Errorf("tables created after the lock was lost: %d", len(live.Tables))
	}
	hist, _ := History(ctx, b.D1(), 0)
	if len(hist) != 1 || hist[0].Outcome != state.OutcomeFailed {
		t.Errorf("history = %+v, want one failed row", hist)
	}
}

// TestLockRenewsWhileHeld: the background renewal moves the lease forward
// while the holder runs (polled until seen, with no timing threshold).
func TestLockRenewsWhileHeld(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b := openStore(t)
	l, err := AcquireLock(ctx, b.D1(), LockOptions{Who: "long-runner", Lease: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release(ctx)
	first := l.ExpiresAt
	for {
		h, err := LockHolder(ctx, b.D1())
		if err != nil {
			t.Fatal(err)
		}
		if h == nil || h.ID != l.ID {
			t.Fatalf("lock changed hands: %+v", h)
		}
		if h.ExpiresAt.After(first) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatal("the lease was never renewed")
		case <-time.After(20 * time.Millisecond):
		}
	}
}
