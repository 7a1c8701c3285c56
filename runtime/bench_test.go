package runtime_test

// Benchmarks: each runtime operation beside a hand-written baseline that
// runs the same SQL on the same driver and files through database/sql,
// with the same encoding work (JSON of the same object, the same result
// shape). Run: go test -bench . -benchmem -count 3 ./runtime
//
// The baselines do what a careful hand-written service would: prepared
// statements, one transaction per store per bulk batch, json.Marshal of the
// full object, rows scanned into maps.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/runtime"
)

const benchHCL = `
model "PAGE" {
  primary_key = "page_id"
  field "project_id" {
    type     = string
    required = true
  }
  field "url" {
    type       = string
    required   = true
    validation = "url"
  }
  field "title" { type = string }
  field "status" {
    type       = string
    default    = "pending"
    validation = ["pending", "processing", "completed", "failed"]
  }
  field "content" { type = text }
  field "last_processed" { type = timestamp }
  kv {
    namespace   = "PAGES"
    key_pattern = "page:{id}"
  }
  d1 {
    table       = "page_meta"
    sync_fields = ["project_id", "url", "title", "status", "last_processed"]
    index "by_user_project" { columns = ["user_id", "project_id", "deleted_at", "created_at"] }
  }
}
`

// benchRows is the table size for the query benchmarks.
const benchRows = 100_000

const (
	kvPutSQL = `INSERT INTO entries (ns, key, value, metadata, expiration) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, metadata = excluded.metadata, expiration = excluded.expiration`
	kvGetSQL = `SELECT value, metadata, expiration FROM entries WHERE ns = ? AND key = ? AND (expiration IS NULL OR expiration > ?)`
	d1Cols   = `"page_id", "project_id", "url", "title", "status", "last_processed", "user_id", "created_at", "updated_at", "deleted_at"`
	d1Upsert = `INSERT INTO "page_meta" (` + d1Cols + `) VALUES `
	d1Tail   = ` ON CONFLICT ("page_id") DO UPDATE SET "project_id" = excluded."project_id", "url" = excluded."url", "title" = excluded."title", "status" = excluded."status", "last_processed" = excluded."last_processed", "user_id" = excluded."user_id", "created_at" = excluded."created_at", "updated_at" = excluded."updated_at", "deleted_at" = excluded."deleted_at"`
	row10    = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
)

var content2K = strings.Repeat("<p>lorem ipsum dolor sit amet</p>", 60) // ~2 KB

func benchData(i int) map[string]any {
	return map[string]any{
		"project_id": fmt.Sprintf("proj_%d", i%10),
		"url":        "https://example.com/page/" + fmt.Sprint(i),
		"title":      "Page " + fmt.Sprint(i),
		"content":    content2K,
	}
}

// benchEnv is a migrated store with a Datastore and a raw database/sql
// view of the same two files.
type benchEnv struct {
	ctx   context.Context
	dir   string
	store *local.Store
	ds    *runtime.Datastore
	d1    *sql.DB
	kv    *sql.DB
	ns    string
}

func openBench(b *testing.B, dir string, migrateIt bool) *benchEnv {
	b.Helper()
	ctx := context.Background()
	spec, diags := hclspec.LoadSources("bench", map[string][]byte{"bench.dm.hcl": []byte(benchHCL)})
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	store, err := local.Open(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	if migrateIt {
		live, err := backend.Inspect(ctx, store.D1(), store.KV())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := applier.Apply(ctx, store, planner.Diff(spec, "local", live), applier.Options{}); err != nil {
			b.Fatal(err)
		}
	}
	var ms atomic.Int64
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return base.Add(time.Duration(ms.Add(1)) * time.Millisecond) }
	ds, err := runtime.Open(ctx, spec, store, runtime.WithLogger(slog.New(slog.DiscardHandler)), runtime.WithClock(clock))
	if err != nil {
		b.Fatal(err)
	}
	e := &benchEnv{ctx: ctx, dir: dir, store: store, ds: ds}
	if e.d1, err = sql.Open("sqlite", local.DSN(filepath.Join(dir, local.D1File), 10*time.Second)); err != nil {
		b.Fatal(err)
	}
	if e.kv, err = sql.Open("sqlite", local.DSN(filepath.Join(dir, local.KVFile), 10*time.Second)); err != nil {
		b.Fatal(err)
	}
	nss, err := store.KV().Namespaces(ctx)
	if err != nil || len(nss) != 1 {
		b.Fatalf("namespaces %v %v", nss, err)
	}
	e.ns = nss[0].ID
	return e
}

func (e *benchEnv) close() {
	e.d1.Close()
	e.kv.Close()
	e.store.Close()
}

func newBench(b *testing.B) *benchEnv {
	e := openBench(b, b.TempDir(), true)
	b.Cleanup(e.close)
	return e
}

// handRecord builds the stored object and D1 row by hand, as a service
// without the runtime would.
func handRecord(data map[string]any, user string, now time.Time) (string, []byte, []any) {
	id := uuid.NewString()
	ts := now.UTC().Format("2006-01-02T15:04:05.000Z07:00")
	data["page_id"] = id
	data["user_id"] = user
	data["status"] = "pending"
	data["created_at"] = ts
	data["updated_at"] = ts
	data["deleted_at"] = nil
	data["_auth"] = []any{user}
	val, err := json.Marshal(data)
	if err != nil {
		panic(err)
	}
	return id, val, []any{id, data["project_id"], data["url"], data["title"], data["status"], nil, user, ts, ts, nil}
}

func mustPrepare(b *testing.B, db *sql.DB, q string) *sql.Stmt {
	s, err := db.Prepare(q)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// warmUp runs each function n times before anything is measured, so the
// sub-benchmark that happens to run first does not pay for cold files,
// caches and heap growth.
func warmUp(b *testing.B, n int, fns ...func(i int)) {
	for _, f := range fns {
		for i := 0; i < n; i++ {
			f(-1 - i)
		}
	}
}

func BenchmarkSave(b *testing.B) {
	re, be := newBench(b), newBench(b)
	u := re.ds.Auth("user_1")
	runtimeSave := func(i int) {
		r := u.New("PAGE")
		r.SetAll(benchData(i))
		if err := r.Save(re.ctx); err != nil {
			b.Fatal(err)
		}
	}
	put := mustPrepare(b, be.kv, kvPutSQL)
	up := mustPrepare(b, be.d1, d1Upsert+row10+d1Tail)
	baselineSave := func(i int) {
		id, val, row := handRecord(benchData(i), "user_1", time.Now())
		if _, err := put.Exec(be.ns, "page:"+id, val, nil, nil); err != nil {
			b.Fatal(err)
		}
		if _, err := up.Exec(row...); err != nil {
			b.Fatal(err)
		}
	}
	warmUp(b, 300, runtimeSave, baselineSave)
	b.Run("runtime", func(b *testing.B) {
		b.ReportAllocs()
		cpu0 := cpuTime()
		for i := 0; b.Loop(); i++ {
			runtimeSave(i)
		}
		reportCPU(b, cpu0)
	})
	b.Run("baseline", func(b *testing.B) {
		b.ReportAllocs()
		cpu0 := cpuTime()
		for i := 0; b.Loop(); i++ {
			baselineSave(i)
		}
		reportCPU(b, cpu0)
	})
}

func BenchmarkGet(b *testing.B) {
	e := newBench(b)
	u := e.ds.Auth("user_1")
	r, err := u.Create(e.ctx, "PAGE", benchData(1))
	if err != nil {
		b.Fatal(err)
	}
	id := r.ID()
	runtimeGet := func(int) {
		if _, err := u.Get(e.ctx, "PAGE", id); err != nil {
			b.Fatal(err)
		}
	}
	get := mustPrepare(b, e.kv, kvGetSQL)
	baselineGet := func(int) {
		var val, md []byte
		var exp sql.NullInt64
		if err := get.QueryRow(e.ns, "page:"+id, time.Now().Unix()).Scan(&val, &md, &exp); err != nil {
			b.Fatal(err)
		}
		var obj map[string]any
		if err := json.Unmarshal(val, &obj); err != nil {
			b.Fatal(err)
		}
		if obj["user_id"] != "user_1" || obj["deleted_at"] != nil {
			b.Fatal("not visible")
		}
	}
	warmUp(b, 300, runtimeGet, baselineGet)
	b.Run("runtime", func(b *testing.B) {
		b.ReportAllocs()
		cpu0 := cpuTime()
		for b.Loop() {
			runtimeGet(0)
		}
		reportCPU(b, cpu0)
	})
	b.Run("baseline", func(b *testing.B) {
		b.ReportAllocs()
		cpu0 := cpuTime()
		for b.Loop() {
			baselineGet(0)
		}
		reportCPU(b, cpu0)
	})
}

// The query fixture: benchRows pages of 10 users in 10 projects each, made
// once per process with SaveMany.
var (
	queryOnce sync.Once
	queryDir  string
	queryErr  error
)

func queryFixture(b *testing.B) *benchEnv {
	queryOnce.Do(func() {
		dir, err := makeTempDir()
		if err != nil {
			queryErr = err
			return
		}
		queryDir = dir
		e := openBench(b, dir, true)
		defer e.close()
		for start := 0; start < benchRows; start += 1000 {
			for u := 0; u < 10; u++ {
				h := e.ds.Auth(fmt.Sprintf("user_%d", u))
				data := make([]map[string]any, 0, 100)
				for i := start + u*100; i < start+u*100+100; i++ {
					data = append(data, benchData(i))
				}
				if _, err := h.CreateMany(e.ctx, "PAGE", data); err != nil {
					queryErr = err
					return
				}
			}
		}
	})
	if queryErr != nil {
		b.Fatal(queryErr)
	}
	e := openBench(b, queryDir, false)
	b.Cleanup(e.close)
	return e
}

// scanPage runs a page-and-total statement and builds the rows as maps,
// the way a hand-written generic handler would.
func scanPage(b *testing.B, stmt *sql.Stmt, args []any) ([]map[string]any, int64) {
	rows, err := stmt.Query(args...)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []map[string]any
	var total int64
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			b.Fatal(err)
		}
		total = vals[len(cols)-1].(int64)
		if vals[0] == nil {
			continue
		}
		m := make(map[string]any, len(cols)-1)
		for i, c := range cols[:len(cols)-1] {
			m[c] = vals[i]
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return out, total
}

func pageQuery(e *benchEnv) *runtime.Query {
	return e.ds.Auth("user_3").Query("PAGE").Where("project_id", "proj_5").
		OrderBy("created_at", runtime.Desc).Limit(20).Page(3)
}

func BenchmarkQueryPage(b *testing.B) {
	e := queryFixture(b)
	runtimePage := func(int) {
		res, err := pageQuery(e).List(e.ctx)
		if err != nil || len(res.Data) != 20 || res.Pagination.Total != benchRows/100 {
			b.Fatalf("%v %v", err, res.Pagination)
		}
	}
	q, args := pageQuery(e).SQL()
	stmt := mustPrepare(b, e.d1, q)
	baselinePage := func(int) {
		rows, total := scanPage(b, stmt, args)
		if len(rows) != 20 || total != benchRows/100 {
			b.Fatal(len(rows), total)
		}
	}
	warmUp(b, 100, runtimePage, baselinePage)
	b.Run("runtime", func(b *testing.B) {
		b.ReportAllocs()
		cpu0 := cpuTime()
		for b.Loop() {
			runtimePage(0)
		}
		reportCPU(b, cpu0)
	})
	b.Run("baseline", func(b *testing.B) {
		b.ReportAllocs()
		cpu0 := cpuTime()
		for b.Loop() {
			baselinePage(0)
		}
		reportCPU(b, cpu0)
	})
}

func BenchmarkQueryWithData(b *testing.B) {
	e := queryFixture(b)
	runtimePage := func(int) {
		res, err := pageQuery(e).WithData().List(e.ctx)
		if err != nil || len(res.Data) != 20 || res.Data[0]["content"] != content2K {
			b.Fatal(err)
		}
	}
	q, args := pageQuery(e).SQL()
	stmt := mustPrepare(b, e.d1, q)
	getMany := mustPrepare(b, e.kv, `SELECT key, value FROM entries WHERE ns = ? AND (expiration IS NULL OR expiration > ?) AND key IN (`+strings.TrimSuffix(strings.Repeat("?, ", 20), ", ")+`)`)
	baselinePage := func(int) {
		rows, _ := scanPage(b, stmt, args)
		kargs := make([]any, 0, 22)
		kargs = append(kargs, e.ns, time.Now().Unix())
		for _, r := range rows {
			kargs = append(kargs, "page:"+r["page_id"].(string))
		}
		kr, err := getMany.Query(kargs...)
		if err != nil {
			b.Fatal(err)
		}
		objs := map[string]map[string]any{}
		for kr.Next() {
			var k string
			var v []byte
			if err := kr.Scan(&k, &v); err != nil {
				b.Fatal(err)
			}
			var obj map[string]any
			if err := json.Unmarshal(v, &obj); err != nil {
				b.Fatal(err)
			}
			objs[k] = obj
		}
		kr.Close()
		out := make([]map[string]any, len(rows))
		for i, r := range rows {
			out[i] = objs["page:"+r["page_id"].(string)]
		}
		if len(out) != 20 || out[0]["content"] != content2K {
			b.Fatal("bad page")
		}
	}
	warmUp(b, 20, runtimePage, baselinePage)
	b.Run("runtime", func(b *testing.B) {
		b.ReportAllocs()
		cpu0 := cpuTime()
		for b.Loop() {
			runtimePage(0)
		}
		reportCPU(b, cpu0)
	})
	b.Run("baseline", func(b *testing.B) {
		b.ReportAllocs()
		cpu0 := cpuTime()
		for b.Loop() {
			baselinePage(0)
		}
		reportCPU(b, cpu0)
	})
}

func BenchmarkSaveMany1000(b *testing.B) {
	re, be := newBench(b), newBench(b)
	u := re.ds.Auth("user_1")
	runtimeBatch := func(i int) {
		data := make([]map[string]any, 1000)
		for j := range data {
			data[j] = benchData(i*1000 + j)
		}
		if _, err := u.CreateMany(re.ctx, "PAGE", data); err != nil {
			b.Fatal(err)
		}
	}
	put := mustPrepare(b, be.kv, kvPutSQL)
	up := mustPrepare(b, be.d1, d1Upsert+strings.TrimSuffix(strings.Repeat(row10+", ", 10), ", ")+d1Tail)
	baselineBatch := func(i int) {
		keys := make([]string, 1000)
		vals := make([][]byte, 1000)
		rows := make([]any, 0, 10000)
		now := time.Now()
		for j := range keys {
			id, val, row := handRecord(benchData(i*1000+j), "user_1", now)
			keys[j], vals[j] = "page:"+id, val
			rows = append(rows, row...)
		}
		tx, err := be.kv.Begin()
		if err != nil {
			b.Fatal(err)
		}
		st := tx.Stmt(put)
		for j := range keys {
			if _, err := st.Exec(be.ns, keys[j], vals[j], nil, nil); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		tx, err = be.d1.Begin()
		if err != nil {
			b.Fatal(err)
		}
		st = tx.Stmt(up)
		for j := 0; j < len(rows); j += 100 {
			if _, err := st.Exec(rows[j : j+100]...); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	warmUp(b, 2, runtimeBatch, baselineBatch)
	b.Run("runtime", func(b *testing.B) {
		b.ReportAllocs()
		cpu0 := cpuTime()
		for i := 0; b.Loop(); i++ {
			runtimeBatch(i)
		}
		reportCPU(b, cpu0)
	})
	b.Run("baseline", func(b *testing.B) {
		b.ReportAllocs()
		cpu0 := cpuTime()
		for i := 0; b.Loop(); i++ {
			baselineBatch(i)
		}
		reportCPU(b, cpu0)
	})
}
