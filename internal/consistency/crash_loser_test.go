package consistency

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/runtime"
)

// loserStore is the "loser" child's backend: its KV reads miss (a stale
// read, as Workers KV may serve for up to a minute, so the taken-id check
// of a create passes although another process's create took the id), and
// it dies with SIGKILL just before the D1 INSERT of a create, which D1
// would have refused.
type loserStore struct{ backend.Backend }

func (l loserStore) KV() backend.KV { return missKV{l.Backend.KV()} }
func (l loserStore) D1() backend.D1 { return dieD1{l.Backend.D1()} }

type missKV struct{ backend.KV }

func (missKV) Get(context.Context, string, string) (backend.Entry, error) {
	return backend.Entry{}, backend.ErrKeyNotFound
}

type dieD1 struct{ backend.D1 }

func (d dieD1) Query(ctx context.Context, st backend.Stmt) (*backend.Result, error) {
	if strings.Contains(st.SQL, "DO NOTHING") {
		os.Stdout.WriteString("killed before the insert\n")
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
	return d.D1.Query(ctx, st)
}

// loserChild creates ACCT x (title "B"), which the parent created first.
func loserChild(ctx context.Context, store backend.Backend) int {
	spec, err := raceSpecFor()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ds, err := runtime.Open(ctx, spec, loserStore{store}, runtime.WithEnvironment(env), runtime.WithLogger(quiet))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	_, err = ds.System().Create(ctx, "ACCT", map[string]any{"acct_id": "x", "title": "B", "email": "b@example.com", "note": "nB"})
	fmt.Fprintln(os.Stderr, "the losing create returned:", err)
	return 1
}

// TestCrashLosingCreate: process A's create of x is acknowledged; process
// B's create of x passes its taken-id check (a stale KV read), overwrites
// A's KV object and is killed before its INSERT. reconcile -fix must not
// copy B's never-acknowledged object over A's row: it names x as a
// decision (two creates of the id), and taking D1's side converges with
// A's acknowledged values.
func TestCrashLosingCreate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store, err := local.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	spec := raceSpec(t)
	migrate(t, ctx, spec, store, applier.Options{})
	a, err := runtime.Open(ctx, spec, store, runtime.WithEnvironment(env), runtime.WithLogger(quiet),
		runtime.WithClock(func() time.Time { return time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC) }))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.System().Create(ctx, "ACCT", map[string]any{"acct_id": "x", "title": "A", "email": "a@example.com", "note": "nA"}); err != nil {
		t.Fatal(err)
	}
	lines := startChild(t, dir, 1, "loser", time.Minute)
	if len(lines) != 1 || lines[0] != "killed before the insert" {
		t.Fatalf("child printed %q", lines)
	}
	ds := open(t, ctx, spec, store)
	rep, err := operator.Reconcile(ctx, ds, operator.ReconcileOptions{Fix: true})
	if err != nil {
		t.Fatal(err)
	}
	if r := row(t, ctx, store, "x"); r["title"] != "A" || r["email"] != "a@example.com" {
		t.Fatalf("-fix replaced the acknowledged row with the killed loser's: %v", r)
	}
	if got := rep.Refused(); len(got) != 1 || len(got["ACCT"]) != 1 || got["ACCT"][0] != "x" || rep.Unrepaired() != 1 {
		t.Fatalf("decisions = %v (unrepaired %d), want x: %v", got, rep.Unrepaired(), drift(rep))
	}
	if _, err := operator.TakeD1(ctx, ds, "ACCT", []string{"x"}); err != nil {
		t.Fatal(err)
	}
	if rep, err = operator.Reconcile(ctx, ds, operator.ReconcileOptions{}); err != nil || rep.Drifted() {
		t.Fatalf("drift after take-d1: %v %v", err, drift(rep))
	}
	if obj, ok := stored(t, ctx, ds, "x"); !ok || obj["title"] != "A" || obj["email"] != "a@example.com" {
		t.Errorf("x after take-d1: %v", obj)
	}
}
