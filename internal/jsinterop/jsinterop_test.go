package jsinterop

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/cloudflare"
	"github.com/dmplan/dmplan/backend/cloudflare/cftest"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/runtime"
)

func TestMain(m *testing.M) { os.Exit(cftest.Main(m)) }

const env = "test"

const src = `project "jsi" {}

model "ITEM" {
  field "name" {
    type     = string
    required = true
  }
  field "body" { type = text }
  field "meta" { type = json }
  field "tags" { type = array }
  field "seen_at" { type = timestamp }
  field "count" { type = integer }
  field "score" { type = number }
  field "active" { type = boolean }
  field "slug" { type = string }
  kv { key_pattern = "item:{id}" }
  d1 {
    sync_fields = ["name", "meta", "tags", "seen_at", "count", "score", "active", "slug"]
    index "by_slug" {
      columns = ["slug"]
      unique  = true
    }
  }
}
`

// fixture is one harness account with the spec applied, the Go runtime
// on it and the JS writer on the same D1 database and KV namespace.
type fixture struct {
	ctx  context.Context
	spec *hclspec.Spec
	be   backend.Backend
	ds   *runtime.Datastore
	js   *cftest.JSWriter
}

func setup(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	spec, diags := hclspec.LoadSources("jsi", map[string][]byte{"jsi.dm.hcl": []byte(src)})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	h := cftest.Shared(t)
	acct := h.NewAccount(t)
	dbID := h.NewDatabase(t, acct, "jsi")
	be, err := cloudflare.Open(ctx, cloudflare.Config{AccountID: acct, APIToken: h.Token, Database: "jsi", BaseURL: h.BaseURL, Environment: env})
	if err != nil {
		t.Fatal(err)
	}
	live, err := backend.Inspect(ctx, be.D1(), be.KV())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := applier.Apply(ctx, be, planner.Diff(spec, env, live), applier.Options{}); err != nil {
		t.Fatal(err)
	}
	ds, err := runtime.Open(ctx, spec, be, runtime.WithEnvironment(env), runtime.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	m := spec.Model("ITEM")
	nss, err := be.KV().Namespaces(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ns string
	for _, n := range nss {
		if n.Title == spec.NamespaceTitle(env, m.KV.Namespace) {
			ns = n.ID
		}
	}
	if ns == "" {
		t.Fatal("namespace of ITEM not found")
	}
	return &fixture{ctx: ctx, spec: spec, be: be, ds: ds, js: h.JSWriter(acct, dbID, ns, jsModel(m))}
}

// jsModel is the model file a Worker would hold for m.
func jsModel(m *hclspec.Model) cftest.JSModel {
	jm := cftest.JSModel{
		Name: m.Name, PK: m.PrimaryKey, Table: m.D1.Table, KeyPattern: m.KV.KeyPattern,
		UserTracking: m.Options.UserTracking, Auth: m.Options.Auth,
		Timestamps: m.Options.Timestamps, SoftDelete: m.Options.SoftDelete,
	}
	for _, f := range m.Fields {
		jm.Fields = append(jm.Fields, cftest.JSField{Name: f.Name, Type: f.Type.String()})
	}
	for _, f := range m.Columns() {
		jm.Columns = append(jm.Columns, f.Name)
	}
	return jm
}

// noDrift fails the test when reconcile reports anything.
func (f *fixture) noDrift(t *testing.T, when string) {
	t.Helper()
	rep, err := operator.Reconcile(f.ctx, f.ds, operator.ReconcileOptions{})
	if err != nil {
		t.Fatalf("%s: reconcile: %v", when, err)
	}
	for _, m := range rep.Models {
		for _, d := range m.Drift {
			t.Errorf("%s: reconcile reports %s %s %s columns %v: %s", when, m.Model, d.ID, d.Kind, d.Columns, d.Problem)
		}
	}
}

// d1Value returns the D1 column of the record.
func (f *fixture) d1Value(t *testing.T, id, col string) any {
	t.Helper()
	res, err := f.be.D1().Query(f.ctx, backend.Stmt{SQL: `SELECT "` + col + `" FROM item WHERE item_id = ?`, Args: []any{id}})
	if err != nil || len(res.Rows) != 1 {
		t.Fatalf("d1 row of %s: %v (%d rows)", id, err, len(res.Rows))
	}
	return res.Rows[0][0]
}

// TestGoAndJSWritersShareRecords interleaves the Go runtime and a JS Worker
// on the same records, one field type at a time: the Worker creates a
// record and shares it through _auth, Go reads and updates another field,
// the Worker reads its value back as it wrote it, Go sets the field, the
// Worker and Go read Go's value, and reconcile finds nothing at each step.
func TestGoAndJSWritersShareRecords(t *testing.T) {
	f := setup(t)
	alice, bob := f.ds.Auth("alice"), f.ds.Auth("bob")
	goTime := time.Date(2026, 3, 1, 8, 30, 0, 0, time.FixedZone("", 3600))
	tests := []struct {
		field string
		js    any // what the Worker writes (JSON)
		goGot any // what the Go runtime reads
		goSet any // what Go then sets
		jsGot any // what the Worker reads after Go's set
		d1    any // the D1 column after Go's set
	}{
		{"name", "from js", "from js", "from go", "from go", "from go"},
		{"body", "a long text\nwith lines", "a long text\nwith lines", "go text", "go text", nil},
		{"meta", map[string]any{"a": 1, "b": []any{true, nil}}, map[string]any{"a": 1.0, "b": []any{true, nil}},
			map[string]any{"x": "y"}, map[string]any{"x": "y"}, `{"x":"y"}`},
		{"tags", []any{"a", 2}, []any{"a", 2.0}, []string{"z"}, []any{"z"}, `["z"]`},
		{"seen_at", "2026-01-01T10:00:05Z", "2026-01-01T10:00:05Z", goTime, "2026-03-01T07:30:00.000Z", "2026-03-01T07:30:00.000Z"},
		{"seen_at", "2026-01-01T12:00:05+02:00", "2026-01-01T12:00:05+02:00", "2026-03-01T07:30:00Z", "2026-03-01T07:30:00.000Z", "2026-03-01T07:30:00.000Z"},
		{"seen_at", "2026-01-01T10:00:05.123Z", "2026-01-01T10:00:05.123Z", nil, nil, nil},
		{"count", 42, int64(42), 7, 7.0, int64(7)},
		{"score", 2.5, 2.5, 1, 1.0, 1.0},
		{"active", true, true, false, false, int64(0)},
		{"active", false, false, true, true, int64(1)},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			data := map[string]any{"name": "n", "slug": nil}
			data[tt.field] = tt.js
			created, err := f.js.Do(f.ctx, "alice", "create", "", data, "")
			if err != nil {
				t.Fatal(err)
			}
			id, _ := created["item_id"].(string)
			want := created[tt.field]
			f.noDrift(t, "after the Worker's create")

			got, err := alice.Get(f.ctx, "ITEM", id)
			if err != nil {
				t.Fatal(err)
			}
			if !cmp.Equal(got.Get(tt.field), tt.goGot) {
				t.Errorf("Go reads %s = %#v, want %#v", tt.field, got.Get(tt.field), tt.goGot)
			}

			// The Worker shares; the owner's Go save of another field keeps
			// the share and the Worker's value as it wrote it.
			if _, err := f.js.Do(f.ctx, "alice", "share", id, nil, "bob"); err != nil {
				t.Fatal(err)
			}
			other := "body"
			if tt.field == "body" {
				other = "name"
			}
			if _, err := alice.Update(f.ctx, "ITEM", id, map[string]any{other: "changed by go"}); err != nil {
				t.Fatalf("Go update of another field: %v", err)
			}
			back, err := f.js.Do(f.ctx, "alice", "get", id, nil, "")
			if err != nil {
				t.Fatal(err)
			}
			if !cmp.Equal(back[tt.field], want) {
				t.Errorf("after Go's save the Worker reads %s = %#v, want %#v as it wrote it", tt.field, back[tt.field], want)
			}
			if !cmp.Equal(back["_auth"], []any{"alice", "bob"}) {
				t.Errorf("after Go's save _auth = %v, want [alice bob]", back["_auth"])
			}
			if back["created_at"] != created["created_at"] {
				t.Errorf("created_at %v became %v", created["created_at"], back["created_at"])
			}
			f.noDrift(t, "after Go's update of another field")

			// bob, shared with, reads in Go and JS, and cannot write in Go.
			if _, err := bob.Get(f.ctx, "ITEM", id); err != nil {
				t.Errorf("bob's Go read of a record shared with him: %v", err)
			}
			if _, err := bob.Update(f.ctx, "ITEM", id, map[string]any{"name": "bob"}); !errors.Is(err, runtime.ErrForbidden) {
				t.Errorf("bob's Go update: %v, want ErrForbidden", err)
			}
			if obj, err := f.js.Do(f.ctx, "bob", "get", id, nil, ""); err != nil || obj == nil {
				t.Errorf("bob's JS read: %v %v", obj, err)
			}

			// Go sets the field; the Worker reads Go's value.
			if _, err := alice.Update(f.ctx, "ITEM", id, map[string]any{tt.field: tt.goSet}); err != nil {
				t.Fatalf("Go sets %s: %v", tt.field, err)
			}
			back, err = f.js.Do(f.ctx, "alice", "get", id, nil, "")
			if err != nil {
				t.Fatal(err)
			}
			if !cmp.Equal(back[tt.field], tt.jsGot) {
				t.Errorf("the Worker reads Go's %s = %#v, want %#v", tt.field, back[tt.field], tt.jsGot)
			}
			if tt.field != "body" {
				if v := f.d1Value(t, id, tt.field); !cmp.Equal(v, tt.d1, sameNumber) {
					t.Errorf("D1 %s = %#v, want %#v", tt.field, v, tt.d1)
				}
			}
			f.noDrift(t, "after Go's set")

			// The Worker updates again (its own field) and unshares; Go
			// sees both.
			if _, err := f.js.Do(f.ctx, "alice", "update", id, map[string]any{other: "js again"}, ""); err != nil {
				t.Fatal(err)
			}
			if _, err := f.js.Do(f.ctx, "alice", "unshare", id, nil, "bob"); err != nil {
				t.Fatal(err)
			}
			if _, err := bob.Get(f.ctx, "ITEM", id); !errors.Is(err, runtime.ErrNotFound) {
				t.Errorf("bob's Go read after the Worker unshared: %v, want ErrNotFound", err)
			}
			got, err = alice.Get(f.ctx, "ITEM", id)
			if err != nil {
				t.Fatal(err)
			}
			if got.Get(other) != "js again" {
				t.Errorf("Go reads %s = %v after the Worker's update", other, got.Get(other))
			}
			f.noDrift(t, "after the Worker's update")
		})
	}
}

// sameNumber compares numbers by value: JSON (D1 over REST) does not
// tell 1 from 1.0.
var sameNumber = cmp.FilterValues(func(a, b any) bool {
	_, okA := asFloat(a)
	_, okB := asFloat(b)
	return okA && okB
}, cmp.Comparer(func(a, b any) bool {
	x, _ := asFloat(a)
	y, _ := asFloat(b)
	return x == y
}))

func asFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// TestInsertOrReplaceIsNamed: a Worker's INSERT OR REPLACE of a row that
// repeats another record's unique value deletes that record's D1 row.
// Reconcile names the record, the one holding its value and the repair;
// after the repair it finds nothing. The upsert the README gives fails
// instead and leaves both stores as they were.
func TestInsertOrReplaceIsNamed(t *testing.T) {
	f := setup(t)
	alice := f.ds.Auth("alice")
	a, err := alice.Create(f.ctx, "ITEM", map[string]any{"name": "a", "slug": "taken"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.js.Do(f.ctx, "bob", "replace", "", map[string]any{"name": "b", "slug": "taken"}, "")
	if err != nil {
		t.Fatal(err)
	}
	bID, _ := b["item_id"].(string)

	rep, err := operator.Reconcile(f.ctx, f.ds, operator.ReconcileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var found []operator.Drift
	for _, m := range rep.Models {
		found = append(found, m.Drift...)
	}
	if len(found) != 1 || found[0].ID != a.ID() || found[0].Kind != operator.DriftMissingRow {
		t.Fatalf("drift = %+v, want %s missing_row", found, a.ID())
	}
	for _, want := range []string{bID, "item_by_slug", "slug", "INSERT OR REPLACE", "dmplan reconcile -fix"} {
		if !strings.Contains(found[0].Problem, want) {
			t.Errorf("problem %q does not name %q", found[0].Problem, want)
		}
	}
	if strings.Contains(found[0].Problem, "taken") {
		t.Errorf("problem %q holds a field value", found[0].Problem)
	}

	// The repair it names: another slug for one of them, then saved.
	if _, err := alice.Update(f.ctx, "ITEM", a.ID(), map[string]any{"slug": "taken-2"}); err != nil {
		t.Fatal(err)
	}
	f.noDrift(t, "after the repair")

	// The upsert refuses the duplicate and puts KV back.
	if _, err := f.js.Do(f.ctx, "bob", "create", "", map[string]any{"name": "c", "slug": "taken-2"}, ""); !errors.Is(err, cftest.ErrJS) || !strings.Contains(err.Error(), "UNIQUE") {
		t.Fatalf("JS upsert of a duplicate slug: %v, want a UNIQUE constraint error", err)
	}
	f.noDrift(t, "after the refused upsert")
	if got, err := alice.Get(f.ctx, "ITEM", a.ID()); err != nil || got.Get("slug") != "taken-2" {
		t.Errorf("a after the refused upsert: %v %v", got, err)
	}
}

// TestGoAndJSWritersAtOnce: the owner's Go updates and a Worker's shares
// of the same record run at the same time. Each store is last-writer-wins
// on whole values (README), so a share may be overwritten by a Go save
// that read the record before it; what must hold: every save returns
// without error, _auth always names the owner and only users someone
// shared with, KV holds one writer's whole object, and after
// `reconcile -fix` nothing drifts.
func TestGoAndJSWritersAtOnce(t *testing.T) {
	f := setup(t)
	alice := f.ds.Auth("alice")
	r, err := alice.Create(f.ctx, "ITEM", map[string]any{"name": "start", "count": 0})
	if err != nil {
		t.Fatal(err)
	}
	id := r.ID()
	const rounds = 8
	users := []string{"u0", "u1", "u2", "u3", "u4", "u5", "u6", "u7"}
	errs := make(chan error, 2*rounds)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range rounds {
			if _, err := f.js.Do(f.ctx, "alice", "share", id, nil, users[i]); err != nil {
				errs <- err
			}
		}
	}()
	for i := range rounds {
		if _, err := alice.Update(f.ctx, "ITEM", id, map[string]any{"count": i + 1}); err != nil {
			errs <- err
		}
	}
	<-done
	close(errs)
	for err := range errs {
		t.Errorf("a save failed: %v", err)
	}
	obj, err := f.js.Do(f.ctx, "alice", "get", id, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	list, _ := obj["_auth"].([]any)
	if len(list) == 0 || list[0] != "alice" {
		t.Fatalf("_auth = %v, want the owner first", obj["_auth"])
	}
	for _, u := range list[1:] {
		if s, _ := u.(string); !strings.HasPrefix(s, "u") {
			t.Errorf("_auth holds %v, which nobody shared with", u)
		}
	}
	if obj["name"] != "start" || obj["user_id"] != "alice" {
		t.Errorf("object mixes writers' values: %v", obj)
	}
	if _, err := operator.Reconcile(f.ctx, f.ds, operator.ReconcileOptions{Fix: true}); err != nil {
		t.Fatal(err)
	}
	f.noDrift(t, "after the writers stopped and a fix")
}
