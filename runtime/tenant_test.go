package runtime_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/cloudflare"
	"github.com/dmplan/dmplan/fleet"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/runtime"
)

const tenantHCL = `
project "shop" {}
model "ITEM" {
  options {
    user_tracking = false
  }
  field "name" { type = string }
  d1 { sync_fields = ["name"] }
}
`

// tenantFleet applies the spec to the named databases of a local fleet
// and returns the spec and each database's backend.
func tenantFleet(tb testing.TB, names ...string) (*hclspec.Spec, map[string]backend.Backend) {
	tb.Helper()
	ctx := context.Background()
	spec, diags := hclspec.LoadSources("shop", map[string][]byte{"a.dm.hcl": []byte(tenantHCL)})
	if diags.HasErrors() {
		tb.Fatal(diags)
	}
	src, err := fleet.OpenLocal(ctx, filepath.Join(tb.TempDir(), "fleet"), false)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { src.Close() })
	out := map[string]backend.Backend{}
	for _, n := range names {
		be, err := src.Open(ctx, fleet.Database{Name: n}, false)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { be.Close() })
		live, err := backend.Inspect(ctx, be.D1(), be.KV())
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := applier.Apply(ctx, be, planner.Diff(spec.Tenant(n), "local", live), applier.Options{}); err != nil {
			tb.Fatal(err)
		}
		out[n] = be
	}
	return spec, out
}

// Two tenants of one Datastore keep their records apart: the same id
// holds each tenant's own record, in its own D1 database and under its own
// keys of the shared namespace; hooks of the Datastore run for both.
func TestTenantIsolation(t *testing.T) {
	ctx := context.Background()
	spec, bes := tenantFleet(t, "acme", "globex")
	ds, err := runtime.Open(ctx, spec, bes["acme"])
	if err != nil {
		t.Fatal(err)
	}
	hooked := map[string]int{}
	if err := ds.Hook("ITEM", "after_create", func(_ context.Context, ev *runtime.Event) error {
		hooked[ev.Data["name"].(string)]++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	tenants := map[string]*runtime.Datastore{}
	for _, n := range []string{"acme", "globex"} {
		tds, err := ds.Tenant(n, bes[n])
		if err != nil {
			t.Fatal(err)
		}
		tenants[n] = tds
		if _, err := tds.System().Create(ctx, "ITEM", map[string]any{"item_id": "same", "name": n + "'s"}); err != nil {
			t.Fatal(err)
		}
	}
	for n, tds := range tenants {
		r, err := tds.System().Get(ctx, "ITEM", "same")
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Get("name"); got != n+"'s" {
			t.Errorf("tenant %s reads %v", n, got)
		}
		res, err := bes[n].D1().Query(ctx, backend.Stmt{SQL: `SELECT name FROM item`})
		if err != nil || len(res.Rows) != 1 || res.Rows[0][0] != n+"'s" {
			t.Errorf("tenant %s's D1 rows: %v, %v", n, res, err)
		}
	}
	nss, err := bes["acme"].KV().Namespaces(ctx)
	if err != nil || len(nss) != 1 {
		t.Fatalf("namespaces %v, %v", nss, err)
	}
	page, err := bes["acme"].KV().List(ctx, nss[0].ID, "", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, k := range page.Keys {
		keys = append(keys, k.Name)
	}
	if len(keys) != 2 || keys[0] != "acme/item:same" || keys[1] != "globex/item:same" {
		t.Errorf("shared namespace keys = %q", keys)
	}
	if hooked["acme's"] != 1 || hooked["globex's"] != 1 {
		t.Errorf("hooks ran %v", hooked)
	}
	// The Datastore itself reads neither tenant's record.
	if _, err := ds.System().Get(ctx, "ITEM", "same"); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("untenanted Get: %v", err)
	}
}

func TestTenantRefused(t *testing.T) {
	ctx := context.Background()
	spec, bes := tenantFleet(t, "acme")
	ds, err := runtime.Open(ctx, spec, bes["acme"])
	if err != nil {
		t.Fatal(err)
	}
	acct, err := cloudflare.Open(ctx, cloudflare.Config{AccountID: "0123456789abcdef0123456789abcdef", APIToken: "t", BaseURL: "http://127.0.0.1:9/", Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		b    backend.Backend
		want error
	}{
		{"../acme", bes["acme"], runtime.ErrInvalid},
		{"acme", nil, runtime.ErrInvalid},
		{"acme", acct.WithDatabase("0f0f0f0f-0f0f-4f0f-8f0f-0f0f0f0f0f0f", "globex"), runtime.ErrTenantNotBound},
	}
	for _, tt := range tests {
		if _, err := ds.Tenant(tt.name, tt.b); !errors.Is(err, tt.want) {
			t.Errorf("Tenant(%q): %v, want %v", tt.name, err, tt.want)
		}
	}
	if _, err := ds.Tenant("acme", acct.WithDatabase("0f0f0f0f-0f0f-4f0f-8f0f-0f0f0f0f0f0f", "acme")); err != nil {
		t.Errorf("the tenant's own database: %v", err)
	}
}

// BenchmarkTenant compares opening a tenant of an open Datastore with
// opening a Datastore (namespaces known, so neither makes a request).
func BenchmarkTenant(b *testing.B) {
	ctx := context.Background()
	spec, bes := tenantFleet(b, "acme")
	be := bes["acme"]
	nss, err := be.KV().Namespaces(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("Open", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := runtime.Open(ctx, spec, be, runtime.WithNamespaces(nss)); err != nil {
				b.Fatal(err)
			}
		}
	})
	ds, err := runtime.Open(ctx, spec, be, runtime.WithNamespaces(nss))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("Tenant", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := ds.Tenant("acme", be); err != nil {
				b.Fatal(err)
			}
		}
	})
}
