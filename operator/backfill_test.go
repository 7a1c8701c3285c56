package operator_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/faulty"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/runtime"
	"github.com/dmplan/dmplan/state"
)

// docSpec is a model whose title is synced (v2) or KV only (v1), with an
// index on it in v2.
func docSpec(t testing.TB, v2 bool) *hclspec.Spec {
	t.Helper()
	sync, index := `["rank"]`, ""
	if v2 {
		sync, index = `["rank", "title"]`, `index "by_title" { columns = ["title"] }`
	}
	src := fmt.Sprintf(`project "bf" {}

model "DOC" {
  options { user_tracking = false }
  field "title" { type = string }
  field "rank" {
    type    = integer
    default = 0
  }
  d1 {
    sync_fields = %s
    %s
  }
}
`, sync, index)
	spec, diags := hclspec.LoadSources("bf", map[string][]byte{"doc.dm.hcl": []byte(src)})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return spec
}

// planFor inspects the backend and plans spec against it.
func planFor(t testing.TB, ctx context.Context, spec *hclspec.Spec, be backend.Backend, opts ...planner.Option) *planner.Plan {
	t.Helper()
	live, err := backend.Inspect(ctx, be.D1(), be.KV())
	if err != nil {
		t.Fatal(err)
	}
	return planner.Diff(spec, "local", live, opts...)
}

func actions(p *planner.Plan) []string {
	var out []string
	for _, s := range p.Steps {
		out = append(out, s.Action.String()+" "+s.Target)
	}
	return out
}

// backfillFixture applies v1, writes n docs with titles, and returns the
// store and the v2 spec.
func backfillFixture(t *testing.T, n int) (context.Context, *local.Store, *hclspec.Spec) {
	t.Helper()
	ctx := context.Background()
	store, err := local.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	v1 := docSpec(t, false)
	if _, err := applier.Apply(ctx, store, planFor(t, ctx, v1, store), applier.Options{}); err != nil {
		t.Fatal(err)
	}
	ds1, err := runtime.Open(ctx, v1, store)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]map[string]any, n)
	for i := range data {
		data[i] = map[string]any{"doc_id": fmt.Sprintf("d%05d", i), "title": fmt.Sprintf("title %d", i), "rank": i}
	}
	if _, err := ds1.System().CreateMany(ctx, "DOC", data); err != nil {
		t.Fatal(err)
	}
	return ctx, store, docSpec(t, true)
}

// titlesFilled counts the D1 rows whose title is the KV object's.
func titlesFilled(t *testing.T, ctx context.Context, be backend.Backend) int {
	t.Helper()
	res, err := be.D1().Query(ctx, backend.Stmt{SQL: `SELECT COUNT(*) FROM doc WHERE title = 'title ' || rank`})
	if err != nil {
		t.Fatal(err)
	}
	return int(res.Rows[0][0].(int64))
}

func TestBackfillNewColumnThroughApply(t *testing.T) {
	ctx, store, v2 := backfillFixture(t, 2500)
	ds, err := runtime.Open(ctx, v2, store)
	if err != nil {
		t.Fatal(err)
	}
	p := planFor(t, ctx, v2, store)
	want := []string{"add_column doc.title", "backfill doc.title", "create_index doc_by_title"}
	if diff := cmp.Diff(want, actions(p)); diff != "" {
		t.Fatalf("plan (-want +got):\n%s", diff)
	}
	var pages []applier.BackfillProgress
	rep, err := applier.Apply(ctx, store, p, applier.Options{
		Backfiller:       operator.Backfiller(ds),
		BackfillProgress: func(_ int, _ planner.Step, bp applier.BackfillProgress) { pages = append(pages, bp) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := titlesFilled(t, ctx, store); got != 2500 {
		t.Errorf("%d of 2500 titles filled", got)
	}
	if len(pages) != 3 || pages[2].Done != 2500 || pages[2].Written != 2500 || pages[0].Total != 2500 {
		t.Errorf("progress = %+v", pages)
	}
	if rep.Steps[1].Records != 2500 {
		t.Errorf("backfill step records = %d", rep.Steps[1].Records)
	}
	hist, err := applier.History(ctx, store.D1(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if hist[0].Outcome != state.OutcomeApplied || hist[0].Steps[1].Records == nil || *hist[0].Steps[1].Records != 2500 {
		t.Errorf("history = %+v", hist[0])
	}
	rc, err := operator.Reconcile(ctx, ds, operator.ReconcileOptions{})
	if err != nil || rc.Drifted() {
		t.Errorf("reconcile after backfill: %v %+v", err, rc.Models[0])
	}
	if p2 := planFor(t, ctx, v2, store); p2.HasChanges() {
		t.Errorf("second plan not empty: %v", actions(p2))
	}
}

func TestBackfillResumesAfterInterruption(t *testing.T) {
	ctx, store, v2 := backfillFixture(t, 2500)
	fb := faulty.Wrap(store)
	ds, err := runtime.Open(ctx, v2, fb)
	if err != nil {
		t.Fatal(err)
	}
	// Once the first page of 1,000 is written, fail the second page's
	// write (each page is one D1 batch: its rows, then its progress).
	armed := false
	_, err = applier.Apply(ctx, fb, planFor(t, ctx, v2, fb), applier.Options{Backfiller: operator.Backfiller(ds),
		BackfillProgress: func(int, planner.Step, applier.BackfillProgress) {
			if !armed {
				armed = true
				fb.FailNth(faulty.D1Batch, 1)
			}
		}})
	var se *applier.StepError
	if !errors.As(err, &se) || se.Step.Action != planner.Backfill || !errors.Is(err, faulty.ErrInjected) ||
		!strings.Contains(err.Error(), "rewrite d1 rows of DOC d01000") {
		t.Fatalf("err = %v", err)
	}
	if got := titlesFilled(t, ctx, store); got != 1000 {
		t.Errorf("%d titles filled before the failure, want the first page's 1000", got)
	}
	hist, err := applier.History(ctx, store.D1(), 1)
	if err != nil || hist[0].Outcome != state.OutcomeFailed || hist[0].FailedStep != 1 {
		t.Fatalf("history = %+v, %v", hist, err)
	}
	// Reconcile sees exactly the rows the backfill did not reach.
	rc, err := operator.Reconcile(ctx, ds, operator.ReconcileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m := rc.Models[0]; m.Stale != 1500 || m.Missing+m.Orphans+m.Bad != 0 || m.Drift[0].ID != "d01000" {
		t.Errorf("reconcile = %+v", m)
	}

	pending, err := operator.PendingBackfills(ctx, ds.D1())
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 1 || pending[0].Target != "doc.title" || pending[0].Done != 1000 || pending[0].RunningBy != "" {
		t.Fatalf("pending = %+v", pending)
	}
	p := planFor(t, ctx, v2, store, planner.WithPendingBackfills(pending))
	if !strings.Contains(p.Steps[0].Reason, "left unfinished after 1,000 records") {
		t.Errorf("resume step: %q", p.Steps[0].Reason)
	}
	// The index after the failed step was never built: it comes after.
	if diff := cmp.Diff([]string{"backfill doc.title", "create_index doc_by_title"}, actions(p)); diff != "" {
		t.Fatalf("resume plan (-want +got):\n%s", diff)
	}
	var last applier.BackfillProgress
	if _, err := applier.Apply(ctx, store, p, applier.Options{Backfiller: operator.Backfiller(ds),
		BackfillProgress: func(_ int, _ planner.Step, bp applier.BackfillProgress) { last = bp }}); err != nil {
		t.Fatal(err)
	}
	if last.Done != 1500 || last.Written != 1500 {
		t.Errorf("resumed run checked %d and wrote %d records, want the 1500 after the finished page", last.Done, last.Written)
	}
	if got := titlesFilled(t, ctx, store); got != 2500 {
		t.Errorf("%d of 2500 titles filled after resuming", got)
	}
	if pending, _ := operator.PendingBackfills(ctx, ds.D1()); len(pending) != 0 {
		t.Errorf("pending after finishing = %+v", pending)
	}
}

// TestBackfillStopsBetweenPages interrupts an apply (a first Ctrl-C)
// while its backfill runs: the backfill stops after the page in flight,
// with that page's progress kept, instead of running to its end; history
// says interrupted, and the next plan resumes after the finished page.
func TestBackfillStopsBetweenPages(t *testing.T) {
	ctx, store, v2 := backfillFixture(t, 2500)
	ds, err := runtime.Open(ctx, v2, store)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	_, err = applier.Apply(ctx, store, planFor(t, ctx, v2, store), applier.Options{Backfiller: operator.Backfiller(ds), Stop: stop,
		BackfillProgress: func(int, planner.Step, applier.BackfillProgress) {
			select {
			case <-stop:
			default:
				close(stop) // once the first page of 1,000 is written
			}
		}})
	if !errors.Is(err, applier.ErrInterrupted) || !strings.Contains(err.Error(), "1,000 records") {
		t.Fatalf("err = %v, want an interrupt during the backfill after 1,000 records", err)
	}
	if got := titlesFilled(t, ctx, store); got != 1000 {
		t.Errorf("%d titles filled when interrupted, want the first page's 1000", got)
	}
	hist, err := applier.History(ctx, store.D1(), 1)
	if err != nil || hist[0].Outcome != state.OutcomeInterrupted {
		t.Fatalf("history = %+v, %v", hist, err)
	}
	pending, err := operator.PendingBackfills(ctx, ds.D1())
	if err != nil || len(pending) != 1 || pending[0].Done != 1000 {
		t.Fatalf("pending = %+v, %v", pending, err)
	}
	p := planFor(t, ctx, v2, store, planner.WithPendingBackfills(pending))
	var last applier.BackfillProgress
	if _, err := applier.Apply(ctx, store, p, applier.Options{Backfiller: operator.Backfiller(ds),
		BackfillProgress: func(_ int, _ planner.Step, bp applier.BackfillProgress) { last = bp }}); err != nil {
		t.Fatal(err)
	}
	if last.Done != 1500 {
		t.Errorf("resumed run checked %d records, want the 1500 after the finished page", last.Done)
	}
	if got := titlesFilled(t, ctx, store); got != 2500 {
		t.Errorf("%d of 2500 titles filled after resuming", got)
	}
}

// TestPlanDuringRunningBackfill plans while another apply is in the
// middle of a backfill: the plan says the backfill is running (who runs
// it, how far it is), not that it was left unfinished; once that apply
// has finished, nothing is pending.
func TestPlanDuringRunningBackfill(t *testing.T) {
	ctx, store, v2 := backfillFixture(t, 2500)
	ds, err := runtime.Open(ctx, v2, store)
	if err != nil {
		t.Fatal(err)
	}
	paused, resume := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		first := true
		_, err := applier.Apply(ctx, store, planFor(t, ctx, v2, store), applier.Options{Actor: "ci@runner", Backfiller: operator.Backfiller(ds),
			BackfillProgress: func(int, planner.Step, applier.BackfillProgress) {
				if first {
					first = false
					close(paused)
					<-resume
				}
			}})
		done <- err
	}()
	<-paused
	pending, err := operator.PendingBackfills(ctx, store.D1())
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 1 || pending[0].RunningBy != "ci@runner" || pending[0].Done != 1000 {
		t.Errorf("pending while the backfill runs = %+v, want it running by ci@runner after 1000 records", pending)
	}
	p := planFor(t, ctx, v2, store, planner.WithPendingBackfills(pending))
	for _, s := range p.Steps {
		if s.Action == planner.Backfill && (!strings.Contains(s.Reason, "running now, not abandoned") || strings.Contains(s.Reason, "left unfinished") ||
			!strings.Contains(s.Reason, "ci@runner") || !strings.Contains(s.Reason, "1,000 records so far")) {
			t.Errorf("backfill step while it runs: %q", s.Reason)
		}
	}
	close(resume)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if pending, err := operator.PendingBackfills(ctx, store.D1()); err != nil || len(pending) != 0 {
		t.Errorf("pending after the apply = %+v, %v", pending, err)
	}
}
