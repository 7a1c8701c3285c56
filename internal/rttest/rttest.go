// Package rttest holds the fixtures the runtime's tests and the tests of
// packages built on the runtime (operator) share: the test model set, a
// migration of it onto a real local store, a hand-advanced clock, a log
// buffer safe for concurrent writers, and readers of the raw D1 rows and KV
// objects a Datastore wrote. It is imported only by _test files.
package rttest

import (
	"bytes"
	"context"
	_ "embed"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/runtime"
)

// Models is the source of testdata/models.dm.hcl, the test model set.
//
//go:embed testdata/models.dm.hcl
var Models []byte

// Start is the time a fresh Fixture's clock shows.
var Start = time.Date(2026, 11, 27, 14, 50, 8, 123_000_000, time.UTC)

// LoadSpec loads the test model set (Models) as spec "rt".
func LoadSpec(t testing.TB) *hclspec.Spec {
	t.Helper()
	spec, diags := hclspec.LoadSources("rt", map[string][]byte{"models.dm.hcl": Models})
	if diags.HasErrors() {
		t.Fatalf("load spec: %s", diags.Error())
	}
	return spec
}

// Migrate creates every model's table, indexes and KV namespace the way
// `dmplan apply` would, so the runtime has something to write to.
func Migrate(t testing.TB, ctx context.Context, spec *hclspec.Spec, be backend.Backend, env string) {
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

// Clock is a clock tests advance by hand.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a Clock showing t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// SyncBuffer is a bytes.Buffer safe for concurrent writers (a logger
// shared by goroutines).
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Fixture is a migrated local store in a temp dir and a Datastore on it,
// logging JSON at debug level to Logs with its clock reading Clock.
type Fixture struct {
	Ctx   context.Context
	Spec  *hclspec.Spec
	Store *local.Store
	DS    *runtime.Datastore
	Clock *Clock
	Logs  *SyncBuffer
	Dir   string
}

// Setup opens a Fixture; opts come after the logger and clock options, so
// they may replace them. The store is closed when the test ends.
func Setup(t testing.TB, opts ...runtime.Option) *Fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	store, err := local.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	spec := LoadSpec(t)
	Migrate(t, ctx, spec, store, "local")
	f := &Fixture{Ctx: ctx, Spec: spec, Store: store, Dir: dir, Logs: &SyncBuffer{}, Clock: NewClock(Start)}
	all := append(f.Options(), opts...)
	f.DS, err = runtime.Open(ctx, spec, store, all...)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// Options are the runtime options a Fixture's Datastore is opened with:
// a debug JSON logger writing to f.Logs and f.Clock.
func (f *Fixture) Options() []runtime.Option {
	logger := slog.New(slog.NewJSONHandler(f.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return []runtime.Option{runtime.WithLogger(logger), runtime.WithClock(f.Clock.Now)}
}

// D1Row returns the D1 row of a record as a column map, or nil.
func D1Row(t testing.TB, ctx context.Context, be backend.Backend, table, pk, id string) map[string]any {
	t.Helper()
	res, err := be.D1().Query(ctx, backend.Stmt{SQL: "SELECT * FROM " + backend.QuoteIdent(table) + " WHERE " + backend.QuoteIdent(pk) + " = ?", Args: []any{id}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) == 0 {
		return nil
	}
	return res.Maps()[0]
}

// NamespaceID returns the id of the KV namespace the spec names ns in
// environment "local", failing the test if it is missing.
func NamespaceID(t testing.TB, ctx context.Context, be backend.Backend, spec *hclspec.Spec, ns string) string {
	t.Helper()
	nss, err := be.KV().Namespaces(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nss {
		if n.Title == spec.NamespaceTitle("local", ns) {
			return n.ID
		}
	}
	t.Fatalf("namespace %s missing", ns)
	return ""
}

// KVValue returns the raw KV object of a key, or nil.
func KVValue(t testing.TB, ctx context.Context, be backend.Backend, spec *hclspec.Spec, ns, key string) []byte {
	t.Helper()
	ent, err := be.KV().Get(ctx, NamespaceID(t, ctx, be, spec, ns), key)
	if err != nil {
		return nil
	}
	return ent.Value
}
