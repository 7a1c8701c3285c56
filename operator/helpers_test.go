package operator_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/runtime"
)

// loadSpec loads testdata/models.dm.hcl.
func loadSpec(t testing.TB) *hclspec.Spec {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "models.dm.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	spec, diags := hclspec.LoadSources("rt", map[string][]byte{"models.dm.hcl": src})
	if diags.HasErrors() {
		t.Fatalf("load spec: %s", diags.Error())
	}
	return spec
}

// migrate creates every model's table, indexes and KV namespace the way
// `dmplan apply` would, so the runtime has something to write to.
func migrate(t testing.TB, ctx context.Context, spec *hclspec.Spec, be backend.Backend, env string) {
	t.Helper()
	var sts []backend.Stmt
	for _, m := range spec.Models {
		cols := []string{}
		for _, f := range m.Columns() {
			c := backend.QuoteIdent(f.Name) + " " + f.Type.ColumnType()
			if f.Primary {
				c += " PRIMARY KEY"
			}
			cols = append(cols, c)
		}
		sts = append(sts, backend.Stmt{SQL: "CREATE TABLE " + backend.QuoteIdent(m.D1.Table) + " (" + strings.Join(cols, ", ") + ")"})
		for _, ix := range m.D1.Indexes {
			q := make([]string, len(ix.Columns))
			for i, c := range ix.Columns {
				q[i] = backend.QuoteIdent(c)
			}
			sts = append(sts, backend.Stmt{SQL: "CREATE INDEX " + backend.QuoteIdent(ix.Name) + " ON " + backend.QuoteIdent(m.D1.Table) + " (" + strings.Join(q, ", ") + ")"})
		}
		if m.Options.UserTracking {
			sts = append(sts, backend.Stmt{SQL: "CREATE INDEX " + backend.QuoteIdent(m.D1.Table+"_user") + " ON " + backend.QuoteIdent(m.D1.Table) + " (user_id)"})
		}
		if _, err := be.KV().CreateNamespace(ctx, spec.NamespaceTitle(env, m.KV.Namespace)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := be.D1().Batch(ctx, sts); err != nil {
		t.Fatal(err)
	}
}

// fixedClock is a clock tests advance by hand.
type fixedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fixedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fixedClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	ctx   context.Context
	spec  *hclspec.Spec
	store *local.Store
	ds    *runtime.Datastore
	clock *fixedClock
	logs  *syncBuffer
	dir   string
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// setup opens a migrated local store in a temp dir and a Datastore on it.
func setup(t testing.TB, opts ...runtime.Option) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	store, err := local.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	spec := loadSpec(t)
	migrate(t, ctx, spec, store, "local")
	e := &env{ctx: ctx, spec: spec, store: store, dir: dir, logs: &syncBuffer{},
		clock: &fixedClock{t: time.Date(2026, 11, 27, 14, 50, 8, 123_000_000, time.UTC)}}
	logger := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	all := append([]runtime.Option{runtime.WithLogger(logger), runtime.WithClock(e.clock.Now)}, opts...)
	e.ds, err = runtime.Open(ctx, spec, store, all...)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// d1Row returns the D1 row of a record as a column map, or nil.
func (e *env) d1Row(t testing.TB, table, pk, id string) map[string]any {
	t.Helper()
	res, err := e.store.D1().Query(e.ctx, backend.Stmt{SQL: "SELECT * FROM " + backend.QuoteIdent(table) + " WHERE " + backend.QuoteIdent(pk) + " = ?", Args: []any{id}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) == 0 {
		return nil
	}
	return res.Maps()[0]
}

// kvValue returns the raw KV object of a key, or nil.
func (e *env) kvValue(t testing.TB, ns, key string) []byte {
	t.Helper()
	id := e.nsID(t, ns)
	ent, err := e.store.KV().Get(e.ctx, id, key)
	if err != nil {
		return nil
	}
	return ent.Value
}

func (e *env) nsID(t testing.TB, ns string) string {
	t.Helper()
	nss, err := e.store.KV().Namespaces(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nss {
		if n.Title == e.spec.NamespaceTitle("local", ns) {
			return n.ID
		}
	}
	t.Fatalf("namespace %s missing", ns)
	return ""
}

func newPage(proj string) map[string]any {
	return map[string]any{"project_id": proj, "url": "https://example.com/x", "title": "T"}
}
