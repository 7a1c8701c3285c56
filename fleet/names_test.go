package fleet_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/cloudflare"
	"github.com/dmplan/dmplan/fleet"
	"github.com/dmplan/dmplan/hclspec"
)

// A prefix or pattern selects what the directory (or the account) holds,
// and that may be a name no fleet database can have: a backup copy
// "t-a.bak", a directory "t-b old". Such a database is never planned nor
// opened for writing (its tenant's KV prefix and runtime Tenant refuse
// the name): plan shows it unreachable with the reason, and Open refuses
// it, so a rollout cannot migrate a backup copy.
func TestPlanFleetInvalidNames(t *testing.T) {
	ctx := context.Background()
	spec := loadSpec(t, fleetSpec)
	dir := filepath.Join(t.TempDir(), "fleet")
	src, err := fleet.OpenLocal(ctx, dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	applyTo(t, src, spec, "tenants", fleet.Database{Name: "t-a"})
	for _, n := range []string{"t-a.bak", "t-b old"} {
		if err := os.MkdirAll(filepath.Join(dir, n), 0o755); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, "t-a", "d1.sqlite"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n, "d1.sqlite"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		f    *hclspec.Fleet
	}{
		{"prefix", &hclspec.Fleet{Prefix: "t-"}},
		{"pattern", &hclspec.Fleet{Pattern: "t-*"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dbs, err := fleet.Resolve(ctx, tt.f, "", src)
			if err != nil {
				t.Fatal(err)
			}
			res, err := fleet.PlanFleet(ctx, spec, "tenants", tt.f, src, dbs, fleet.Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]fleet.Status{}
			for _, d := range res.Databases {
				got[d.Database.Name] = d.Status
				if d.Status == fleet.StatusUnreachable && !strings.Contains(d.Error, "is not a database name of a fleet") {
					t.Errorf("%s: error %q does not say why", d.Database.Name, d.Error)
				}
			}
			want := map[string]fleet.Status{"t-a": fleet.StatusCurrent, "t-a.bak": fleet.StatusUnreachable, "t-b old": fleet.StatusUnreachable}
			for n, s := range want {
				if got[n] != s {
					t.Errorf("%s: status %q, want %q", n, got[n], s)
				}
			}
		})
	}
	for _, n := range []string{"t-a.bak", "t-b old", "../fleet", ""} {
		for _, ro := range []bool{false, true} {
			if be, err := src.Open(ctx, fleet.Database{Name: n}, ro); !errors.Is(err, fleet.ErrDatabaseName) {
				if be != nil {
					be.Close()
				}
				t.Errorf("Open(%q, readOnly %v) = %v, want ErrDatabaseName", n, ro, err)
			}
		}
	}
	acct, err := cloudflare.Open(ctx, cloudflare.Config{AccountID: "0123456789abcdef0123456789abcdef", APIToken: "t", BaseURL: "http://127.0.0.1:9/", Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	cf := fleet.NewCloudflare(acct)
	if _, err := cf.Open(ctx, fleet.Database{Name: "a.b", ID: "0123"}, false); !errors.Is(err, fleet.ErrDatabaseName) {
		t.Errorf("cloudflare Open(a.b) = %v, want ErrDatabaseName", err)
	}
}

// A database of a local fleet holds its d1.sqlite only: the fleet's KV is
// the shared kv.sqlite, so opening a database for writing leaves no
// kv.sqlite of its own (one would read as a per-tenant KV that nothing
// uses). A kv.sqlite that was there before is left alone.
func TestLocalOpenLeavesNoTenantKV(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "fleet")
	src, err := fleet.OpenLocal(ctx, dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if err := os.MkdirAll(filepath.Join(dir, "old"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "old", "kv.sqlite"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"new", "old"} {
		be, err := src.Open(ctx, fleet.Database{Name: n}, false)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := be.D1().Query(ctx, backend.Stmt{SQL: `CREATE TABLE t (x)`}); err != nil {
			t.Fatal(err)
		}
		be.Close()
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "new"))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "kv.sqlite") {
			t.Errorf("new database's directory holds %s", e.Name())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "old", "kv.sqlite")); err != nil {
		t.Errorf("the kv.sqlite that was there is gone: %v", err)
	}
}
