package applier

import (
	"errors"
	"fmt"

	"github.com/dmplan/dmplan/planner"
)

// Sentinel errors, wrapped with details; branch with errors.Is.
var (
	// ErrStalePlan is returned when the live schema's fingerprint no longer
	// matches the one the plan was made against.
	ErrStalePlan = errors.New("applier: saved plan is stale")
	// ErrBlocked is returned, before anything runs, for a plan that holds
	// blocked steps.
	ErrBlocked = errors.New("applier: plan has blocked steps")
	// ErrUnsupportedStep is returned, before anything runs, for a plan
	// holding a step this applier cannot run (a plan from a newer dmplan).
	ErrUnsupportedStep = errors.New("applier: unsupported step")
	// ErrNoPlan is returned for a nil plan.
	ErrNoPlan = errors.New("applier: no plan")
	// ErrLocked is returned (as a *LockedError naming the holder) when
	// another apply holds the target's lock for the whole lock timeout.
	ErrLocked = errors.New("applier: target is locked by another apply")
	// ErrLockLost is returned when the lease was taken over or
	// force-unlocked while this apply ran; the apply stops before its next
	// batch or seed.
	ErrLockLost = errors.New("applier: lock lost")
	// ErrNoLock is returned by ForceUnlock when no lease has the id.
	ErrNoLock = errors.New("applier: no such lock")
	// ErrInterrupted is returned when Options.Stop stopped the apply
	// between two steps or batches.
	ErrInterrupted = errors.New("applier: apply interrupted")
)

// StepError names the step that failed, and the statement when the step
// ran SQL. Index is the step's 0-based position in Plan.Steps.
type StepError struct {
	Index int
	Step  planner.Step
	SQL   string // the failing statement; empty for KV steps or unknown
	Err   error
}

func (e *StepError) Error() string {
	msg := fmt.Sprintf("apply step %d (%s)", e.Index+1, e.Step.Summary())
	if e.SQL != "" {
		msg += ": " + clipSQL(e.SQL, maxErrorSQL)
	}
	return msg + ": " + e.Err.Error()
}

// maxErrorSQL is how much of a failing statement an error quotes: enough
// to recognize it, never a multi-megabyte default.
const maxErrorSQL = 300

func (e *StepError) Unwrap() error { return e.Err }
