package operator_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/runtime"
)

// bulkSpec is the model the reconcile and backfill benchmarks and memory
// tests fill: a 1 KB KV object whose title is synced in v2 only, on a
// table with an index on another column.
func bulkSpec(t testing.TB, v2 bool) *hclspec.Spec {
	t.Helper()
	sync := `["rank", "status"]`
	if v2 {
		sync = `["rank", "status", "title"]`
	}
	src := fmt.Sprintf(`project "bulk" {}

model "DOC" {
  options { user_tracking = false }
  field "title" { type = string }
  field "rank" { type = integer }
  field "status" {
    type    = string
    default = "draft"
  }
  field "content" { type = text }
  d1 {
    sync_fields = %s
    index "by_status" { columns = ["status", "rank"] }
  }
}
`, sync)
	spec, diags := hclspec.LoadSources("bulk", map[string][]byte{"doc.dm.hcl": []byte(src)})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return spec
}

// bulkID is the id of record i: 36 bytes, like a UUID, in the order of i.
func bulkID(i int) string { return fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i) }

// bulkStore is a local store holding n DOC records of spec v1, written
// straight to the files (the KV objects the runtime writes, their rows
// projected by the runtime's own code), so a million records take
// seconds, not minutes.
type bulkStore struct {
	ctx   context.Context
	dir   string
	store *local.Store
	d1    *sql.DB // the D1 file, through database/sql
	kv    *sql.DB // the KV file
	ns    string
	n     int
}

func newBulkStore(t testing.TB, n int) *bulkStore {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	store, err := local.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	v1 := bulkSpec(t, false)
	if _, err := applier.Apply(ctx, store, planFor(t, ctx, v1, store), applier.Options{}); err != nil {
		t.Fatal(err)
	}
	ds, err := runtime.Open(ctx, v1, store)
	if err != nil {
		t.Fatal(err)
	}
	b := &bulkStore{ctx: ctx, dir: dir, store: store, n: n}
	for _, p := range []struct {
		db   **sql.DB
		file string
	}{{&b.d1, local.D1File}, {&b.kv, local.KVFile}} {
		db, err := sql.Open("sqlite", local.DSN(filepath.Join(dir, p.file), 10*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		*p.db = db
	}
	// One record through the runtime is the template of the others.
	tmpl, err := ds.System().Create(ctx, "DOC", map[string]any{"doc_id": bulkID(0), "title": "title 0", "rank": 0, "content": strings.Repeat("x", 1000)})
	if err != nil {
		t.Fatal(err)
	}
	m, err := ds.Storage("DOC")
	if err != nil {
		t.Fatal(err)
	}
	if b.ns, err = m.Namespace(ctx); err != nil {
		t.Fatal(err)
	}
	key0, _ := m.Key(tmpl.ID())
	raw0, err := store.KV().Get(ctx, b.ns, key0)
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := json.Unmarshal(raw0.Value, &obj); err != nil {
		t.Fatal(err)
	}
	cols := make([]string, len(m.Columns()))
	for i, c := range m.Columns() {
		cols[i] = backend.QuoteIdent(c.Name)
	}
	rowSQL := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	const chunk = 50
	insertRows := "INSERT INTO " + m.Table() + " (" + strings.Join(cols, ", ") + ") VALUES " + strings.TrimSuffix(strings.Repeat(rowSQL+", ", chunk), ", ")
	kvTx, err := b.kv.Begin()
	if err != nil {
		t.Fatal(err)
	}
	d1Tx, err := b.d1.Begin()
	if err != nil {
		t.Fatal(err)
	}
	put, err := kvTx.Prepare(`INSERT INTO entries (ns, key, value, metadata, expiration) VALUES (?, ?, ?, NULL, NULL)`)
	if err != nil {
		t.Fatal(err)
	}
	ins, err := d1Tx.Prepare(insertRows)
	if err != nil {
		t.Fatal(err)
	}
	var args []any
	for i := 1; i < n; i++ {
		id := bulkID(i)
		obj["doc_id"], obj["title"], obj["rank"] = id, fmt.Sprint("title ", i), i
		raw, err := json.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		key, _ := m.Key(id)
		if _, err := put.Exec(b.ns, key, raw); err != nil {
			t.Fatal(err)
		}
		row, problem := m.Project(id, raw)
		if problem != "" {
			t.Fatal(problem)
		}
		args = append(args, row...)
		if len(args) == chunk*len(cols) || i == n-1 {
			q := insertRows
			if len(args) < chunk*len(cols) {
				q = "INSERT INTO " + m.Table() + " (" + strings.Join(cols, ", ") + ") VALUES " + strings.TrimSuffix(strings.Repeat(rowSQL+", ", len(args)/len(cols)), ", ")
				_, err = d1Tx.Exec(q, args...)
			} else {
				_, err = ins.Exec(args...)
			}
			if err != nil {
				t.Fatal(err)
			}
			args = args[:0]
		}
	}
	if err := kvTx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := d1Tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return b
}

// addTitle applies v2 without filling its new title column (the test or
// benchmark runs the backfill), and returns a Datastore on v2.
func (b *bulkStore) addTitle(t testing.TB) *runtime.Datastore {
	t.Helper()
	v2 := bulkSpec(t, true)
	if _, err := applier.Apply(b.ctx, b.store, planFor(t, b.ctx, v2, b.store), applier.Options{Backfiller: skipBackfill{}}); err != nil {
		t.Fatal(err)
	}
	ds, err := runtime.Open(b.ctx, v2, b.store)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// skipBackfill leaves the backfill step to the caller.
type skipBackfill struct{}

func (skipBackfill) Backfill(context.Context, applier.BackfillRequest) (applier.BackfillResult, error) {
	return applier.BackfillResult{}, nil
}
