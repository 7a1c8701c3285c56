package local_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
)

// dirState lists a directory's files with their sizes and modification
// times, to show that something wrote nothing there.
func dirState(t *testing.T, dir string) string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, e := range es {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, fmt.Sprintf("%s %d %s", e.Name(), fi.Size(), fi.ModTime().Format(time.RFC3339Nano)))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// TestOpenReadOnlyWritesNothing: reading a target through OpenReadOnly
// (inspect, KV reads, D1 reads in a batch) leaves its files as they were,
// with or without kv.sqlite, and refuses writes.
func TestOpenReadOnlyWritesNothing(t *testing.T) {
	ctx := context.Background()
	for _, withKV := range []bool{true, false} {
		t.Run(fmt.Sprintf("kv.sqlite=%v", withKV), func(t *testing.T) {
			dir := t.TempDir()
			s, err := local.Open(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			ns, err := s.KV().CreateNamespace(ctx, "NOTES")
			if err != nil {
				t.Fatal(err)
			}
			if err := s.KV().Put(ctx, ns.ID, backend.Entry{Key: "note:1", Value: []byte(`{"id":"1"}`)}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.D1().Batch(ctx, []backend.Stmt{{SQL: "CREATE TABLE note (id TEXT PRIMARY KEY)"}, {SQL: "INSERT INTO note VALUES ('1')"}}); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if !withKV {
				if err := os.Remove(filepath.Join(dir, local.KVFile)); err != nil {
					t.Fatal(err)
				}
			}
			before := dirState(t, dir)
			time.Sleep(10 * time.Millisecond) // a write now would show in the mtimes

			r, err := local.OpenReadOnly(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			live, err := backend.Inspect(ctx, r.D1(), r.KV())
			if err != nil {
				t.Fatal(err)
			}
			if live.Table("note") == nil || !live.Table("note").HasRows {
				t.Errorf("inspect through the read-only store: %+v", live.Tables)
			}
			wantNS := 0
			if withKV {
				wantNS = 1
			}
			if len(live.Namespaces) != wantNS {
				t.Errorf("%d namespaces, want %d", len(live.Namespaces), wantNS)
			}
			if withKV {
				e, err := r.KV().Get(ctx, ns.ID, "note:1")
				if err != nil || string(e.Value) != `{"id":"1"}` {
					t.Errorf("KV get: %v %v", e, err)
				}
				if err := r.KV().Put(ctx, ns.ID, backend.Entry{Key: "note:2", Value: []byte("{}")}); err == nil {
					t.Error("a KV put through the read-only store succeeded")
				}
			}
			if _, err := r.D1().Query(ctx, backend.Stmt{SQL: "INSERT INTO note VALUES ('2')"}); err == nil {
				t.Error("a D1 insert through the read-only store succeeded")
			}
			if _, err := r.D1().Batch(ctx, []backend.Stmt{{SQL: "CREATE TABLE other (id TEXT)"}}); err == nil {
				t.Error("a D1 batch that writes succeeded through the read-only store")
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			if after := dirState(t, dir); after != before {
				t.Errorf("the read-only store changed the directory:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
	if _, err := local.OpenReadOnly(ctx, t.TempDir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("OpenReadOnly of an empty directory: %v, want os.ErrNotExist", err)
	}
}
