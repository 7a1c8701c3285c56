package runtime_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/runtime"
)

// TestHookChangesRecheckedOnEveryUpdateKind: what a before hook changes is
// validated again whatever the write is (a Save, a Restore, a soft
// Delete): an invalid value or another owner is refused and nothing is
// stored, a valid change is stored.
func TestHookChangesRecheckedOnEveryUpdateKind(t *testing.T) {
	type op int
	const (
		save op = iota
		restore
		softDelete
	)
	opName := map[op]string{save: "save", restore: "restore", softDelete: "delete"}
	tests := []struct {
		name    string
		op      op
		change  func(data map[string]any)
		wantErr error  // nil: the change is stored
		field   string // the field a ValidationError names
	}{
		{"save invalid enum", save, func(d map[string]any) { d["status"] = "bogus" }, runtime.ErrInvalid, "status"},
		{"restore invalid enum", restore, func(d map[string]any) { d["status"] = "bogus" }, runtime.ErrInvalid, "status"},
		{"delete invalid enum", softDelete, func(d map[string]any) { d["status"] = "bogus" }, runtime.ErrInvalid, "status"},
		{"save other owner", save, func(d map[string]any) { d["user_id"] = "intruder" }, runtime.ErrForbidden, ""},
		{"restore other owner", restore, func(d map[string]any) { d["user_id"] = "intruder" }, runtime.ErrForbidden, ""},
		{"delete other owner", softDelete, func(d map[string]any) { d["user_id"] = "intruder" }, runtime.ErrForbidden, ""},
		{"restore wrong type", restore, func(d map[string]any) { d["last_processed"] = "yesterday" }, runtime.ErrInvalid, "last_processed"},
		{"restore created_at", restore, func(d map[string]any) { d["created_at"] = "2020-01-01T00:00:00.000Z" }, runtime.ErrInvalid, "created_at"},
		{"restore keeps deleted", restore, func(d map[string]any) { d["deleted_at"] = "2026-11-27T14:50:08.123Z" }, runtime.ErrInvalid, "deleted_at"},
		{"delete undoes itself", softDelete, func(d map[string]any) { d["deleted_at"] = nil }, runtime.ErrInvalid, "deleted_at"},
		{"restore valid change", restore, func(d map[string]any) { d["title"] = "RESTORED" }, nil, ""},
		{"delete valid change", softDelete, func(d map[string]any) { d["status"] = "failed" }, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var armed atomic.Bool
			hook := func(_ context.Context, ev *runtime.Event) error {
				if armed.Load() {
					tt.change(ev.Data)
				}
				return nil
			}
			e := setup(t,
				runtime.WithHook("PAGE", hclspec.BeforeUpdate, hook),
				runtime.WithHook("PAGE", hclspec.BeforeDelete, hook))
			u := e.ds.Auth("u1")
			r, err := u.Create(e.ctx, "PAGE", newPage("p"))
			if err != nil {
				t.Fatal(err)
			}
			if tt.op == restore {
				if err := r.Delete(e.ctx); err != nil {
					t.Fatal(err)
				}
			}
			before, err := e.ds.System().Get(e.ctx, "PAGE", r.ID(), runtime.IncludingDeleted())
			if err != nil {
				t.Fatal(err)
			}
			row := e.d1Row(t, "page_meta", "page_id", r.ID())
			armed.Store(true)
			switch tt.op {
			case save:
				r.Set("title", "changed")
				err = r.Save(e.ctx)
			case restore:
				err = r.Restore(e.ctx)
			case softDelete:
				err = r.Delete(e.ctx)
			}
			armed.Store(false)
			after, gerr := e.ds.System().Get(e.ctx, "PAGE", r.ID(), runtime.IncludingDeleted())
			if gerr != nil {
				t.Fatal(gerr)
			}
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("%s: %v", opName[tt.op], err)
				}
				want := map[string]any{}
				tt.change(want)
				for k, v := range want {
					if after.Get(k) != v {
						t.Errorf("stored %s = %v, want %v", k, after.Get(k), v)
					}
				}
				if (tt.op == restore) == after.IsDeleted() {
					t.Errorf("after %s: deleted_at = %v", opName[tt.op], after.Get("deleted_at"))
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("%s: err = %v, want %v", opName[tt.op], err, tt.wantErr)
			}
			if tt.field != "" {
				var ve *runtime.ValidationError
				if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != tt.field {
					t.Errorf("err = %v, want one failing field %s", err, tt.field)
				}
			}
			if !strings.Contains(err.Error(), "PAGE") {
				t.Errorf("err %q does not name the model", err)
			}
			for _, f := range []string{"status", "user_id", "title", "deleted_at", "created_at", "last_processed", "_auth"} {
				if !cmp.Equal(before.Get(f), after.Get(f)) {
					t.Errorf("refused %s stored %s: %v -> %v", opName[tt.op], f, before.Get(f), after.Get(f))
				}
			}
			if got := e.d1Row(t, "page_meta", "page_id", r.ID()); !cmp.Equal(got, row) {
				t.Errorf("refused %s changed the D1 row:\n%v\n%v", opName[tt.op], row, got)
			}
		})
	}
}
