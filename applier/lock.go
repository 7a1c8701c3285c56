package applier

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/dmplan/dmplan/backend"
)

// LockTable is the table in the target that holds the apply lock: one
// lease row, named "apply". It is internal (state.IsInternalTable): never
// planned against and not part of the fingerprint.
const LockTable = "_dmplan_lock"

// DefaultLease is how long a lock holder's lease lasts without renewal. A
// holder renews it every third of the lease while it runs, so only a
// crashed holder's lease runs out; the next apply then takes it over.
const DefaultLease = 2 * time.Minute

// lockName names the one lease row: applies and Initialize share it.
const lockName = "apply"

// nowSQL is the database's clock in the history's time layout. Leases use
// the database's clock, never the clients', so clock skew between two
// machines cannot hand the lock to both.
const nowSQL = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

var (
	lockTableName = backend.QuoteIdent(LockTable)
	lockDDL       = "CREATE TABLE IF NOT EXISTS " + lockTableName + ` (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  who TEXT NOT NULL,
  operation TEXT NOT NULL,
  since TEXT NOT NULL,
  expires_at TEXT NOT NULL
)`
	// lockTake takes the lease in one statement: a new row, the row of an
	// expired lease, or the holder's own lease (a retry whose first answer
	// was lost finds its lease and extends it, keeping since); a live lease
	// of someone else is left untouched. Running it twice with the same
	// holder id leaves the same state, so it is safe to replay.
	lockTake = "INSERT INTO " + lockTableName + ` (name, holder, who, operation, since, expires_at)
  VALUES ('` + lockName + `', ?1, ?2, ?3, ` + nowSQL + `, strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?4))
  ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, who = excluded.who,
    operation = excluded.operation, expires_at = excluded.expires_at,
    since = CASE WHEN ` + lockTableName + `.holder = excluded.holder THEN ` + lockTableName + `.since ELSE excluded.since END
  WHERE ` + lockTableName + `.expires_at < ` + nowSQL + ` OR ` + lockTableName + `.holder = excluded.holder`
	lockRead   = "SELECT holder, who, operation, since, expires_at FROM " + lockTableName + " WHERE name = '" + lockName + "'"
	lockRenew  = "UPDATE " + lockTableName + " SET expires_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?2) WHERE name = '" + lockName + "' AND holder = ?1"
	lockDelete = "DELETE FROM " + lockTableName + " WHERE name = '" + lockName + "' AND holder = ?1"
)

// LockOptions adjust AcquireLock. The zero value fails at once when the
// lock is held, with a DefaultLease.
type LockOptions struct {
	// Who holds the lock, shown to whoever waits: the actor (default as
	// Options.Actor).
	Who string
	// Operation is what the holder runs: "apply", "initialize".
	Operation string
	// Lease is how long the lease lasts without renewal; default
	// DefaultLease. It is renewed every Lease/3 until Release.
	Lease time.Duration
	// Timeout is how long to wait for a held lock, polling with backoff;
	// 0 fails at once (Terraform's -lock-timeout default).
	Timeout time.Duration
	// Logger receives renewal failures; default slog.Default().
	Logger *slog.Logger
	// Stop, when closed, ends the wait for a held lock with an error
	// wrapping ErrInterrupted; an attempt in flight finishes first.
	Stop <-chan struct{}
}

// LockInfo describes a lease: who holds it, since when, until when. Times
// come from the database's clock.
type LockInfo struct {
	ID        string    `json:"id"`
	Who       string    `json:"who"`
	Operation string    `json:"operation"`
	Since     time.Time `json:"since"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Lock is a held lease on the target. Release it when done; until then it
// is renewed in the background.
type Lock struct {
	LockInfo
	d1    backend.D1
	lease time.Duration
	log   *slog.Logger

	stop chan struct{}
	done chan struct{}
	once sync.Once
	mu   sync.Mutex
	lost error
}

// AcquireLock takes the target's apply lock, waiting up to opts.Timeout
// while someone else holds it. It fails with a *LockedError (errors.Is
// ErrLocked) naming the holder and since when.
func AcquireLock(ctx context.Context, d1 backend.D1, opts LockOptions) (*Lock, error) {
	if opts.Lease <= 0 {
		opts.Lease = DefaultLease
	}
	if opts.Who == "" {
		opts.Who = defaultActor()
	}
	if opts.Operation == "" {
		opts.Operation = "apply"
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	id := uuid.NewString()
	start := time.Now()
	deadline := start.Add(opts.Timeout)
	wait := 100 * time.Millisecond
	for {
		held, err := takeLock(ctx, d1, id, opts)
		if err != nil {
			return nil, err
		}
		if held.ID == id {
			l := &Lock{LockInfo: held, d1: d1, lease: opts.Lease, log: opts.Logger,
				stop: make(chan struct{}), done: make(chan struct{})}
			go l.renewLoop()
			return l, nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, &LockedError{Holder: held, Waited: time.Since(start).Round(time.Millisecond)}
		}
		// Poll with backoff and jitter, never past the deadline.
		d := min(wait+time.Duration(rand.Int64N(int64(wait/4)+1)), left)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for lock held by %s: %w", held.Who, ctx.Err())
		case <-opts.Stop:
			return nil, fmt.Errorf("%w while waiting for the lock held by %s: nothing was applied", ErrInterrupted, held.Who)
		case <-time.After(d):
		}
		wait = min(wait*2, 2*time.Second)
	}
}

// lockAttempts bounds how often takeLock sends the lock batch when its
// answer does not come back.
const lockAttempts = 4

// takeLock runs tryLock, and again with the same holder id when an
// attempt fails: the failure may have come after the lease was taken (a
// lost answer), and taking the own lease again is harmless. When every
// attempt fails it deletes the lease it may hold, so no lease is left
// that nobody knows the id of, and says so.
func takeLock(ctx context.Context, d1 backend.D1, id string, opts LockOptions) (LockInfo, error) {
	var err error
	for attempt := range lockAttempts {
		if attempt > 0 {
			opts.Logger.LogAttrs(ctx, slog.LevelWarn, "applier.lock.retry", slog.String("lock", id),
				slog.Int("attempt", attempt+1), slog.String("error", err.Error()))
			select {
			case <-ctx.Done():
				return LockInfo{}, errors.Join(err, abandonLock(ctx, d1, id, opts.Lease))
			case <-time.After(time.Duration(attempt) * 250 * time.Millisecond):
			}
		}
		var held LockInfo
		if held, err = tryLock(ctx, d1, id, opts); err == nil {
			return held, nil
		}
		if ctx.Err() != nil {
			break
		}
	}
	return LockInfo{}, errors.Join(err, abandonLock(ctx, d1, id, opts.Lease))
}

// abandonLock deletes the lease id after taking it failed, when it may
// have been taken all the same. It returns nil when the lease is gone (or
// never was), else an error naming the lease and how to free it.
func abandonLock(ctx context.Context, d1 backend.D1, id string, lease time.Duration) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := d1.Query(ctx, backend.Stmt{SQL: lockDelete, Args: []any{id}, Idempotent: true}); err != nil {
		if cur, herr := LockHolder(ctx, d1); herr == nil && (cur == nil || cur.ID != id) {
			return nil // the lease was never taken (no lock table, say)
		}
		return fmt.Errorf("the lock may be held under id %s until its lease of %s runs out; "+
			"once no apply runs, free it with dmplan force-unlock %s (removing it failed: %w)", id, lease, id, err)
	}
	return nil
}

// tryLock runs one attempt: create the table, take the lease if free,
// expired or already this holder's, and read who holds it now, in one
// batch (one round trip). Every statement is safe to replay, so a backend
// may send the batch again after a lost answer.
func tryLock(ctx context.Context, d1 backend.D1, id string, opts LockOptions) (LockInfo, error) {
	res, err := d1.Batch(ctx, []backend.Stmt{
		{SQL: lockDDL, Idempotent: true},
		{SQL: lockTake, Args: []any{id, opts.Who, opts.Operation, leaseModifier(opts.Lease)}, Idempotent: true},
		{SQL: lockRead},
	})
	if err != nil {
		return LockInfo{}, fmt.Errorf("take lock: %w", err)
	}
	if len(res) != 3 || len(res[2].Rows) != 1 {
		return LockInfo{}, errors.New("take lock: the lock row is missing after taking it")
	}
	return scanLock(res[2].Rows[0]), nil
}

func scanLock(row []any) LockInfo {
	get := func(i int) string {
		if i < len(row) {
			return asString(row[i])
		}
		return ""
	}
	return LockInfo{ID: get(0), Who: get(1), Operation: get(2), Since: asTime(get(3)), ExpiresAt: asTime(get(4))}
}

// leaseModifier is the SQLite date modifier that adds the lease.
func leaseModifier(d time.Duration) string {
	return "+" + strconv.FormatFloat(d.Seconds(), 'f', 3, 64) + " seconds"
}

// renewLoop renews the lease every third of it until Release.
func (l *Lock) renewLoop() {
	defer close(l.done)
	t := time.NewTicker(max(l.lease/3, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			if err := l.Renew(context.Background()); err != nil {
				l.log.Warn("applier lock renewal", "lock", l.ID, "err", err)
				if errors.Is(err, ErrLockLost) {
					return
				}
			}
		}
	}
}

// Renew extends the lease by its length from now. It fails with
// ErrLockLost when the lease is no longer this holder's (it expired and
// was taken over, or was force-unlocked); Err reports it from then on.
func (l *Lock) Renew(ctx context.Context) error {
	if err := l.Err(); err != nil {
		return err
	}
	res, err := l.d1.Query(ctx, backend.Stmt{SQL: lockRenew, Args: []any{l.ID, leaseModifier(l.lease)}})
	if err != nil {
		return fmt.Errorf("renew lock %s: %w", l.ID, err)
	}
	if res.Changes == 0 {
		l.mu.Lock()
		l.lost = fmt.Errorf("%w: lock %s", ErrLockLost, l.ID)
		l.mu.Unlock()
		return l.Err()
	}
	return nil
}

// Err is nil while the lease is held, and wraps ErrLockLost once a renewal
// found it gone. Apply checks it before each batch and each seed.
func (l *Lock) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lost
}

// releaseAttempts bounds how often Release tries to delete the lease.
const releaseAttempts = 3

// Release stops renewing and removes the lease (only if still this
// holder's). It runs even when ctx is cancelled, and is safe to call twice.
func (l *Lock) Release(ctx context.Context) error {
	var err error
	l.once.Do(func() {
		close(l.stop)
		<-l.done
		// Deleting the own lease is idempotent, so a failed attempt (a
		// backend that does not retry writes, say) is simply made again.
		ctx := context.WithoutCancel(ctx)
		for attempt := range releaseAttempts {
			if attempt > 0 {
				time.Sleep(time.Duration(attempt) * 200 * time.Millisecond)
			}
			if _, err = l.d1.Query(ctx, backend.Stmt{SQL: lockDelete, Args: []any{l.ID}, Idempotent: true}); err == nil {
				return
			}
		}
		err = fmt.Errorf("release lock %s: %w", l.ID, err)
	})
	return err
}

// LockHolder returns the current lease, or nil when nobody holds one (an
// expired lease is returned with its ExpiresAt in the past).
func LockHolder(ctx context.Context, d1 backend.D1) (*LockInfo, error) {
	exists, err := d1.Query(ctx, backend.Stmt{
		SQL: "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", Args: []any{LockTable},
	})
	if err != nil {
		return nil, fmt.Errorf("read lock: %w", err)
	}
	if len(exists.Rows) == 0 {
		return nil, nil
	}
	res, err := d1.Query(ctx, backend.Stmt{SQL: lockRead})
	if err != nil {
		return nil, fmt.Errorf("read lock: %w", err)
	}
	if len(res.Rows) == 0 {
		return nil, nil
	}
	info := scanLock(res.Rows[0])
	return &info, nil
}

// ForceUnlock removes the lease with the id, for a person who knows its
// holder is gone. It returns the removed lease, or an error wrapping
// ErrNoLock when no lease has that id.
func ForceUnlock(ctx context.Context, d1 backend.D1, id string) (*LockInfo, error) {
	cur, err := LockHolder(ctx, d1)
	if err != nil {
		return nil, err
	}
	if cur == nil || cur.ID != id {
		if cur != nil {
			return nil, fmt.Errorf("%w: no lock with id %s (the lock is held by %s, id %s)", ErrNoLock, id, cur.Who, cur.ID)
		}
		return nil, fmt.Errorf("%w: no lock with id %s", ErrNoLock, id)
	}
	res, err := d1.Query(ctx, backend.Stmt{SQL: lockDelete, Args: []any{id}})
	if err != nil {
		return nil, fmt.Errorf("force unlock %s: %w", id, err)
	}
	if res.Changes == 0 {
		return nil, fmt.Errorf("%w: no lock with id %s", ErrNoLock, id)
	}
	return cur, nil
}

// LockedError is returned when the lock stays held by someone else for
// the whole timeout. errors.Is(err, ErrLocked) is true.
type LockedError struct {
	Holder LockInfo
	Waited time.Duration
}

func (e *LockedError) Error() string {
	h := e.Holder
	msg := fmt.Sprintf("%v: held by %s (%s) since %s, lease until %s, lock id %s",
		ErrLocked, h.Who, h.Operation, h.Since.UTC().Format(timeLayout), h.ExpiresAt.UTC().Format(timeLayout), h.ID)
	if e.Waited > 0 {
		msg += fmt.Sprintf("; waited %s", e.Waited)
	}
	return msg
}

// Unwrap makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Unwrap() error { return ErrLocked }
