package adoptionmodels_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/gen/internal/adoptionmodels"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/runtime"
)

type fixture struct {
	ctx   context.Context
	spec  *hclspec.Spec
	store *local.Store
	ds    *runtime.Datastore
}

func setup(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	spec, diags := hclspec.LoadDir("../../testdata/adoption")
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
	ds, err := runtime.Open(ctx, spec, store, runtime.WithLogger(slog.New(slog.DiscardHandler)),
		runtime.WithClock(func() time.Time { return time.Date(2026, 11, 27, 14, 50, 8, 123_000_000, time.UTC) }))
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{ctx: ctx, spec: spec, store: store, ds: ds}
}

// TestTypedD1Only: a D1-only model with an autoincrement integer key, a
// blob, a declared DECIMAL and BOOLEAN, json and a DATETIME column with a
// SQL default round-trips through the generated struct.
func TestTypedD1Only(t *testing.T) {
	f := setup(t)
	events, err := adoptionmodels.EventModel(f.ds.System())
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	got, err := events.Create(f.ctx, &adoptionmodels.Event{
		Kind: adoptionmodels.EventKindClick, Payload: []byte{0, 255, 16}, Score: ptr(12.5), Seen: true,
		Meta: json.RawMessage(`{"a":[1]}`), At: at,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID <= 0 || !bytes.Equal(got.Payload, []byte{0, 255, 16}) || *got.Score != 12.5 || !got.Seen || !got.At.Equal(at) {
		t.Fatalf("created %+v", got)
	}
	read, err := events.Get(f.ctx, strconv.FormatInt(got.ID, 10))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(read.Payload, got.Payload) || string(read.Meta) != `{"a":[1]}` || !read.At.Equal(at) || read.Kind != "click" {
		t.Fatalf("read %+v", read)
	}
	read.Payload = nil
	upd, err := events.Update(f.ctx, strconv.FormatInt(got.ID, 10), read)
	if err != nil {
		t.Fatal(err)
	}
	if upd.Payload != nil {
		t.Errorf("payload after clearing: %v", upd.Payload)
	}
}

// TestTypedBlobKV: a D1+KV model's blob is base64 text in the KV object
// and []byte in the struct, both ways.
func TestTypedBlobKV(t *testing.T) {
	f := setup(t)
	files, err := adoptionmodels.FileModel(f.ds.System())
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("\x89PNG\r\n\x1a\n\x00\xff")
	got, err := files.Create(f.ctx, &adoptionmodels.File{Name: "a.png", Data: data, Thumb: []byte{1}})
	if err != nil {
		t.Fatal(err)
	}
	read, err := files.Get(f.ctx, got.FileID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(read.Data, data) || !bytes.Equal(read.Thumb, []byte{1}) {
		t.Fatalf("read %+v", read)
	}
	// In KV the blob is base64 text, as the TS interface File says.
	nss, err := f.store.KV().Namespaces(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nss {
		if n.Title == f.spec.NamespaceTitle("local", "FILES") {
			ent, err := f.store.KV().Get(f.ctx, n.ID, adoptionmodels.FileKey(got.FileID))
			if err != nil {
				t.Fatal(err)
			}
			var obj map[string]any
			if err := json.Unmarshal(ent.Value, &obj); err != nil {
				t.Fatal(err)
			}
			if obj["data"] != base64.StdEncoding.EncodeToString(data) {
				t.Errorf("KV data = %#v, want base64 text", obj["data"])
			}
			return
		}
	}
	t.Fatal("namespace FILES missing")
}

func ptr[T any](v T) *T { return &v }

// TestTypedCompositeKey reads, updates and deletes a record of a D1-only
// model with a composite key by runtime.Key.
func TestTypedCompositeKey(t *testing.T) {
	f := setup(t)
	members, err := adoptionmodels.MembershipModel(f.ds.System())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := members.Create(f.ctx, &adoptionmodels.Membership{OrgID: "o1", UserID: "u1", Role: ptr("admin")}); err != nil {
		t.Fatal(err)
	}
	if _, err := members.Create(f.ctx, &adoptionmodels.Membership{OrgID: "o1", UserID: "u2"}); err != nil {
		t.Fatal(err)
	}
	key := runtime.Key{"org_id": "o1", "user_id": "u1"}
	got, err := members.GetKey(f.ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if got.OrgID != "o1" || got.UserID != "u1" || got.Role == nil || *got.Role != "admin" {
		t.Fatalf("got %+v", got)
	}
	got.Role = nil
	upd, err := members.UpdateKey(f.ctx, key, got)
	if err != nil {
		t.Fatal(err)
	}
	if upd.Role != nil {
		t.Errorf("role after clearing: %v", *upd.Role)
	}
	if err := members.DeleteKey(f.ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := members.GetKey(f.ctx, key); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("deleted membership: %v", err)
	}
	other, err := members.GetKey(f.ctx, runtime.Key{"org_id": "o1", "user_id": "u2"})
	if err != nil || other.Role != nil {
		t.Errorf("the other membership: %+v %v", other, err)
	}
	res, err := members.Query().Where("org_id", "o1").List(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != 1 || res.Items[0].UserID != "u2" {
		t.Errorf("query: %+v", res.Items)
	}
}

// TestTypedIntegerKeyKV: a D1+KV model with an integer key: the typed
// handle creates it with the given key, the KV object is under
// CounterKey(decimal), and Get takes the decimal.
func TestTypedIntegerKeyKV(t *testing.T) {
	f := setup(t)
	counters, err := adoptionmodels.CounterModel(f.ds.System())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := counters.Create(f.ctx, &adoptionmodels.Counter{ID: 42, N: 7}); err != nil {
		t.Fatal(err)
	}
	got, err := counters.Get(f.ctx, "42")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != 42 || got.N != 7 {
		t.Fatalf("got %+v", got)
	}
	got.N = 8
	if upd, err := counters.Update(f.ctx, "42", got); err != nil || upd.N != 8 {
		t.Fatalf("update: %+v %v", upd, err)
	}
	nss, err := f.store.KV().Namespaces(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nss {
		if n.Title == f.spec.NamespaceTitle("local", "COUNTERS") {
			ent, err := f.store.KV().Get(f.ctx, n.ID, adoptionmodels.CounterKey("42"))
			if err != nil {
				t.Fatalf("no object under CounterKey(42) = %s: %v", adoptionmodels.CounterKey("42"), err)
			}
			var obj adoptionmodels.Counter
			if err := json.Unmarshal(ent.Value, &obj); err != nil || obj.ID != 42 || obj.N != 8 {
				t.Fatalf("object %s: %v", ent.Value, err)
			}
			return
		}
	}
	t.Fatal("namespace COUNTERS missing")
}
