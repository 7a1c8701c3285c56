package fullmodels_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/gen/internal/fullmodels"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/runtime"
)

// The generated structs and typed handles of gen/testdata/full, used as a
// service would: against a local store that dmplan apply migrated.

var start = time.Date(2026, 11, 27, 14, 50, 8, 123_000_000, time.UTC)

type fixture struct {
	ctx   context.Context
	spec  *hclspec.Spec
	store *local.Store
	ds    *runtime.Datastore
	now   time.Time
}

func setup(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	spec, diags := hclspec.LoadDir("../../testdata/full")
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	store, err := local.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	live, err := backend.Inspect(ctx, store.D1(), store.KV())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := applier.Apply(ctx, store, planner.Diff(spec, "local", live), applier.Options{}); err != nil {
		t.Fatal(err)
	}
	f := &fixture{ctx: ctx, spec: spec, store: store, now: start}
	f.ds, err = runtime.Open(ctx, spec, store, runtime.WithClock(func() time.Time { return f.now }),
		runtime.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// kvObject reads a record's raw KV object.
func (f *fixture) kvObject(t *testing.T, ns, key string) []byte {
	t.Helper()
	nss, err := f.store.KV().Namespaces(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nss {
		if n.Title == f.spec.NamespaceTitle("local", ns) {
			ent, err := f.store.KV().Get(f.ctx, n.ID, key)
			if err != nil {
				t.Fatalf("get %s: %v", key, err)
			}
			return ent.Value
		}
	}
	t.Fatalf("namespace %s missing", ns)
	return nil
}

func ptr[T any](v T) *T { return &v }

// timeEqual compares instants, not time.Time's location pointers.
var timeEqual = cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })

// fullItem sets every field of ITEM, with values at the edges of their
// types: an integer beyond 2^53, unicode text, nested JSON, a mixed array.
func fullItem() *fullmodels.Item {
	return &fullmodels.Item{
		Name:     "Lamp ☀ \"desk\"",
		Sku:      ptr("lamp-1"),
		Body:     ptr("line 1\nline 2"),
		Kind:     fullmodels.ItemKindInStock,
		Grade:    ptr(fullmodels.ItemGradeA),
		Count:    1<<53 - 1,
		Stock:    ptr(int64(-3)),
		Price:    19.99,
		Weight:   ptr(0.25),
		Active:   true,
		Featured: ptr(true),
		Attrs:    json.RawMessage(`{"color":"red","dims":[1,2.5,{"d":null}]}`),
		Extra:    json.RawMessage(`[true,"x"]`),
		Tags:     []any{"a", 1.5, true, nil, map[string]any{"k": "v"}},
		Aliases:  []any{"lampe"},
		Released: time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.UTC),
		Recalled: ptr(time.Date(2026, 6, 1, 12, 0, 0, 0, time.FixedZone("CEST", 2*3600))),
	}
}

// TestTypedRoundTrip writes every field type through the generated struct
// and reads it back: through Get, through the raw KV object decoded with
// the struct's json tags (the tags are the KV object's keys), and through
// the D1 row.
func TestTypedRoundTrip(t *testing.T) {
	f := setup(t)
	items, err := fullmodels.ItemModel(f.ds.Auth("u1"))
	if err != nil {
		t.Fatal(err)
	}
	in := fullItem()
	got, err := items.Create(f.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if got.ItemID == "" || !got.CreatedAt.Equal(start) || !got.UpdatedAt.Equal(start) || got.DeletedAt != nil ||
		got.UserID != "u1" || !slices.Equal(got.Auth, []string{"u1"}) {
		t.Fatalf("managed fields: id %q created %v updated %v deleted %v user %q auth %v",
			got.ItemID, got.CreatedAt, got.UpdatedAt, got.DeletedAt, got.UserID, got.Auth)
	}
	want := *in
	want.ItemID, want.UserID, want.CreatedAt, want.UpdatedAt, want.Auth = got.ItemID, "u1", start, start, []string{"u1"}
	jsonEq := cmp.Comparer(func(a, b json.RawMessage) bool {
		var x, y any
		return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && cmp.Equal(x, y)
	})
	if d := cmp.Diff(&want, got, timeEqual, jsonEq); d != "" {
		t.Errorf("Create returned (-want +got):\n%s", d)
	}
	read, err := items.Get(f.ctx, got.ItemID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(&want, read, timeEqual, jsonEq); d != "" {
		t.Errorf("Get returned (-want +got):\n%s", d)
	}
	if read.Count != 1<<53-1 {
		t.Errorf("count %d lost precision", read.Count)
	}

	raw := f.kvObject(t, "ITEMS", fullmodels.ItemKey(got.ItemID))
	var fromKV fullmodels.Item
	if err := json.Unmarshal(raw, &fromKV); err != nil {
		t.Fatalf("the KV object does not decode into the struct: %v\n%s", err, raw)
	}
	if d := cmp.Diff(&want, &fromKV, timeEqual, jsonEq); d != "" {
		t.Errorf("KV object decoded with the json tags (-want +got):\n%s", d)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		t.Fatal(err)
	}
	structJSON, _ := json.Marshal(read)
	var structKeys map[string]json.RawMessage
	if err := json.Unmarshal(structJSON, &structKeys); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(sortedKeys(keys), sortedKeys(structKeys)); d != "" {
		t.Errorf("the struct's JSON keys differ from the KV object's (-kv +struct):\n%s", d)
	}

	res, err := f.store.D1().Query(f.ctx, backend.Stmt{SQL: `SELECT "count", "active", "attrs", "released", "recalled" FROM "items"`})
	if err != nil {
		t.Fatal(err)
	}
	row := res.Maps()[0]
	if row["count"] != int64(1<<53-1) || row["active"] != int64(1) || row["released"] != "2026-01-02T03:04:05.678Z" ||
		row["recalled"] != "2026-06-01T10:00:00.000Z" {
		t.Errorf("D1 row: %v", row)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestTypedNulls: unset optional fields are nil pointers and nil slices,
// absent from the KV object; Update clears a field with a nil pointer and
// leaves the fields it did not change as stored.
func TestTypedNulls(t *testing.T) {
	f := setup(t)
	items, err := fullmodels.ItemModel(f.ds.System())
	if err != nil {
		t.Fatal(err)
	}
	got, err := items.Create(f.ctx, &fullmodels.Item{
		Name: "bare", Kind: fullmodels.ItemKindGone, Attrs: json.RawMessage(`{}`), Tags: []any{},
		Released: start, UserID: "owner",
	})
	if err != nil {
		t.Fatal(err)
	}
	// Defaults fill in; other optional fields stay unset.
	if got.Grade == nil || *got.Grade != "b" || got.Stock == nil || *got.Stock != 0 || got.Featured == nil || *got.Featured {
		t.Errorf("defaults: grade %v stock %v featured %v", got.Grade, got.Stock, got.Featured)
	}
	if got.Sku != nil || got.Body != nil || got.Weight != nil || got.Extra != nil || got.Aliases != nil || got.Recalled != nil {
		t.Errorf("unset fields read back set: %+v", got)
	}
	var obj map[string]any
	if err := json.Unmarshal(f.kvObject(t, "ITEMS", fullmodels.ItemKey(got.ItemID)), &obj); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"sku", "body", "weight", "extra", "aliases", "recalled"} {
		if v, ok := obj[k]; ok {
			t.Errorf("KV object holds unset %s = %v", k, v)
		}
	}
	// The struct's JSON has the KV object's shape: the same keys.
	b, _ := json.Marshal(got)
	var structObj map[string]any
	if err := json.Unmarshal(b, &structObj); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(sortedKeys(obj), sortedKeys(structObj)); d != "" {
		t.Errorf("the struct's JSON keys differ from the KV object's (-kv +struct):\n%s", d)
	}

	f.now = start.Add(time.Minute)
	next := *got
	next.Sku = ptr("bare-1")
	next.Grade = nil // clear: a field with a default may be cleared by an update
	next.Aliases = []any{"x"}
	upd, err := items.Update(f.ctx, got.ItemID, &next)
	if err != nil {
		t.Fatal(err)
	}
	if upd.Sku == nil || *upd.Sku != "bare-1" || upd.Grade != nil || !slices.Equal(upd.Aliases, []any{"x"}) {
		t.Errorf("update: sku %v grade %v aliases %v", upd.Sku, upd.Grade, upd.Aliases)
	}
	if !upd.CreatedAt.Equal(start) || !upd.UpdatedAt.Equal(f.now) {
		t.Errorf("timestamps after update: created %v updated %v", upd.CreatedAt, upd.UpdatedAt)
	}
	// An update that changes nothing writes nothing: updated_at stays.
	f.now = start.Add(2 * time.Minute)
	same, err := items.Update(f.ctx, got.ItemID, upd)
	if err != nil {
		t.Fatal(err)
	}
	if !same.UpdatedAt.Equal(start.Add(time.Minute)) {
		t.Errorf("a no-op update moved updated_at to %v", same.UpdatedAt)
	}
}

// TestTypedValidation: the runtime's validation still lists every failing
// field of a typed create, with its code.
func TestTypedValidation(t *testing.T) {
	f := setup(t)
	items, err := fullmodels.ItemModel(f.ds.Auth("u1"))
	if err != nil {
		t.Fatal(err)
	}
	// A json.RawMessage holding null is unset, like a nil one: a required
	// json field is then missing.
	_, err = items.Create(f.ctx, &fullmodels.Item{Sku: ptr("Not A Slug"), Grade: ptr("z"), Attrs: json.RawMessage(" null ")})
	var ve *runtime.ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, runtime.ErrInvalid) {
		t.Fatalf("error %v, want a *ValidationError", err)
	}
	got := map[string]string{}
	for _, fe := range ve.Fields {
		got[fe.Field] = fe.Code
	}
	want := map[string]string{
		"name": runtime.CodeRequired, "kind": runtime.CodeRequired, "attrs": runtime.CodeRequired,
		"tags": runtime.CodeRequired, "released": runtime.CodeRequired,
		"sku": runtime.CodeFormat, "grade": runtime.CodeEnum,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("failing fields (-want +got):\n%s", d)
	}
}

// TestTypedQueryDeleteRestore lists typed records, soft-deletes and
// restores one, and hard-deletes a record of a model without soft_delete
// that shares its KV namespace with another model.
func TestTypedQueryDeleteRestore(t *testing.T) {
	f := setup(t)
	u := f.ds.Auth("u1")
	items, err := fullmodels.ItemModel(u)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i, kind := range []string{fullmodels.ItemKindGone, fullmodels.ItemKindBackorder, fullmodels.ItemKindGone} {
		it := fullItem()
		it.Kind, it.Count = kind, int64(i)
		got, err := items.Create(f.ctx, it)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, got.ItemID)
	}
	res, err := items.Query().Where("kind", fullmodels.ItemKindGone).OrderBy("count", runtime.Desc).List(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != 2 || res.Items[0].ItemID != ids[2] || res.Items[1].ItemID != ids[0] ||
		res.Items[0].Name != fullItem().Name || string(res.Items[1].Attrs) == "" || res.Pagination.Total != 2 {
		t.Fatalf("query: %d items, total %d", len(res.Items), res.Pagination.Total)
	}

	if err := items.Delete(f.ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := items.Get(f.ctx, ids[0]); !errors.Is(err, runtime.ErrNotFound) {
		t.Fatalf("get deleted: %v", err)
	}
	del, err := items.Get(f.ctx, ids[0], runtime.IncludingDeleted())
	if err != nil || del.DeletedAt == nil || !del.DeletedAt.Equal(start) {
		t.Fatalf("get including deleted: %v, deleted_at %v", err, del)
	}
	if n, err := items.Query().Where("kind", fullmodels.ItemKindGone).Count(f.ctx); err != nil || n != 1 {
		t.Fatalf("count after delete: %d, %v", n, err)
	}
	if err := items.Restore(f.ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if back, err := items.Get(f.ctx, ids[0]); err != nil || back.DeletedAt != nil {
		t.Fatalf("get restored: %v %v", back, err)
	}

	notes, err := fullmodels.NoteModel(f.ds.System())
	if err != nil {
		t.Fatal(err)
	}
	tags, err := fullmodels.TagModel(f.ds.System())
	if err != nil {
		t.Fatal(err)
	}
	n, err := notes.Create(f.ctx, &fullmodels.Note{Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	tg, err := tags.Create(f.ctx, &fullmodels.Tag{Label: "red"})
	if err != nil {
		t.Fatal(err)
	}
	if raw := f.kvObject(t, "MISC", fullmodels.NoteKey(n.NoteID)); string(raw) != `{"note_id":"`+n.NoteID+`","text":"hello"}` {
		t.Errorf("note object %s", raw)
	}
	if err := notes.Delete(f.ctx, n.NoteID); err != nil {
		t.Fatal(err)
	}
	if _, err := notes.Get(f.ctx, n.NoteID, runtime.IncludingDeleted()); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("hard-deleted note: %v", err)
	}
	if got, err := tags.Get(f.ctx, tg.TagID); err != nil || got.Label != "red" {
		t.Errorf("tag in the shared namespace: %v %v", got, err)
	}
}
