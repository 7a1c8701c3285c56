package operator_test

import (
	"context"
	"testing"

	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/internal/rttest"
	"github.com/dmplan/dmplan/runtime"
)

// The fixtures are shared with the other packages' tests in internal/rttest;
// these short names keep the tests reading as before.
type (
	fixedClock = rttest.Clock
	syncBuffer = rttest.SyncBuffer
)

type env struct {
	ctx   context.Context
	spec  *hclspec.Spec
	store *local.Store
	ds    *runtime.Datastore
	clock *fixedClock
	logs  *syncBuffer
	dir   string
}

// setup opens a migrated local store in a temp dir and a Datastore on it.
func setup(t testing.TB, opts ...runtime.Option) *env {
	t.Helper()
	f := rttest.Setup(t, opts...)
	return &env{ctx: f.Ctx, spec: f.Spec, store: f.Store, ds: f.DS, clock: f.Clock, logs: f.Logs, dir: f.Dir}
}

// d1Row returns the D1 row of a record as a column map, or nil.
func (e *env) d1Row(t testing.TB, table, pk, id string) map[string]any {
	t.Helper()
	return rttest.D1Row(t, e.ctx, e.store, table, pk, id)
}

// kvValue returns the raw KV object of a key, or nil.
func (e *env) kvValue(t testing.TB, ns, key string) []byte {
	t.Helper()
	return rttest.KVValue(t, e.ctx, e.store, e.spec, ns, key)
}

func (e *env) nsID(t testing.TB, ns string) string {
	t.Helper()
	return rttest.NamespaceID(t, e.ctx, e.store, e.spec, ns)
}

func newPage(proj string) map[string]any {
	return map[string]any{"project_id": proj, "url": "https://example.com/x", "title": "T"}
}
