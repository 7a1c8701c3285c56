package planner_test

import (
	"fmt"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/state"
)

func ExampleDiff() {
	spec, diags := hclspec.LoadSources("nimbus", map[string][]byte{"page.dm.hcl": []byte(`
model "PAGE" {
  options { user_tracking = false }
  field "url" {
    type     = string
    required = true
  }
  field "status" {
    type    = string
    default = "pending"
  }
  kv { namespace = "PAGES" }
  d1 {
    table       = "page_meta"
    sync_fields = ["url", "status"]
    index "by_status" { columns = ["status"] }
  }
}
`)})
	if diags.HasErrors() {
		fmt.Println(diags)
		return
	}
	// The live database has the table, without status, and with rows,
	// and the KV namespace holding their objects.
	live := &state.Schema{Namespaces: []*state.Namespace{{Title: "nimbus-local-PAGES"}}, Tables: []*state.Table{{
		Name:    "page_meta",
		HasRows: true,
		Columns: []*state.Column{
			{Name: "page_id", Type: "TEXT", NotNull: true, PK: true},
			{Name: "url", Type: "INTEGER", NotNull: true},
			{Name: "created_at", Type: "TEXT"},
			{Name: "updated_at", Type: "TEXT"},
			{Name: "deleted_at", Type: "TEXT"},
		},
	}}}
	p := planner.Diff(spec, "local", live)
	for _, s := range p.Steps {
		fmt.Println(s.Summary())
		for _, q := range s.SQL {
			fmt.Println("   ", q)
		}
	}
	for _, s := range p.Blocked() {
		fmt.Println(s.Code, s.Reason)
	}
	// Output:
	// add column page_meta.status (model PAGE)
	//     ALTER TABLE "page_meta" ADD COLUMN "status" TEXT DEFAULT 'pending'
	// backfill page_meta.status (model PAGE)
	// create index page_meta_by_status (model PAGE)
	//     CREATE INDEX "page_meta_by_status" ON "page_meta" ("status")
	// DM101 blocked: page_meta.url (model PAGE)
	// DM101 changing PAGE.url (column page_meta.url) from INTEGER to TEXT (type string) needs a manual migration; dmplan never changes a column type
}
