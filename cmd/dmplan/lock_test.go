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
