package runtime_test

// Page benchmarks: the first and the last page of every DOC record, newest
// first, by offset and by cursor, with and without the total, at 10k and
// 100k records (1M with DMPLAN_BENCH_1M=1: generating it takes a while),
// each beside hand-written SQL on the same driver and file. Run:
//
//	go test -run '^$' -bench BenchmarkPages -benchmem ./runtime
//
// Rows read are reported as rows-read/op when the backend counts them
// (D1 does; TestPageRowsReadOnWorkerd counts them on workerd).

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/runtime"
)

// pageSizes are the record counts of the page benchmarks.
func pageSizes() []int {
	sizes := []int{10_000, 100_000}
	if os.Getenv("DMPLAN_BENCH_1M") != "" {
		sizes = append(sizes, 1_000_000)
	}
	return sizes
}

// docFixture is a local store holding n DOC rows, made once per process
// per size.
type docFixture struct {
	dir  string
	once sync.Once
	err  error
}

var (
	docMu       sync.Mutex
	docFixtures = map[int]*docFixture{}
)

func docDirs() []string {
	docMu.Lock()
	defer docMu.Unlock()
	var out []string
	for _, f := range docFixtures {
		if f.dir != "" {
			out = append(out, f.dir)
		}
	}
	return out
}

// docEnv is a Datastore on a DOC fixture, counting D1's rows read, and a
// raw database/sql handle on the same D1 file.
type docEnv struct {
	ctx   context.Context
	ds    *runtime.Datastore
	rows  *rowsBackend
	db    *sql.DB
	store *local.Store
}

func openDocs(b *testing.B, n int) *docEnv {
	b.Helper()
	ctx := context.Background()
	spec := costSpec(b)
	docMu.Lock()
	f := docFixtures[n]
	if f == nil {
		f = &docFixture{}
		docFixtures[n] = f
	}
	docMu.Unlock()
	f.once.Do(func() {
		if f.dir, f.err = os.MkdirTemp("", "dmplan-page-bench"); f.err != nil {
			return
		}
		store, err := local.Open(ctx, f.dir)
		if err != nil {
			f.err = err
			return
		}
		defer store.Close()
		live, err := backend.Inspect(ctx, store.D1(), store.KV())
		if err != nil {
			f.err = err
			return
		}
		if _, err := applier.Apply(ctx, store, planner.Diff(spec, "local", live), applier.Options{}); err != nil {
			f.err = err
			return
		}
		start := time.Now()
		for _, st := range fillDocs(n) {
			if _, err := store.D1().Query(ctx, st); err != nil {
				f.err = err
				return
			}
		}
		b.Logf("generated %d DOC rows in %v", n, time.Since(start).Round(time.Millisecond))
	})
	if f.err != nil {
		b.Fatal(f.err)
	}
	store, err := local.Open(ctx, f.dir)
	if err != nil {
		b.Fatal(err)
	}
	e := &docEnv{ctx: ctx, store: store, rows: countRows(store)}
	e.ds, err = runtime.Open(ctx, spec, e.rows, runtime.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		b.Fatal(err)
	}
	if e.db, err = sql.Open("sqlite", local.DSN(filepath.Join(f.dir, local.D1File), 10*time.Second)); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		e.db.Close()
		store.Close()
	})
	return e
}

// docCols are DOC's D1 columns, as the hand-written baselines select them.
const docCols = `doc_id, project_id, title, user_id, created_at, updated_at, deleted_at`

// scanMaps reads rows into maps, as a hand-written generic handler would.
func scanMaps(b *testing.B, rows *sql.Rows) []map[string]any {
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []map[string]any
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			b.Fatal(err)
		}
		m := make(map[string]any, len(cols))
		for i, c := range cols {
			m[c] = vals[i]
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkPages: every DOC record newest first (the index by_created,
// which ends with the primary key, serves the order), pages of 20.
func BenchmarkPages(b *testing.B) {
	for _, n := range pageSizes() {
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) { benchPages(b, n) })
	}
}

func benchPages(b *testing.B, n int) {
	e := openDocs(b, n)
	all := func() *runtime.Query { return e.ds.System().Query("DOC").OrderBy("created_at", runtime.Desc).Limit(20) }
	// The cursor of the last page, found by paging 1000 at a time, and the
	// values a hand-written keyset query resumes after.
	deep := deepCursor(b, e.ctx, func() *runtime.Query { return e.ds.System().Query("DOC").OrderBy("created_at", runtime.Desc) }, n, 20)
	before, err := e.ds.System().Query("DOC").OrderBy("created_at", runtime.Desc).Limit(1).Offset(n - 21).List(e.ctx)
	if err != nil || len(before.Data) != 1 {
		b.Fatal(err)
	}
	lastAt, lastID := before.Data[0]["created_at"], before.Data[0]["doc_id"]

	prep := func(q string) *sql.Stmt { return mustPrepare(b, e.db, q) }
	count := prep(`SELECT COUNT(*) FROM doc_meta WHERE deleted_at IS NULL`)
	offsetPage := prep(`SELECT ` + docCols + ` FROM doc_meta WHERE deleted_at IS NULL ORDER BY created_at DESC, doc_id DESC LIMIT ? OFFSET ?`)
	keysetFirst := prep(`SELECT ` + docCols + ` FROM doc_meta WHERE deleted_at IS NULL ORDER BY created_at DESC, doc_id DESC LIMIT 21`)
	keysetNext := prep(`SELECT ` + docCols + ` FROM doc_meta WHERE deleted_at IS NULL AND created_at <= ?1 AND (created_at < ?1 OR doc_id < ?2)
		ORDER BY created_at DESC, doc_id DESC LIMIT 21`)
	total := func() {
		var t int64
		if err := count.QueryRow().Scan(&t); err != nil || t != int64(n) {
			b.Fatal(err, t)
		}
	}
	page := func(st *sql.Stmt, want int, args ...any) {
		rows, err := st.Query(args...)
		if err != nil {
			b.Fatal(err)
		}
		if got := scanMaps(b, rows); len(got) != want {
			b.Fatalf("%d rows, want %d", len(got), want)
		}
	}
	type variant struct {
		name     string
		runtime  func() *runtime.Query
		rows     int // rows the runtime page holds
		baseline func()
	}
	variants := []variant{
		{"first/offset/total", func() *runtime.Query { return all() }, 20,
			func() { total(); page(offsetPage, 20, 20, 0) }},
		{"first/offset/none", func() *runtime.Query { return all().Total(runtime.TotalNone) }, 20,
			func() { page(offsetPage, 21, 21, 0) }},
		{"first/cursor/total", func() *runtime.Query { return all().After("").Total(runtime.TotalExact) }, 20,
			func() { total(); page(keysetFirst, 21) }},
		{"first/cursor/none", func() *runtime.Query { return all().After("") }, 20,
			func() { page(keysetFirst, 21) }},
		{"last/offset/total", func() *runtime.Query { return all().Offset(n - 20) }, 20,
			func() { total(); page(offsetPage, 20, 20, n-20) }},
		{"last/offset/none", func() *runtime.Query { return all().Offset(n - 20).Total(runtime.TotalNone) }, 20,
			func() { page(offsetPage, 20, 21, n-20) }},
		{"last/cursor/total", func() *runtime.Query { return all().After(deep).Total(runtime.TotalExact) }, 20,
			func() { total(); page(keysetNext, 20, lastAt, lastID) }},
		{"last/cursor/none", func() *runtime.Query { return all().After(deep) }, 20,
			func() { page(keysetNext, 20, lastAt, lastID) }},
	}
	for _, v := range variants {
		run := func() {
			res, err := v.runtime().List(e.ctx)
			if err != nil || len(res.Data) != v.rows {
				b.Fatalf("%s: %v, %d rows", v.name, err, len(res.Data))
			}
		}
		warmUp(b, 3, func(int) { run() }, func(int) { v.baseline() })
		b.Run(v.name+"/runtime", func(b *testing.B) {
			b.ReportAllocs()
			cpu0, read0 := cpuTime(), e.rows.d1.read.Load()
			for b.Loop() {
				run()
			}
			reportCPU(b, cpu0)
			if read := e.rows.d1.read.Load() - read0; read > 0 {
				b.ReportMetric(float64(read)/float64(b.N), "rows-read/op")
			}
		})
		b.Run(v.name+"/baseline", func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				v.baseline()
			}
			reportCPU(b, cpu0)
		})
	}
}
