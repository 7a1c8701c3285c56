package hclspec_test

import (
	"fmt"
	"os"

	"github.com/dmplan/dmplan/hclspec"
)

func ExampleLoadSources() {
	src := []byte(`
model "NOTE" {
  options { soft_delete = false }
  field "title" {
    type     = string
    required = true
  }
  field "body" { type = text }
  d1 {
    sync_fields = ["title"]
    index "by_title" { columns = ["title"] }
  }
}
`)
	spec, diags := hclspec.LoadSources("notes", map[string][]byte{"note.dm.hcl": src})
	if diags.HasErrors() {
		_ = hclspec.WriteDiagnostics(os.Stdout, spec, diags, false)
		return
	}
	m := spec.Model("NOTE")
	fmt.Println("table:", m.D1.Table, m.D1.SyncFields)
	fmt.Println("kv:", m.KV.Namespace, m.KV.Key("n1"))
	fmt.Println("index:", m.D1.Indexes[0].Name)
	for _, f := range m.Fields {
		fmt.Printf("%-10s %-9s synced=%v\n", f.Name, f.Type, f.Synced)
	}
	// Output:
	// table: note [note_id title user_id created_at updated_at]
	// kv: NOTE note:n1
	// index: note_by_title
	// note_id    string    synced=true
	// title      string    synced=true
	// body       text      synced=false
	// user_id    string    synced=true
	// created_at timestamp synced=true
	// updated_at timestamp synced=true
	// _auth      array     synced=false
}

func ExampleWriteDiagnostics() {
	src := []byte(`model "PAGE" {
  field "title" { type = string }
  d1 { sync_fields = ["title", "tittle"] }
}
`)
	spec, diags := hclspec.LoadSources("site", map[string][]byte{"page.dm.hcl": src})
	_ = hclspec.WriteDiagnostics(os.Stdout, spec, diags, false)
	// Output:
	// page.dm.hcl:3:32: error: Unknown sync field
	//
	//   3 |   d1 { sync_fields = ["title", "tittle"] }
	//     |                                ^^^^^^^^
	//
	//   Model "PAGE" has no field named "tittle". Did you mean "title"?
}
