package cloudflare

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/planner"
)

// TestPlanReadBudget counts the D1 requests of what dmplan plan reads
// besides seeds (operator.Inspect, then the unique-index probes, which
// the examples do not need): 2, whether or not the target holds the
// backfill progress table and an unfinished backfill in it. The table's
// existence comes from the first read and its rows ride in the second,
// as does the newest history row (dmplan plan's LastApplyProbe).
// KV: the namespace list, plus one list of one key per table the plan
// creates in an existing namespace (the refill peek).
func TestPlanReadBudget(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	spec := examplesWithoutSeeds(t)
	live, err := backend.Inspect(ctx, f.s.D1(), f.s.KV())
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := applier.Apply(ctx, f.s, planner.Diff(spec, "test", live), applier.Options{Logger: quiet}); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	planReads := func(t *testing.T, wantPending, wantPeeks int) {
		t.Helper()
		f.mark(t)
		last := applier.LastApplyProbe()
		in, err := operator.Inspect(ctx, f.s.D1(), f.s.KV(), last)
		if err != nil {
			t.Fatal(err)
		}
		live, pending := in.Live, in.Pending
		if last.Result == nil || len(last.Result.Rows) != 1 || applier.UnfinishedApply(last) != nil {
			t.Errorf("history probe = %+v, want the applied row (not unfinished)", last.Result)
		}
		if _, err := applier.UniqueViolations(ctx, f.s.D1(), planner.UniqueIndexProbes(spec, "test", live)); err != nil {
			t.Fatal(err)
		}
		peeks := planner.RefillPeeks(spec, "test", live)
		if len(peeks) != wantPeeks {
			t.Errorf("%d refill peeks, want %d: %+v", len(peeks), wantPeeks, peeks)
		}
		if _, err := operator.StoredObjects(ctx, f.s.KV(), live, peeks); err != nil {
			t.Fatal(err)
		}
		if len(pending) != wantPending {
			t.Errorf("%d pending backfills, want %d: %+v", len(pending), wantPending, pending)
		}
		backfills := 0
		for _, s := range planner.Diff(spec, "test", live, planner.WithPendingBackfills(pending)).Steps {
			if s.Action == planner.Backfill {
				backfills++
			}
		}
		if backfills != wantPending {
			t.Errorf("plan has %d backfill steps, want %d (the resumed backfills; the examples' namespaces hold no objects to refill from)", backfills, wantPending)
		}
		d1, kv := splitRequests(f.requests(t))
		if d1 != 2 {
			t.Errorf("plan read D1 with %d requests, want 2", d1)
		}
		if kv != 1+wantPeeks {
			t.Errorf("plan made %d KV requests, want %d (the namespace list, and a list of one key per refill peek)", kv, 1+wantPeeks)
		}
	}
	t.Run("no progress table", func(t *testing.T) { planReads(t, 0, 0) })

	if _, err := f.s.D1().Batch(ctx, []backend.Stmt{
		{SQL: `CREATE TABLE "` + operator.BackfillTable + `" (target TEXT PRIMARY KEY NOT NULL, model TEXT NOT NULL, run_id TEXT NOT NULL,
			last_key TEXT NOT NULL DEFAULT '', done INTEGER NOT NULL DEFAULT 0, finished INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL)`},
		{SQL: `INSERT INTO "` + operator.BackfillTable + `" VALUES ('projects.name', 'PROJECT', 'run-1', 'project:0042', 42, 0, '2026-01-01T00:00:00Z'),
			('users.email', 'USER', 'run-0', '', 7, 1, '2026-01-01T00:00:00Z')`},
	}); err != nil {
		t.Fatal(err)
	}
	t.Run("unfinished backfill", func(t *testing.T) { planReads(t, 1, 0) })

	// A table dropped by hand whose namespace exists: plan looks for the
	// model's objects with one KV list of one key.
	if _, err := f.s.D1().Query(ctx, backend.Stmt{SQL: `DROP TABLE "users"`}); err != nil {
		t.Fatal(err)
	}
	t.Run("dropped table", func(t *testing.T) { planReads(t, 1, 1) })
}
