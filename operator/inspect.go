package operator

import (
	"context"
	"fmt"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/state"
)

// Inspection is what a plan reads of a target's D1 database besides the
// seeds' lookups.
type Inspection struct {
	Live *state.Schema
	// Pending are the backfills an interrupted apply left unfinished.
	Pending []planner.PendingBackfill
	// Seeds are the records apply remembered for the seeds (SeedsTable),
	// by seed key; empty when it remembered none.
	Seeds map[string]SeedMemo
}

// Inspect is backend.Inspect that also reads the backfills an interrupted
// apply left unfinished (PendingBackfills, with whether an apply holding
// the lock runs them) and the seeds' memos (SeedsTable), within Inspect's
// two D1 requests: the first read already says whether those tables
// exist, and the reads of their rows ride in the second. What a plan
// needs from D1 besides the seeds' lookups and unique-index probes costs
// two requests. The extra probes (the newest history row, say) ride along
// the same way.
func Inspect(ctx context.Context, d1 backend.D1, kv backend.KV, extra ...*backend.Probe) (*Inspection, error) {
	pending := &backend.Probe{Table: BackfillTable, Stmt: backend.Stmt{SQL: backfillPending}}
	locks := &backend.Probe{Table: applier.LockTable, Stmt: backend.Stmt{SQL: backfillLocks}}
	seeds := &backend.Probe{Table: SeedsTable, Stmt: backend.Stmt{SQL: seedsRead}}
	live, err := backend.InspectWith(ctx, d1, kv, append([]*backend.Probe{pending, locks, seeds}, extra...)...)
	if err != nil {
		return nil, err
	}
	return &Inspection{Live: live, Pending: pendingBackfills(pending.Result, locks.Result), Seeds: seedMemos(seeds.Result)}, nil
}

// StoredObjects looks at the KV namespaces of planner.RefillPeeks and
// says, by model, whether each holds at least one key under the model's
// prefix, for planner.WithStoredObjects. It costs one KV list request of
// one key per peek; a plan has peeks only when it creates a table whose
// namespace already exists.
func StoredObjects(ctx context.Context, kv backend.KV, live *state.Schema, peeks []planner.RefillPeek) (map[string]bool, error) {
	out := make(map[string]bool, len(peeks))
	for _, p := range peeks {
		ns := live.Namespace(p.Namespace)
		if ns == nil || ns.ID == "" {
			continue
		}
		page, err := kv.List(ctx, ns.ID, p.Prefix, "", 1)
		if err != nil {
			return nil, fmt.Errorf("look for model %s's objects in kv namespace %s: %w", p.Model, p.Namespace, err)
		}
		out[p.Model] = len(page.Keys) > 0
	}
	return out, nil
}
