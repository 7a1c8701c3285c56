package fleetmodels_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/fleet"
	"github.com/dmplan/dmplan/gen/internal/fleetmodels"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/runtime"
)

// TestTypedTenants: the generated typed handle on each tenant of a local
// fleet writes the tenant's object under the key DocKey(database, id)
// gives, and one tenant never reads another's record.
func TestTypedTenants(t *testing.T) {
	ctx := context.Background()
	spec, diags := hclspec.LoadDir("../../testdata/fleet")
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	src, err := fleet.OpenLocal(ctx, filepath.Join(t.TempDir(), "fleet"), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	var root *runtime.Datastore
	docs := map[string]*runtime.TypedModel[fleetmodels.Doc]{}
	kvs := map[string]backend.KV{}
	for _, name := range []string{"tenant-a", "tenant-b"} {
		be, err := src.Open(ctx, fleet.Database{Name: name}, false)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { be.Close() })
		live, err := backend.Inspect(ctx, be.D1(), be.KV())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := applier.Apply(ctx, be, planner.Diff(spec.Tenant(name), "local", live), applier.Options{}); err != nil {
			t.Fatal(err)
		}
		if root == nil {
			if root, err = runtime.Open(ctx, spec, be, runtime.WithLogger(slog.New(slog.DiscardHandler))); err != nil {
				t.Fatal(err)
			}
		}
		ds, err := root.Tenant(name, be)
		if err != nil {
			t.Fatal(err)
		}
		if docs[name], err = fleetmodels.DocModel(ds.System()); err != nil {
			t.Fatal(err)
		}
		kvs[name] = be.KV()
	}

	a, err := docs["tenant-a"].Create(ctx, &fleetmodels.Doc{DocID: "d1", Title: "A's", UserID: "u"})
	if err != nil {
		t.Fatal(err)
	}
	nss, err := kvs["tenant-a"].Namespaces(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ns string
	for _, n := range nss {
		if n.Title == spec.NamespaceTitle("local", "DOCS") {
			ns = n.ID
		}
	}
	ent, err := kvs["tenant-a"].Get(ctx, ns, fleetmodels.DocKey("tenant-a", a.DocID))
	if err != nil {
		t.Fatalf("the object is not under DocKey(tenant-a, d1) = %s: %v", fleetmodels.DocKey("tenant-a", a.DocID), err)
	}
	var obj fleetmodels.Doc
	if err := json.Unmarshal(ent.Value, &obj); err != nil || obj.Title != "A's" {
		t.Fatalf("object %s: %v", ent.Value, err)
	}
	if _, err := docs["tenant-b"].Get(ctx, "d1"); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("tenant-b reads tenant-a's record: %v", err)
	}
	if _, err := docs["tenant-b"].Create(ctx, &fleetmodels.Doc{DocID: "d1", Title: "B's", UserID: "u"}); err != nil {
		t.Fatalf("the same id in another tenant: %v", err)
	}
	if got, err := docs["tenant-a"].Get(ctx, "d1"); err != nil || got.Title != "A's" {
		t.Errorf("tenant-a after tenant-b's create: %+v %v", got, err)
	}
}
