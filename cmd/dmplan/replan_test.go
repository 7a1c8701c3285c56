package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
)

// TestApplyReplanFindsNothing: apply plans, then waits for the lock while
// another apply makes the same changes. Planning again under the lock
// finds nothing left: apply says so plainly, exits 0, and its JSON holds
// the (empty) plan it ran, not the old one.
func TestApplyReplanFindsNothing(t *testing.T) {
	for _, format := range []string{"human", "json"} {
		t.Run(format, func(t *testing.T) {
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
			lock, err := applier.AcquireLock(ctx, store.D1(), applier.LockOptions{Who: "other@test"})
			if err != nil {
				t.Fatal(err)
			}

			args := []string{"apply", "-auto-approve", "-lock-timeout", "1m", dir}
			if format == "json" {
				args = append([]string{"apply", "-json"}, args[1:]...)
			}
			out, errOut := &syncBuffer{}, &syncBuffer{}
			done := make(chan int, 1)
			go func() {
				done <- run(ctx, args, strings.NewReader(""), out, errOut, func(string) string { return "" })
			}()
			if format == "human" {
				waitFor(t, out, "Plan: 2 to create")
			} else {
				time.Sleep(300 * time.Millisecond) // JSON prints at the end: give it time to plan
			}

			// The other apply makes the same changes under its lock.
			spec, diags := hclspec.LoadDir(dir)
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			live, err := backend.Inspect(ctx, store.D1(), store.KV())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := applier.Apply(ctx, store, planner.Diff(spec, "local", live), applier.Options{Lock: lock}); err != nil {
				t.Fatal(err)
			}
			if err := lock.Release(ctx); err != nil {
				t.Fatal(err)
			}

			var code int
			select {
			case code = <-done:
			case <-time.After(time.Minute):
				t.Fatalf("apply did not end:\n%s%s", out, errOut)
			}
			if code != exitOK {
				t.Fatalf("exit %d, want 0\n%s%s", code, out, errOut)
			}
			if format == "human" {
				t.Logf("apply said:\n%s", out)
				if !strings.Contains(out.String(), "Nothing to do: the target already matches the spec") ||
					strings.Contains(out.String(), "Apply complete") {
					t.Errorf("apply does not say plainly that nothing was left:\n%s", out)
				}
				return
			}
			var doc struct {
				Plan struct {
					Steps []any `json:"steps"`
				} `json:"plan"`
				Apply struct {
					Outcome   string `json:"outcome"`
					Replanned bool   `json:"replanned"`
				} `json:"apply"`
			}
			if err := json.Unmarshal([]byte(out.String()), &doc); err != nil {
				t.Fatalf("decode %s: %v", out, err)
			}
			if doc.Apply.Outcome != "no_changes" || !doc.Apply.Replanned || len(doc.Plan.Steps) != 0 {
				t.Errorf("apply -json = outcome %q, replanned %v, %d plan steps; want no_changes, replanned, the empty plan",
					doc.Apply.Outcome, doc.Apply.Replanned, len(doc.Plan.Steps))
			}
		})
	}
}
