package runtime_test

import (
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/runtime"
)

func adviceLines(t *testing.T, e *env) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range logLines(t, e.logs.String()) {
		if l["msg"] == "runtime.index_advice" {
			out = append(out, l)
		}
	}
	return out
}

// TestIndexAdvice checks that a query shape whose plan scans the model's
// table is logged once, at warn, with its columns and rows read, and that
// indexed shapes and repeated runs are not; the plan is read in the query's
// own request, the first time only.
func TestIndexAdvice(t *testing.T) {
	e, fb := setupFault(t)
	sys := e.ds.System()
	seedPages(t, e, "u1", "p", 12)

	// title has no index: a full scan, logged with what it read.
	if _, err := sys.Query("PAGE").Where("title", "t001").OrderBy("url", runtime.Desc).List(e.ctx); err != nil {
		t.Fatal(err)
	}
	got := adviceLines(t, e)
	if len(got) != 1 {
		t.Fatalf("index advice after one unindexed query: %v", got)
	}
	a := got[0]
	if a["level"] != "WARN" || a["model"] != "PAGE" || a["table"] != "page_meta" || a["op"] != "query" ||
		a["where"] != "title,deleted_at" || a["order_by"] != "url" || a["plan"] != "SCAN t" || a["outcome"] != "full_scan" {
		t.Errorf("advice = %v", a)
	}
	if rr, _ := a["rows_read"].(float64); rr < 1 {
		t.Errorf("advice rows_read = %v, want the rows the query read", a["rows_read"])
	}

	// The same shape with another value: no second warning, and no plan
	// read (a single D1 query, not a batch).
	q0, b0 := fb.d1.queries, fb.d1.batchs
	if _, err := sys.Query("PAGE").Where("title", "other").OrderBy("url", runtime.Desc).List(e.ctx); err != nil {
		t.Fatal(err)
	}
	if fb.d1.queries-q0 != 1 || fb.d1.batchs != b0 {
		t.Errorf("second run of a shape: %d queries, %d batches; want 1 query", fb.d1.queries-q0, fb.d1.batchs-b0)
	}
	// project_id and status lead an index: searched, not advised.
	if _, err := sys.Query("PAGE").Where("project_id", "p").Where("status", "pending").List(e.ctx); err != nil {
		t.Fatal(err)
	}
	// Count is its own shape.
	if _, err := sys.Query("PAGE").Where("title", "T").Count(e.ctx); err != nil {
		t.Fatal(err)
	}
	got = adviceLines(t, e)
	if len(got) != 2 || got[1]["op"] != "count" || got[1]["where"] != "title,deleted_at" {
		t.Errorf("advice after the indexed query and the count: %v", got)
	}
}

func TestIndexAdviceOff(t *testing.T) {
	e, fb := setupFault(t, runtime.WithIndexAdvice(false))
	sys := e.ds.System()
	b0 := fb.d1.batchs
	if _, err := sys.Query("PAGE").Where("title", "T").List(e.ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := sys.Query("PAGE").Where("title", "T").Count(e.ctx); err != nil {
		t.Fatal(err)
	}
	if got := adviceLines(t, e); len(got) != 0 || fb.d1.batchs != b0 {
		t.Errorf("WithIndexAdvice(false): advice %v, %d batches", got, fb.d1.batchs-b0)
	}
}

func TestFullScan(t *testing.T) {
	plan := func(details ...string) *backend.Result {
		r := &backend.Result{Columns: []string{"id", "parent", "notused", "detail"}}
		for _, d := range details {
			r.Rows = append(r.Rows, []any{int64(2), int64(0), int64(0), d})
		}
		return r
	}
	tests := []struct {
		name string
		plan *backend.Result
		want bool
	}{
		{"alias scan", plan("CO-ROUTINE n", "SCAN t", "SCAN n"), true},
		{"table scan", plan("SCAN page_meta"), true},
		{"old sqlite", plan("SCAN TABLE page_meta AS t"), true},
		{"index search", plan("SEARCH t USING INDEX page_meta_by_project_status (project_id=?)"), false},
		{"ordered index walk", plan("SCAN t USING INDEX sqlite_autoindex_page_meta_1"), false},
		{"covering index", plan("SCAN t USING COVERING INDEX page_meta_user"), false},
		{"subqueries only", plan("SCAN n", "SCAN p LEFT-JOIN"), false},
		{"other table", plan("SCAN other"), false},
		{"nil", nil, false},
		{"short rows", &backend.Result{Columns: []string{"detail"}, Rows: [][]any{{}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, got := runtime.FullScan(tt.plan, "page_meta"); got != tt.want {
				t.Errorf("FullScan = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestExplain(t *testing.T) {
	e, fb := setupFault(t)
	sys := e.ds.System()
	q0, b0 := fb.d1.queries, fb.d1.batchs
	ex, err := sys.Query("PAGE").Where("project_id", "p").Where("status", "pending").Explain(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ex.FullScan || ex.Index != "page_meta_by_project_status" || ex.Search != "project_id=? AND status=?" || len(ex.Count) == 0 || len(ex.Page) == 0 {
		t.Errorf("indexed filter: %+v", ex)
	}
	if fb.d1.queries != q0 || fb.d1.batchs-b0 != 1 {
		t.Errorf("Explain made %d queries and %d batches, want one batch", fb.d1.queries-q0, fb.d1.batchs-b0)
	}
	ex, err = sys.Query("PAGE").Where("title", "T").OrderBy("url", runtime.Asc).Explain(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !ex.FullScan || ex.Index != "" || !ex.SortsInMemory {
		t.Errorf("unindexed filter and order: %+v", ex)
	}
	if _, err := sys.Query("PAGE").Where("nope", 1).Explain(e.ctx); err == nil {
		t.Error("Explain of an invalid query: no error")
	}
}
