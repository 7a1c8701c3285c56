package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/runtime"
)

// lostAnswer is a backend's typed error for a write whose answer was lost.
type lostAnswer struct{ attempts int }

func (e *lostAnswer) Error() string { return fmt.Sprintf("answer lost %d times", e.attempts) }
func (e *lostAnswer) Unwrap() error { return backend.ErrOutcomeUnknown }

// lostAnswerKV runs every PutMany and then reports its outcome as unknown,
// as a backend does when the answer to a write that ran was lost.
type lostAnswerKV struct{ backend.KV }

func (k lostAnswerKV) PutMany(ctx context.Context, ns string, es []backend.Entry) error {
	if err := k.KV.PutMany(ctx, ns, es); err != nil {
		return err
	}
	return fmt.Errorf("kv put many: %w", &lostAnswer{attempts: 4})
}

type lostAnswerBackend struct{ backend.Backend }

func (b lostAnswerBackend) KV() backend.KV { return lostAnswerKV{b.Backend.KV()} }

// TestSaveManyUnknownKVTakenBack: when the bulk KV put of a SaveMany ran
// but its answer was lost, the take-back settles the outcome: nothing of
// the call is stored, so the error must not say the outcome is unknown
// (nor be a partial write), while it still names the KV failure and its
// typed cause.
func TestSaveManyUnknownKVTakenBack(t *testing.T) {
	e := setup(t)
	u := e.ds.Auth("u1")
	old, err := u.Create(e.ctx, "PAGE", newPage("old"))
	if err != nil {
		t.Fatal(err)
	}
	ds, err := runtime.Open(e.ctx, e.spec, lostAnswerBackend{e.store})
	if err != nil {
		t.Fatal(err)
	}
	fu := ds.Auth("u1")
	a := fu.New("PAGE")
	a.SetAll(newPage("p"))
	upd, err := fu.Get(e.ctx, "PAGE", old.ID())
	if err != nil {
		t.Fatal(err)
	}
	upd.Set("title", "changed")
	err = fu.SaveMany(e.ctx, []*runtime.Record{a, upd})
	switch {
	case err == nil:
		t.Fatal("SaveMany succeeded, want the KV failure")
	case errors.Is(err, backend.ErrOutcomeUnknown):
		t.Errorf("err = %v: says the outcome is unknown although the writes were taken back", err)
	case errors.Is(err, runtime.ErrPartialWrite):
		t.Errorf("err = %v: a partial write although nothing is stored", err)
	}
	if la := (*lostAnswer)(nil); !errors.As(err, &la) || la.attempts != 4 {
		t.Errorf("err = %v: the backend's typed error is no longer found with errors.As", err)
	}
	if _, err := u.Get(e.ctx, "PAGE", a.ID()); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("the new PAGE after the failed SaveMany: %v, want ErrNotFound", err)
	}
	if r, err := u.Get(e.ctx, "PAGE", old.ID()); err != nil || r.Get("title") != "T" {
		t.Errorf("the updated PAGE after the failed SaveMany: %v %v, want its stored title", err, r.Data())
	}
}
