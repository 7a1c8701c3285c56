package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
)

// plan prefetches DIR/.dmplan while the configuration loads; a
// configuration whose own "local" environment is elsewhere, or another
// -env, must be planned against that target and not the prefetched one.
func TestPlanPrefetchOnlyForItsTarget(t *testing.T) {
	dir, _ := reconcileFixture(t, 0) // NOTE applied to DIR/.dmplan
	taken := prefetchesTaken.Load()
	if code, out, errOut := dmplanRun(t, "plan", "-no-color", dir); code != exitOK || !strings.Contains(out, "No changes") {
		t.Fatalf("plan after apply: exit %d\n%s\n%s", code, out, errOut)
	}
	if got := prefetchesTaken.Load() - taken; got != 1 {
		t.Errorf("plan of the default target used %d prefetches, want 1", got)
	}
	taken = prefetchesTaken.Load()

	// The configuration declares its own local environment in another
	// directory: everything is still to create there.
	other := reconcileHCL + "\nenvironment \"local\" {\n  backend = \"local\"\n  path    = \"elsewhere\"\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "notes.dm.hcl"), []byte(other), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := dmplanRun(t, "plan", "-no-color", dir)
	if code != exitOK || !strings.Contains(out, "create table note") || !strings.Contains(out, filepath.Join("elsewhere", "d1.sqlite")) {
		t.Errorf("plan against a declared local elsewhere: exit %d\n%s\n%s", code, out, errOut)
	}
	if got := prefetchesTaken.Load() - taken; got != 0 {
		t.Errorf("plan of another target used %d prefetches", got)
	}
	// An incomplete DIR/.dmplan is not opened (opening would create the
	// missing file), whatever the configuration says.
	if err := os.Remove(filepath.Join(dir, hclspec.DefaultLocalPath, local.KVFile)); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := dmplanRun(t, "plan", "-no-color", dir); code != exitOK {
		t.Fatalf("plan: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, hclspec.DefaultLocalPath, local.KVFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("plan against another target created %s in DIR/.dmplan (stat: %v)", local.KVFile, err)
	}
	// Another -env is not prefetched at all.
	if p := startPrefetch(context.Background(), dir, "staging"); p != nil {
		t.Error("prefetched for -env staging")
	}
}

func TestPrefetchTake(t *testing.T) {
	dir, _ := reconcileFixture(t, 0)
	ctx := context.Background()
	path := filepath.Join(absDir(dir), hclspec.DefaultLocalPath)

	p := startPrefetch(ctx, dir, "")
	if p == nil {
		t.Fatal("no prefetch for the default environment")
	}
	be, live := p.take(&hclspec.Target{Backend: hclspec.BackendLocal, Path: path})
	if be == nil || live == nil || live.live.Table("note") == nil {
		t.Fatalf("take for the prefetched target: backend %v, live %v", be, live)
	}
	p.close() // the backend was handed over: close leaves it open
	if _, err := be.D1().Query(ctx, backend.Stmt{SQL: "SELECT 1"}); err != nil {
		t.Errorf("the handed-over backend was closed: %v", err)
	}
	be.Close()

	p = startPrefetch(ctx, dir, "local")
	if be, live := p.take(&hclspec.Target{Backend: hclspec.BackendLocal, Path: path + "-other"}); be != nil || live != nil {
		t.Error("take handed over a prefetch for another path")
	}
	p.close()

	if p := startPrefetch(ctx, t.TempDir(), ""); p != nil {
		t.Error("prefetched a directory without a local environment")
	}
}
