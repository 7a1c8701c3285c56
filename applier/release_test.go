package applier

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/dmplan/dmplan/backend"
)

// flakyRelease fails the first n deletes of the lock's lease.
type flakyRelease struct {
	backend.Backend
	mu   sync.Mutex
	fail int
}

type flakyD1 struct {
	backend.D1
	f *flakyRelease
}

func (f *flakyRelease) D1() backend.D1 { return flakyD1{f.Backend.D1(), f} }

func (d flakyD1) Query(ctx context.Context, st backend.Stmt) (*backend.Result, error) {
	if st.SQL == lockDelete {
		d.f.mu.Lock()
		fail := d.f.fail > 0
		if fail {
			d.f.fail--
		}
		d.f.mu.Unlock()
		if fail {
			return nil, errors.New("d1: 503 service unavailable")
		}
	}
	return d.D1.Query(ctx, st)
}

// A lease the first delete could not remove is deleted again; one that
// stays is reported with the force-unlock command, and the apply still
// succeeds (its work is done).
func TestApplyReleasesTheLock(t *testing.T) {
	for _, tt := range []struct {
		name     string
		failures int
		held     bool
	}{
		{"a failed delete is tried again", 1, false},
		{"a lease that stays is reported", releaseAttempts, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			store := openStore(t)
			b := &flakyRelease{Backend: store, fail: tt.failures}
			var logs bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&logs, nil))
			if _, err := Apply(ctx, b, makePlan(t, store, loadSpec(t, baseHCL)), Options{Logger: logger}); err != nil {
				t.Fatalf("Apply: %v", err)
			}
			holder, err := LockHolder(ctx, store.D1())
			if err != nil {
				t.Fatal(err)
			}
			if (holder != nil) != tt.held {
				t.Fatalf("lease after apply: %+v, want held %v", holder, tt.held)
			}
			warned := strings.Contains(logs.String(), "dmplan force-unlock "+func() string {
				if holder != nil {
					return holder.ID
				}
				return ""
			}())
			if tt.held && !warned {
				t.Errorf("no force-unlock hint in the logs:\n%s", logs.String())
			}
			if !tt.held && strings.Contains(logs.String(), "not_released") {
				t.Errorf("a released lock was reported:\n%s", logs.String())
			}
		})
	}
}

// failNote fails the D1 batch that creates table note.
type failNote struct{ backend.Backend }

type failNoteD1 struct{ backend.D1 }

func (f failNote) D1() backend.D1 { return failNoteD1{f.Backend.D1()} }

func (d failNoteD1) Batch(ctx context.Context, sts []backend.Stmt) ([]*backend.Result, error) {
	for _, st := range sts {
		if strings.Contains(st.SQL, `CREATE TABLE "note"`) {
			return nil, errors.New("d1: creating note failed at accounts/acct-secret-1")
		}
	}
	return d.D1.Batch(ctx, sts)
}

// The restore point is taken once Apply holds the lock, and history stores
// errors as Redact words them.
func TestApplyRestorePointAndRedact(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	b := failNote{store}
	p := makePlan(t, store, loadSpec(t, baseHCL))
	var lockedAtRestorePoint bool
	rep, err := Apply(ctx, b, p, Options{
		MaxBatchStatements: 1, // one statement a batch: the failure is a step of its own
		RestorePoint: func(ctx context.Context) string {
			h, err := LockHolder(ctx, store.D1())
			lockedAtRestorePoint = err == nil && h != nil
			return "bm-1"
		},
		Redact: func(err error) string { return strings.ReplaceAll(err.Error(), "acct-secret-1", "(sensitive)") },
	})
	if err == nil || rep == nil || rep.Bookmark != "bm-1" {
		t.Fatalf("Apply = %+v, %v; want a failed apply reporting bookmark bm-1", rep, err)
	}
	if !lockedAtRestorePoint {
		t.Error("the restore point was taken without the lock")
	}
	hist, herr := History(ctx, store.D1(), 0)
	if herr != nil || len(hist) != 1 {
		t.Fatalf("history: %v %v", hist, herr)
	}
	if hist[0].Bookmark != "bm-1" || strings.Contains(hist[0].Error, "acct-secret-1") || !strings.Contains(hist[0].Error, "(sensitive)") {
		t.Errorf("history row: bookmark %q, error %q", hist[0].Bookmark, hist[0].Error)
	}
	// A refusal before any write (a held lock) reports no bookmark.
	l, err := AcquireLock(ctx, store.D1(), LockOptions{Who: "someone"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release(ctx)
	called := false
	rep, err = Apply(ctx, store, makePlan(t, store, loadSpec(t, baseHCL)), Options{
		RestorePoint: func(context.Context) string { called = true; return "bm-2" },
	})
	var le *LockedError
	if !errors.As(err, &le) || rep != nil || called {
		t.Errorf("locked: rep %+v, err %v, restore point taken %v", rep, err, called)
	}
}
