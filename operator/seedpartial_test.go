package operator_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/dmplan/dmplan/applier"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/backend/faulty"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/runtime"
)

// TestSeedCreateD1FailureRepairedByNextApply: a seed's create whose D1
// step failed (a partial write: its KV object is written, its row is not)
// is repaired by the next run of the seed, whatever its condition: the
// status says the row is missing and will be written, and the run writes
// the row from the seed's KV object. Before, the next run found the id
// taken in KV and called the seed unchanged, leaving the row to reconcile.
func TestSeedCreateD1FailureRepairedByNextApply(t *testing.T) {
	for _, cond := range []string{"always", "if_missing", "if_empty"} {
		t.Run(cond, func(t *testing.T) {
			ctx := context.Background()
			e := newSeedEnv(t, seedModels)
			e.initialize(t)
			src := seedModels + fmt.Sprintf(`
seed "SETTING" "theme" {
  condition = %q
  match     = ["name"]
  data      = { name = "theme", value = "dark" }
}
`, cond)
			spec, diags := hclspec.LoadSources("app", map[string][]byte{"app.dm.hcl": []byte(src)})
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			fb := faulty.Wrap(e.be)
			ds, err := runtime.Open(ctx, spec, fb)
			if err != nil {
				t.Fatal(err)
			}
			seeds := operator.NewSeeds(ds, e.getenv)
			fb.FailStatement("INSERT INTO")
			if _, err := seeds.RunSeed(ctx, "SETTING", "theme"); !errors.Is(err, runtime.ErrPartialWrite) {
				t.Fatalf("first run: %v, want a partial write", err)
			}
			fb.Clear()
			if rows := e.rows(t, `SELECT COUNT(*) FROM settings`); rows[0][0] != int64(0) {
				t.Fatalf("the injected failure wrote the row: %v", rows)
			}

			st, err := seeds.Status(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			key := planner.SeedKey("SETTING", "theme")
			if st[key].Records != 1 || !strings.Contains(st[key].Reason, "without its D1 row") {
				t.Errorf("status = %+v, want the missing row named", st[key])
			}
			o, err := seeds.RunSeed(ctx, "SETTING", "theme")
			if err != nil || o != (applier.SeedOutcome{Restored: 1}) {
				t.Fatalf("second run: %+v %v, want the row restored from KV (1 record, none written through the save path)", o, err)
			}
			if rows := e.rows(t, `SELECT name, value FROM settings`); len(rows) != 1 || rows[0][1] != "dark" {
				t.Fatalf("rows after the second run = %v", rows)
			}
			rep, err := operator.Reconcile(ctx, ds, operator.ReconcileOptions{Models: []string{"SETTING"}})
			if err != nil || rep.Drifted() {
				t.Fatalf("reconcile after the second run: %+v %v", rep.Models[0].Drift, err)
			}
			st, err = seeds.Status(ctx, nil)
			if err != nil || st[key].Records != 0 {
				t.Errorf("status after repair = %+v %v", st[key], err)
			}
			if o, err := seeds.RunSeed(ctx, "SETTING", "theme"); err != nil || o.Records() != 0 || o.Note == "" {
				t.Errorf("third run: %+v %v, want nothing to do, and why", o, err)
			}
		})
	}
}
