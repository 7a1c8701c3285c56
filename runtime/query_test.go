package runtime_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/runtime"
)

func TestNewPagination(t *testing.T) {
	tests := []struct {
		name          string
		total         int64
		limit, offset int
		want          runtime.Pagination
	}{
		{"spec example", 156, 20, 40, runtime.Pagination{Total: 156, Limit: 20, Offset: 40, Page: 3, Pages: 8, HasNext: true, HasPrev: true}},
		{"empty", 0, 20, 0, runtime.Pagination{Total: 0, Limit: 20, Offset: 0, Page: 1, Pages: 0}},
		{"first of one", 5, 20, 0, runtime.Pagination{Total: 5, Limit: 20, Page: 1, Pages: 1}},
		{"exact last page", 40, 20, 20, runtime.Pagination{Total: 40, Limit: 20, Offset: 20, Page: 2, Pages: 2, HasPrev: true}},
		{"partial last page", 156, 20, 140, runtime.Pagination{Total: 156, Limit: 20, Offset: 140, Page: 8, Pages: 8, HasPrev: true}},
		{"offset beyond total", 156, 20, 400, runtime.Pagination{Total: 156, Limit: 20, Offset: 400, Page: 21, Pages: 8, HasPrev: true}},
		{"offset between pages", 100, 25, 30, runtime.Pagination{Total: 100, Limit: 25, Offset: 30, Page: 2, Pages: 4, HasNext: true, HasPrev: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := cmp.Diff(tt.want, runtime.NewPagination(tt.total, tt.limit, tt.offset)); d != "" {
				t.Error(d)
			}
		})
	}
}

// seedPages creates n pages of user in project proj with titles t000...
func seedPages(t *testing.T, e *env, user, proj string, n int) []string {
	t.Helper()
	h := e.ds.Auth(user)
	data := make([]map[string]any, n)
	for i := range data {
		data[i] = map[string]any{"project_id": proj, "url": "https://example.com/" + fmt.Sprint(i), "title": fmt.Sprintf("t%03d", i)}
	}
	recs, err := h.CreateMany(e.ctx, "PAGE", data)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, n)
	for i, r := range recs {
		ids[i] = r.ID()
	}
	return ids
}

func titles(res *runtime.Result) []string {
	out := []string{}
	for _, r := range res.Data {
		out = append(out, r["title"].(string))
	}
	return out
}

func TestQueryPages(t *testing.T) {
	e := setup(t)
	seedPages(t, e, "u1", "p1", 45)
	seedPages(t, e, "u2", "p1", 7)
	u := e.ds.Auth("u1")
	tests := []struct {
		name       string
		q          *runtime.Query
		wantTitles []string
		wantPage   runtime.Pagination
	}{
		{"default first page", u.Query("PAGE").OrderBy("title", runtime.Asc), seq(0, 20),
			runtime.Pagination{Total: 45, Limit: 20, Page: 1, Pages: 3, HasNext: true}},
		{"page 2", u.Query("PAGE").OrderBy("title", runtime.Asc).Page(2), seq(20, 40),
			runtime.Pagination{Total: 45, Limit: 20, Offset: 20, Page: 2, Pages: 3, HasNext: true, HasPrev: true}},
		{"last page", u.Query("PAGE").OrderBy("title", runtime.Asc).Page(3), seq(40, 45),
			runtime.Pagination{Total: 45, Limit: 20, Offset: 40, Page: 3, Pages: 3, HasPrev: true}},
		{"offset beyond total", u.Query("PAGE").Offset(100), []string{},
			runtime.Pagination{Total: 45, Limit: 20, Offset: 100, Page: 6, Pages: 3, HasPrev: true}},
		{"page before limit", u.Query("PAGE").Page(2).Limit(10).OrderBy("title", runtime.Desc), rev(seq(25, 35)),
			runtime.Pagination{Total: 45, Limit: 10, Offset: 10, Page: 2, Pages: 5, HasNext: true, HasPrev: true}},
		{"empty", u.Query("PAGE").Where("project_id", "nope"), []string{},
			runtime.Pagination{Total: 0, Limit: 20, Page: 1}},
		{"where in", u.Query("PAGE").WhereIn("title", "t001", "t044", "zzz").OrderBy("title", runtime.Asc), []string{"t001", "t044"},
			runtime.Pagination{Total: 2, Limit: 20, Page: 1, Pages: 1}},
		{"where in nothing", u.Query("PAGE").WhereIn("title"), []string{},
			runtime.Pagination{Total: 0, Limit: 20, Page: 1}},
		{"limit at the cap", u.Query("PAGE").Limit(runtime.MaxLimit).OrderBy("title", runtime.Asc), seq(0, 45),
			runtime.Pagination{Total: 45, Limit: 1000, Page: 1, Pages: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := tt.q.List(e.ctx)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.wantTitles, titles(res)); d != "" {
				t.Errorf("titles (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.wantPage, res.Pagination); d != "" {
				t.Errorf("pagination (-want +got):\n%s", d)
			}
		})
	}
}

func seq(from, to int) []string {
	out := []string{}
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("t%03d", i))
	}
	return out
}

func rev(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

func TestQueryErrorsReturnEmptyResult(t *testing.T) {
	e := setup(t)
	seedPages(t, e, "u1", "p1", 3)
	u := e.ds.Auth("u1")
	tests := []struct {
		name string
		q    *runtime.Query
		want error
	}{
		{"kv-only field", u.Query("PAGE").Where("content", "x"), runtime.ErrUnknownField},
		{"unknown field", u.Query("PAGE").Where("nope", "x"), runtime.ErrUnknownField},
		{"injection in field name", u.Query("PAGE").Where(`title" = '' OR 1=1 --`, "x"), runtime.ErrUnknownField},
		{"injection in order field", u.Query("PAGE").OrderBy("title; DROP TABLE page_meta", runtime.Asc), runtime.ErrUnknownField},
		{"bad direction", u.Query("PAGE").OrderBy("title", runtime.Direction(7)), runtime.ErrInvalid},
		{"bad limit", u.Query("PAGE").Limit(0), runtime.ErrInvalid},
		{"limit over the cap", u.Query("PAGE").Limit(runtime.MaxLimit + 1), runtime.ErrInvalid},
		{"array value on an array column", u.Query("ITEM").Where("tags", []string{"a"}), runtime.ErrInvalid},
		{"object value on a json column", u.Query("ITEM").Where("meta", map[string]any{"a": 1}), runtime.ErrInvalid},
		{"array value in WhereIn", u.Query("ITEM").WhereIn("tags", []any{"a"}), runtime.ErrInvalid},
		{"bad offset", u.Query("PAGE").Offset(-1), runtime.ErrInvalid},
		{"bad page", u.Query("PAGE").Page(0), runtime.ErrInvalid},
		{"wrong value type", u.Query("ITEM").Where("count", "many"), runtime.ErrInvalid},
		{"unknown model", u.Query("NOPE"), runtime.ErrUnknownModel},
		{"auth-only model scoped", u.Query("NOTE"), runtime.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := tt.q.List(e.ctx)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if res == nil || len(res.Data) != 0 || res.Error == "" || res.Error != err.Error() {
				t.Fatalf("result = %+v, want empty data and the error", res)
			}
			b, _ := json.Marshal(res)
			var back map[string]any
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if back["error"] != err.Error() || fmt.Sprint(back["data"]) != "[]" {
				t.Errorf("JSON form %s lacks the error or has data", b)
			}
		})
	}
	// The table is intact after the injection attempts.
	res, err := u.Query("PAGE").List(e.ctx)
	if err != nil || res.Pagination.Total != 3 {
		t.Fatalf("after injections: %v, %+v", err, res)
	}
}

func TestQuerySQL(t *testing.T) {
	e := setup(t)
	q := e.ds.Auth("u1").Query("PAGE").Where("project_id", "proj_123").WhereIn("status", "pending", "failed").
		OrderBy("created_at", runtime.Desc).Limit(25).Page(2)
	sql, args := q.SQL()
	// No declared index holds every filter column and none serves the
	// order, so the page reads every match anyway: the total is counted in
	// the same pass (COUNT(*) OVER ()), and deleted_at IS NULL, which
	// nearly every row matches, is not an index seek (+).
	wantSQL := `SELECT t."page_id", t."project_id", t."url", t."title", t."status", t."last_processed", t."user_id", t."created_at", t."updated_at", t."deleted_at", ` +
		`COUNT(*) OVER () AS _total FROM "page_meta" AS t ` +
		`WHERE t."user_id" = ?1 AND +t."deleted_at" IS NULL AND t."project_id" = ?2 AND t."status" IN (?3, ?4) ` +
		`ORDER BY t."created_at" DESC, t."page_id" DESC LIMIT ?5 OFFSET ?6`
	if d := cmp.Diff(wantSQL, sql); d != "" {
		t.Errorf("SQL (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]any{"u1", "proj_123", "pending", "failed", int64(25), int64(25)}, args); d != "" {
		t.Errorf("args (-want +got):\n%s", d)
	}
}

func TestWhereOp(t *testing.T) {
	e := setup(t)
	seedPages(t, e, "u1", "p1", 10) // titles t000..t009
	u := e.ds.Auth("u1")
	tests := []struct {
		name string
		q    *runtime.Query
		want []string
	}{
		{">=", u.Query("PAGE").WhereOp("title", ">=", "t007"), []string{"t007", "t008", "t009"}},
		{"<", u.Query("PAGE").WhereOp("title", "<", "t002"), []string{"t000", "t001"}},
		{"!=", u.Query("PAGE").WhereOp("title", "!=", "t000").WhereOp("title", "<=", "t002"), []string{"t001", "t002"}},
		{"LIKE", u.Query("PAGE").WhereOp("title", "LIKE", "t00%").WhereOp("title", ">", "t007"), []string{"t008", "t009"}},
		{"IS NOT NULL", u.Query("PAGE").WhereOp("last_processed", "!=", nil), []string{}},
		{"IS NULL", u.Query("PAGE").WhereOp("last_processed", "=", nil).WhereOp("title", "=", "t003"), []string{"t003"}},
		{"timestamp range", u.Query("PAGE").WhereOp("created_at", ">", time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).WhereOp("title", "<", "t001"), []string{"t000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := tt.q.OrderBy("title", runtime.Asc).List(e.ctx)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, titles(res)); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
	for _, q := range []*runtime.Query{
		u.Query("PAGE").WhereOp("title", "; DROP TABLE page_meta", "x"),
		u.Query("PAGE").WhereOp("title", "LIKE", 5),
		u.Query("PAGE").WhereOp("title", "<", nil),
	} {
		if _, err := q.List(e.ctx); !errors.Is(err, runtime.ErrInvalid) {
			t.Errorf("err = %v", err)
		}
	}
}
