package runtime_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/runtime"
)

// TestScopedCreateSetsAuthOnAuthOnlyModel: on a model with auth but no
// user_tracking only System sets _auth, on create as on update: a scoped
// create that lists other users is refused (read-only, nothing written)
// rather than stored with the list silently replaced; a list naming just
// the creator is what the runtime would set, and is accepted.
func TestScopedCreateSetsAuthOnAuthOnlyModel(t *testing.T) {
	e := setup(t)
	alice := e.ds.Auth("alice")
	_, err := alice.Create(e.ctx, "NOTE", map[string]any{"note_id": "n1", "text": "x", "_auth": []any{"alice", "bob"}})
	if !errors.Is(err, runtime.ErrInvalid) || !strings.Contains(err.Error(), "_auth: is read-only") {
		t.Fatalf("a scoped create lists bob in _auth: err = %v, want _auth read-only", err)
	}
	if _, err := e.ds.System().Get(e.ctx, "NOTE", "n1"); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("the refused create was written: %v", err)
	}
	_, err = alice.CreateMany(e.ctx, "NOTE", []map[string]any{{"text": "ok"}, {"text": "y", "_auth": []string{"bob"}}})
	var ve *runtime.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Index != 1 || ve.Fields[0].Field != "_auth" {
		t.Errorf("bulk: err = %v, want record 1's _auth refused", err)
	}
	r, err := alice.Create(e.ctx, "NOTE", map[string]any{"text": "x", "_auth": []string{"alice"}})
	if err != nil || fmt.Sprint(r.Get("_auth")) != "[alice]" {
		t.Errorf("a scoped create with _auth = [alice]: %v", err)
	}
}
