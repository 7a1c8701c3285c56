package runtime_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/runtime"
)

// A Datastore opened on a fleet environment (its databases block) serves
// no tenant: every record operation is refused with ErrTenantRequired
// before anything is written, so a record never lands in the shared KV
// namespace under a key outside every tenant's "<name>/" prefix (where no
// tenant's plan or reconcile sees it). Hooks and middleware still register
// on it (its tenants share them), and its tenants work. The same spec
// opened on an environment of one database is not refused.
func TestTenantRequired(t *testing.T) {
	ctx := context.Background()
	_, bes := tenantFleet(t, "acme")
	fleetHCL := strings.Replace(tenantHCL, `project "shop" {}`, `project "shop" {}
environment "tenants" {
  backend = "local"
  path    = "fleet"
  databases {
    prefix = "a"
  }
}
environment "one" {
  backend = "local"
}`, 1)
	spec, diags := hclspec.LoadSources("shop", map[string][]byte{"a.dm.hcl": []byte(fleetHCL)})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	// Namespace titles carry the environment: the fixture's namespace is
	// shop-local-ITEM, so both Datastores are opened for it by name.
	nss, err := bes["acme"].KV().Namespaces(ctx)
	if err != nil || len(nss) != 1 {
		t.Fatalf("namespaces %v, %v", nss, err)
	}
	root, err := runtime.Open(ctx, spec, bes["acme"], runtime.WithEnvironment("tenants"))
	if err != nil {
		t.Fatal(err)
	}
	if err := root.Hook("ITEM", "after_create", func(context.Context, *runtime.Event) error { return nil }); err != nil {
		t.Errorf("hook on the fleet's Datastore: %v", err)
	}
	ops := []struct {
		name string
		do   func() error
	}{
		{"create", func() error {
			_, err := root.System().Create(ctx, "ITEM", map[string]any{"item_id": "x", "name": "n"})
			return err
		}},
		{"get", func() error { _, err := root.System().Get(ctx, "ITEM", "x"); return err }},
		{"delete", func() error { return root.System().Delete(ctx, "ITEM", "x") }},
		{"query", func() error { _, err := root.System().Query("ITEM").List(ctx); return err }},
	}
	for _, op := range ops {
		if err := op.do(); !errors.Is(err, runtime.ErrTenantRequired) {
			t.Errorf("%s on the fleet's Datastore: %v, want ErrTenantRequired", op.name, err)
		}
	}
	page, err := bes["acme"].KV().List(ctx, nss[0].ID, "", "", 0)
	if err != nil || len(page.Keys) != 0 {
		t.Errorf("the shared namespace holds %v (%v) after refused writes", page.Keys, err)
	}
	acme, err := root.Tenant("acme", bes["acme"])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := acme.System().Create(ctx, "ITEM", map[string]any{"item_id": "x", "name": "n"}); err != nil && !errors.Is(err, runtime.ErrNotMigrated) {
		t.Errorf("create on the tenant: %v", err)
	}
	// Without WithEnvironment (the default environment, whatever it is),
	// nothing is refused: tools opening a spec on a scratch database.
	if def, err := runtime.Open(ctx, spec, bes["acme"]); err != nil {
		t.Fatal(err)
	} else if _, err := def.System().Get(ctx, "ITEM", "x"); errors.Is(err, runtime.ErrTenantRequired) {
		t.Errorf("no environment named: %v", err)
	}
	one, err := runtime.Open(ctx, spec, bes["acme"], runtime.WithEnvironment("one"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := one.System().Get(ctx, "ITEM", "x"); errors.Is(err, runtime.ErrTenantRequired) {
		t.Errorf("an environment of one database: %v", err)
	}
}

// Tenant called on a tenant's Datastore serves the named tenant, as if
// called on the fleet's: its keys start with that tenant's name alone
// (not "globex/acme/..."), and its spec's key patterns too.
func TestTenantOfTenant(t *testing.T) {
	ctx := context.Background()
	spec, bes := tenantFleet(t, "acme", "globex")
	ds, err := runtime.Open(ctx, spec, bes["acme"])
	if err != nil {
		t.Fatal(err)
	}
	acme, err := ds.Tenant("acme", bes["acme"])
	if err != nil {
		t.Fatal(err)
	}
	globex, err := acme.Tenant("globex", bes["globex"])
	if err != nil {
		t.Fatal(err)
	}
	if got := globex.Spec().Model("ITEM").KV.KeyPattern; got != "globex/item:{id}" {
		t.Errorf("key pattern of the tenant of a tenant = %q", got)
	}
	if got := spec.Tenant("acme").Tenant("globex").Model("ITEM").KV.KeyPattern; got != "globex/item:{id}" {
		t.Errorf("Spec.Tenant of a tenant's spec: key pattern %q", got)
	}
	if _, err := globex.System().Create(ctx, "ITEM", map[string]any{"item_id": "g1", "name": "g"}); err != nil {
		t.Fatal(err)
	}
	nss, err := bes["acme"].KV().Namespaces(ctx)
	if err != nil || len(nss) != 1 {
		t.Fatalf("namespaces %v, %v", nss, err)
	}
	page, err := bes["acme"].KV().List(ctx, nss[0].ID, "", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Keys) != 1 || page.Keys[0].Name != "globex/item:g1" {
		t.Errorf("keys = %+v, want globex/item:g1", page.Keys)
	}
	if r, err := ds.Tenant("globex", bes["globex"]); err != nil {
		t.Fatal(err)
	} else if _, err := r.System().Get(ctx, "ITEM", "g1"); err != nil {
		t.Errorf("globex reads its record: %v", err)
	}
}

// A database of a fleet opened through fleet.Source names itself, so a
// tenant given another tenant's database is refused (it would put acme's
// rows in globex's D1 and its objects under acme's keys).
func TestTenantOnAnotherTenantsDatabase(t *testing.T) {
	ctx := context.Background()
	spec, bes := tenantFleet(t, "acme", "globex")
	ds, err := runtime.Open(ctx, spec, bes["acme"])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ds.Tenant("acme", bes["globex"]); !errors.Is(err, runtime.ErrTenantNotBound) {
		t.Errorf("Tenant(acme) on globex's database: %v, want ErrTenantNotBound", err)
	}
	if _, err := ds.Tenant("globex", bes["globex"]); err != nil {
		t.Errorf("Tenant(globex) on its own database: %v", err)
	}
}
