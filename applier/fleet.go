package applier

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/state"
)

// A fleet rollout applies one change to many databases, where every
// request counts (Cloudflare's API allows 1,200 per 5 minutes per user).
// ApplyLean applies an ordinary additive plan (tables, columns and indexes
// to create) in ONE D1 batch, which is one transaction:
//
//  1. the lock table is created if missing and an expired lease removed;
//  2. the database's apply lock is taken by a plain INSERT, which fails
//     (and so undoes the whole batch) when another apply holds it;
//  3. the rows other applies left "running" in history are marked
//     interrupted (the lock is held now, so none of them still runs: as
//     the normal apply does when it starts), then this apply's row is
//     inserted as applied, with the rollout id and the
//     plan digest in plan_id ("<rollout>:<digest>"), the fingerprints
//     before and after, the steps and the database's clock at the start;
//  4. the steps' DDL runs;
//  5. the row's end time is set and the lock row deleted.
//
// Either all of it lands or none does, so a database is never left
// half-migrated, and the history row that says "applied by rollout R" is
// committed with the change it describes: a resumed rollout reads it
// (RolloutProbe) and never applies the change twice. The DDL itself is
// not replayable (CREATE TABLE, ADD COLUMN and CREATE INDEX fail when
// their object exists), which guards against a plan made stale by a
// change between inspection and apply.
//
// Time Travel: rather than a bookmark request per database, the history
// row's started_at is the database's own clock read inside the batch,
// before the first DDL statement; D1 restores to a timestamp as well as
// to a bookmark, so `wrangler d1 time-travel restore DB --timestamp
// STARTED_AT` undoes the rollout there. That saves one request per
// database.

// Lean-apply errors.
var (
	// ErrNotLean is returned by ApplyLean for a plan with steps a single
	// batch cannot run (backfills, seeds, namespaces, Workers): use Apply.
	ErrNotLean = errors.New("applier: plan is not a single-batch change")
	// ErrLeanLocked wraps the error of a lean apply that found another
	// apply holding the database's lock; nothing was changed.
	ErrLeanLocked = errors.New("applier: database locked by another apply")
	// ErrUniqueDuplicates wraps the error of a lean apply whose unique
	// index could not be created because rows already hold duplicates;
	// nothing was changed (planner.CodeUniqueDuplicates).
	ErrUniqueDuplicates = errors.New("applier: unique index over duplicate values")
)

// LeanOptions adjust ApplyLean.
type LeanOptions struct {
	// RolloutID identifies the rollout; it is recorded in plan_id.
	RolloutID string
	// ToolVersion and Actor are recorded in history.
	ToolVersion string
	Actor       string
	// FingerprintBefore and FingerprintAfter, when set, are recorded in
	// history instead of the plan's: a fleet's group plan is the plan of
	// the group's first database, and each database records the
	// fingerprints of its own schema.
	FingerprintBefore string
	FingerprintAfter  string
	// Lease bounds the lock row's life should the batch's last statement
	// never run (it always does: the batch is atomic); default DefaultLease.
	Lease time.Duration
}

// LeanResult is what ApplyLean did.
type LeanResult struct {
	PlanID string
	// Steps is the number of steps applied.
	Steps int
	// StartedAt is the history row's start, the database's clock before
	// the first DDL statement: the Time Travel restore point.
	StartedAt string
	// Interrupted lists the earlier applies the batch found still
	// "running" in history (killed before recording their end); it marked
	// them interrupted.
	Interrupted []InterruptedApply
}

// IsLean reports whether ApplyLean can run the plan: it has executable
// steps and every one creates a table, a column or an index.
func IsLean(p *planner.Plan) bool {
	if p == nil || !p.HasChanges() || len(p.Blocked()) > 0 {
		return false
	}
	for _, s := range p.Steps {
		switch s.Action {
		case planner.CreateTable, planner.AddColumn, planner.CreateIndex:
			if len(s.SQL) == 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// PlanDigest is a short digest of what the plan runs (its steps' actions,
// targets and SQL): databases of a fleet with the same digest get the
// same change.
func PlanDigest(p *planner.Plan) string {
	h := sha256.New()
	for _, s := range p.Steps {
		fmt.Fprintf(h, "%s\x00%s\x00", s.Action, s.Target)
		for _, q := range s.SQL {
			fmt.Fprintf(h, "%s\x00", q)
		}
		h.Write([]byte{1})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// RolloutPlanID is the plan_id history records for rollout id and digest.
func RolloutPlanID(rollout, digest string) string { return rollout + ":" + digest }

// leanInsert records the apply as applied, its start from the database's
// clock; leanFinish sets its end.
var leanInsert = "INSERT INTO " + historyTable + ` (plan_id, fingerprint_before, fingerprint_after, steps, counts,
  tool_version, actor, started_at, finished_at, duration_ms, outcome, error, failed_step, kv_namespaces_created)
  VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ` + nowSQL + `, '', 0, '` + state.OutcomeApplied + `', '', -1, '[]')`

// leanFinish sets the row's end from the database's clock.
var leanFinish = "UPDATE " + historyTable + " SET finished_at = " + nowSQL +
	", duration_ms = CAST(ROUND((julianday('now') - julianday(started_at)) * 86400000) AS INTEGER)" +
	" WHERE plan_id = ?1 AND finished_at = ''"

var (
	lockClearExpired = "DELETE FROM " + lockTableName + " WHERE name = '" + lockName + "' AND expires_at < " + nowSQL
	lockInsert       = "INSERT INTO " + lockTableName + ` (name, holder, who, operation, since, expires_at)
  VALUES ('` + lockName + `', ?1, ?2, 'rollout', ` + nowSQL + `, strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?3))`
)

// leanLockStmt is the index of the lock insert in the batch,
// leanRunningStmt that of the select of other applies' running rows.
const (
	leanLockStmt    = 2
	leanRunningStmt = 4
)

// ApplyLean applies plan p to d1 in one request (see the comment above):
// p must be IsLean. It returns an error wrapping ErrLeanLocked when
// another apply holds the lock, ErrUniqueDuplicates when a unique index
// meets duplicates, or a *StepError naming the failing step; in every
// case nothing changed. An error whose outcome is unknown (the response
// was lost) is returned as is: the caller reads history to learn whether
// the batch landed (RolloutProbe).
func ApplyLean(ctx context.Context, d1 backend.D1, p *planner.Plan, opts LeanOptions) (*LeanResult, error) {
	if !IsLean(p) {
		return nil, ErrNotLean
	}
	if opts.RolloutID == "" {
		return nil, errors.New("applier: lean apply needs a rollout id")
	}
	if opts.Actor == "" {
		opts.Actor = defaultActor()
	}
	if opts.Lease <= 0 {
		opts.Lease = DefaultLease
	}
	planID := RolloutPlanID(opts.RolloutID, PlanDigest(p))
	rec := &state.HistoryRecord{Steps: stepRefs(p.Steps), Counts: map[string]int{}}
	for a, n := range p.Counts() {
		rec.Counts[a.String()] = n
	}
	steps, counts, _, err := historyArgs(rec)
	if err != nil {
		return nil, err
	}
	before, after := p.Fingerprint, p.FingerprintAfter
	if opts.FingerprintBefore != "" {
		before = opts.FingerprintBefore
	}
	if opts.FingerprintAfter != "" {
		after = opts.FingerprintAfter
	}
	holder := uuid.NewString()
	// Other applies' running rows: this apply's own row is inserted as
	// applied, so the key (?1, ?2) matches none of them.
	running := []any{planID, ""}
	why := "the apply did not record its end (killed, or its last history write failed); found by rollout " +
		opts.RolloutID + "'s apply of plan " + planID
	sts := []backend.Stmt{
		{SQL: lockDDL},
		{SQL: lockClearExpired},
		{SQL: lockInsert, Args: []any{holder, opts.Actor, fmt.Sprintf("+%d seconds", int(opts.Lease.Seconds()))}},
		{SQL: historyDDL},
		{SQL: historyRunning, Args: running},
		{SQL: historyInterrupt, Args: append(running[:2:2], why)},
		{SQL: leanInsert, Args: []any{planID, before, after, steps, counts, opts.ToolVersion, opts.Actor}},
	}
	first := len(sts)
	type at struct{ step, stmt int }
	var where []at
	for i, s := range p.Steps {
		for j, q := range s.SQL {
			sts = append(sts, backend.Stmt{SQL: q})
			where = append(where, at{i, j})
		}
	}
	sts = append(sts,
		backend.Stmt{SQL: leanFinish, Args: []any{planID}},
		backend.Stmt{SQL: lockDelete, Args: []any{holder}},
		backend.Stmt{SQL: "SELECT started_at FROM " + historyTable + " WHERE plan_id = ?1 ORDER BY id DESC LIMIT 1", Args: []any{planID}},
	)
	res, err := d1.Batch(ctx, sts)
	if err != nil {
		var be *backend.BatchError
		if errors.As(err, &be) {
			switch {
			case be.Index == leanLockStmt:
				return nil, fmt.Errorf("%w: %w", ErrLeanLocked, err)
			case be.Index >= first && be.Index-first < len(where):
				w := where[be.Index-first]
				s := p.Steps[w.step]
				se := &StepError{Index: w.step, Step: s, SQL: s.SQL[w.stmt], Err: be.Err}
				if s.Action == planner.CreateIndex && errors.Is(be.Err, backend.ErrConstraint) &&
					strings.Contains(strings.ToUpper(s.SQL[w.stmt]), "UNIQUE") {
					return nil, fmt.Errorf("%w: %w", ErrUniqueDuplicates, se)
				}
				return nil, se
			}
		}
		// Backends that cannot name the failing statement (D1 over REST
		// answers a batch with one error) are read by its text: SQLite
		// names the table and column of a broken constraint.
		if errors.Is(err, backend.ErrConstraint) {
			if strings.Contains(err.Error(), LockTable+".") {
				return nil, fmt.Errorf("%w: %w", ErrLeanLocked, err)
			}
			for _, s := range p.Steps {
				if s.Action == planner.CreateIndex && len(s.SQL) > 0 && strings.Contains(strings.ToUpper(s.SQL[0]), "UNIQUE") {
					return nil, fmt.Errorf("%w: %w", ErrUniqueDuplicates, err)
				}
			}
		}
		return nil, fmt.Errorf("lean apply: %w", err)
	}
	out := &LeanResult{PlanID: planID, Steps: len(p.Steps)}
	if len(res) > leanRunningStmt && res[leanRunningStmt] != nil {
		for _, row := range res[leanRunningStmt].Rows {
			if len(row) >= 4 {
				out.Interrupted = append(out.Interrupted, InterruptedApply{
					ID: asInt(row[0]), PlanID: asString(row[1]), Actor: asString(row[2]), StartedAt: asTime(row[3]),
				})
			}
		}
	}
	if last := res[len(res)-1]; last != nil && len(last.Rows) == 1 && len(last.Rows[0]) == 1 {
		out.StartedAt = asString(last.Rows[0][0])
	}
	return out, nil
}

// RolloutRecord is a history row of a rollout, as RolloutProbe reads it.
type RolloutRecord struct {
	PlanID    string
	Outcome   string
	StartedAt string
}

// RolloutProbe reads, in a plan's inspection (backend.InspectWith runs it
// in the batch it already sends, and only when the history table exists),
// the history rows of rollout id. RolloutRecords reads its result.
func RolloutProbe(rollout string) *backend.Probe {
	return &backend.Probe{Table: state.HistoryTable, Stmt: backend.Stmt{
		SQL: "SELECT plan_id, outcome, started_at FROM " + historyTable +
			" WHERE plan_id >= ?1 AND plan_id < ?2 ORDER BY id",
		// Every plan id of the rollout starts with "<rollout>:"; ';'
		// follows ':' in byte order.
		Args: []any{rollout + ":", rollout + ";"},
	}}
}

// RolloutRecords returns the rows RolloutProbe read (none when the history
// table does not exist).
func RolloutRecords(p *backend.Probe) []RolloutRecord {
	if p == nil || p.Result == nil {
		return nil
	}
	out := make([]RolloutRecord, 0, len(p.Result.Rows))
	for _, row := range p.Result.Rows {
		if len(row) < 3 {
			continue
		}
		out = append(out, RolloutRecord{PlanID: asString(row[0]), Outcome: asString(row[1]), StartedAt: asString(row[2])})
	}
	return out
}
