package runtime_test

// Rows read per page, counted by D1 itself: the queries run on real
// workerd D1 through the Cloudflare REST harness, whose results carry D1's
// meta.rows_read (the unit D1 bills and the Free plan's daily quota counts).

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/cloudflare"
	"github.com/dmplan/dmplan/backend/cloudflare/cftest"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/internal/rttest"
	"github.com/dmplan/dmplan/runtime"
)

// costHCL is the model the page-cost tests and benchmarks page through:
// an index for a user's project, newest first, and one for every record,
// newest first, that ends with the primary key (the tie-break), so it
// serves the whole order.
const costHCL = `
project "cost" {}

model "DOC" {
  primary_key = "doc_id"
  field "project_id" { type = string }
  field "title" { type = string }
  kv {
    namespace   = "DOCS"
    key_pattern = "doc:{id}"
  }
  d1 {
    table       = "doc_meta"
    sync_fields = ["project_id", "title"]
    index "by_user_project" { columns = ["user_id", "project_id", "deleted_at", "created_at", "doc_id"] }
    index "by_created" { columns = ["deleted_at", "created_at", "doc_id"] }
  }
}
`

func costSpec(t testing.TB) *hclspec.Spec {
	t.Helper()
	spec, diags := hclspec.LoadSources("cost", map[string][]byte{"cost.dm.hcl": []byte(costHCL)})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return spec
}

// fillDocs returns the statements that insert n D1 rows of DOC, up to
// 100,000 rows each: 10 users, each with 10 projects (so a user's project
// holds n/100 rows), titles "doc <i>", two rows per created_at second
// (ties the primary key breaks), ids in an order unrelated to creation.
// Pages without WithData read D1 only, so no KV objects are written.
func fillDocs(n int) []backend.Stmt {
	var out []backend.Stmt
	for from := 0; from < n; from += 100_000 {
		out = append(out, backend.Stmt{SQL: `WITH RECURSIVE s(i) AS (SELECT ?2 UNION ALL SELECT i + 1 FROM s WHERE i < ?3 - 1)
INSERT INTO doc_meta (doc_id, project_id, title, user_id, created_at, updated_at, deleted_at)
SELECT printf('d%08d', (i * 7919) % ?1), 'proj_' || ((i / 10) % 10), 'doc ' || i, 'user_' || (i % 10),
  strftime('%Y-%m-%dT%H:%M:%S.000Z', 1767225600 + i / 2, 'unixepoch'),
  strftime('%Y-%m-%dT%H:%M:%S.000Z', 1767225600 + i / 2, 'unixepoch'), NULL FROM s`,
			Args: []any{int64(n), int64(from), int64(min(n, from+100_000))}})
	}
	return out
}

// rowsBackend counts the rows D1 reports read by the statements sent
// through it. It hides the wrapped backend's pipelining, so every D1
// statement goes through Query.
type rowsBackend struct {
	backend.Backend
	d1 *rowsD1
}

type rowsD1 struct {
	backend.D1
	read, stmts atomic.Int64
}

func countRows(be backend.Backend) *rowsBackend {
	return &rowsBackend{Backend: be, d1: &rowsD1{D1: be.D1()}}
}

func (b *rowsBackend) D1() backend.D1 { return b.d1 }

func (d *rowsD1) Query(ctx context.Context, st backend.Stmt) (*backend.Result, error) {
	r, err := d.D1.Query(ctx, st)
	if r != nil {
		d.read.Add(r.RowsRead)
		d.stmts.Add(1)
	}
	return r, err
}

func (d *rowsD1) Batch(ctx context.Context, sts []backend.Stmt) ([]*backend.Result, error) {
	rs, err := d.D1.Batch(ctx, sts)
	for _, r := range rs {
		if r != nil {
			d.read.Add(r.RowsRead)
			d.stmts.Add(1)
		}
	}
	return rs, err
}

// measure runs a query's List and returns the rows D1 read for it.
func (b *rowsBackend) measure(t *testing.T, q *runtime.Query) (*runtime.Result, int64) {
	t.Helper()
	before := b.d1.read.Load()
	res, err := q.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return res, b.d1.read.Load() - before
}

// deepCursor walks a query's cursor pages in pages of 1000 and returns the
// cursor whose next page of limit rows is the last one.
func deepCursor(t testing.TB, ctx context.Context, mk func() *runtime.Query, total, limit int) string {
	t.Helper()
	skip := total - limit
	cur := ""
	for done := 0; done < skip; {
		n := min(runtime.MaxLimit, skip-done)
		res, err := mk().Limit(n).After(cur).List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		done += len(res.Data)
		cur = res.Pagination.NextCursor
		if cur == "" {
			t.Fatalf("pages ended after %d rows, want %d", done, skip)
		}
	}
	return cur
}

// TestPageRowsReadOnWorkerd counts the rows D1 reads for each kind of page
// of 10,000 records (DMPLAN_PAGECOST_ROWS sets another count, a multiple
// of 1000; the README's numbers at 1M come from it): a cursor page costs its own rows at any depth, an
// offset page costs every skipped row, and a total costs one pass over the
// matching rows: over the index entries when an index serves the filter,
// over the table once (never twice) when none does.
func TestPageRowsReadOnWorkerd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the workerd harness")
	}
	n := 10_000
	if v := os.Getenv("DMPLAN_PAGECOST_ROWS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1000 || n%1000 != 0 {
			t.Fatalf("DMPLAN_PAGECOST_ROWS=%q: want a multiple of 1000", v)
		}
	}
	ctx := context.Background()
	h := cftest.Shared(t)
	acct := h.NewAccount(t)
	h.NewDatabase(t, acct, "pagecost")
	store, err := cloudflare.Open(ctx, cloudflare.Config{AccountID: acct, APIToken: h.Token, Database: "pagecost",
		BaseURL: h.BaseURL, Getenv: func(string) string { return "" }, Environment: "local", RequestTimeout: 5 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	spec := costSpec(t)
	rttest.Migrate(t, ctx, spec, store, "local")
	for _, st := range fillDocs(n) {
		if _, err := store.D1().Query(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	be := countRows(store)
	ds, err := runtime.Open(ctx, spec, be, runtime.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	user := func() *runtime.Query {
		return ds.Auth("user_3").Query("DOC").Where("project_id", "proj_5").OrderBy("created_at", runtime.Desc)
	}
	all := func() *runtime.Query { return ds.System().Query("DOC").OrderBy("created_at", runtime.Desc) }
	m := n / 100 // rows of user_3's proj_5
	userDeep := deepCursor(t, ctx, user, m, 20)
	allDeep := deepCursor(t, ctx, all, n, 20)
	// A page of 20 reads 21 rows (the one past the page says HasNext),
	// plus one seek for the NULL range of a cursor page, when an index
	// serves the whole order, its primary-key tie-break included (both of
	// DOC's do). A total adds the matching index entries, once.
	const page = 20 + 1 + 1
	tests := []struct {
		name string
		q    *runtime.Query
		rows int
		max  int
	}{
		{"user: cursor page 1", user().Limit(20).After(""), 20, page},
		{"user: cursor last page", user().Limit(20).After(userDeep), 20, page},
		{"user: offset page 1, no total", user().Limit(20).Total(runtime.TotalNone), 20, page},
		{"user: offset page 1, total", user().Limit(20), 20, m + 1 + page},
		{"user: cursor page 1, total", user().Limit(20).After("").Total(runtime.TotalExact), 20, m + 1 + page},
		{"user: cursor last page, total", user().Limit(20).After(userDeep).Total(runtime.TotalExact), 20, m + 1 + page},
		{"user: offset last page, total", user().Limit(20).Page(m / 20), 20, m + 1 + m + 1},
		{"all: cursor page 1", all().Limit(20).After(""), 20, page},
		{"all: cursor last page", all().Limit(20).After(allDeep), 20, page},
		{"all: offset page 1, no total", all().Limit(20).Total(runtime.TotalNone), 20, page},
		{"all: offset page 1, estimate", all().Limit(20).Total(runtime.TotalEstimate), 20, runtime.EstimateCap + 1 + page},
		{"all: offset page 1, total", all().Limit(20), 20, n + 1 + page},
		{"all: offset last page, no total", all().Limit(20).Page(n / 20).Total(runtime.TotalNone), 20, n + 1},
	}
	for _, tt := range tests {
		res, read := be.measure(t, tt.q)
		t.Logf("%-34s rows read %6d", tt.name, read)
		if len(res.Data) != tt.rows {
			t.Errorf("%s: %d rows, want %d", tt.name, len(res.Data), tt.rows)
		}
		if read > int64(tt.max) {
			t.Errorf("%s: D1 read %d rows, want at most %d", tt.name, read, tt.max)
		}
	}

	// A total with a filter no index serves (1 row in 10 matches) is one
	// pass over the table: a count scan beside a page an index serves, or,
	// when no index serves the order either, COUNT(*) OVER () in the page
	// that reads every match anyway; never a count pass and a page pass.
	like := func() *runtime.Query { return ds.System().Query("DOC").WhereOp("title", "LIKE", "doc %7").Limit(20) }
	for _, q := range []struct {
		name string
		q    *runtime.Query
	}{
		{"by created_at", like().OrderBy("created_at", runtime.Desc)},
		{"by primary key", like()},
		{"by title (no index)", like().OrderBy("title", runtime.Asc)},
		{"cursor, by title (no index)", like().OrderBy("title", runtime.Asc).After("").Total(runtime.TotalExact)},
	} {
		res, read := be.measure(t, q.q)
		t.Logf("%-34s rows read %6d", "unindexed filter, total: "+q.name, read)
		matches := n / 10
		if res.Pagination.Total != int64(matches) || len(res.Data) != 20 {
			t.Fatalf("%s: total %d, %d rows", q.name, res.Pagination.Total, len(res.Data))
		}
		if read > int64(n+4*matches+50) {
			t.Errorf("%s: D1 read %d rows for a total over a %d-row table with %d matches; want one pass (at most %d)",
				q.name, read, n, matches, n+4*matches+50)
		}
	}
}
