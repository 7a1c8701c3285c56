package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/runtime"
)

func TestCreateManyBatches(t *testing.T) {
	e, fb := setupFault(t)
	u := e.ds.Auth("u1")
	data := make([]map[string]any, 1000)
	for i := range data {
		data[i] = map[string]any{"project_id": "p", "url": "https://e.com", "title": fmt.Sprint(i)}
	}
	recs, err := u.CreateMany(e.ctx, "PAGE", data)
	if err != nil {
		t.Fatal(err)
	}
	// 10 columns: 10 rows per statement, 100 statements, one batch; one
	// bulk KV put.
	if fb.kv.putManys != 1 || fb.kv.puts != 0 || fb.d1.batchs != 1 || fb.d1.queries != 0 {
		t.Errorf("round trips: kv put many %d, kv put %d, d1 batch %d, d1 query %d", fb.kv.putManys, fb.kv.puts, fb.d1.batchs, fb.d1.queries)
	}
	if d := cmp.Diff([]int{100}, fb.d1.batchSizes); d != "" {
		t.Errorf("batch sizes (-want +got):\n%s", d)
	}
	if _, ok := data[0]["page_id"]; ok {
		t.Error("CreateMany changed the caller's map")
	}
	res, err := u.Query("PAGE").WithData().Limit(1000).List(e.ctx)
	if err != nil || res.Pagination.Total != 1000 {
		t.Fatalf("list: %v", err)
	}
	got, err := u.Get(e.ctx, "PAGE", recs[999].ID())
	if err != nil || got.Get("title") != "999" || got.Get("status") != "pending" || recs[999].IsNew() {
		t.Fatalf("record 999: %v %v", got, err)
	}

	// Updates in bulk: only changed records are written.
	for i, r := range recs[:300] {
		if i%2 == 0 {
			r.Set("status", "completed")
		}
	}
	fb.d1.batchSizes = nil
	if err := u.SaveMany(e.ctx, recs[:300]); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]int{15}, fb.d1.batchSizes); d != "" {
		t.Errorf("update batch sizes (-want +got):\n%s", d)
	}
	n, err := u.Query("PAGE").Where("status", "completed").Count(e.ctx)
	if err != nil || n != 150 {
		t.Errorf("completed = %d, %v", n, err)
	}
}

func TestSaveManyValidatesEverythingFirst(t *testing.T) {
	e, fb := setupFault(t)
	u := e.ds.Auth("u1")
	_, err := u.CreateMany(e.ctx, "PAGE", []map[string]any{
		newPage("p"),
		{"url": "https://e.com"},
		newPage("p"),
		{"project_id": "p", "url": "nope", "status": "bad"},
	})
	var ve *runtime.ValidationError
	if !errors.As(err, &ve) || !ve.Bulk {
		t.Fatalf("err = %v", err)
	}
	want := []runtime.FieldError{
		{Index: 1, Field: "project_id", Code: "required", Message: "is required"},
		{Index: 3, Field: "url", Code: "format", Message: "must be a valid url"},
		{Index: 3, Field: "status", Code: "enum", Message: "must be one of pending, processing, completed, failed"},
	}
	if d := cmp.Diff(want, ve.Fields); d != "" {
		t.Errorf("fields (-want +got):\n%s", d)
	}
	if fb.kv.putManys+fb.d1.batchs != 0 {
		t.Error("invalid batch wrote")
	}
	if _, err := u.CreateMany(e.ctx, "PAGE", []map[string]any{newPage("p"), {"project_id": "p", "url": "https://e.com", "user_id": "u2"}}); !errors.Is(err, runtime.ErrForbidden) {
		t.Errorf("bulk create for another user: %v", err)
	}
	r, err := u.Create(e.ctx, "PAGE", newPage("p"))
	if err != nil {
		t.Fatal(err)
	}
	dup := newPage("p")
	dup["page_id"] = r.ID()
	if _, err := u.CreateMany(e.ctx, "PAGE", []map[string]any{newPage("p"), dup}); !errors.Is(err, runtime.ErrConflict) {
		t.Errorf("bulk create of a taken id: %v", err)
	}
}

func TestSaveManyHooks(t *testing.T) {
	tr := &trace{}
	e := setup(t,
		runtime.WithHook("PAGE", hclspec.BeforeCreate, func(_ context.Context, ev *runtime.Event) error {
			ev.Data["title"] = "hooked"
			return nil
		}),
		runtime.WithHook("PAGE", hclspec.AfterCreate, tr.hook("after", nil)),
		runtime.WithHook("PAGE", hclspec.BeforeUpdate, func(_ context.Context, ev *runtime.Event) error {
			if ev.Changes["status"] == "failed" {
				return errors.New("no failures")
			}
			return nil
		}),
	)
	u := e.ds.Auth("u1")
	recs, err := u.CreateMany(e.ctx, "PAGE", []map[string]any{newPage("p"), newPage("q")})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"after:after_create", "after:after_create"}, tr.take()); d != "" {
		t.Errorf("after hooks (-want +got):\n%s", d)
	}
	if row := e.d1Row(t, "page_meta", "page_id", recs[1].ID()); row["title"] != "hooked" {
		t.Errorf("before_create change lost: %v", row)
	}
	e.clock.Advance(time.Second)
	recs[0].Set("status", "completed")
	if err := u.SaveMany(e.ctx, recs[:1]); err != nil {
		t.Fatal(err)
	}
	if row := e.d1Row(t, "page_meta", "page_id", recs[0].ID()); row["updated_at"] != "2026-11-27T14:50:09.123Z" || row["status"] != "completed" {
		t.Errorf("bulk update with hooks: D1 row %v", row)
	}
	recs[0].Set("status", "pending")
	recs[1].Set("status", "failed")
	if err := u.SaveMany(e.ctx, recs); !errors.Is(err, runtime.ErrRejected) {
		t.Fatalf("err = %v", err)
	}
	if row := e.d1Row(t, "page_meta", "page_id", recs[0].ID()); row["status"] != "completed" {
		t.Errorf("a rejected batch wrote record 0: %v", row)
	}
}

func TestSaveManySplitsBatches(t *testing.T) {
	e, fb := setupFault(t)
	data := make([]map[string]any, 2600)
	for i := range data {
		data[i] = map[string]any{"label": fmt.Sprint(i)}
	}
	if _, err := e.ds.Auth("u1").CreateMany(e.ctx, "TOKEN", data); err != nil {
		t.Fatal(err)
	}
	// TOKEN has 4 columns: 25 rows per statement, 104 statements, sent as
	// batches of MaxBatchStatements.
	if d := cmp.Diff([]int{runtime.MaxBatchStatements, 4}, fb.d1.batchSizes); d != "" {
		t.Errorf("batch sizes (-want +got):\n%s", d)
	}
	n, err := e.ds.Auth("u1").Query("TOKEN").Count(e.ctx)
	if err != nil || n != 2600 {
		t.Errorf("count = %d, %v", n, err)
	}
}

func TestSaveManyRefusesDuplicateIDs(t *testing.T) {
	e, fb := setupFault(t)
	a, b := newPage("p"), newPage("p")
	a["page_id"], b["page_id"] = "same", "same"
	if _, err := e.ds.Auth("u1").CreateMany(e.ctx, "PAGE", []map[string]any{a, b}); !errors.Is(err, runtime.ErrConflict) {
		t.Fatalf("err = %v", err)
	}
	if fb.kv.putManys+fb.d1.batchs != 0 {
		t.Error("duplicate ids reached the stores")
	}
}
