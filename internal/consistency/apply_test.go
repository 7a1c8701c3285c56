package consistency

import (
	"context"
	"fmt"
	"testing"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/faulty"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/state"
)

// planOn inspects be and plans spec, resuming unfinished backfills.
func planOn(t *testing.T, ctx context.Context, spec *hclspec.Spec, be backend.Backend) *planner.Plan {
	t.Helper()
	live, err := backend.Inspect(ctx, be.D1(), be.KV())
	if err != nil {
		t.Fatal(err)
	}
	pending, err := operator.PendingBackfills(ctx, be.D1())
	if err != nil {
		t.Fatal(err)
	}
	return planner.Diff(spec, env, live, planner.WithPendingBackfills(pending))
}

// armStep makes step i of p fail when it runs.
func armStep(fb *faulty.Backend, p *planner.Plan, i int) {
	s := p.Steps[i]
	switch s.Action {
	case planner.CreateNamespace:
		n := 0
		for _, o := range p.Steps[:i+1] {
			if o.Action == planner.CreateNamespace {
				n++
			}
		}
		fb.FailNth(faulty.KVCreateNS, n)
	case planner.Backfill:
		table, _ := applier.BackfillColumns(s)
		fb.FailStatement(`INSERT INTO "` + table + `"`)
	default:
		fb.FailStatement(s.SQL[0])
	}
}

// TestApplyInterruptedAtEveryStep fails each step of a fresh install and
// of an upgrade with a backfill, one at a time: the apply records the
// partial run in history, and planning and applying again converges.
func TestApplyInterruptedAtEveryStep(t *testing.T) {
	scenarios := []struct {
		name  string
		setup func(t *testing.T, ctx context.Context, be backend.Backend) // before the plan under test
	}{
		{"fresh install", func(*testing.T, context.Context, backend.Backend) {}},
		{"upgrade with backfill", func(t *testing.T, ctx context.Context, be backend.Backend) {
			v1 := loadSpec(t, false)
			migrate(t, ctx, v1, be, applier.Options{})
			data := make([]map[string]any, 120)
			for i := range data {
				data[i] = map[string]any{"title": "t", "body": fmt.Sprint("body ", i)}
			}
			if _, err := open(t, ctx, v1, be).System().CreateMany(ctx, "PAGE", data); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, sc := range scenarios {
		ctx := context.Background()
		probe := openLocal(t)
		sc.setup(t, ctx, probe)
		steps := len(planOn(t, ctx, loadSpec(t, true), probe).Steps)
		for i := range steps {
			t.Run(fmt.Sprintf("%s/step %d of %d", sc.name, i+1, steps), func(t *testing.T) {
				be := openLocal(t)
				sc.setup(t, ctx, be)
				v2 := loadSpec(t, true)
				fb := faulty.Wrap(be)
				p := planOn(t, ctx, v2, fb)
				armStep(fb, p, i)
				opts := applier.Options{MaxBatchStatements: 1, Backfiller: operator.Backfiller(open(t, ctx, v2, fb))}
				if _, err := applier.Apply(ctx, fb, p, opts); err == nil || fb.Armed() {
					t.Fatalf("apply with step %d (%s) failing: err = %v, fault fired = %v", i+1, p.Steps[i].Summary(), err, !fb.Armed())
				}
				hist, err := applier.History(ctx, be.D1(), 0)
				if err != nil || len(hist) == 0 || hist[0].Outcome != state.OutcomeFailed || hist[0].FailedStep != i {
					t.Fatalf("history after the failure = %+v, %v", hist, err)
				}
				again := planOn(t, ctx, v2, be)
				if _, err := applier.Apply(ctx, be, again, applier.Options{Backfiller: operator.Backfiller(open(t, ctx, v2, be))}); err != nil {
					t.Fatalf("apply again: %v", err)
				}
				if last := planOn(t, ctx, v2, be); last.HasChanges() {
					t.Errorf("third plan still has %d steps: %+v", len(last.Steps), last.Steps)
				}
				hist, err = applier.History(ctx, be.D1(), 0)
				if err != nil || len(hist) < 2 || hist[0].Outcome != state.OutcomeApplied || hist[1].Outcome != state.OutcomeFailed {
					t.Errorf("history = %+v, %v", hist, err)
				}
				converge(t, ctx, v2, be, nil)
			})
		}
	}
}
