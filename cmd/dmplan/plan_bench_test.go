package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/internal/benchgen"
	"github.com/dmplan/dmplan/planner"
)

// preparePlanDir writes n generated models to a temporary directory and
// applies nine in ten of them to its local backend, as a project that has
// grown since its last apply.
func preparePlanDir(b *testing.B, n int) string {
	dir := b.TempDir()
	if err := benchgen.WriteDir(dir, n*9/10); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if code := run(ctx, []string{"apply", "-auto-approve", dir}, nil, io.Discard, io.Discard, noEnv); code != exitOK {
		b.Fatalf("apply exited %d", code)
	}
	if err := benchgen.WriteDir(dir, n); err != nil {
		b.Fatal(err)
	}
	return dir
}

func noEnv(string) string { return "" }

// BenchmarkPlan runs `dmplan plan DIR` in process (everything but process
// start-up) beside a hand-written baseline that does the same work with
// the packages' plain entry points: LoadDir, local.Open, Inspect, Diff.
func BenchmarkPlan(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{50, 200, 400} {
		dir := preparePlanDir(b, n)
		b.Run(fmt.Sprintf("models=%d/cli", n), func(b *testing.B) {
			for b.Loop() {
				if code := run(ctx, []string{"plan", "-no-color", dir}, nil, io.Discard, io.Discard, noEnv); code != exitOK {
					b.Fatalf("plan exited %d", code)
				}
			}
		})
		b.Run(fmt.Sprintf("models=%d/baseline", n), func(b *testing.B) {
			for b.Loop() {
				spec, diags := hclspec.LoadDir(dir)
				if diags.HasErrors() {
					b.Fatal(diags)
				}
				s, err := local.Open(ctx, filepath.Join(dir, hclspec.DefaultLocalPath))
				if err != nil {
					b.Fatal(err)
				}
				live, err := backend.Inspect(ctx, s.D1(), s.KV())
				if err != nil {
					b.Fatal(err)
				}
				p := planner.Diff(spec, defaultEnv, live)
				if !p.HasChanges() {
					b.Fatal("no changes")
				}
				s.Close()
			}
		})
	}
}
