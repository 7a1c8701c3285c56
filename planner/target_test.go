package planner

import (
	"slices"
	"testing"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/state"
)

const targetHCL = `
model "ITEM" {
  options { user_tracking = false }
  field "title" { type = string }
  field "color" { type = string }
  kv { namespace = "ITEMS" }
  d1 { sync_fields = ["title", "color"] }
}

model "ORDER" {
  options { user_tracking = false }
  field "total" { type = string }
  kv { namespace = "ORDERS" }
  d1 { sync_fields = ["total"] }
}

model "NEW" {
  options { user_tracking = false }
  field "x" { type = string }
  kv { namespace = "NEWS" }
  d1 { sync_fields = ["x"] }
}

seed "NEW" "first" {
  match = ["x"]
  data  = { x = "a" }
}
`

// WithTargets plans only the targeted models: another model's blocked
// change, new table, namespace and seed are left out, its existing table
// is not "unmanaged", and the live fingerprint is the whole plan's.
func TestDiffWithTargets(t *testing.T) {
	spec, diags := hclspec.LoadSources("shop", map[string][]byte{"a.dm.hcl": []byte(targetHCL)})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	live := &state.Schema{
		Tables: []*state.Table{
			{Name: "item", Columns: []*state.Column{{Name: "item_id", Type: "TEXT", PK: true, NotNull: true}, {Name: "title", Type: "TEXT"},
				{Name: "created_at", Type: "TEXT"}, {Name: "updated_at", Type: "TEXT"}, {Name: "deleted_at", Type: "TEXT"}}},
			{Name: "order", Columns: []*state.Column{{Name: "order_id", Type: "TEXT", PK: true, NotNull: true}, {Name: "total", Type: "INTEGER"},
				{Name: "created_at", Type: "TEXT"}, {Name: "updated_at", Type: "TEXT"}, {Name: "deleted_at", Type: "TEXT"}}},
		},
		Namespaces: []*state.Namespace{{Title: "shop-local-ITEMS"}, {Title: "shop-local-ORDERS"}},
	}
	status := WithSeedStatus(map[string]SeedStatus{"NEW.first": {Records: 1}})
	full := Diff(spec, "local", live, status)
	if len(full.Blocked()) == 0 {
		t.Fatalf("the whole plan should block ORDER.total: %+v", full.Steps)
	}

	for _, tt := range []struct {
		targets []string
		want    []string // action target
	}{
		{[]string{"ITEM"}, []string{"add_column item.color"}},
		{[]string{"NEW"}, []string{"create_namespace shop-local-NEWS", "create_table new", "seed NEW.first"}},
		{[]string{"ITEM", "NEW"}, []string{"create_namespace shop-local-NEWS", "create_table new", "add_column item.color", "seed NEW.first"}},
		{[]string{"ORDER"}, []string{"blocked order.total"}},
	} {
		p := Diff(spec, "local", live, status, WithTargets(tt.targets))
		var got []string
		for _, s := range p.Steps {
			got = append(got, s.Action.String()+" "+s.Target)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("targets %v: steps %v, want %v", tt.targets, got, tt.want)
		}
		if p.Fingerprint != full.Fingerprint {
			t.Errorf("targets %v: fingerprint %.12s, the whole plan's %.12s", tt.targets, p.Fingerprint, full.Fingerprint)
		}
		if !slices.Equal(p.Targets, tt.targets) {
			t.Errorf("targets %v: plan records %v", tt.targets, p.Targets)
		}
		for _, n := range p.Notes {
			if n.Code == NoteUnmanagedTable {
				t.Errorf("targets %v: %s", tt.targets, n.Message)
			}
		}
	}
	// The partial plan's FingerprintAfter is where it leaves the target,
	// not where the whole plan would.
	item := Diff(spec, "local", live, status, WithTargets([]string{"ITEM"}))
	if item.FingerprintAfter == full.FingerprintAfter || item.FingerprintAfter == item.Fingerprint {
		t.Errorf("ITEM's FingerprintAfter %.12s (whole plan %.12s, before %.12s)", item.FingerprintAfter, full.FingerprintAfter, item.Fingerprint)
	}
}
