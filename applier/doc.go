// Package applier runs a planner.Plan against a backend: it refuses stale
// and blocked plans, takes the target's lock, creates KV namespaces, sends
// the SQL as D1 batches (one transaction each on the local backend), runs
// seed steps through a Seeder (the runtime's save path), and records every
// apply in the target's _dmplan_history table.
//
// # Lock
//
// Two applies (CLI or operator.Initialize) against the same database never
// run at once. The lock lives in the target itself, in the internal table
// _dmplan_lock: one lease row taken atomically by a single
// INSERT ... ON CONFLICT (name) DO UPDATE ... WHERE expires_at < now
// statement, followed in the same batch by a read of who holds it. Lease
// times use the database's clock, so clock skew between machines does not
// matter. The holder renews its lease (DefaultLease, 2 minutes) every third
// of it while it runs and deletes the row when done; a crashed holder's
// lease expires and the next apply takes it over. A holder whose lease was
// taken over or force-unlocked stops before its next batch or seed
// (ErrLockLost).
//
// A second apply waits up to Options.LockTimeout (0 by default, as
// Terraform's -lock-timeout: fail at once), polling with backoff, then
// fails with a *LockedError (errors.Is ErrLocked) naming the holder, its
// operation, since when and the lock id; ForceUnlock removes a lease by
// that id when a person knows its holder is gone.
//
// # History
//
// Every apply that runs something writes one history row: plan id, steps
// (with their SQL, clipped, and seed and backfill steps with the records
// they wrote), counts, actor, tool version, times, fingerprints before
// and after, outcome, and on failure the error and the failed step, so
// the row says where the run stopped. The row is written as "running"
// before the first step, in one batch that also marks the rows earlier
// applies left running as "interrupted" (they were killed, or could not
// record their end: the lock says none of them still runs;
// Report.Interrupted lists them). It is completed when the apply ends:
// without seeds, backfills or deploys inside the last D1 batch, landing
// with the schema change; otherwise after them, retried, and when that
// still fails the apply succeeds with a Report.Warnings entry and the row
// stays running until the next apply marks it. A no-op is not recorded
// unless Options.RecordNoOp.
//
// # Interrupts
//
// Closing Options.Stop asks a running apply to stop: the batch or seed
// in flight finishes (a backfill stops after its page in flight, its
// progress kept for the next apply), nothing after it starts, the history row
// is completed as "interrupted" and the lock is released; Apply returns an
// error wrapping ErrInterrupted.
package applier
