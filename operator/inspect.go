package operator

import (
	"context"

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
