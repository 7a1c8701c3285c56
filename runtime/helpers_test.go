package runtime_test

import (
	"context"
	"sync"
	"testing"

	"github.com/dmplan/dmplan/backend"
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

var (
	loadSpec = rttest.LoadSpec
	migrate  = rttest.Migrate
)

type env struct {
	ctx   context.Context
	spec  *hclspec.Spec
	store *local.Store
	ds    *runtime.Datastore
	clock *fixedClock
	logs  *syncBuffer
	dir   string
	fx    *rttest.Fixture // what the env was made from
}

// setup opens a migrated local store in a temp dir and a Datastore on it.
func setup(t testing.TB, opts ...runtime.Option) *env {
	t.Helper()
	f := rttest.Setup(t, opts...)
	return &env{ctx: f.Ctx, spec: f.Spec, store: f.Store, ds: f.DS, clock: f.Clock, logs: f.Logs, dir: f.Dir, fx: f}
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

// faultBackend wraps the real local store, counting calls and failing the
// ones a test switches on.
type faultBackend struct {
	backend.Backend
	d1 *faultD1
	kv *faultKV
}

type faultD1 struct {
	backend.D1
	mu              sync.Mutex
	queries, batchs int
	batchSizes      []int
	fail            error
}

type faultKV struct {
	backend.KV
	mu                   sync.Mutex
	puts, putManys, gets int
	getManys             int
	lists                int // Namespaces calls
	failPut              error
}

func (k *faultKV) Namespaces(ctx context.Context) ([]backend.Namespace, error) {
	k.mu.Lock()
	k.lists++
	k.mu.Unlock()
	return k.KV.Namespaces(ctx)
}

func newFault(be backend.Backend) *faultBackend {
	return &faultBackend{Backend: be, d1: &faultD1{D1: be.D1()}, kv: &faultKV{KV: be.KV()}}
}

func (f *faultBackend) D1() backend.D1 { return f.d1 }
func (f *faultBackend) KV() backend.KV { return f.kv }

func (d *faultD1) Query(ctx context.Context, st backend.Stmt) (*backend.Result, error) {
	d.mu.Lock()
	d.queries++
	err := d.fail
	d.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return d.D1.Query(ctx, st)
}

func (d *faultD1) Batch(ctx context.Context, sts []backend.Stmt) ([]*backend.Result, error) {
	d.mu.Lock()
	d.batchs++
	d.batchSizes = append(d.batchSizes, len(sts))
	err := d.fail
	d.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return d.D1.Batch(ctx, sts)
}

func (k *faultKV) Put(ctx context.Context, ns string, e backend.Entry) error {
	k.mu.Lock()
	k.puts++
	err := k.failPut
	k.mu.Unlock()
	if err != nil {
		return err
	}
	return k.KV.Put(ctx, ns, e)
}

func (k *faultKV) PutMany(ctx context.Context, ns string, es []backend.Entry) error {
	k.mu.Lock()
	k.putManys++
	err := k.failPut
	k.mu.Unlock()
	if err != nil {
		return err
	}
	return k.KV.PutMany(ctx, ns, es)
}

func (k *faultKV) Get(ctx context.Context, ns, key string) (backend.Entry, error) {
	k.mu.Lock()
	k.gets++
	k.mu.Unlock()
	return k.KV.Get(ctx, ns, key)
}

func (k *faultKV) GetMany(ctx context.Context, ns string, keys []string) (map[string][]byte, error) {
	k.mu.Lock()
	k.getManys++
	k.mu.Unlock()
	return k.KV.GetMany(ctx, ns, keys)
}

// setupFault is setup with the store behind a faultBackend.
func setupFault(t testing.TB, opts ...runtime.Option) (*env, *faultBackend) {
	t.Helper()
	e := setup(t)
	fb := newFault(e.store)
	ds, err := runtime.Open(e.ctx, e.spec, fb, append(e.fx.Options(), opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	e.ds = ds
	return e, fb
}

func newPage(proj string) map[string]any {
	return map[string]any{"project_id": proj, "url": "https://example.com/x", "title": "T"}
}
