package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/fleet"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/runtime"
)

const fleetReconcileHCL = `project "rc" {}

environment "tenants" {
  backend = "local"
  path    = "fleet"
  databases {
    names = ["a1", "b1"]
  }
}

model "NOTE" {
  field "title" {
    type     = string
    required = true
  }
  d1 {
    sync_fields = ["title"]
  }
}
`

// Reconcile of one database of a fleet sees only its tenant's KV keys:
// a1's two records are in line although b1's object of the same shared
// namespace has no row in a1, and b1's missing row is found and fixed
// without touching a1.
func TestReconcileFleetDatabase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.dm.hcl"), []byte(fleetReconcileHCL), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := applyFleetMembers(dir, "tenants", "a1", "b1"); err != nil {
		t.Fatal(err)
	}
	spec, diags := hclspec.LoadDir(dir)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	func() {
		src, err := fleet.OpenLocal(ctx, filepath.Join(dir, "fleet"), false)
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		for name, n := range map[string]int{"a1": 2, "b1": 1} {
			be, err := src.Open(ctx, fleet.Database{Name: name}, false)
			if err != nil {
				t.Fatal(err)
			}
			ds, err := runtime.Open(ctx, spec, be, runtime.WithEnvironment("tenants"))
			if err != nil {
				t.Fatal(err)
			}
			tds, err := ds.Tenant(name, be)
			if err != nil {
				t.Fatal(err)
			}
			for range n {
				if _, err := tds.System().Create(ctx, "NOTE", map[string]any{"title": "t", "user_id": "u"}); err != nil {
					t.Fatal(err)
				}
			}
			if name == "b1" {
				if _, err := be.D1().Query(ctx, backend.Stmt{SQL: "DELETE FROM note"}); err != nil {
					t.Fatal(err)
				}
			}
			be.Close()
		}
	}()

	code, out, errOut := dmplanRun(t, "reconcile", "-env", "tenants", "-database", "a1", dir)
	if code != exitOK || !strings.Contains(out, "2 KV objects, 2 D1 rows: in sync") {
		t.Errorf("a1: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = dmplanRun(t, "reconcile", "-env", "tenants", "-database", "b1", dir)
	if code != exitChanges || !strings.Contains(out, "-env tenants -database b1 -fix") {
		t.Errorf("b1: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut = dmplanRun(t, "reconcile", "-env", "tenants", "-database", "b1", "-fix", dir); code != exitOK {
		t.Errorf("b1 -fix: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut = dmplanRun(t, "reconcile", "-env", "tenants", "-database", "b1", dir); code != exitOK {
		t.Errorf("b1 after -fix: exit %d\n%s%s", code, out, errOut)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-env", "tenants"}, "name the database to reconcile with -database NAME"},
		{[]string{"-env", "tenants", "-database", "zz"}, "-database zz: no such database in the fleet of environment tenants (its databases block selects names)"},
		{[]string{"-database", "a1"}, "-database a1: environment local is not a fleet"},
	} {
		code, _, errOut := dmplanRun(t, append(append([]string{"reconcile"}, tt.args...), dir)...)
		if code != exitError || !strings.Contains(errOut, tt.want) {
			t.Errorf("reconcile %v: exit %d, %q does not say %q", tt.args, code, errOut, tt.want)
		}
	}
}
