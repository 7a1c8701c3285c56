package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/state"
)

// TestDescribeWranglerTarget: two environments on the same wrangler
// state (the top level and a wrangler environment) are told apart in the
// Target line: their D1 databases differ even though the directory is
// the same.
func TestDescribeWranglerTarget(t *testing.T) {
	c := &cli{}
	tests := []struct {
		target hclspec.Target
		want   string
	}{
		{hclspec.Target{Backend: hclspec.BackendWrangler, Path: ".wrangler/state/v3", Binding: "DB"},
			".wrangler/state/v3 (D1 binding DB)"},
		{hclspec.Target{Backend: hclspec.BackendWrangler, Path: ".wrangler/state/v3", Binding: "DB", WranglerEnv: "staging"},
			".wrangler/state/v3 (D1 binding DB of wrangler env staging)"},
	}
	for _, tt := range tests {
		if got := c.describe(&tt.target).Database; got != tt.want {
			t.Errorf("describe(%+v).Database = %q, want %q", tt.target, got, tt.want)
		}
	}
}

// TestUnboundNamespaceWarnings: on a wrangler target, a plan that creates
// a KV namespace the wrangler configuration does not bind warns at the
// model (apply would stop there), with the entry to add; a bound one, or
// a model sharing it, is not warned twice.
func TestUnboundNamespaceWarnings(t *testing.T) {
	dir := t.TempDir()
	src := `project "shop" {
  binding_prefix = "APP_"
}
model "ORDER" {
  field "total" { type = number }
  kv { namespace = "ORDERS" }
}
model "REFUND" {
  field "total" { type = number }
  kv { namespace = "ORDERS" }
}
model "CART" {
  field "n" { type = integer }
  kv { namespace = "CARTS" }
}
`
	if err := os.WriteFile(filepath.Join(dir, "app.dm.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	spec, diags := hclspec.LoadDir(dir)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	p := planner.Diff(spec, "dev", &state.Schema{})
	hint := func(b string) string { return "add " + b }
	got := unboundNamespaceWarnings(spec, p, []string{"APP_CARTS"}, hint)
	if len(got) != 1 {
		t.Fatalf("got %d warnings, want 1: %v", len(got), got)
	}
	d := got[0]
	if d.Severity != hcl.DiagWarning || d.Subject == nil || d.Subject.Start.Line != 4 {
		t.Errorf("warning %+v: want a warning at app.dm.hcl:4 (model ORDER)", d)
	}
	for _, want := range []string{"shop-dev-ORDERS", "APP_ORDERS", "add APP_ORDERS", "apply stops"} {
		if !strings.Contains(d.Summary+" "+d.Detail, want) {
			t.Errorf("warning %q %q lacks %q", d.Summary, d.Detail, want)
		}
	}
	if got := unboundNamespaceWarnings(spec, p, []string{"APP_CARTS", "APP_ORDERS"}, hint); len(got) != 0 {
		t.Errorf("all bound: got %v, want none", got)
	}
}
