package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/internal/view"
)

// TestApplyWhileLocked holds the target's lock as another apply would and
// checks that apply refuses (naming the holder) or waits up to
// -lock-timeout for it.
func TestApplyWhileLocked(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.dm.hcl"), []byte(approveHCL), 0o644); err != nil {
		t.Fatal(err)
	}
	store, err := local.Open(ctx, filepath.Join(dir, ".dmplan"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	lock, err := applier.AcquireLock(ctx, store.D1(), applier.LockOptions{Who: "ci@runner-7", Operation: "apply"})
	if err != nil {
		t.Fatal(err)
	}

	var out, errOut bytes.Buffer
	c := &cli{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}
	if code := c.run(ctx, []string{"apply", "-auto-approve", dir}); code != exitError {
		t.Fatalf("exit %d while locked, want %d", code, exitError)
	}
	if !strings.Contains(errOut.String(), "held by ci@runner-7 (apply)") {
		t.Errorf("stderr does not name the holder:\n%s", errOut.String())
	}

	// Released while the second apply waits: it proceeds.
	go func() {
		time.Sleep(200 * time.Millisecond)
		lock.Release(ctx)
	}()
	out.Reset()
	errOut.Reset()
	if code := c.run(ctx, []string{"apply", "-auto-approve", "-lock-timeout", "30s", dir}); code != exitOK {
		t.Fatalf("exit %d after the lock was released, want 0\n%s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "Apply complete") {
		t.Errorf("no apply summary:\n%s", out.String())
	}
}

// TestForceUnlock: a lease whose holder is gone is removed by its id, after
// which apply runs; a wrong id changes nothing and says who holds the lock.
func TestForceUnlock(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.dm.hcl"), []byte(approveHCL), 0o644); err != nil {
		t.Fatal(err)
	}
	store, err := local.Open(ctx, filepath.Join(dir, ".dmplan"))
	if err != nil {
		t.Fatal(err)
	}
	lock, err := applier.AcquireLock(ctx, store.D1(), applier.LockOptions{Who: "crashed@host", Operation: "apply"})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	// The holder never releases: force-unlock takes the lease from it, and
	// its next renewal finds the lease lost.

	tests := []struct {
		name       string
		args       []string
		code       int
		out, inErr string
		// tty and input make stdin a terminal that answers input.
		tty   bool
		input string
	}{
		{name: "no id", args: []string{"force-unlock"}, code: exitError, inErr: "needs the lock ID"},
		{name: "no id shows usage", args: []string{"force-unlock"}, code: exitError, inErr: "Usage: dmplan force-unlock [flags] ID [DIR]"},
		{name: "wrong id", args: []string{"force-unlock", "not-the-id", dir}, code: exitError, inErr: "held by crashed@host"},
		{name: "blocked apply", args: []string{"apply", "-auto-approve", dir}, code: exitError, inErr: lock.ID},
		{name: "no terminal, no -force", args: []string{"force-unlock", lock.ID, dir}, code: exitError,
			inErr: "stdin is not a terminal: lock " + lock.ID + " is held by crashed@host for apply since "},
		{name: "answered no", args: []string{"force-unlock", lock.ID, dir}, code: exitError, tty: true, input: "no\n",
			out: "Do you really want to force-unlock?\n  Only 'yes' will be accepted."},
		{name: "still held", args: []string{"apply", "-auto-approve", dir}, code: exitError, inErr: lock.ID},
		{name: "answered yes", args: []string{"force-unlock", lock.ID, dir}, code: exitOK, tty: true, input: "yes\n",
			out: "Lock " + lock.ID + " removed (held by crashed@host for apply"},
		{name: "apply runs", args: []string{"apply", "-auto-approve", dir}, code: exitOK, out: "Apply complete"},
		{name: "already removed", args: []string{"force-unlock", "-force", lock.ID, dir}, code: exitError, inErr: "no lock with id"},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		c := &cli{stdin: strings.NewReader(tt.input), stdinTTY: tt.tty, stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}
		if code := c.run(ctx, tt.args); code != tt.code {
			t.Fatalf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", tt.name, code, tt.code, out.String(), errOut.String())
		}
		if !strings.Contains(out.String(), tt.out) || !strings.Contains(errOut.String(), tt.inErr) {
			t.Errorf("%s: stdout %q, stderr %q; want %q in stdout and %q in stderr", tt.name, out.String(), errOut.String(), tt.out, tt.inErr)
		}
	}

	// -force removes a lock without asking, also without a terminal.
	lock2, err := applier.AcquireLock(ctx, store.D1(), applier.LockOptions{Who: "other@host", Operation: "apply"})
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := dmplanRun(t, "force-unlock", "-force", lock2.ID, dir)
	if code != exitOK || strings.Contains(out, "Do you really") || !strings.Contains(out, "Lock "+lock2.ID+" removed") {
		t.Errorf("force-unlock -force: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

// TestApplyReplansAStalePlan: apply DIR plans before it takes the lock; a
// live schema that changed in between (an unrelated table here) is planned
// again under the lock, and the same steps are applied. A saved plan is
// refused instead (it was approved as it is).
func TestApplyReplansAStalePlan(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.dm.hcl"), []byte(approveHCL), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	c := &cli{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}
	var spec *hclspec.Spec
	v := view.NewApply(view.Human, c.streams(viewArgs{Format: view.Human}, &spec))
	job, err := c.freshPlan(ctx, applyArgs{Path: dir}, &spec, v)
	if err != nil {
		t.Fatal(err)
	}
	store, err := local.Open(ctx, filepath.Join(dir, ".dmplan"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.D1().Query(ctx, backend.Stmt{SQL: "CREATE TABLE unrelated (x TEXT)"}); err != nil {
		t.Fatal(err)
	}
	store.Close()

	saved := *job
	saved.saved = true
	if _, err := c.execute(ctx, &saved, v); !errors.Is(err, applier.ErrStalePlan) {
		t.Fatalf("saved plan: err = %v, want ErrStalePlan", err)
	}
	res, err := c.execute(ctx, job, v)
	if err != nil {
		t.Fatalf("apply of a plan the live schema moved under: %v", err)
	}
	if res.Outcome != view.OutcomeApplied || res.StepsApplied == 0 {
		t.Errorf("result %+v", res)
	}
	if code, out, errOut := dmplanRun(t, "plan", "-detailed-exitcode", dir); code != exitOK {
		t.Errorf("plan after apply: exit %d\n%s\n%s", code, out, errOut)
	}
}
