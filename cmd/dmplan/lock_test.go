package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend/local"
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
	}{
		{"no id", []string{"force-unlock"}, exitError, "", "needs the lock ID"},
		{"wrong id", []string{"force-unlock", "not-the-id", dir}, exitError, "", "held by crashed@host"},
		{"blocked apply", []string{"apply", "-auto-approve", dir}, exitError, "", lock.ID},
		{"right id", []string{"force-unlock", lock.ID, dir}, exitOK, "Lock " + lock.ID + " removed (held by crashed@host for apply", ""},
		{"apply runs", []string{"apply", "-auto-approve", dir}, exitOK, "Apply complete", ""},
		{"already removed", []string{"force-unlock", lock.ID, dir}, exitError, "", "no lock with id"},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		c := &cli{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}
		if code := c.run(ctx, tt.args); code != tt.code {
			t.Fatalf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", tt.name, code, tt.code, out.String(), errOut.String())
		}
		if !strings.Contains(out.String(), tt.out) || !strings.Contains(errOut.String(), tt.inErr) {
			t.Errorf("%s: stdout %q, stderr %q; want %q in stdout and %q in stderr", tt.name, out.String(), errOut.String(), tt.out, tt.inErr)
		}
	}
}
