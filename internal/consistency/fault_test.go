package consistency

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/faulty"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/runtime"
)

// faultCase injects one failure at a write point and returns the drift
// reconcile must find afterwards ("MODEL id kind").
type faultCase struct {
	name string
	run  func(t *testing.T, ctx context.Context, fb *faulty.Backend, sys *runtime.Handle) []string
}

func page(i int) map[string]any {
	return map[string]any{"title": fmt.Sprintf("page %d", i), "rank": i, "body": "text"}
}

func wide(n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		d := map[string]any{"wide_id": fmt.Sprintf("w%04d", i)}
		for _, f := range wideFields {
			d[f] = f + "-" + fmt.Sprint(i)
		}
		out[i] = d
	}
	return out
}

// wantPartial checks a partial write error names the model and ids.
func wantPartial(t *testing.T, err error, model string, ids []string) {
	t.Helper()
	var pw *runtime.PartialWriteError
	if !errors.As(err, &pw) || !errors.Is(err, runtime.ErrPartialWrite) || !errors.Is(err, faulty.ErrInjected) {
		t.Fatalf("err = %v, want a partial write", err)
	}
	if pw.Model != model || strings.Join(pw.IDs, ",") != strings.Join(ids, ",") || !strings.Contains(err.Error(), ids[0]) {
		t.Errorf("partial write names %s %d ids (first %v), want %s %d ids starting %s", pw.Model, len(pw.IDs), pw.IDs[:min(1, len(pw.IDs))], model, len(ids), ids[0])
	}
}

func saveManyBatch(k int) faultCase {
	return faultCase{fmt.Sprintf("SaveMany D1 batch %d of 3 fails", k), func(t *testing.T, ctx context.Context, fb *faulty.Backend, sys *runtime.Handle) []string {
		data := wide(450) // 2 rows per upsert, 100 upserts per batch: 200, 200, 50
		fb.FailNth(faulty.D1Batch, k)
		_, err := sys.CreateMany(ctx, "WIDE", data)
		var ids, want []string
		for _, d := range data[200*(k-1):] {
			ids = append(ids, d["wide_id"].(string))
			want = append(want, "WIDE "+d["wide_id"].(string)+" missing_row")
		}
		wantPartial(t, err, "WIDE", ids)
		return want
	}}
}

var faultCases = []faultCase{
	{"KV put fails: nothing reaches D1", func(t *testing.T, ctx context.Context, fb *faulty.Backend, sys *runtime.Handle) []string {
		fb.FailNth(faulty.KVPut, 1)
		d1 := fb.Count(faulty.D1Query) + fb.Count(faulty.D1Batch)
		_, err := sys.Create(ctx, "PAGE", page(1))
		if !errors.Is(err, faulty.ErrInjected) || errors.Is(err, runtime.ErrPartialWrite) {
			t.Fatalf("err = %v", err)
		}
		if n := fb.Count(faulty.D1Query) + fb.Count(faulty.D1Batch); n != d1 {
			t.Errorf("%d D1 calls after the KV failure", n-d1)
		}
		return nil
	}},
	{"D1 upsert fails after KV put (create)", func(t *testing.T, ctx context.Context, fb *faulty.Backend, sys *runtime.Handle) []string {
		r := sys.New("PAGE")
		r.SetAll(page(2))
		fb.FailNth(faulty.D1Query, 1)
		err := r.Save(ctx)
		wantPartial(t, err, "PAGE", []string{r.ID()})
		return []string{"PAGE " + r.ID() + " missing_row"}
	}},
	{"D1 upsert fails after KV put (update)", func(t *testing.T, ctx context.Context, fb *faulty.Backend, sys *runtime.Handle) []string {
		r, err := sys.Create(ctx, "PAGE", page(3))
		if err != nil {
			t.Fatal(err)
		}
		r.Set("title", "renamed")
		fb.FailNth(faulty.D1Query, 1)
		wantPartial(t, r.Save(ctx), "PAGE", []string{r.ID()})
		return []string{"PAGE " + r.ID() + " stale_row"}
	}},
	{"D1 upsert took effect but its response was lost", func(t *testing.T, ctx context.Context, fb *faulty.Backend, sys *runtime.Handle) []string {
		fb.FailNthAfter(faulty.D1Query, 1)
		if _, err := sys.Create(ctx, "PAGE", page(4)); !errors.Is(err, runtime.ErrPartialWrite) {
			t.Fatalf("err = %v", err)
		}
		return nil
	}},
	{"D1 delete fails after KV delete (hard delete)", func(t *testing.T, ctx context.Context, fb *faulty.Backend, sys *runtime.Handle) []string {
		r, err := sys.Create(ctx, "TOKEN", map[string]any{"name": "t"})
		if err != nil {
			t.Fatal(err)
		}
		fb.FailNth(faulty.D1Query, 1)
		wantPartial(t, r.Delete(ctx), "TOKEN", []string{r.ID()})
		return []string{"TOKEN " + r.ID() + " orphan_row"}
	}},
	{"KV bulk put fails: nothing reaches D1", func(t *testing.T, ctx context.Context, fb *faulty.Backend, sys *runtime.Handle) []string {
		fb.FailNth(faulty.KVPutMany, 1)
		if _, err := sys.CreateMany(ctx, "WIDE", wide(30)); !errors.Is(err, faulty.ErrInjected) || errors.Is(err, runtime.ErrPartialWrite) {
			t.Fatalf("err = %v", err)
		}
		return nil
	}},
	saveManyBatch(1),
	saveManyBatch(2),
	saveManyBatch(3),
}

// TestFaultAtEveryWritePoint fails each write point once, on each backend,
// and checks reconcile finds exactly the records it left behind.
func TestFaultAtEveryWritePoint(t *testing.T) {
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			for _, tc := range faultCases {
				t.Run(tc.name, func(t *testing.T) {
					parallelOnHarness(t, k)
					ctx := context.Background()
					be := k.open(t)
					spec := loadSpec(t, false)
					migrate(t, ctx, spec, be, applier.Options{})
					// Records the fault must not touch.
					base := open(t, ctx, spec, be).System()
					for i := range 3 {
						if _, err := base.Create(ctx, "PAGE", page(100+i)); err != nil {
							t.Fatal(err)
						}
					}
					fb := faulty.Wrap(be)
					want := tc.run(t, ctx, fb, open(t, ctx, spec, fb).System())
					if fb.Armed() {
						t.Fatal("the fault never fired")
					}
					converge(t, ctx, spec, be, want)
				})
			}
		})
	}
}

// pagedBackfiller runs apply's backfill steps with small pages, and arms
// a fault on the write batch of one page.
type pagedBackfiller struct {
	ds   *runtime.Datastore
	fb   *faulty.Backend
	fail int // 1-based page whose write fails
}

func (b pagedBackfiller) Backfill(ctx context.Context, req applier.BackfillRequest) (applier.BackfillResult, error) {
	pages := 0
	if b.fail == 1 {
		b.fb.FailNth(faulty.D1Batch, 2) // the progress row, then the page's write
	}
	res, err := operator.Backfill(ctx, b.ds, operator.BackfillOptions{Model: req.Model, Columns: req.Columns, RunID: req.RunID, PageSize: 100,
		Progress: func(operator.Progress) {
			pages++
			if pages == b.fail-1 {
				b.fb.FailNth(faulty.D1Batch, 1) // the next page's write
			}
		}})
	if res == nil {
		return applier.BackfillResult{}, err
	}
	return applier.BackfillResult{Checked: res.Checked, Written: res.Written}, err
}

// TestFaultInBackfillBatch fails each page write of a backfill, on each
// backend: the apply fails naming the step and reconcile finds exactly the
// rows the backfill did not reach.
func TestFaultInBackfillBatch(t *testing.T) {
	for _, k := range kinds {
		for pageNo := 1; pageNo <= 3; pageNo++ {
			t.Run(fmt.Sprintf("%s/page %d of 3", k.name, pageNo), func(t *testing.T) {
				parallelOnHarness(t, k)
				ctx := context.Background()
				be := k.open(t)
				v1, v2 := loadSpec(t, false), loadSpec(t, true)
				migrate(t, ctx, v1, be, applier.Options{})
				data := make([]map[string]any, 250)
				for i := range data {
					data[i] = map[string]any{"page_id": fmt.Sprintf("p%04d", i), "title": "t", "body": fmt.Sprintf("body %d", i)}
				}
				if _, err := open(t, ctx, v1, be).System().CreateMany(ctx, "PAGE", data); err != nil {
					t.Fatal(err)
				}
				fb := faulty.Wrap(be)
				live, err := backend.Inspect(ctx, be.D1(), be.KV())
				if err != nil {
					t.Fatal(err)
				}
				p := planner.Diff(v2, env, live)
				_, err = applier.Apply(ctx, fb, p, applier.Options{Backfiller: pagedBackfiller{ds: open(t, ctx, v2, fb), fb: fb, fail: pageNo}})
				var se *applier.StepError
				if !errors.As(err, &se) || se.Step.Action != planner.Backfill || !errors.Is(err, faulty.ErrInjected) ||
					!strings.Contains(err.Error(), fmt.Sprintf("rewrite d1 rows of PAGE p%04d", 100*(pageNo-1))) {
					t.Fatalf("apply = %v", err)
				}
				hist, err := applier.History(ctx, be.D1(), 1)
				if err != nil || hist[0].FailedStep != se.Index {
					t.Errorf("history = %+v, %v", hist, err)
				}
				var want []string
				for _, d := range data[100*(pageNo-1):] {
					want = append(want, "PAGE "+d["page_id"].(string)+" stale_row")
				}
				converge(t, ctx, v2, be, want)
			})
		}
	}
}

// parallelOnHarness runs harness subtests in parallel: each has its own
// account, and the harness spends most of its time waiting on workerd.
func parallelOnHarness(t *testing.T, k kind) {
	if k.name == "cloudflare" {
		t.Parallel()
	}
}
