package adopttest

import (
	"context"
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
)

// TestCreatedTablesPlanNoChanges applies the tables dmplan creates for the
// example project and the adoption-language test file on a local SQLite
// file, then plans again: reading its own CREATE TABLE text back must
// give "No changes" (inspection and CREATE TABLE agree on every property).
func TestCreatedTablesPlanNoChanges(t *testing.T) {
	ctx := context.Background()
	for _, dir := range []string{"../../examples", "../../hclspec/testdata/adopt"} {
		t.Run(dir, func(t *testing.T) {
			spec, diags := hclspec.LoadDir(dir)
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			be := localTarget(t)
			live, err := backend.Inspect(ctx, be.D1(), be.KV())
			if err != nil {
				t.Fatal(err)
			}
			tables := 0
			for _, s := range planner.Diff(spec, "local", live).Steps {
				switch s.Action {
				case planner.CreateNamespace:
					if _, err := be.KV().CreateNamespace(ctx, s.Target); err != nil {
						t.Fatal(err)
					}
				case planner.CreateTable, planner.CreateIndex:
					exec(t, be, s.SQL...)
					if s.Action == planner.CreateTable {
						tables++
					}
				case planner.Seed:
					// Seeds are data, not schema: left out.
				default:
					t.Fatalf("on an empty database: %s", s.Summary())
				}
			}
			if tables == 0 {
				t.Fatal("no table created")
			}
			live, err = backend.Inspect(ctx, be.D1(), be.KV())
			if err != nil {
				t.Fatal(err)
			}
			p := planner.Diff(spec, "local", live)
			for _, s := range p.Steps {
				if s.Action != planner.Seed {
					t.Errorf("after creating %d tables: want No changes, got\n%s", tables, describe(p))
					break
				}
			}
			for _, n := range p.Notes {
				if n.Code != planner.NoteSeedUnchecked {
					t.Errorf("after creating %d tables: notes\n%s", tables, describe(p))
					break
				}
			}
		})
	}
}
