package cloudflare

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/backend"
)

// TestListSmallPages lists with limits under the API's minimum page of 10,
// which List serves by cutting API pages and resuming inside them.
func TestListSmallPages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	ns, err := f.s.KV().CreateNamespace(ctx, "small-pages")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	var es []backend.Entry
	for i := range 23 {
		k := fmt.Sprintf("p/%02d", i)
		want = append(want, k)
		es = append(es, backend.Entry{Key: k, Value: []byte("v")})
	}
	es = append(es, backend.Entry{Key: "q/other", Value: []byte("v")})
	if err := f.s.KV().PutMany(ctx, ns.ID, es); err != nil {
		t.Fatal(err)
	}
	for _, limit := range []int{1, 3, 9, 10, 0} {
		t.Run(fmt.Sprintf("limit %d", limit), func(t *testing.T) {
			var got []string
			cursor := ""
			for pages := 0; ; pages++ {
				if pages > 30 {
					t.Fatal("listing does not end")
				}
				page, err := f.s.KV().List(ctx, ns.ID, "p/", cursor, limit)
				if err != nil {
					t.Fatal(err)
				}
				if limit > 0 && len(page.Keys) > limit {
					t.Fatalf("page of %d keys, limit %d", len(page.Keys), limit)
				}
				for _, k := range page.Keys {
					got = append(got, k.Name)
				}
				if page.Cursor == "" {
					break
				}
				cursor = page.Cursor
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("listed keys (-want +got):\n%s", diff)
			}
		})
	}
}

// TestGetEntry checks that Get returns metadata and expiration in one
// request, and exact bytes for a binary value.
func TestGetEntry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	ns, err := f.s.KV().CreateNamespace(ctx, "entries")
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(time.Hour).Truncate(time.Second)
	text := backend.Entry{Key: "a/b?c%d é", Value: []byte(`{"title":"x"}`), Metadata: []byte(`{"v":1}`), Expiration: exp}
	binary := backend.Entry{Key: "bin", Value: []byte{0xff, 0xfe, 0, 'a', 0x80}}
	for _, e := range []backend.Entry{text, binary} {
		if err := f.s.KV().Put(ctx, ns.ID, e); err != nil {
			t.Fatalf("Put %q: %v", e.Key, err)
		}
	}
	tests := []struct {
		e        backend.Entry
		requests int
	}{
		{text, 1},
		{binary, 2}, // the bulk read turns invalid UTF-8 into U+FFFD; the value endpoint has the bytes
	}
	for _, tt := range tests {
		f.mark(t)
		got, err := f.s.KV().Get(ctx, ns.ID, tt.e.Key)
		if err != nil {
			t.Fatalf("Get %q: %v", tt.e.Key, err)
		}
		if diff := cmp.Diff(tt.e, got); diff != "" {
			t.Errorf("Get %q (-want +got):\n%s", tt.e.Key, diff)
		}
		if n := len(f.requests(t)); n != tt.requests {
			t.Errorf("Get %q took %d requests, want %d", tt.e.Key, n, tt.requests)
		}
	}
	if _, err := f.s.KV().Get(ctx, "0123456789abcdef0123456789abcdef", "k"); !errors.Is(err, backend.ErrNamespaceNotFound) {
		t.Errorf("Get in an unknown namespace: err = %v, want ErrNamespaceNotFound", err)
	}
}
