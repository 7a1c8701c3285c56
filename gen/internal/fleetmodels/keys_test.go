package fleetmodels_test

import (
	"testing"

	"github.com/dmplan/dmplan/gen/internal/fleetmodels"
	"github.com/dmplan/dmplan/hclspec"
)

// TestTenantKeys: in a fleet the key helper gives the key of the tenant's
// spec, the one the runtime of that database uses.
func TestTenantKeys(t *testing.T) {
	spec, diags := hclspec.LoadDir("../../testdata/fleet")
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	for _, db := range []string{"tenant-a", "tenant-b/x"} {
		if got, want := fleetmodels.DocKey(db, "id-1"), spec.Tenant(db).Model("DOC").KV.Key("id-1"); got != want {
			t.Errorf("DocKey(%q) = %q, want %q", db, got, want)
		}
	}
}
