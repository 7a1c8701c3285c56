package applier

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/state"
)

// fleetHCL is a tenant's model: a table with an index.
const fleetHCL = `
project "shop" {}

model "PAGE" {
  primary_key = "page_id"
  options { user_tracking = false }
  field "project_id" {
    type     = string
    required = true
  }
  field "url" {
    type     = string
    required = true
  }
  field "title" { type = string }
  kv { namespace = "PAGES" }
  d1 {
    table       = "page_meta"
    sync_fields = ["project_id", "url", "title"]
    index "by_project" { columns = ["project_id"] }
  }
}
`

// TestApplyLean applies additive plans to real SQLite files in one request
// and checks what history and the rollout probe then say.
func TestApplyLean(t *testing.T) {
	ctx := context.Background()
	spec := loadSpec(t, fleetHCL)
	tests := []struct {
		name    string
		setup   func(t *testing.T, b backend.Backend)
		wantErr error
		applied bool
	}{
		{name: "fresh", applied: true},
		{name: "column missing", applied: true, setup: func(t *testing.T, b backend.Backend) {
			exec(t, b, `CREATE TABLE page_meta (page_id TEXT PRIMARY KEY, project_id TEXT NOT NULL, url TEXT NOT NULL)`)
		}},
		{name: "locked by another apply", wantErr: ErrLeanLocked, setup: func(t *testing.T, b backend.Backend) {
			l, err := AcquireLock(ctx, b.D1(), LockOptions{Who: "someone"})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Release(ctx) })
		}},
		{name: "expired lease of a crashed apply", applied: true, setup: func(t *testing.T, b backend.Backend) {
			exec(t, b, lockDDL)
			exec(t, b, `INSERT INTO _dmplan_lock VALUES ('apply', 'dead', 'x', 'apply', '2026-01-01T00:00:00.000Z', '2026-01-01T00:02:00.000Z')`)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := openStore(t)
			if tc.setup != nil {
				tc.setup(t, s)
			}
			live, err := backend.Inspect(ctx, s.D1(), s.KV())
			if err != nil {
				t.Fatal(err)
			}
			p := planner.Diff(spec, "local", live)
			// The namespace is shared by the fleet and made beforehand.
			p.Steps = dropNamespaces(p.Steps)
			if !IsLean(p) {
				t.Fatalf("plan is not lean: %v", p.Steps)
			}
			d1 := &countingD1{D1: s.D1()}
			res, err := ApplyLean(ctx, d1, p, LeanOptions{RolloutID: "r1", Actor: "ci"})
			if n := d1.queries + d1.batches; n != 1 {
				t.Errorf("requests = %d, want 1", n)
			}
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				after, _ := backend.Inspect(ctx, s.D1(), nil)
				if got, want := state.Fingerprint(after), state.Fingerprint(live); got != want {
					t.Errorf("a refused batch changed the schema")
				}
				return
			}
			if err != nil {
				t.Fatalf("ApplyLean: %v", err)
			}
			probe := RolloutProbe("r1")
			after, err := backend.InspectWith(ctx, s.D1(), s.KV(), probe)
			if err != nil {
				t.Fatal(err)
			}
			recs := RolloutRecords(probe)
			if len(recs) != 1 || recs[0].PlanID != res.PlanID || recs[0].Outcome != state.OutcomeApplied || recs[0].StartedAt == "" {
				t.Errorf("rollout records = %+v, want one applied row %s", recs, res.PlanID)
			}
			again := planner.Diff(spec, "local", after)
			if len(dropNamespaces(again.Steps)) != 0 {
				t.Errorf("after apply the plan still has %v", again.Steps)
			}
			// The same batch sent again (a retry whose answer was lost)
			// fails and changes nothing: no double apply.
			if _, err := ApplyLean(ctx, s.D1(), p, LeanOptions{RolloutID: "r1"}); err == nil {
				t.Errorf("replaying the batch succeeded")
			}
			hist, err := History(ctx, s.D1(), 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(hist) != 1 || hist[0].FinishedAt.IsZero() {
				t.Errorf("history = %+v, want one finished row", hist)
			}
			var lockRows int
			r, _ := s.D1().Query(ctx, backend.Stmt{SQL: "SELECT count(*) FROM _dmplan_lock WHERE name = 'apply'"})
			lockRows = int(r.Rows[0][0].(int64))
			if lockRows != 0 {
				t.Errorf("lock rows left = %d", lockRows)
			}
		})
	}
}

// TestApplyLeanUniqueDuplicates: a unique index over duplicate rows fails
// the batch as ErrUniqueDuplicates and leaves nothing behind.
func TestApplyLeanUniqueDuplicates(t *testing.T) {
	ctx := context.Background()
	src := strings.Replace(fleetHCL, `index "by_project" { columns = ["project_id"] }`,
		`index "by_url" {
      columns = ["url"]
      unique  = true
    }`, 1)
	spec := loadSpec(t, src)
	s := openStore(t)
	exec(t, s, `CREATE TABLE page_meta (page_id TEXT PRIMARY KEY, project_id TEXT NOT NULL, url TEXT NOT NULL, title TEXT,
  created_at TEXT, updated_at TEXT, deleted_at TEXT)`)
	exec(t, s, `INSERT INTO page_meta (page_id, project_id, url) VALUES ('a', 'p', 'u'), ('b', 'p', 'u')`)
	live, err := backend.Inspect(ctx, s.D1(), s.KV())
	if err != nil {
		t.Fatal(err)
	}
	p := planner.Diff(spec, "local", live)
	p.Steps = dropNamespaces(p.Steps)
	if !IsLean(p) {
		t.Fatalf("plan is not lean: %+v", p.Steps)
	}
	_, err = ApplyLean(ctx, s.D1(), p, LeanOptions{RolloutID: "r1"})
	if !errors.Is(err, ErrUniqueDuplicates) {
		t.Fatalf("err = %v, want ErrUniqueDuplicates", err)
	}
	if hist, _ := History(ctx, s.D1(), 0); len(hist) != 0 {
		t.Errorf("history after a failed batch = %+v", hist)
	}
}

// TestRolloutLock: a second rollout is refused with the holder's name;
// the same rollout (resumed) takes its own lease over.
func TestRolloutLock(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	l, err := AcquireRolloutLock(ctx, s.D1(), RolloutLockOptions{Rollout: "r1", Who: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = AcquireRolloutLock(ctx, s.D1(), RolloutLockOptions{Rollout: "r2", Who: "bob"})
	var le *RolloutLockedError
	if !errors.As(err, &le) || !errors.Is(err, ErrRolloutLocked) || le.Rollout != "r1" || le.Who != "alice" {
		t.Fatalf("second rollout: %v, want refused naming r1 by alice", err)
	}
	again, err := AcquireRolloutLock(ctx, s.D1(), RolloutLockOptions{Rollout: "r1", Who: "alice"})
	if err != nil {
		t.Fatalf("resumed rollout: %v", err)
	}
	if err := again.Release(ctx); err != nil {
		t.Fatal(err)
	}
	l.Release(ctx)
	l2, err := AcquireRolloutLock(ctx, s.D1(), RolloutLockOptions{Rollout: "r2", Who: "bob"})
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	l2.Release(ctx)
}

func dropNamespaces(steps []planner.Step) []planner.Step {
	var out []planner.Step
	for _, s := range steps {
		if s.Action != planner.CreateNamespace {
			out = append(out, s)
		}
	}
	return out
}

// TestApplyLeanInterruptsStale: the lean batch marks the history rows
// other applies left running (killed before recording their end) as
// interrupted, as the normal apply does when it starts, in the same
// request; a batch refused by the lock marks nothing.
func TestApplyLeanInterruptsStale(t *testing.T) {
	ctx := context.Background()
	spec := loadSpec(t, fleetHCL)
	for _, locked := range []bool{false, true} {
		t.Run(map[bool]string{false: "applied", true: "locked"}[locked], func(t *testing.T) {
			s := openStore(t)
			exec(t, s, historyDDL)
			stale := &state.HistoryRecord{PlanID: "p-killed", Actor: "someone", Outcome: state.OutcomeRunning, FailedStep: -1,
				StartedAt: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
			ins, err := insertStmt(stale)
			if err != nil {
				t.Fatal(err)
			}
			exec(t, s, ins.SQL, ins.Args...)
			if locked {
				l, err := AcquireLock(ctx, s.D1(), LockOptions{Who: "someone else"})
				if err != nil {
					t.Fatal(err)
				}
				defer l.Release(ctx)
			}
			live, err := backend.Inspect(ctx, s.D1(), s.KV())
			if err != nil {
				t.Fatal(err)
			}
			p := planner.Diff(spec, "local", live)
			p.Steps = dropNamespaces(p.Steps)
			d1 := &countingD1{D1: s.D1()}
			res, err := ApplyLean(ctx, d1, p, LeanOptions{RolloutID: "r1", Actor: "ci"})
			if n := d1.queries + d1.batches; n != 1 {
				t.Errorf("requests = %d, want 1", n)
			}
			hist, herr := History(ctx, s.D1(), 0)
			if herr != nil {
				t.Fatal(herr)
			}
			var got *state.HistoryRecord
			for i := range hist {
				if hist[i].PlanID == "p-killed" {
					got = &hist[i]
				}
			}
			if got == nil {
				t.Fatalf("the stale row is gone: %+v", hist)
			}
			if locked {
				if !errors.Is(err, ErrLeanLocked) {
					t.Fatalf("err = %v, want ErrLeanLocked", err)
				}
				if got.Outcome != state.OutcomeRunning {
					t.Errorf("a refused batch marked the row %s", got.Outcome)
				}
				return
			}
			if err != nil {
				t.Fatalf("ApplyLean: %v", err)
			}
			if got.Outcome != state.OutcomeInterrupted || !strings.Contains(got.Error, "rollout r1") {
				t.Errorf("stale row: outcome %s, error %q; want interrupted, found by rollout r1", got.Outcome, got.Error)
			}
			if len(res.Interrupted) != 1 || res.Interrupted[0].PlanID != "p-killed" || res.Interrupted[0].Actor != "someone" ||
				!res.Interrupted[0].StartedAt.Equal(stale.StartedAt) {
				t.Errorf("Interrupted = %+v, want the stale row", res.Interrupted)
			}
			for _, h := range hist {
				if h.PlanID == res.PlanID && h.Outcome != state.OutcomeApplied {
					t.Errorf("the lean apply's own row is %s", h.Outcome)
				}
			}
		})
	}
}
