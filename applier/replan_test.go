package applier

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/state"
)

// With Replan, a plan whose live schema changed while it waited is derived
// again under the lock: the same steps are applied, no changes is a no-op,
// different steps are refused as stale.
func TestApplyReplansUnderTheLock(t *testing.T) {
	spec := loadSpec(t, baseHCL)
	replan := func(ctx context.Context, live *state.Schema) (*planner.Plan, error) {
		return planner.Diff(spec, "local", live), nil
	}
	tests := []struct {
		name    string
		change  func(t *testing.T, b backend.Backend) // while the plan waits
		outcome string                                // "" for ErrStalePlan
	}{
		{"an unrelated table", func(t *testing.T, b backend.Backend) {
			exec(t, b, `CREATE TABLE unrelated (x TEXT)`)
		}, state.OutcomeApplied},
		{"the same apply by someone else", func(t *testing.T, b backend.Backend) {
			mustApply(t, b, makePlan(t, b, spec), Options{})
		}, state.OutcomeNoOp},
		{"a conflicting table", func(t *testing.T, b backend.Backend) {
			exec(t, b, `CREATE TABLE page_meta (page_id TEXT PRIMARY KEY NOT NULL)`)
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			b := openStore(t)
			p := makePlan(t, b, spec)
			tt.change(t, b)
			r, err := Apply(ctx, b, p, Options{Replan: replan})
			if tt.outcome == "" {
				if !errors.Is(err, ErrStalePlan) {
					t.Fatalf("Apply = %v, want ErrStalePlan", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if r.Outcome != tt.outcome {
				t.Errorf("outcome %s, want %s", r.Outcome, tt.outcome)
			}
			if again := makePlan(t, b, spec); again.HasChanges() {
				t.Errorf("the target does not match the spec afterwards: %v", again.Steps)
			}
			// Without Replan the same situation is refused.
			b2 := openStore(t)
			p2 := makePlan(t, b2, spec)
			tt.change(t, b2)
			if _, err := Apply(ctx, b2, p2, Options{}); !errors.Is(err, ErrStalePlan) {
				t.Errorf("without Replan: Apply = %v, want ErrStalePlan", err)
			}
		})
	}
}

// A plan that planning again under the lock turns into blocked steps only
// is refused, not taken as "no changes".
func TestApplyReplanRefusesABlockedPlan(t *testing.T) {
	ctx := context.Background()
	b := openStore(t)
	mustApply(t, b, makePlan(t, b, loadSpec(t, baseHCL)), Options{})
	spec := loadSpec(t, strings.Replace(baseHCL, `  d1 { sync_fields = ["body"] }`, `  field "views" { type = integer }
  d1 { sync_fields = ["body", "views"] }`, 1))
	p := makePlan(t, b, spec) // add column note.views INTEGER
	if len(p.Steps) != 1 || p.Steps[0].Action != planner.AddColumn {
		t.Fatalf("plan: %v", p.Steps)
	}
	exec(t, b, `ALTER TABLE note ADD COLUMN views TEXT`) // by hand, another type
	_, err := Apply(ctx, b, p, Options{Replan: func(ctx context.Context, live *state.Schema) (*planner.Plan, error) {
		return planner.Diff(spec, "local", live), nil
	}})
	if !errors.Is(err, ErrStalePlan) {
		t.Fatalf("Apply = %v, want ErrStalePlan", err)
	}
}
