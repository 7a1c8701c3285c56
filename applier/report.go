package applier

import (
	"time"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/state"
)

// Step outcomes in a Report.
const (
	StepApplied = "applied"
	StepFailed  = "failed"
	StepNotRun  = "not run" // after a failure, or rolled back with the failing batch
)

// Report is what one Apply did. Outcome is state.OutcomeApplied,
// state.OutcomeFailed or state.OutcomeNoOp.
type Report struct {
	PlanID            string            `json:"plan_id"`
	Outcome           string            `json:"outcome"`
	FingerprintBefore string            `json:"fingerprint_before"`
	FingerprintAfter  string            `json:"fingerprint_after,omitempty"`
	TablesCreated     []string          `json:"tables_created"`
	ColumnsAdded      []string          `json:"columns_added"`
	IndexesCreated    []string          `json:"indexes_created"`
	NamespacesCreated []state.Namespace `json:"kv_namespaces_created"`
	SeedsRun          []SeedResult      `json:"seeds_run"`
	Steps             []StepResult      `json:"steps"`
	Batches           int               `json:"batches"`
	// Bookmark is the Time Travel bookmark recorded for this apply (see
	// Options.Bookmark and RestorePoint); empty when none was taken.
	Bookmark  string        `json:"bookmark,omitempty"`
	StartedAt time.Time     `json:"started_at"`
	Duration  time.Duration `json:"duration_ns"`
	// Cost is the D1 rows the apply read and wrote: inspection, lock,
	// plan SQL, backfills, seeds and history (see backend.Cost for what
	// the local backend counts).
	Cost backend.Cost `json:"cost"`
	// Interrupted lists the earlier applies this one found still running
	// in history, though it held the lock: they were killed or could not
	// record their end. It marked them interrupted.
	Interrupted []InterruptedApply `json:"interrupted_applies,omitempty"`
	// Warnings are problems that did not stop a successful apply: its
	// history row could not be completed, say.
	Warnings []string `json:"warnings,omitempty"`
	// Replanned is the plan Apply derived again under the lock
	// (Options.Replan) and ran instead of the one it was given; nil when
	// it ran the given plan. With no changes, the Outcome is a no-op:
	// another apply made them meanwhile.
	Replanned *planner.Plan `json:"-"`
}

// InterruptedApply is an earlier apply found running in history.
type InterruptedApply struct {
	ID        int64     `json:"id"`
	PlanID    string    `json:"plan_id"`
	Actor     string    `json:"actor"`
	StartedAt time.Time `json:"started_at"`
}

// StepResult is the outcome of one plan step. Batch is the 1-based D1
// batch that carried the step's SQL, 0 for KV steps.
type StepResult struct {
	Index   int            `json:"index"`
	Action  planner.Action `json:"action"`
	Target  string         `json:"target"`
	Outcome string         `json:"outcome"`
	Batch   int            `json:"batch,omitempty"`
	Records int            `json:"records,omitempty"` // seed and backfill steps: records written
	// Seed is what a seed step wrote, in detail.
	Seed *SeedOutcome `json:"seed,omitempty"`
	// Cost is what a backfill or seed step cost in D1 rows.
	Cost  *backend.Cost `json:"cost,omitempty"`
	Error string        `json:"error,omitempty"`
}

// Event is reported to Options.Progress once per step, when it has been
// applied or has failed.
type Event struct {
	Index int // 0-based position in Plan.Steps
	Total int // number of executable steps
	Done  int // executable steps applied so far, this one included
	Step  planner.Step
	Err   error // nil when applied
	// Records is the number of records a seed or backfill step wrote (0
	// for other steps, and for a seed whose condition no longer held).
	Records int
	// Seed is what a seed step wrote, in detail; nil for other steps.
	Seed *SeedOutcome
}

func newReport(p *planner.Plan, before string, start time.Time) *Report {
	r := &Report{
		PlanID:            p.ID,
		FingerprintBefore: before,
		TablesCreated:     []string{},
		ColumnsAdded:      []string{},
		IndexesCreated:    []string{},
		NamespacesCreated: []state.Namespace{},
		SeedsRun:          []SeedResult{},
		Steps:             make([]StepResult, len(p.Steps)),
		StartedAt:         start,
	}
	for i, s := range p.Steps {
		r.Steps[i] = StepResult{Index: i, Action: s.Action, Target: s.Target, Outcome: StepNotRun}
	}
	return r
}

// applied marks a step applied and counts it.
func (r *Report) applied(i int, s planner.Step, batch int) {
	r.Steps[i].Outcome = StepApplied
	r.Steps[i].Batch = batch
	switch s.Action {
	case planner.CreateTable:
		r.TablesCreated = append(r.TablesCreated, s.Target)
	case planner.AddColumn:
		r.ColumnsAdded = append(r.ColumnsAdded, s.Target)
	case planner.CreateIndex:
		r.IndexesCreated = append(r.IndexesCreated, s.Target)
	}
}
