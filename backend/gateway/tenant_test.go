package gateway_test

import (
	"context"
	"errors"
	"testing"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/runtime"
)

// A gateway names the database its Worker binds: runtime's Tenant serves
// that tenant through it and refuses any other with ErrTenantNotBound.
func TestTenantOverGateway(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	name := f.tenant.Config.Database.Name
	if got := f.s.DatabaseName(); got != name || name == "" {
		t.Fatalf("DatabaseName() = %q, want the bound %q", got, name)
	}
	spec, diags := hclspec.LoadSources("shop", map[string][]byte{"a.dm.hcl": []byte(`model "ITEM" {
  field "name" { type = string }
}`)})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	ctx := context.Background()
	ds, err := runtime.Open(ctx, spec, f.s, runtime.WithNamespaces(nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ds.Tenant(name, f.s); err != nil {
		t.Errorf("the bound tenant: %v", err)
	}
	_, err = ds.Tenant("acme", f.s)
	if !errors.Is(err, runtime.ErrTenantNotBound) {
		t.Fatalf("another tenant: %v, want ErrTenantNotBound", err)
	}
}
