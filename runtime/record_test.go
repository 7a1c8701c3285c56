package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/runtime"
)

func TestRecordLifecycle(t *testing.T) {
	e := setup(t)
	u := e.ds.Auth("u1")
	r := u.New("PAGE")
	if !r.IsNew() || r.Model() != "PAGE" || r.ID() != "" {
		t.Fatalf("new record: IsNew=%v Model=%q ID=%q", r.IsNew(), r.Model(), r.ID())
	}
	r.Set("project_id", "p1")
	r.SetAll(map[string]any{"url": "https://example.com", "title": "One"})
	if got := r.Get("title"); got != "One" {
		t.Fatalf("Get = %v", got)
	}
	if err := r.Save(e.ctx); err != nil {
		t.Fatal(err)
	}
	if r.IsNew() || r.IsDeleted() {
		t.Fatal("saved record still new or deleted")
	}
	id := r.ID()

	// Load into a fresh record.
	l := u.New("PAGE")
	if err := l.Load(e.ctx, id); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(r.Data(), l.Data()); d != "" {
		t.Errorf("Load (-saved +loaded):\n%s", d)
	}

	// Data is a copy.
	l.Data()["title"] = "changed"
	if l.Get("title") != "One" {
		t.Error("Data() is not a copy")
	}

	// Update: changes, updated_at moves, created_at stays.
	e.clock.Advance(time.Minute)
	l.Set("status", "completed")
	if d := cmp.Diff(map[string]any{"status": "completed"}, l.Changes()); d != "" {
		t.Errorf("Changes (-want +got):\n%s", d)
	}
	if err := l.Save(e.ctx); err != nil {
		t.Fatal(err)
	}
	row := e.d1Row(t, "page_meta", "page_id", id)
	if row["status"] != "completed" || row["updated_at"] != "2026-11-27T14:51:08.123Z" || row["created_at"] != "2026-11-27T14:50:08.123Z" {
		t.Errorf("D1 row after update: %v", row)
	}
	if len(l.Changes()) != 0 {
		t.Errorf("Changes after Save = %v", l.Changes())
	}

	// An update without changes writes nothing.
	e.clock.Advance(time.Minute)
	if err := l.Save(e.ctx); err != nil {
		t.Fatal(err)
	}
	if row := e.d1Row(t, "page_meta", "page_id", id); row["updated_at"] != "2026-11-27T14:51:08.123Z" {
		t.Errorf("no-op save wrote: %v", row)
	}

	// The primary key cannot change.
	l.Set("page_id", "other")
	if err := l.Save(e.ctx); !errors.Is(err, runtime.ErrInvalid) {
		t.Errorf("changing the primary key: %v", err)
	}
}

func TestHandleHelpers(t *testing.T) {
	e := setup(t)
	u := e.ds.Auth("u1")
	r, err := u.Create(e.ctx, "PAGE", newPage("p1"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := u.Get(e.ctx, "PAGE", r.ID())
	if err != nil || got.Get("title") != "T" {
		t.Fatalf("Get: %v %v", got, err)
	}
	up, err := u.Update(e.ctx, "PAGE", r.ID(), map[string]any{"title": "New"})
	if err != nil || up.Get("title") != "New" {
		t.Fatalf("Update: %v", err)
	}
	if err := u.Delete(e.ctx, "PAGE", r.ID()); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Get(e.ctx, "PAGE", r.ID()); !errors.Is(err, runtime.ErrNotFound) {
		t.Fatalf("Get after delete: %v", err)
	}
	if del, err := u.Get(e.ctx, "PAGE", r.ID(), runtime.IncludingDeleted()); err != nil || !del.IsDeleted() {
		t.Fatalf("Get IncludingDeleted: %v", err)
	}
	if err := u.Restore(e.ctx, "PAGE", r.ID()); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Get(e.ctx, "PAGE", r.ID()); err != nil {
		t.Fatalf("Get after restore: %v", err)
	}
	// Restoring a live record does nothing.
	if err := u.Restore(e.ctx, "PAGE", r.ID()); err != nil {
		t.Fatal(err)
	}
}

func TestErrorKinds(t *testing.T) {
	e := setup(t)
	u := e.ds.Auth("u1")
	existing, err := u.Create(e.ctx, "PAGE", newPage("p1"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		do   func() error
		want error
	}{
		{"unknown model New", func() error { return u.New("NOPE").Save(e.ctx) }, runtime.ErrUnknownModel},
		{"unknown model Get", func() error { _, err := u.Get(e.ctx, "NOPE", "x"); return err }, runtime.ErrUnknownModel},
		{"unknown model Create", func() error { _, err := u.Create(e.ctx, "NOPE", nil); return err }, runtime.ErrUnknownModel},
		{"unknown field", func() error {
			p := newPage("p1")
			p["bogus"] = 1
			_, err := u.Create(e.ctx, "PAGE", p)
			return err
		}, runtime.ErrUnknownField},
		{"missing id", func() error { _, err := u.Get(e.ctx, "PAGE", "missing"); return err }, runtime.ErrNotFound},
		{"empty id", func() error { _, err := u.Get(e.ctx, "PAGE", ""); return err }, runtime.ErrNotFound},
		{"delete unsaved", func() error { return u.New("PAGE").Delete(e.ctx) }, runtime.ErrNotFound},
		{"restore unsaved", func() error { return u.New("PAGE").Restore(e.ctx) }, runtime.ErrNotFound},
		{"restore hard-delete model", func() error {
			r, err := u.Create(e.ctx, "TOKEN", map[string]any{"label": "x"})
			if err != nil {
				return err
			}
			return r.Restore(e.ctx)
		}, runtime.ErrInvalid},
		{"id taken", func() error {
			p := newPage("p1")
			p["page_id"] = existing.ID()
			_, err := u.Create(e.ctx, "PAGE", p)
			return err
		}, runtime.ErrConflict},
		{"empty auth user", func() error { _, err := e.ds.Auth("").Get(e.ctx, "PAGE", existing.ID()); return err }, runtime.ErrForbidden},
		{"empty auth user create", func() error { _, err := e.ds.Auth("").Create(e.ctx, "PAGE", newPage("p")); return err }, runtime.ErrForbidden},
		{"create for another user", func() error {
			p := newPage("p1")
			p["user_id"] = "u2"
			_, err := u.Create(e.ctx, "PAGE", p)
			return err
		}, runtime.ErrForbidden},
		{"give away", func() error {
			_, err := u.Update(e.ctx, "PAGE", existing.ID(), map[string]any{"user_id": "u2"})
			return err
		}, runtime.ErrForbidden},
		{"system create without owner", func() error { _, err := e.ds.System().Create(e.ctx, "PAGE", newPage("p1")); return err }, runtime.ErrInvalid},
		{"hook on unknown model", func() error { return e.ds.Hook("NOPE", "after_create", nopHook) }, runtime.ErrUnknownModel},
		{"hook on unknown event", func() error { return e.ds.Hook("PAGE", "on_save", nopHook) }, runtime.ErrInvalid},
		{"nil hook", func() error { return e.ds.Hook("PAGE", "after_create", nil) }, runtime.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.do(); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func nopHook(context.Context, *runtime.Event) error { return nil }

func TestZeroRecordDoesNotPanic(t *testing.T) {
	var r runtime.Record
	r.Set("title", "x")
	r.SetAll(map[string]any{"a": 1})
	if err := r.Save(context.Background()); !errors.Is(err, runtime.ErrInvalid) {
		t.Errorf("Save of a zero Record: %v", err)
	}
	if err := r.Load(context.Background(), "x"); !errors.Is(err, runtime.ErrInvalid) {
		t.Errorf("Load of a zero Record: %v", err)
	}
	if r.ID() != "" || r.Model() != "" || !r.IsNew() {
		t.Error("zero Record accessors")
	}
}

func TestConcurrentUse(t *testing.T) {
	e := setup(t)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			u := e.ds.Auth(fmt.Sprintf("user_%d", g))
			for i := 0; i < 25; i++ {
				r, err := u.Create(e.ctx, "PAGE", newPage("p"))
				if err != nil {
					errs <- err
					return
				}
				r.Set("status", "completed")
				if err := r.Save(e.ctx); err != nil {
					errs <- err
					return
				}
				if _, err := u.Query("PAGE").WithData().List(e.ctx); err != nil {
					errs <- err
					return
				}
				if i == 10 {
					if err := e.ds.Hook("PAGE", "after_update", nopHook); err != nil {
						errs <- err
						return
					}
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	n, err := e.ds.System().Query("PAGE").Where("status", "completed").Count(e.ctx)
	if err != nil || n != 100 {
		t.Errorf("count = %d, %v", n, err)
	}
}

func TestOpenRefusesSpecWithoutFilterColumns(t *testing.T) {
	e := setup(t)
	spec := loadSpec(t)
	m := spec.Model("PAGE")
	m.D1.SyncFields = []string{"page_id", "project_id"}
	if _, err := runtime.Open(e.ctx, spec, e.store); err == nil || !strings.Contains(err.Error(), "user_id") {
		t.Errorf("Open = %v", err)
	}
}
