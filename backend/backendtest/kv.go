package backendtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/backend"
)

func runKV(t *testing.T, b backend.Backend) {
	kv := b.KV()
	t.Run("PutGet", func(t *testing.T) { testPutGet(t, kv) })
	t.Run("MissingKey", func(t *testing.T) { testMissingKey(t, kv) })
	t.Run("UnknownNamespace", func(t *testing.T) { testUnknownNamespace(t, kv) })
	t.Run("GetMany", func(t *testing.T) { testGetMany(t, kv) })
	t.Run("PutManyDeleteMany", func(t *testing.T) { testPutManyDeleteMany(t, kv) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, kv) })
	t.Run("ListPages", func(t *testing.T) { testListPages(t, kv) })
	t.Run("ListByteOrder", func(t *testing.T) { testListByteOrder(t, kv) })
	t.Run("SpecialKeys", func(t *testing.T) { testSpecialKeys(t, kv) })
	t.Run("LimitsRefused", func(t *testing.T) { testKVLimits(t, kv) })
}

// newNamespace creates a namespace with a unique title for one test.
func newNamespace(t *testing.T, kv backend.KV) string {
	t.Helper()
	ns, err := kv.CreateNamespace(context.Background(), unique("dmplan-test"))
	if err != nil {
		t.Fatalf("CreateNamespace: %v", err)
	}
	return ns.ID
}

func put(t *testing.T, kv backend.KV, ns string, e backend.Entry) {
	t.Helper()
	if err := kv.Put(context.Background(), ns, e); err != nil {
		t.Fatalf("Put(%q): %v", e.Key, err)
	}
}

func testPutGet(t *testing.T, kv backend.KV) {
	ctx := context.Background()
	ns := newNamespace(t, kv)
	exp := time.Now().Add(time.Hour).Truncate(time.Second).UTC()
	binary := make([]byte, 256)
	for i := range binary {
		binary[i] = byte(i)
	}
	entries := []backend.Entry{
		{Key: "plain", Value: []byte("hello")},
		{Key: "with-metadata", Value: []byte(`{"a":1}`), Metadata: []byte(`{"v":1,"tag":"x"}`)},
		{Key: "with-expiration", Value: []byte("soon gone"), Expiration: exp},
		{Key: "binary", Value: binary},
		{Key: "large", Value: bytes.Repeat([]byte("0123456789abcdef"), 64*1024)}, // 1 MiB
	}
	for _, e := range entries {
		put(t, kv, ns, e)
	}
	put(t, kv, ns, backend.Entry{Key: "plain", Value: []byte("hello again")})
	entries[0].Value = []byte("hello again")
	for _, want := range entries {
		got, err := kv.Get(ctx, ns, want.Key)
		if err != nil {
			t.Fatalf("Get(%q): %v", want.Key, err)
		}
		got.Expiration = got.Expiration.UTC()
		if diff := cmp.Diff(want, got, cmp.Comparer(bytes.Equal)); diff != "" {
			t.Errorf("Get(%q) (-want +got):\n%s", want.Key, diff)
		}
	}
}

func testMissingKey(t *testing.T, kv backend.KV) {
	ns := newNamespace(t, kv)
	if _, err := kv.Get(context.Background(), ns, "never-written"); !errors.Is(err, backend.ErrKeyNotFound) {
		t.Errorf("Get of a missing key: err = %v, want backend.ErrKeyNotFound", err)
	}
}

func testUnknownNamespace(t *testing.T, kv backend.KV) {
	ctx := context.Background()
	const ns = "0123456789abcdef0123456789abcdef"
	if _, err := kv.Get(ctx, ns, "k"); !errors.Is(err, backend.ErrNamespaceNotFound) {
		t.Errorf("Get: err = %v, want backend.ErrNamespaceNotFound", err)
	}
	if err := kv.Put(ctx, ns, backend.Entry{Key: "k", Value: []byte("v")}); !errors.Is(err, backend.ErrNamespaceNotFound) {
		t.Errorf("Put: err = %v, want backend.ErrNamespaceNotFound", err)
	}
}

func testGetMany(t *testing.T, kv backend.KV) {
	ctx := context.Background()
	ns := newNamespace(t, kv)
	var es []backend.Entry
	want := map[string][]byte{}
	var keys []string
	for i := range 160 {
		k := fmt.Sprintf("item:%03d", i)
		keys = append(keys, k)
		if i%4 == 3 {
			continue // every fourth key is missing
		}
		v := []byte(fmt.Sprintf(`{"n":%d}`, i))
		es = append(es, backend.Entry{Key: k, Value: v})
		want[k] = v
	}
	if err := kv.PutMany(ctx, ns, es); err != nil {
		t.Fatalf("PutMany: %v", err)
	}
	got, err := kv.GetMany(ctx, ns, keys)
	if err != nil {
		t.Fatalf("GetMany of %d keys: %v", len(keys), err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetMany (-want +got):\n%s", diff)
	}
	few, err := kv.GetMany(ctx, ns, []string{"item:000", "nope", "item:003"})
	if err != nil {
		t.Fatalf("GetMany: %v", err)
	}
	if diff := cmp.Diff(map[string][]byte{"item:000": want["item:000"]}, few); diff != "" {
		t.Errorf("GetMany with missing keys (-want +got):\n%s", diff)
	}
	none, err := kv.GetMany(ctx, ns, nil)
	if err != nil || len(none) != 0 {
		t.Errorf("GetMany of no keys = %v, %v; want empty and no error", none, err)
	}
}

func testPutManyDeleteMany(t *testing.T, kv backend.KV) {
	ctx := context.Background()
	ns := newNamespace(t, kv)
	var es []backend.Entry
	var keys []string
	for i := range 250 {
		k := fmt.Sprintf("bulk/%04d", i)
		keys = append(keys, k)
		es = append(es, backend.Entry{Key: k, Value: []byte(k), Metadata: []byte(fmt.Sprintf(`{"i":%d}`, i))})
	}
	if err := kv.PutMany(ctx, ns, es); err != nil {
		t.Fatalf("PutMany of %d entries: %v", len(es), err)
	}
	if got := listAll(t, kv, ns, "bulk/", 0); !slices.Equal(got, keys) {
		t.Fatalf("after PutMany, listed %d keys, want %d", len(got), len(keys))
	}
	e, err := kv.Get(ctx, ns, "bulk/0249")
	if err != nil || string(e.Metadata) != `{"i":249}` {
		t.Errorf("Get after PutMany = %q metadata %q, %v", e.Value, e.Metadata, err)
	}
	if err := kv.DeleteMany(ctx, ns, keys[:200]); err != nil {
		t.Fatalf("DeleteMany: %v", err)
	}
	if got := listAll(t, kv, ns, "bulk/", 0); !slices.Equal(got, keys[200:]) {
		t.Errorf("after DeleteMany, listed %v, want %v", got, keys[200:])
	}
	if err := kv.DeleteMany(ctx, ns, []string{"bulk/0000", "never-there"}); err != nil {
		t.Errorf("DeleteMany of missing keys: %v", err)
	}
}

func testDelete(t *testing.T, kv backend.KV) {
	ctx := context.Background()
	ns := newNamespace(t, kv)
	put(t, kv, ns, backend.Entry{Key: "k", Value: []byte("v")})
	if err := kv.Delete(ctx, ns, "k"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := kv.Get(ctx, ns, "k"); !errors.Is(err, backend.ErrKeyNotFound) {
		t.Errorf("Get after Delete: err = %v, want backend.ErrKeyNotFound", err)
	}
	if err := kv.Delete(ctx, ns, "k"); err != nil {
		t.Errorf("Delete of a missing key: %v", err)
	}
}

// listAll lists every key with the prefix, page by page until the cursor
// is empty, and fails on a repeated key.
func listAll(t *testing.T, kv backend.KV, ns, prefix string, limit int) []string {
	t.Helper()
	var (
		keys   []string
		cursor string
	)
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatalf("List(%q): more than 1000 pages", prefix)
		}
		page, err := kv.List(context.Background(), ns, prefix, cursor, limit)
		if err != nil {
			t.Fatalf("List(%q, cursor %q): %v", prefix, cursor, err)
		}
		if limit > 0 && len(page.Keys) > limit {
			t.Fatalf("List(%q) returned %d keys, limit %d", prefix, len(page.Keys), limit)
		}
		for _, k := range page.Keys {
			if len(keys) > 0 && k.Name <= keys[len(keys)-1] {
				t.Fatalf("List(%q): key %q after %q, not in byte order", prefix, k.Name, keys[len(keys)-1])
			}
			keys = append(keys, k.Name)
		}
		if page.Cursor == "" {
			return keys
		}
		cursor = page.Cursor
	}
}

func testListPages(t *testing.T, kv backend.KV) {
	ctx := context.Background()
	ns := newNamespace(t, kv)
	var es []backend.Entry
	var want []string
	for i := range 25 {
		k := fmt.Sprintf("page:%02d", i)
		want = append(want, k)
		es = append(es, backend.Entry{Key: k, Value: []byte("x"), Metadata: []byte(`{"n":1}`)})
	}
	es = append(es, backend.Entry{Key: "pag", Value: []byte("x")}, backend.Entry{Key: "page;", Value: []byte("x")}, backend.Entry{Key: "other:1", Value: []byte("x")})
	if err := kv.PutMany(ctx, ns, es); err != nil {
		t.Fatalf("PutMany: %v", err)
	}
	first, err := kv.List(ctx, ns, "page:", "", 10)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(first.Keys) != 10 || first.Cursor == "" {
		t.Fatalf("first page: %d keys, cursor %q; want 10 keys and a cursor", len(first.Keys), first.Cursor)
	}
	if diff := cmp.Diff(backend.ListKey{Name: "page:00", Metadata: []byte(`{"n":1}`)}, first.Keys[0]); diff != "" {
		t.Errorf("first listed key (-want +got):\n%s", diff)
	}
	if got := listAll(t, kv, ns, "page:", 10); !slices.Equal(got, want) {
		t.Errorf("List pages of 10 = %v, want %v", got, want)
	}
	if got := listAll(t, kv, ns, "page:", 0); !slices.Equal(got, want) {
		t.Errorf("List with the default limit = %v, want %v", got, want)
	}
	all := listAll(t, kv, ns, "", 0)
	if len(all) != len(es) {
		t.Errorf("List without prefix: %d keys, want %d", len(all), len(es))
	}
	if got := listAll(t, kv, ns, "nothing-here", 0); len(got) != 0 {
		t.Errorf("List of an unused prefix = %v, want none", got)
	}
}

func testListByteOrder(t *testing.T, kv backend.KV) {
	ctx := context.Background()
	ns := newNamespace(t, kv)
	keys := []string{"z", "a", "B", "é", "~", "a/b", "a b", "A", "日本", "a%20", "0", "a?x"}
	var es []backend.Entry
	for _, k := range keys {
		es = append(es, backend.Entry{Key: k, Value: []byte(k)})
	}
	if err := kv.PutMany(ctx, ns, es); err != nil {
		t.Fatalf("PutMany: %v", err)
	}
	want := slices.Clone(keys)
	slices.Sort(want) // Go compares strings bytewise, as KV orders keys
	if got := listAll(t, kv, ns, "", 0); !slices.Equal(got, want) {
		t.Errorf("List = %q, want byte order %q", got, want)
	}
}

func testSpecialKeys(t *testing.T, kv backend.KV) {
	ctx := context.Background()
	ns := newNamespace(t, kv)
	keys := []string{"a/b/c", "what?x=1&y=2", "100%", "%2F", "with space", "tab\there", "unicode:日本語:é", "emoji🎉", "#frag", "semi;colon", "back\\slash", "plus+sign", strings.Repeat("k", backend.MaxKeyBytes)}
	for _, k := range keys {
		put(t, kv, ns, backend.Entry{Key: k, Value: []byte("v:" + k)})
	}
	for _, k := range keys {
		e, err := kv.Get(ctx, ns, k)
		if err != nil {
			t.Errorf("Get(%q): %v", k, err)
			continue
		}
		if string(e.Value) != "v:"+k {
			t.Errorf("Get(%q) = %q", k, e.Value)
		}
	}
	got, err := kv.GetMany(ctx, ns, keys)
	if err != nil {
		t.Fatalf("GetMany: %v", err)
	}
	if len(got) != len(keys) {
		t.Errorf("GetMany found %d of %d keys", len(got), len(keys))
	}
	want := slices.Clone(keys)
	slices.Sort(want)
	if listed := listAll(t, kv, ns, "", 0); !slices.Equal(listed, want) {
		t.Errorf("List = %q, want %q", listed, want)
	}
	if err := kv.DeleteMany(ctx, ns, keys); err != nil {
		t.Fatalf("DeleteMany: %v", err)
	}
	if listed := listAll(t, kv, ns, "", 0); len(listed) != 0 {
		t.Errorf("List after DeleteMany = %q, want none", listed)
	}
}

func testKVLimits(t *testing.T, kv backend.KV) {
	ctx := context.Background()
	ns := newNamespace(t, kv)
	tests := []struct {
		name string
		e    backend.Entry
		want error
	}{
		{"empty key", backend.Entry{Key: "", Value: []byte("v")}, backend.ErrInvalidKey},
		{"dot", backend.Entry{Key: ".", Value: []byte("v")}, backend.ErrInvalidKey},
		{"dot dot", backend.Entry{Key: "..", Value: []byte("v")}, backend.ErrInvalidKey},
		{"key over 512 bytes", backend.Entry{Key: strings.Repeat("k", backend.MaxKeyBytes+1), Value: []byte("v")}, backend.ErrTooLarge},
		{"value over 25 MiB", backend.Entry{Key: "big", Value: make([]byte, backend.MaxValueBytes+1)}, backend.ErrTooLarge},
		{"metadata over 1024 bytes", backend.Entry{Key: "meta", Value: []byte("v"), Metadata: []byte(`"` + strings.Repeat("m", backend.MaxMetadataBytes-1) + `"`)}, backend.ErrTooLarge},
		{"expiration under 60 seconds", backend.Entry{Key: "soon", Value: []byte("v"), Expiration: time.Now().Add(10 * time.Second)}, backend.ErrInvalidExpiration},
		{"expiration in the past", backend.Entry{Key: "past", Value: []byte("v"), Expiration: time.Now().Add(-time.Hour)}, backend.ErrInvalidExpiration},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := kv.Put(ctx, ns, tt.e); !errors.Is(err, tt.want) {
				t.Errorf("Put: err = %v, want %v", err, tt.want)
			}
			batch := []backend.Entry{{Key: "ok-" + tt.name, Value: []byte("v")}, tt.e}
			if err := kv.PutMany(ctx, ns, batch); !errors.Is(err, tt.want) {
				t.Errorf("PutMany: err = %v, want %v", err, tt.want)
			}
		})
	}
	for _, key := range []string{"", ".", ".."} {
		if _, err := kv.Get(ctx, ns, key); !errors.Is(err, backend.ErrInvalidKey) {
			t.Errorf("Get(%q): err = %v, want backend.ErrInvalidKey", key, err)
		}
	}
	if listed := listAll(t, kv, ns, "", 0); len(listed) != 0 {
		t.Errorf("keys written despite refused entries: %q", listed)
	}
	exact := backend.Entry{Key: "meta-1024", Value: []byte("v"), Metadata: []byte(`"` + strings.Repeat("m", backend.MaxMetadataBytes-2) + `"`)}
	put(t, kv, ns, exact)
	if e, err := kv.Get(ctx, ns, exact.Key); err != nil || len(e.Metadata) != backend.MaxMetadataBytes {
		t.Errorf("metadata of exactly %d bytes: got %d bytes, %v", backend.MaxMetadataBytes, len(e.Metadata), err)
	}
}
