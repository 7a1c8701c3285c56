package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/backend"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct{ unix atomic.Int64 }

func (c *fakeClock) now() time.Time          { return time.Unix(c.unix.Load(), 0) }
func (c *fakeClock) advance(d time.Duration) { c.unix.Add(int64(d / time.Second)) }

func TestKVExpiration(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	clock := &fakeClock{}
	clock.unix.Store(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC).Unix())
	s, err := Open(ctx, dir, WithClock(clock.now))
	if err != nil {
		t.Fatal(err)
	}
	kv := s.KV()
	ns, err := kv.CreateNamespace(ctx, "SESSIONS")
	if err != nil {
		t.Fatal(err)
	}
	exp := clock.now().Add(2 * time.Minute)
	for _, e := range []backend.Entry{
		{Key: "short", Value: []byte("1"), Expiration: exp},
		{Key: "long", Value: []byte("2"), Expiration: clock.now().Add(time.Hour)},
		{Key: "forever", Value: []byte("3")},
	} {
		if err := kv.Put(ctx, ns.ID, e); err != nil {
			t.Fatalf("Put(%q): %v", e.Key, err)
		}
	}
	page, err := kv.List(ctx, ns.ID, "", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	wantKeys := []backend.ListKey{
		{Name: "forever"},
		{Name: "long", Expiration: clock.now().Add(time.Hour).UTC()},
		{Name: "short", Expiration: exp.UTC()},
	}
	if diff := cmp.Diff(backend.ListPage{Keys: wantKeys}, page); diff != "" {
		t.Errorf("List before expiry (-want +got):\n%s", diff)
	}

	clock.advance(3 * time.Minute)
	if _, err := kv.Get(ctx, ns.ID, "short"); !errors.Is(err, backend.ErrKeyNotFound) {
		t.Errorf("Get of an expired key: err = %v, want ErrKeyNotFound", err)
	}
	got, err := kv.GetMany(ctx, ns.ID, []string{"short", "long", "forever"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string][]byte{"long": []byte("2"), "forever": []byte("3")}, got); diff != "" {
		t.Errorf("GetMany after expiry (-want +got):\n%s", diff)
	}
	page, err = kv.List(ctx, ns.ID, "", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(backend.ListPage{Keys: wantKeys[:2]}, page); diff != "" {
		t.Errorf("List after expiry (-want +got):\n%s", diff)
	}
	s.Close()

	// Reopening leaves the file alone until the first write, which purges
	// expired keys from it.
	s, err = Open(ctx, dir, WithClock(clock.now))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	count := func() int {
		t.Helper()
		var n int
		if err := s.kv.db.QueryRow(`SELECT count(*) FROM entries`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != 3 {
		t.Errorf("entries after reopening = %d, want 3 (nothing written yet)", n)
	}
	if _, err := s.KV().Get(ctx, ns.ID, "short"); !errors.Is(err, backend.ErrKeyNotFound) {
		t.Errorf("Get of an expired key after reopening: err = %v, want ErrKeyNotFound", err)
	}
	if err := s.KV().Put(ctx, ns.ID, backend.Entry{Key: "new", Value: []byte("4")}); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 3 {
		t.Errorf("entries after the first write = %d, want 3 (expired key purged, one added)", n)
	}
}

func TestKVPersistsAcrossOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	ns, err := s.KV().CreateNamespace(ctx, "PAGES")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.KV().Put(ctx, ns.ID, backend.Entry{Key: "page:1", Value: []byte("v"), Metadata: []byte(`{"a":1}`)}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	again, err := s.KV().CreateNamespace(ctx, "PAGES")
	if err != nil || again != ns {
		t.Fatalf("CreateNamespace after reopening = %+v, %v; want %+v", again, err, ns)
	}
	e, err := s.KV().Get(ctx, ns.ID, "page:1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(backend.Entry{Key: "page:1", Value: []byte("v"), Metadata: []byte(`{"a":1}`)}, e); diff != "" {
		t.Errorf("Get after reopening (-want +got):\n%s", diff)
	}
}

func TestKVRefusals(t *testing.T) {
	ctx := context.Background()
	kv := openTest(t).KV()
	ns, err := kv.CreateNamespace(ctx, "X")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.List(ctx, ns.ID, "", "not base64!", 0); err == nil {
		t.Error("List with a malformed cursor: no error")
	}
	if err := kv.Put(ctx, ns.ID, backend.Entry{Key: "k", Value: []byte("v"), Metadata: []byte("{not json")}); err == nil {
		t.Error("Put with metadata that is not JSON: no error")
	}
	if _, err := kv.CreateNamespace(ctx, " "); err == nil {
		t.Error("CreateNamespace with a blank title: no error")
	}
	if err := kv.DeleteMany(ctx, "missing", []string{"k"}); !errors.Is(err, backend.ErrNamespaceNotFound) {
		t.Errorf("DeleteMany in an unknown namespace: err = %v, want ErrNamespaceNotFound", err)
	}
	if _, err := kv.List(ctx, "missing", "", "", 0); !errors.Is(err, backend.ErrNamespaceNotFound) {
		t.Errorf("List in an unknown namespace: err = %v, want ErrNamespaceNotFound", err)
	}
}

func TestPrefixEnd(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{"", "", false},
		{"a", "b", true},
		{"page:", "page;", true},
		{"a\xff", "b", true},
		{"\xff\xff", "", false},
	} {
		got, ok := prefixEnd(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("prefixEnd(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestKVConcurrent(t *testing.T) {
	ctx := context.Background()
	kv := openTest(t).KV()
	ns, err := kv.CreateNamespace(ctx, "C")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				key := fmt.Sprintf("g%02d:%02d", g, i)
				if err := kv.Put(ctx, ns.ID, backend.Entry{Key: key, Value: []byte(key)}); err != nil {
					errs <- err
					return
				}
				if e, err := kv.Get(ctx, ns.ID, key); err != nil || string(e.Value) != key {
					errs <- fmt.Errorf("Get(%q) = %q, %v", key, e.Value, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	page, err := kv.List(ctx, ns.ID, "", "", 0)
	if err != nil || len(page.Keys) != 400 {
		t.Fatalf("List = %d keys, %v; want 400", len(page.Keys), err)
	}
}

// TestTwoProcesses runs this test binary a second time as a writer on the
// same directory while this process writes too.
func TestTwoProcesses(t *testing.T) {
	if dir := os.Getenv("DMPLAN_LOCAL_WRITER_DIR"); dir != "" {
		if err := writeLoad(context.Background(), dir, "child"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.D1().Query(ctx, backend.Stmt{SQL: `CREATE TABLE w (id INTEGER PRIMARY KEY, who TEXT NOT NULL)`}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.KV().CreateNamespace(ctx, "W"); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestTwoProcesses$")
	cmd.Env = append(os.Environ(), "DMPLAN_LOCAL_WRITER_DIR="+dir)
	done := make(chan error, 1)
	var out []byte
	go func() {
		var err error
		out, err = cmd.CombinedOutput()
		done <- err
	}()
	parentErr := writeLoad(ctx, dir, "parent")
	if err := <-done; err != nil {
		t.Fatalf("child writer: %v\n%s", err, out)
	}
	if parentErr != nil {
		t.Fatalf("parent writer: %v", parentErr)
	}
	res, err := s.D1().Query(ctx, backend.Stmt{SQL: `SELECT who, count(*) FROM w GROUP BY who ORDER BY who`})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]any{{"child", int64(100)}, {"parent", int64(100)}}, res.Rows); diff != "" {
		t.Errorf("rows per writer (-want +got):\n%s", diff)
	}
	nss, err := s.KV().Namespaces(ctx)
	if err != nil || len(nss) != 1 {
		t.Fatalf("Namespaces = %v, %v", nss, err)
	}
	page, err := s.KV().List(ctx, nss[0].ID, "", "", 0)
	if err != nil || len(page.Keys) != 200 {
		t.Errorf("KV keys = %d, %v; want 200", len(page.Keys), err)
	}
}

// writeLoad opens the store in dir and writes 100 rows and 100 keys named
// after who.
func writeLoad(ctx context.Context, dir, who string) error {
	s, err := Open(ctx, dir)
	if err != nil {
		return err
	}
	defer s.Close()
	ns, err := s.KV().CreateNamespace(ctx, "W")
	if err != nil {
		return err
	}
	for i := range 100 {
		if _, err := s.D1().Batch(ctx, []backend.Stmt{{SQL: `INSERT INTO w (who) VALUES (?)`, Args: []any{who}}}); err != nil {
			return fmt.Errorf("insert %d: %w", i, err)
		}
		if err := s.KV().Put(ctx, ns.ID, backend.Entry{Key: fmt.Sprintf("%s:%03d", who, i), Value: []byte(who)}); err != nil {
			return fmt.Errorf("put %d: %w", i, err)
		}
	}
	return nil
}
