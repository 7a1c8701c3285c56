package applier

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/state"
)

// stubBackfiller records the backfills Apply asks for and what the live
// schema looked like at that moment. The real one (runtime) is tested end
// to end in runtime's backfill tests; runtime imports this package, so its
// tests cannot live here.
type stubBackfiller struct {
	b     backend.Backend
	calls []BackfillRequest
	live  []*state.Schema
	err   error
}

func (s *stubBackfiller) Backfill(ctx context.Context, req BackfillRequest) (BackfillResult, error) {
	s.calls = append(s.calls, req)
	if s.b != nil {
		live, err := backend.Inspect(ctx, s.b.D1(), s.b.KV())
		if err != nil {
			return BackfillResult{}, err
		}
		s.live = append(s.live, live)
	}
	if req.Progress != nil {
		req.Progress(BackfillProgress{Done: 2, Total: 2, Written: 2})
	}
	if s.err != nil {
		return BackfillResult{}, s.err
	}
	return BackfillResult{Checked: 2, Written: 2}, nil
}

// rankSpec adds a synced field and an index on it to PAGE.
func rankSpec(t *testing.T) string {
	v2 := strings.Replace(baseHCL, `field "title" { type = string }`, `field "title" { type = string }
  field "rank" { type = integer }`, 1)
	v2 = strings.Replace(v2, `"title", "status"]`, `"title", "status", "rank"]`, 1)
	return strings.Replace(v2, `index "by_project_status"`, `index "by_rank" { columns = ["rank"] }
    index "by_project_status"`, 1)
}

func TestApplyRunsBackfillBetweenColumnAndIndex(t *testing.T) {
	ctx := context.Background()
	b := openStore(t)
	mustApply(t, b, makePlan(t, b, loadSpec(t, baseHCL)), Options{})
	exec(t, b, `INSERT INTO page_meta (page_id, project_id, url, user_id) VALUES ('a', 'p', 'https://x', 'u'), ('b', 'p', 'https://y', 'u')`)
	p := makePlan(t, b, loadSpec(t, rankSpec(t)))
	if _, err := Apply(ctx, b, p, Options{}); !errors.Is(err, ErrUnsupportedStep) {
		t.Fatalf("apply without a backfiller = %v", err)
	}
	bf := &stubBackfiller{b: b}
	var pages []int
	r := mustApply(t, b, p, Options{Backfiller: bf,
		BackfillProgress: func(i int, s planner.Step, bp BackfillProgress) { pages = append(pages, i) }})
	if diff := cmp.Diff([]BackfillRequest{{Model: "PAGE", Columns: []string{"rank"}, RunID: p.ID}}, bf.calls,
		cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Progress" }, cmp.Ignore())); diff != "" {
		t.Errorf("backfills (-want +got):\n%s", diff)
	}
	tb := bf.live[0].Table("page_meta")
	if tb.Column("rank") == nil || tb.Index("page_meta_by_rank") != nil {
		t.Errorf("at backfill time: column rank %v, index by_rank %v; want the column and not yet the index",
			tb.Column("rank") != nil, tb.Index("page_meta_by_rank") != nil)
	}
	if diff := cmp.Diff([]int{1}, pages); diff != "" {
		t.Errorf("progress step indexes (-want +got):\n%s", diff)
	}
	if r.Steps[1].Records != 2 || r.Steps[2].Outcome != StepApplied || r.Batches != 2 {
		t.Errorf("report = %+v", r)
	}
	hist, err := History(ctx, b.D1(), 1)
	if err != nil || hist[0].Outcome != state.OutcomeApplied || *hist[0].Steps[1].Records != 2 {
		t.Errorf("history = %+v, %v", hist, err)
	}
}

func TestApplyBackfillFailureIsRecorded(t *testing.T) {
	ctx := context.Background()
	b := openStore(t)
	mustApply(t, b, makePlan(t, b, loadSpec(t, baseHCL)), Options{})
	exec(t, b, `INSERT INTO page_meta (page_id, project_id, url, user_id) VALUES ('a', 'p', 'https://x', 'u')`)
	p := makePlan(t, b, loadSpec(t, rankSpec(t)))
	boom := errors.New("d1 overloaded")
	r, err := Apply(ctx, b, p, Options{Backfiller: &stubBackfiller{err: boom}})
	var se *StepError
	if !errors.As(err, &se) || se.Index != 1 || !errors.Is(err, boom) {
		t.Fatalf("Apply = %v", err)
	}
	want := []string{StepApplied, StepFailed, StepNotRun}
	var got []string
	for _, s := range r.Steps {
		got = append(got, s.Outcome)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("step outcomes (-want +got):\n%s", diff)
	}
	hist, err := History(ctx, b.D1(), 1)
	if err != nil || hist[0].Outcome != state.OutcomeFailed || hist[0].FailedStep != 1 || !strings.Contains(hist[0].Error, "d1 overloaded") {
		t.Errorf("history = %+v, %v", hist, err)
	}
}

func TestBackfillColumns(t *testing.T) {
	table, cols := BackfillColumns(planner.Step{Target: "page_meta.title,status"})
	if table != "page_meta" || !cmp.Equal(cols, []string{"title", "status"}) {
		t.Errorf("BackfillColumns = %s %v", table, cols)
	}
}
