//go:build unix

package wranglerdev

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/cloudflare/cftest"
)

const testConfig = `{
  "name": "app",
  "main": "worker.js",
  "compatibility_date": "2025-04-01",
  "d1_databases": [{ "binding": "DB", "database_name": "app", "database_id": "7a0e4d6c-0000-4000-8000-000000000001" }],
  "kv_namespaces": [{ "binding": "APP_NOTE", "id": "0f2d0c6a7b8e4b61a1c35c0a1d8a9b01" }],
}`

func TestOpenReadsAndWritesTheState(t *testing.T) {
	dir := cftest.WranglerProject(t, map[string]string{"wrangler.jsonc": testConfig, "package.json": `{"private": true}`})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	open := func() *Store {
		s, err := Open(ctx, Options{Dir: dir, Namespaces: []Namespace{{Binding: "APP_NOTE", Title: "app-dev-NOTE"}, {Binding: "APP_OTHER", Title: "app-dev-OTHER"}, {Binding: "APP_NOTE", Title: "app-dev-NOTE"}}, Project: "app", Environment: "dev", Stderr: testWriter{t}})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := open()
	if _, err := s.D1().Batch(ctx, []backend.Stmt{{SQL: "CREATE TABLE notes (id TEXT PRIMARY KEY, n INTEGER)"}, {SQL: "INSERT INTO notes VALUES (?, ?)", Args: []any{"a", int64(1) << 40}}}); err != nil {
		t.Fatal(err)
	}
	nss, err := s.KV().Namespaces(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(nss) != 1 || nss[0].Title != "app-dev-NOTE" || nss[0].ID != "APP_NOTE" {
		t.Fatalf("namespaces = %+v, want the bound one only", nss)
	}
	if err := s.KV().Put(ctx, "APP_NOTE", backend.Entry{Key: "NOTE:a", Value: []byte(`{"x":1}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.KV().CreateNamespace(ctx, "app-dev-OTHER"); !errors.Is(err, ErrNamespaceNotBound) {
		t.Errorf("CreateNamespace of an unbound namespace: %v, want ErrNamespaceNotBound", err)
	}
	pid := s.cmd.Process.Pid
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Close stops the Node process and the workerd it started.
	for i := 0; processGroupAlive(pid); i++ {
		if i == 100 {
			t.Fatal("the Node process group outlived Close by 10s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := os.Stat(filepath.Join(dir, ".wrangler", "state", "v3", "d1")); err != nil {
		t.Errorf("no D1 state where wrangler dev keeps it: %v", err)
	}
	// A second process sees what the first wrote.
	s = open()
	defer s.Close()
	res, err := s.D1().Query(ctx, backend.Stmt{SQL: "SELECT id, n, typeof(n) FROM notes"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || res.Rows[0][0] != "a" || res.Rows[0][2] != "integer" {
		t.Errorf("rows = %v", res.Rows)
	}
	e, err := s.KV().Get(ctx, "APP_NOTE", "NOTE:a")
	if err != nil || string(e.Value) != `{"x":1}` {
		t.Errorf("kv get = %q, %v", e.Value, err)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Logf("node: %s", p)
	return len(p), nil
}

func TestOpenWithoutWrangler(t *testing.T) {
	cftest.NodeModules(t) // node is there
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "wrangler.jsonc"), []byte(testConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := Open(ctx, Options{Dir: dir})
	if !errors.Is(err, ErrStart) || !strings.Contains(err.Error(), "wrangler is not installed in "+dir+" (npm install --save-dev wrangler)") {
		t.Errorf("Open without wrangler: %v", err)
	}
	_, err = Open(ctx, Options{Dir: dir, Node: filepath.Join(dir, "no-such-node")})
	if !errors.Is(err, ErrStart) || !strings.Contains(err.Error(), "install Node.js, or set DMPLAN_NODE") {
		t.Errorf("Open without node: %v", err)
	}
}
