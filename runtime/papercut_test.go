package runtime_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/runtime"
)

// TestManagedFieldsAreReadOnly: an update that changes a field the runtime
// manages is refused naming it, rather than silently reverted.
func TestManagedFieldsAreReadOnly(t *testing.T) {
	tests := []struct {
		name    string
		system  bool
		set     map[string]any
		want    error
		wantMsg string
	}{
		{"created_at", false, map[string]any{"created_at": "2020-01-01T00:00:00Z"}, runtime.ErrInvalid, "created_at: is read-only"},
		{"deleted_at", false, map[string]any{"deleted_at": "2020-01-01T00:00:00Z"}, runtime.ErrInvalid, "deleted_at: is read-only"},
		{"_auth shared by the owner", false, map[string]any{"_auth": []any{"alice", "bob"}}, nil, ""},
		{"_auth without the owner, by the system handle", true, map[string]any{"_auth": []any{"bob"}}, runtime.ErrInvalid, "_auth: must list the record's owner"},
		{"user_id by the owner", false, map[string]any{"user_id": "bob"}, runtime.ErrForbidden, "another user"},
		{"created_at unchanged", false, map[string]any{"created_at": "2026-11-27T14:50:08.123Z", "title": "x"}, nil, ""},
		{"user_id by the system handle (reassign)", true, map[string]any{"user_id": "bob"}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t)
			alice := e.ds.Auth("alice")
			r, err := alice.Create(e.ctx, "PAGE", newPage("p1"))
			if err != nil {
				t.Fatal(err)
			}
			h := alice
			if tt.system {
				h = e.ds.System()
			}
			_, err = h.Update(e.ctx, "PAGE", r.ID(), tt.set)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if err != nil && !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("err = %v, want it to say %q", err, tt.wantMsg)
			}
		})
	}
}

// TestDeleteRestoreErrorsNameTheOperation: every Delete and Restore error
// starts with the operation, model and id.
func TestDeleteRestoreErrorsNameTheOperation(t *testing.T) {
	e := setup(t)
	u := e.ds.Auth("u1")
	r, err := u.Create(e.ctx, "PAGE", newPage("p1"))
	if err != nil {
		t.Fatal(err)
	}
	e.ds.Hook("PAGE", "before_delete", func(_ context.Context, ev *runtime.Event) error {
		if ev.ID == "locked" {
			return errors.New("locked")
		}
		return nil
	})
	locked, err := u.Create(e.ctx, "PAGE", map[string]any{"page_id": "locked", "project_id": "p1", "url": "https://example.com/l"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		call   func() error
		want   error
		prefix string
	}{
		{"delete missing", func() error { return u.Delete(e.ctx, "PAGE", "missing") }, runtime.ErrNotFound, "delete PAGE missing: "},
		{"restore missing", func() error { return u.Restore(e.ctx, "PAGE", "missing") }, runtime.ErrNotFound, "restore PAGE missing: "},
		{"delete unknown model", func() error { return u.Delete(e.ctx, "NOPE", "x") }, runtime.ErrUnknownModel, "delete NOPE x: "},
		{"delete rejected by a hook", func() error { return locked.Delete(e.ctx) }, runtime.ErrRejected, "delete PAGE locked: "},
		{"delete twice", func() error {
			if err := r.Delete(e.ctx); err != nil {
				return err
			}
			return r.Delete(e.ctx)
		}, runtime.ErrNotFound, "delete PAGE " + r.ID() + ": "},
		{"restore of a hard-delete model", func() error { return e.ds.System().New("TOKEN").Restore(e.ctx) }, runtime.ErrInvalid, "restore TOKEN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), tt.prefix) {
				t.Errorf("err = %q, want it to start with %q", err, tt.prefix)
			}
		})
	}
}

// TestInvalidUTF8IsRefused: a string field with invalid UTF-8 is a type
// error naming the field, before anything is written (KV's JSON could not
// hold it as it is, and D1 would).
func TestInvalidUTF8IsRefused(t *testing.T) {
	e := setup(t)
	alice := e.ds.Auth("alice")
	p := newPage("p1")
	p["page_id"] = "page-1"
	p["title"] = "bad\xffutf8"
	_, err := alice.Create(e.ctx, "PAGE", p)
	var ve *runtime.ValidationError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "title: must be valid UTF-8 text") {
		t.Fatalf("err = %v, want a validation error for title", err)
	}
	if len(ve.Fields) != 1 || ve.Fields[0].Code != runtime.CodeType {
		t.Errorf("fields = %+v, want one %s", ve.Fields, runtime.CodeType)
	}
	if row := e.d1Row(t, "page_meta", "page_id", "page-1"); row != nil {
		t.Errorf("a D1 row was written: %v", row)
	}
}
