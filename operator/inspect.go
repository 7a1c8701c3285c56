package operator

import (
	"context"
	"fmt"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/state"
)

// Inspect is backend.Inspect that also reads the backfills an interrupted
// apply left unfinished (PendingBackfills), within Inspect's two D1
// requests: the first read already says whether BackfillTable exists,
// and the read of its rows rides in the second. What a plan needs from
// D1 besides the seeds and unique-index probes costs two requests.
func Inspect(ctx context.Context, d1 backend.D1, kv backend.KV) (*state.Schema, []planner.PendingBackfill, error) {
	probe := &backend.Probe{Table: BackfillTable, Stmt: backend.Stmt{SQL: backfillPending}}
	live, err := backend.InspectWith(ctx, d1, kv, probe)
	if err != nil {
		return nil, nil, err
	}
	return live, pendingBackfills(probe.Result), nil
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
