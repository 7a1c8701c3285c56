package runtime_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/internal/rttest"
	"github.com/dmplan/dmplan/runtime"
)

// keysetHCL is a model whose sortable columns hold NULLs, ties and every
// column type, with indexes that serve some orders and not others.
const keysetHCL = `
project "ks" {}

model "EVENT" {
  primary_key = "id"
  field "kind" { type = string }
  field "rank" { type = integer }
  field "score" { type = number }
  field "at" { type = timestamp }
  field "flag" { type = boolean }
  field "body" { type = text }
  d1 {
    sync_fields = ["kind", "rank", "score", "at", "flag"]
    index "by_kind_rank" { columns = ["kind", "rank"] }
    index "by_user_rank" { columns = ["user_id", "deleted_at", "rank"] }
  }
}

model "OTHER" {
  field "rank" { type = integer }
  d1 {
    sync_fields = ["rank"]
  }
}
`

type ksEnv struct {
	ctx   context.Context
	spec  *hclspec.Spec
	store *local.Store
	ds    *runtime.Datastore
}

func keysetSetup(t testing.TB, be func(backend.Backend) backend.Backend) *ksEnv {
	t.Helper()
	ctx := context.Background()
	spec, diags := hclspec.LoadSources("ks", map[string][]byte{"ks.dm.hcl": []byte(keysetHCL)})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	store, err := local.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	rttest.Migrate(t, ctx, spec, store, "local")
	var b backend.Backend = store
	if be != nil {
		b = be(store)
	}
	ds, err := runtime.Open(ctx, spec, b, runtime.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	return &ksEnv{ctx: ctx, spec: spec, store: store, ds: ds}
}

// seedEvents creates n events of user with NULLs and ties in every sorted
// column; ids are e000.. so the primary key order is the creation order.
func seedEvents(t testing.TB, e *ksEnv, user string, n int) {
	t.Helper()
	data := make([]map[string]any, n)
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range data {
		d := map[string]any{"id": fmt.Sprintf("%s-e%03d", user, i), "flag": i%3 == 0}
		if i%5 != 0 {
			d["kind"] = []string{"a", "b", "c"}[i%3]
		}
		if i%4 != 1 {
			d["rank"] = (i * 7) % 6
		}
		if i%6 != 2 {
			d["score"] = float64((i*13)%9) - 4.5
		}
		if i%7 != 3 {
			d["at"] = base.Add(time.Duration((i*11)%8) * time.Hour)
		}
		data[i] = d
	}
	if _, err := e.ds.Auth(user).CreateMany(e.ctx, "EVENT", data); err != nil {
		t.Fatal(err)
	}
}

type orderKey struct {
	field string
	dir   runtime.Direction
}

func ids(res *runtime.Result) []string {
	out := []string{}
	for _, r := range res.Data {
		out = append(out, r["id"].(string))
	}
	return out
}

// walk pages through a query by cursor and returns every id, checking each
// page's pagination on the way.
func walk(t *testing.T, ctx context.Context, mk func() *runtime.Query, limit int) []string {
	t.Helper()
	var all []string
	cur := ""
	for pages := 0; ; pages++ {
		if pages > 500 {
			t.Fatal("cursor pages never end")
		}
		res, err := mk().Limit(limit).After(cur).List(ctx)
		if err != nil {
			t.Fatalf("page %d: %v", pages+1, err)
		}
		p := res.Pagination
		if p.HasPrev != (cur != "") || !p.NoTotal || p.Page != 0 || p.Limit != limit {
			t.Fatalf("page %d: pagination %+v", pages+1, p)
		}
		all = append(all, ids(res)...)
		if !p.HasNext {
			if p.NextCursor != "" {
				t.Fatalf("last page has a next cursor")
			}
			return all
		}
		if len(res.Data) != limit || p.NextCursor == "" {
			t.Fatalf("page %d: %d rows, next cursor %q with HasNext", pages+1, len(res.Data), p.NextCursor)
		}
		cur = p.NextCursor
	}
}

// TestKeysetMatchesOffset pages by cursor through many orders (mixed
// directions, NULLs first ascending and last descending, ties broken by
// the primary key) and filters, and gets exactly the rows and order of one
// big offset page.
func TestKeysetMatchesOffset(t *testing.T) {
	e := keysetSetup(t, nil)
	seedEvents(t, e, "u1", 47)
	seedEvents(t, e, "u2", 9) // another user's rows never show
	u := e.ds.Auth("u1")
	for _, id := range []string{"u1-e004", "u1-e011", "u1-e030"} {
		if err := u.Delete(e.ctx, "EVENT", id); err != nil {
			t.Fatal(err)
		}
	}
	orders := [][]orderKey{
		nil,
		{{"rank", runtime.Asc}},
		{{"rank", runtime.Desc}},
		{{"kind", runtime.Asc}, {"rank", runtime.Desc}},
		{{"kind", runtime.Desc}, {"rank", runtime.Asc}, {"score", runtime.Desc}},
		{{"score", runtime.Desc}},
		{{"at", runtime.Asc}},
		{{"flag", runtime.Desc}, {"at", runtime.Desc}},
		{{"id", runtime.Desc}},
		{{"rank", runtime.Asc}, {"id", runtime.Desc}, {"kind", runtime.Asc}},
		{{"kind", runtime.Asc}, {"kind", runtime.Desc}},
	}
	filters := []struct {
		name string
		f    func(*runtime.Query) *runtime.Query
	}{
		{"all", func(q *runtime.Query) *runtime.Query { return q }},
		{"kind a", func(q *runtime.Query) *runtime.Query { return q.Where("kind", "a") }},
		{"kind null", func(q *runtime.Query) *runtime.Query { return q.Where("kind", nil) }},
		{"rank > 2", func(q *runtime.Query) *runtime.Query { return q.WhereOp("rank", ">", 2) }},
		{"with deleted", func(q *runtime.Query) *runtime.Query { return q.IncludeDeleted() }},
		{"only deleted", func(q *runtime.Query) *runtime.Query { return q.OnlyDeleted() }},
	}
	for _, o := range orders {
		for _, f := range filters {
			name := f.name
			for _, k := range o {
				name += fmt.Sprintf(" %s/%d", k.field, k.dir)
			}
			t.Run(name, func(t *testing.T) {
				mk := func() *runtime.Query {
					q := f.f(u.Query("EVENT"))
					for _, k := range o {
						q.OrderBy(k.field, k.dir)
					}
					return q
				}
				want, err := mk().Limit(runtime.MaxLimit).List(e.ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, limit := range []int{1, 4, 7, 100} {
					if d := cmp.Diff(ids(want), walk(t, e.ctx, mk, limit)); d != "" {
						t.Fatalf("limit %d: cursor pages differ from the offset page (-want +got):\n%s", limit, d)
					}
				}
			})
		}
	}
}

// TestKeysetSQL: an order an index serves splits the rows after the cursor
// into ranges that each start with a seek on the first key (a UNION ALL);
// an order no index serves stays one condition, so the table is scanned
// once rather than once per range.
func TestKeysetSQL(t *testing.T) {
	e := keysetSetup(t, nil)
	seedEvents(t, e, "u1", 10)
	u := e.ds.Auth("u1")
	next := func(q func() *runtime.Query) *runtime.Query {
		res, err := q().Limit(2).After("").List(e.ctx)
		if err != nil || res.Pagination.NextCursor == "" {
			t.Fatalf("%v %+v", err, res.Pagination)
		}
		return q().Limit(2).After(res.Pagination.NextCursor)
	}
	served := func() *runtime.Query { return u.Query("EVENT").OrderBy("rank", runtime.Desc) }
	sql, args := next(served).SQL()
	want := `SELECT t."id", t."kind", t."rank", t."score", t."at", t."flag", t."user_id", t."created_at", t."updated_at", t."deleted_at" FROM "event" AS t ` +
		`WHERE t."user_id" = ?1 AND t."deleted_at" IS NULL AND t."rank" <= ?2 AND ((t."rank" < ?2 OR t."rank" IS NULL) OR (t."rank" = ?2 AND t."id" < ?3)) ` +
		`UNION ALL SELECT t."id", t."kind", t."rank", t."score", t."at", t."flag", t."user_id", t."created_at", t."updated_at", t."deleted_at" FROM "event" AS t ` +
		`WHERE t."user_id" = ?1 AND t."deleted_at" IS NULL AND t."rank" IS NULL ORDER BY 3 DESC, 1 DESC LIMIT ?4`
	if d := cmp.Diff(want, sql); d != "" {
		t.Errorf("served order SQL (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]any{"u1", int64(3), "u1-e003", int64(3)}, args); d != "" {
		t.Errorf("args (-want +got):\n%s", d)
	}
	// The total of a filter an index covers is a scalar subquery counting
	// index entries; the page, ordered by the primary key's own index,
	// keeps deleted_at IS NULL out of SQLite's choice of index (+).
	sql, args = u.Query("EVENT").Limit(5).Page(2).SQL()
	want = `SELECT t."id", t."kind", t."rank", t."score", t."at", t."flag", t."user_id", t."created_at", t."updated_at", t."deleted_at", ` +
		`(SELECT COUNT(*) FROM "event" AS t WHERE t."user_id" = ?1 AND t."deleted_at" IS NULL) AS _total FROM "event" AS t ` +
		`WHERE t."user_id" = ?1 AND +t."deleted_at" IS NULL ORDER BY t."id" LIMIT ?2 OFFSET ?3`
	if d := cmp.Diff(want, sql); d != "" {
		t.Errorf("covered total SQL (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]any{"u1", int64(5), int64(5)}, args); d != "" {
		t.Errorf("args (-want +got):\n%s", d)
	}
	unserved := func() *runtime.Query { return u.Query("EVENT").OrderBy("score", runtime.Desc) }
	sql, _ = next(unserved).SQL()
	if strings.Contains(sql, "UNION") || !strings.Contains(sql, `OR t."score" IS NULL)`) {
		t.Errorf("unserved order SQL: %s", sql)
	}
}

// TestKeysetConcurrentChanges: rows deleted or added between pages never
// make a row that stayed repeat or go missing, unlike offset pages.
func TestKeysetConcurrentChanges(t *testing.T) {
	e := keysetSetup(t, nil)
	seedEvents(t, e, "u1", 30)
	u := e.ds.Auth("u1")
	mk := func() *runtime.Query { return u.Query("EVENT").OrderBy("rank", runtime.Asc).Limit(5) }
	first, err := mk().After("").List(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	seen := ids(first)
	// Delete the cursor's own row (the fifth of the NULL ranks, which sort
	// first) and one not yet seen; add a row before the cursor and one
	// after it.
	if err := u.Delete(e.ctx, "EVENT", seen[len(seen)-1]); err != nil {
		t.Fatal(err)
	}
	if err := u.Delete(e.ctx, "EVENT", "u1-e029"); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Create(e.ctx, "EVENT", map[string]any{"id": "u1-a-low"}); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Create(e.ctx, "EVENT", map[string]any{"id": "u1-new-high", "rank": 99}); err != nil {
		t.Fatal(err)
	}
	rest := walkFrom(t, e.ctx, mk, first.Pagination.NextCursor)
	got := append(seen, rest...)
	all, err := u.Query("EVENT").OrderBy("rank", runtime.Asc).Limit(runtime.MaxLimit).List(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Every row now present except the new low one (before the cursor)
	// comes exactly once, plus the deleted cursor row seen earlier.
	want := []string{seen[len(seen)-1]}
	for _, id := range ids(all) {
		if id != "u1-a-low" {
			want = append(want, id)
		}
	}
	count := map[string]int{}
	for _, id := range got {
		count[id]++
	}
	for _, id := range want {
		if count[id] != 1 {
			t.Errorf("row %s seen %d times", id, count[id])
		}
	}
	if count["u1-e029"] != 0 || count["u1-a-low"] != 0 || len(got) != len(want) {
		t.Errorf("pages: %v", got)
	}
}

func walkFrom(t *testing.T, ctx context.Context, mk func() *runtime.Query, cur string) []string {
	t.Helper()
	var out []string
	for cur != "" {
		res, err := mk().After(cur).List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ids(res)...)
		cur = res.Pagination.NextCursor
	}
	return out
}

// TestKeysetCursorRefused: a cursor works only with the query that made
// it; anything else, and anything malformed or tampered with, is an
// ErrCursor (and ErrInvalid) error, never a wrong page or an injection.
func TestKeysetCursorRefused(t *testing.T) {
	e := keysetSetup(t, nil)
	seedEvents(t, e, "u1", 10)
	seedEvents(t, e, "u2", 10)
	u := e.ds.Auth("u1")
	base := func() *runtime.Query {
		return u.Query("EVENT").Where("flag", false).OrderBy("rank", runtime.Desc).Limit(3)
	}
	res, err := base().After("").List(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	cur := res.Pagination.NextCursor
	if _, err := base().After(cur).List(e.ctx); err != nil {
		t.Fatalf("own cursor: %v", err)
	}
	// The limit and WithData are not part of the shape.
	if _, err := base().Limit(5).WithData().After(cur).List(e.ctx); err != nil {
		t.Fatalf("own cursor, other limit: %v", err)
	}
	body, _ := base64.RawURLEncoding.DecodeString(cur)
	var parsed map[string]any
	if err := json.Unmarshal(body, &parsed); err != nil {
		t.Fatalf("cursor is not base64url JSON: %v", err)
	}
	forge := func(edit func(map[string]any)) string {
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		edit(m)
		b, _ := json.Marshal(m)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	tests := []struct {
		name string
		q    *runtime.Query
	}{
		{"other filter value", u.Query("EVENT").Where("flag", true).OrderBy("rank", runtime.Desc).After(cur)},
		{"no filter", u.Query("EVENT").OrderBy("rank", runtime.Desc).After(cur)},
		{"other direction", u.Query("EVENT").Where("flag", false).OrderBy("rank", runtime.Asc).After(cur)},
		{"other order", u.Query("EVENT").Where("flag", false).OrderBy("score", runtime.Desc).After(cur)},
		{"other user", e.ds.Auth("u2").Query("EVENT").Where("flag", false).OrderBy("rank", runtime.Desc).After(cur)},
		{"system handle", e.ds.System().Query("EVENT").Where("flag", false).OrderBy("rank", runtime.Desc).After(cur)},
		{"deleted too", base().IncludeDeleted().After(cur)},
		{"other model", u.Query("OTHER").OrderBy("rank", runtime.Desc).After(cur)},
		{"garbage", base().After("not a cursor!")},
		{"base64 of garbage", base().After(base64.RawURLEncoding.EncodeToString([]byte("{{{")))},
		{"truncated", base().After(cur[:len(cur)/2])},
		{"other version", base().After(forge(func(m map[string]any) { m["v"] = 2 }))},
		{"too few values", base().After(forge(func(m map[string]any) { m["k"] = []any{[]any{"i", "1"}} }))},
		{"null primary key", base().After(forge(func(m map[string]any) {
			m["k"] = []any{[]any{"i", "1"}, []any{"n", ""}}
		}))},
		{"number for a text column", base().After(forge(func(m map[string]any) {
			m["k"] = []any{[]any{"i", "1"}, []any{"i", "7"}}
		}))},
		{"bad integer", base().After(forge(func(m map[string]any) {
			m["k"] = []any{[]any{"i", "1e999"}, []any{"s", "x"}}
		}))},
		{"infinite number", base().After(forge(func(m map[string]any) {
			m["k"] = []any{[]any{"f", "+Inf"}, []any{"s", "x"}}
		}))},
		{"unknown type", base().After(forge(func(m map[string]any) {
			m["k"] = []any{[]any{"x", "1"}, []any{"s", "x"}}
		}))},
		{"huge", base().After(strings.Repeat("A", 70_000))},
		{"with Page", base().After(cur).Page(2)},
		{"with Offset", base().Offset(3).After(cur)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := tt.q.List(e.ctx)
			if !errors.Is(err, runtime.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			if !strings.HasPrefix(tt.name, "with ") && !errors.Is(err, runtime.ErrCursor) {
				t.Errorf("err = %v, want ErrCursor", err)
			}
			if len(res.Data) != 0 || res.Error == "" {
				t.Errorf("result %+v", res)
			}
		})
	}
	// SQL in a cursor is only a value, bound as a parameter (an integer
	// column may hold text, so it is a valid position, after every number).
	sqlCur := forge(func(m map[string]any) {
		m["k"] = []any{[]any{"s", "1; DROP TABLE \"event\" --"}, []any{"s", "x' OR 1=1 --"}}
	})
	if res, err := base().After(sqlCur).List(e.ctx); err != nil || len(res.Data) == 0 {
		t.Fatalf("SQL in a cursor: %v %+v", err, res)
	}
	// The tampered cursors changed nothing.
	n, err := e.ds.System().Query("EVENT").Count(e.ctx)
	if err != nil || n != 20 {
		t.Fatalf("count after tampering: %d %v", n, err)
	}
	// A forged cursor with well-typed values is only a position: the page
	// after rank 3, id "u1-e000", in this query's own rows.
	forged := forge(func(m map[string]any) { m["k"] = []any{[]any{"i", "3"}, []any{"s", "u1-e000"}} })
	res, err = base().After(forged).List(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Data {
		if r["user_id"] != "u1" || r["flag"] != false || (r["rank"] != nil && r["rank"].(int64) > 3) {
			t.Errorf("forged cursor page has row %v", r)
		}
	}
}

// TestTotalModes: the total is counted exactly by default for Page and
// Offset (the spec's shape), not at all for After, and as asked by Total.
func TestTotalModes(t *testing.T) {
	e := keysetSetup(t, nil)
	seedEvents(t, e, "u1", 45)
	u := e.ds.Auth("u1")
	tests := []struct {
		name string
		q    *runtime.Query
		want runtime.Pagination
		rows int
	}{
		{"page, default exact", u.Query("EVENT").Limit(20).Page(2),
			runtime.Pagination{Total: 45, Limit: 20, Offset: 20, Page: 2, Pages: 3, HasNext: true, HasPrev: true}, 20},
		{"page, no total", u.Query("EVENT").Limit(20).Page(2).Total(runtime.TotalNone),
			runtime.Pagination{Limit: 20, Offset: 20, Page: 2, HasNext: true, HasPrev: true, NoTotal: true}, 20},
		{"last page, no total", u.Query("EVENT").Limit(20).Page(3).Total(runtime.TotalNone),
			runtime.Pagination{Limit: 20, Offset: 40, Page: 3, HasPrev: true, NoTotal: true}, 5},
		{"exactly full last page, no total", u.Query("EVENT").Limit(15).Page(3).Total(runtime.TotalNone),
			runtime.Pagination{Limit: 15, Offset: 30, Page: 3, HasPrev: true, NoTotal: true}, 15},
		{"page, estimate under the cap", u.Query("EVENT").Limit(20).Total(runtime.TotalEstimate),
			runtime.Pagination{Total: 45, Limit: 20, Page: 1, Pages: 3, HasNext: true}, 20},
		{"page, non-indexed filter, exact", u.Query("EVENT").Where("flag", true).Limit(4),
			runtime.Pagination{Total: 15, Limit: 4, Page: 1, Pages: 4, HasNext: true}, 4},
		{"past the end, non-indexed filter, exact", u.Query("EVENT").Where("flag", true).Limit(4).Offset(100),
			runtime.Pagination{Total: 15, Limit: 4, Offset: 100, Page: 26, Pages: 4, HasPrev: true}, 0},
		{"cursor, default none", u.Query("EVENT").Limit(20).After(""),
			runtime.Pagination{Limit: 20, HasNext: true, NoTotal: true}, 20},
		{"cursor, exact", u.Query("EVENT").Limit(20).After("").Total(runtime.TotalExact),
			runtime.Pagination{Total: 45, Limit: 20, Pages: 3, HasNext: true}, 20},
		{"cursor, non-indexed filter, exact", u.Query("EVENT").Where("flag", true).Limit(20).After("").Total(runtime.TotalExact),
			runtime.Pagination{Total: 15, Limit: 20, Pages: 1}, 15},
		{"cursor, estimate", u.Query("EVENT").Limit(50).After("").Total(runtime.TotalEstimate),
			runtime.Pagination{Total: 45, Limit: 50, Pages: 1}, 45},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := tt.q.List(e.ctx)
			if err != nil {
				t.Fatal(err)
			}
			res.Pagination.NextCursor = "" // checked elsewhere
			if d := cmp.Diff(tt.want, res.Pagination); d != "" {
				t.Errorf("pagination (-want +got):\n%s", d)
			}
			if len(res.Data) != tt.rows {
				t.Errorf("%d rows, want %d", len(res.Data), tt.rows)
			}
		})
	}
	// The exact total of a cursor page counts every match, not the rows
	// after the cursor, with both count strategies.
	for _, f := range []func(*runtime.Query) *runtime.Query{
		func(q *runtime.Query) *runtime.Query { return q },
		func(q *runtime.Query) *runtime.Query { return q.Where("flag", false) },
	} {
		mk := func() *runtime.Query { return f(u.Query("EVENT")).Limit(10).Total(runtime.TotalExact) }
		first, err := mk().After("").List(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		second, err := mk().After(first.Pagination.NextCursor).List(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if second.Pagination.Total != first.Pagination.Total || second.Pagination.Total < 20 {
			t.Errorf("cursor page totals %d then %d", first.Pagination.Total, second.Pagination.Total)
		}
	}
	if _, err := u.Query("EVENT").Total(runtime.TotalMode(9)).List(e.ctx); !errors.Is(err, runtime.ErrInvalid) {
		t.Errorf("bad total mode: %v", err)
	}
}

// TestTotalEstimateCap: an estimate stops counting at EstimateCap records
// past the offset and says so.
func TestTotalEstimateCap(t *testing.T) {
	e := keysetSetup(t, nil)
	n := runtime.EstimateCap + 30
	data := make([]map[string]any, n)
	for i := range data {
		data[i] = map[string]any{"rank": i}
	}
	if _, err := e.ds.Auth("u1").CreateMany(e.ctx, "OTHER", data); err != nil {
		t.Fatal(err)
	}
	u := e.ds.Auth("u1")
	res, err := u.Query("OTHER").Total(runtime.TotalEstimate).List(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	p := res.Pagination
	if p.Total != runtime.EstimateCap || !p.TotalCapped || !p.HasNext || p.Pages != runtime.EstimateCap/20 {
		t.Errorf("first page estimate %+v", p)
	}
	res, err = u.Query("OTHER").Offset(100).Total(runtime.TotalEstimate).List(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p := res.Pagination; p.Total != int64(n) || p.TotalCapped {
		t.Errorf("estimate within the cap past the offset %+v", p)
	}
	b, _ := json.Marshal(runtime.Pagination{Total: 1000, Limit: 20, Page: 1, Pages: 50, HasNext: true, TotalCapped: true})
	if want := `{"total":1000,"limit":20,"offset":0,"page":1,"pages":50,"hasNext":true,"hasPrev":false,"totalCapped":true}`; string(b) != want {
		t.Errorf("capped JSON %s", b)
	}
}

// TestPaginationJSON: Page and Offset keep exactly the spec's shape; what
// was not counted is null, and the round trip keeps it.
func TestPaginationJSON(t *testing.T) {
	e := keysetSetup(t, nil)
	seedEvents(t, e, "u1", 30)
	u := e.ds.Auth("u1")
	tests := []struct {
		name string
		q    *runtime.Query
		want string
	}{
		{"spec shape", u.Query("EVENT").Limit(10).Page(2),
			`{"total":30,"limit":10,"offset":10,"page":2,"pages":3,"hasNext":true,"hasPrev":true}`},
		{"no total", u.Query("EVENT").Limit(10).Page(2).Total(runtime.TotalNone),
			`{"total":null,"limit":10,"offset":10,"page":2,"pages":null,"hasNext":true,"hasPrev":true}`},
		{"cursor", u.Query("EVENT").Limit(10).After(""),
			`{"total":null,"limit":10,"offset":null,"page":null,"pages":null,"hasNext":true,"hasPrev":false,"nextCursor":"C"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := tt.q.List(e.ctx)
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(res.Pagination)
			if err != nil {
				t.Fatal(err)
			}
			got := string(b)
			if c := res.Pagination.NextCursor; c != "" {
				got = strings.Replace(got, c, "C", 1)
			}
			if got != tt.want {
				t.Errorf("JSON\n got %s\nwant %s", got, tt.want)
			}
			var back runtime.Pagination
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(res.Pagination, back); d != "" {
				t.Errorf("round trip (-want +got):\n%s", d)
			}
		})
	}
}

// TestKeysetTotalsEveryPage: with a total asked, every cursor page carries
// the count of all matches, whichever way it is counted (a scalar count
// beside an index-served page, the total of a page whose rows all come
// from the NULL range, COUNT(*) OVER () of an unindexed query), and the
// pages still hold exactly the rows of one big offset page.
func TestKeysetTotalsEveryPage(t *testing.T) {
	e := keysetSetup(t, nil)
	seedEvents(t, e, "u1", 40)
	u := e.ds.Auth("u1")
	queries := []struct {
		name string
		mk   func() *runtime.Query
	}{
		{"served, NULLs last", func() *runtime.Query { return u.Query("EVENT").OrderBy("rank", runtime.Desc) }},
		{"served, NULLs first", func() *runtime.Query { return u.Query("EVENT").OrderBy("rank", runtime.Asc) }},
		{"unserved, covered", func() *runtime.Query { return u.Query("EVENT").OrderBy("score", runtime.Desc) }},
		{"unserved, not covered", func() *runtime.Query {
			return u.Query("EVENT").Where("flag", false).OrderBy("score", runtime.Desc).OrderBy("at", runtime.Asc)
		}},
	}
	for _, qq := range queries {
		for _, mode := range []runtime.TotalMode{runtime.TotalExact, runtime.TotalEstimate} {
			t.Run(fmt.Sprintf("%s/%d", qq.name, mode), func(t *testing.T) {
				want, err := qq.mk().Limit(runtime.MaxLimit).List(e.ctx)
				if err != nil {
					t.Fatal(err)
				}
				n := want.Pagination.Total
				var got []string
				cur := ""
				for page := 1; ; page++ {
					res, err := qq.mk().Limit(3).After(cur).Total(mode).List(e.ctx)
					if err != nil {
						t.Fatal(err)
					}
					if p := res.Pagination; p.Total != n || p.NoTotal || p.TotalCapped || p.Pages != int((n+2)/3) {
						t.Fatalf("page %d: pagination %+v, want total %d", page, p, n)
					}
					got = append(got, ids(res)...)
					if cur = res.Pagination.NextCursor; cur == "" {
						break
					}
				}
				if d := cmp.Diff(ids(want), got); d != "" {
					t.Errorf("(-want +got):\n%s", d)
				}
			})
		}
	}
	// A cursor past the last row (the last row's own cursor, its row
	// deleted since) is an empty page that still counts.
	first, err := u.Query("EVENT").Limit(39).After("").List(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := u.Delete(e.ctx, "EVENT", "u1-e039"); err != nil {
		t.Fatal(err)
	}
	res, err := u.Query("EVENT").Limit(39).After(first.Pagination.NextCursor).Total(runtime.TotalExact).List(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p := res.Pagination; len(res.Data) != 0 || p.Total != 39 || p.HasNext || !p.HasPrev {
		t.Errorf("empty cursor page: %d rows, %+v", len(res.Data), p)
	}
}

// FuzzCursor: any text given to After is a page of the query's own rows
// or an ErrCursor error; never a panic, another user's row or a failure of
// another kind.
func FuzzCursor(f *testing.F) {
	e := keysetSetup(f, nil)
	seedEvents(f, e, "u1", 12)
	seedEvents(f, e, "u2", 12)
	u := e.ds.Auth("u1")
	mk := func() *runtime.Query {
		return u.Query("EVENT").OrderBy("kind", runtime.Asc).OrderBy("score", runtime.Desc).Limit(4)
	}
	res, err := mk().After("").List(e.ctx)
	if err != nil {
		f.Fatal(err)
	}
	body, _ := base64.RawURLEncoding.DecodeString(res.Pagination.NextCursor)
	f.Add(res.Pagination.NextCursor)
	f.Add(string(body))
	f.Add("")
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"v":1,"q":"x","k":[["n",""],["f","NaN"],["s","u1-e001"]]}`)))
	f.Fuzz(func(t *testing.T, cur string) {
		res, err := mk().After(cur).List(e.ctx)
		if err != nil {
			if !errors.Is(err, runtime.ErrCursor) || !errors.Is(err, runtime.ErrInvalid) {
				t.Fatalf("err = %v", err)
			}
			return
		}
		for _, r := range res.Data {
			if r["user_id"] != "u1" {
				t.Fatalf("row of %v", r["user_id"])
			}
		}
	})
}
