package applier

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/dmplan/dmplan/backend"
)

// ErrRolloutLocked is returned (as a *RolloutLockedError) when another
// rollout holds the fleet's rollout lock.
var ErrRolloutLocked = errors.New("applier: another rollout holds the fleet")

// rolloutLockName names the rollout lease row, beside the apply lease in
// the lock table of the fleet's control database: a rollout takes it once,
// not per database, so two rollouts of one fleet never run at once while
// the per-database apply lock stays free for the rollout's own batches.
const rolloutLockName = "rollout"

var (
	// rolloutLockTake takes the lease when it is free, expired, or already
	// this rollout's (a resumed rollout takes over its own lease at once).
	rolloutLockTake = "INSERT INTO " + lockTableName + ` (name, holder, who, operation, since, expires_at)
  VALUES ('` + rolloutLockName + `', ?1, ?2, 'rollout', ` + nowSQL + `, strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?3))
  ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, who = excluded.who, expires_at = excluded.expires_at,
    since = CASE WHEN ` + lockTableName + `.holder = excluded.holder THEN ` + lockTableName + `.since ELSE excluded.since END
  WHERE ` + lockTableName + `.expires_at < ` + nowSQL + ` OR ` + lockTableName + `.holder = excluded.holder`
	rolloutLockRead    = "SELECT holder, who, operation, since, expires_at FROM " + lockTableName + " WHERE name = '" + rolloutLockName + "'"
	rolloutLockRenew   = "UPDATE " + lockTableName + " SET expires_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?2) WHERE name = '" + rolloutLockName + "' AND holder = ?1"
	rolloutLockRelease = "DELETE FROM " + lockTableName + " WHERE name = '" + rolloutLockName + "' AND holder = ?1"
)

// RolloutLockedError names the rollout that holds the fleet.
type RolloutLockedError struct {
	Rollout   string
	Who       string
	Since     time.Time
	ExpiresAt time.Time
}

func (e *RolloutLockedError) Error() string {
	return fmt.Sprintf("rollout %s by %s holds the fleet since %s (lease until %s); wait for it, or resume it with -resume %s",
		e.Rollout, e.Who, e.Since.UTC().Format(time.RFC3339), e.ExpiresAt.UTC().Format(time.RFC3339), e.Rollout)
}

func (e *RolloutLockedError) Unwrap() error { return ErrRolloutLocked }

// RolloutLockOptions adjust AcquireRolloutLock.
type RolloutLockOptions struct {
	// Rollout is the rollout id: the lease's holder.
	Rollout string
	Who     string
	// Lease is renewed every third of it; default DefaultLease.
	Lease time.Duration
	// Timeout is how long to wait for another rollout; 0 refuses at once.
	Timeout time.Duration
	Logger  *slog.Logger
}

// RolloutLock is a held rollout lease.
type RolloutLock struct {
	d1    backend.D1
	id    string
	lease time.Duration
	log   *slog.Logger
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
}

// AcquireRolloutLock takes the fleet's rollout lease in the control
// database d1 (one batch, renewed in the background until Release).
func AcquireRolloutLock(ctx context.Context, d1 backend.D1, opts RolloutLockOptions) (*RolloutLock, error) {
	if opts.Lease <= 0 {
		opts.Lease = DefaultLease
	}
	if opts.Who == "" {
		opts.Who = defaultActor()
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	deadline := time.Now().Add(opts.Timeout)
	wait := 200 * time.Millisecond
	for {
		res, err := d1.Batch(ctx, []backend.Stmt{
			{SQL: lockDDL},
			{SQL: rolloutLockTake, Args: []any{opts.Rollout, opts.Who, fmt.Sprintf("+%d seconds", int(opts.Lease.Seconds()))}, Idempotent: true},
			{SQL: rolloutLockRead},
		})
		if err != nil {
			return nil, fmt.Errorf("take rollout lock: %w", err)
		}
		held, err := rolloutHolder(res[2])
		if err != nil {
			return nil, err
		}
		if held.Rollout == opts.Rollout {
			l := &RolloutLock{d1: d1, id: opts.Rollout, lease: opts.Lease, log: opts.Logger,
				stop: make(chan struct{}), done: make(chan struct{})}
			go l.renew()
			return l, nil
		}
		if time.Until(deadline) <= 0 {
			return nil, held
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for rollout lock: %w (%w)", ctx.Err(), held)
		case <-time.After(min(wait, time.Until(deadline))):
		}
		wait = min(wait*2, 10*time.Second)
	}
}

func rolloutHolder(r *backend.Result) (*RolloutLockedError, error) {
	if r == nil || len(r.Rows) != 1 || len(r.Rows[0]) < 5 {
		return nil, errors.New("take rollout lock: lease row not found")
	}
	row := r.Rows[0]
	since, _ := time.Parse(timeLayout, asString(row[3]))
	until, _ := time.Parse(timeLayout, asString(row[4]))
	return &RolloutLockedError{Rollout: asString(row[0]), Who: asString(row[1]), Since: since, ExpiresAt: until}, nil
}

func (l *RolloutLock) renew() {
	defer close(l.done)
	t := time.NewTicker(l.lease / 3)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), l.lease/3)
			_, err := l.d1.Query(ctx, backend.Stmt{SQL: rolloutLockRenew, Args: []any{l.id, fmt.Sprintf("+%d seconds", int(l.lease.Seconds()))}, Idempotent: true})
			cancel()
			if err != nil {
				l.log.Warn("applier.rollout_lock.renew", "rollout", l.id, "error", err)
			}
		}
	}
}

// Release stops renewing and deletes the lease.
func (l *RolloutLock) Release(ctx context.Context) error {
	l.once.Do(func() { close(l.stop) })
	<-l.done
	if _, err := l.d1.Query(ctx, backend.Stmt{SQL: rolloutLockRelease, Args: []any{l.id}, Idempotent: true}); err != nil {
		return fmt.Errorf("release rollout lock: %w", err)
	}
	return nil
}
