package runtime_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/runtime"
)

func TestLimitsRefusedBeforeAnyWrite(t *testing.T) {
	tests := []struct {
		name string
		data map[string]any
	}{
		{"key over 512 bytes", map[string]any{"page_id": strings.Repeat("k", 600)}},
		{"D1 row over 2 MB", map[string]any{"title": strings.Repeat("t", backend.MaxRowBytes+1)}},
		{"KV value over 25 MiB", map[string]any{"content": strings.Repeat("c", backend.MaxValueBytes+1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, fb := setupFault(t)
			data := newPage("p")
			for k, v := range tt.data {
				data[k] = v
			}
			_, err := e.ds.Auth("u1").Create(e.ctx, "PAGE", data)
			if !errors.Is(err, runtime.ErrTooLarge) || !errors.Is(err, backend.ErrTooLarge) {
				t.Fatalf("err = %.200v", err)
			}
			if fb.kv.puts+fb.kv.putManys+fb.d1.queries+fb.d1.batchs != 0 {
				t.Errorf("wrote before refusing: kv puts %d, d1 %d", fb.kv.puts, fb.d1.queries)
			}
			if _, err := e.ds.Auth("u1").CreateMany(e.ctx, "PAGE", []map[string]any{newPage("ok"), data}); !errors.Is(err, runtime.ErrTooLarge) {
				t.Fatalf("bulk err = %.200v", err)
			}
			if fb.kv.puts+fb.kv.putManys+fb.d1.queries+fb.d1.batchs != 0 {
				t.Errorf("bulk wrote before refusing")
			}
		})
	}
}

func TestQueryParameterLimit(t *testing.T) {
	e := setup(t)
	ids := seedPages(t, e, "u1", "p1", 30)
	u := e.ds.Auth("u1")
	// 150 values: more than D1's 100 bound parameters, sent as one JSON
	// parameter instead.
	values := []any{}
	for i := 0; i < 150; i++ {
		values = append(values, fmt.Sprintf("t%03d", i))
	}
	q := u.Query("PAGE").WhereIn("title", values...).Limit(100)
	sql, args := q.SQL()
	if !strings.Contains(sql, "json_each(?") || len(args) > backend.MaxParams {
		t.Fatalf("SQL %s with %d args", sql, len(args))
	}
	res, err := q.List(e.ctx)
	if err != nil || res.Pagination.Total != 30 || len(res.Data) != 30 {
		t.Fatalf("json_each IN: %v %v", res, err)
	}
	// Numbers and booleans through json_each too.
	if _, err := e.ds.System().CreateMany(e.ctx, "ITEM", []map[string]any{
		{"name": "a", "count": 5, "active": true, "user_id": "u"}, {"name": "b", "count": 6, "active": false, "user_id": "u"},
	}); err != nil {
		t.Fatal(err)
	}
	many := []any{}
	for i := 0; i < 120; i++ {
		many = append(many, i)
	}
	res, err = e.ds.System().Query("ITEM").WhereIn("count", many...).WhereIn("active", true).List(e.ctx)
	if err != nil || res.Pagination.Total != 1 || res.Data[0]["name"] != "a" {
		t.Fatalf("json_each integers: %+v %v", res, err)
	}
	// Too many single conditions is a clear error, not a D1 failure.
	q = u.Query("PAGE")
	for i := 0; i < 120; i++ {
		q.Where("title", "x")
	}
	if _, err := q.List(e.ctx); !errors.Is(err, runtime.ErrTooLarge) || !strings.Contains(err.Error(), "bound parameters") {
		t.Errorf("120 Where: %v", err)
	}
	_ = ids
}

func TestInjectionInValues(t *testing.T) {
	e := setup(t)
	u := e.ds.Auth("u1")
	evil := []string{
		`'; DROP TABLE page_meta; --`,
		`" OR 1=1 --`,
		`x') OR ('1'='1`,
		`?1`,
		`u2`,
	}
	for _, s := range evil {
		p := newPage(s)
		p["title"] = s
		r, err := u.Create(e.ctx, "PAGE", p)
		if err != nil {
			t.Fatal(err)
		}
		res, err := u.Query("PAGE").Where("title", s).WhereIn("project_id", s, "other").List(e.ctx)
		if err != nil || res.Pagination.Total != 1 || res.Data[0]["page_id"] != r.ID() {
			t.Fatalf("%q: %+v %v", s, res, err)
		}
		if _, err := u.Get(e.ctx, "PAGE", s); !errors.Is(err, runtime.ErrNotFound) {
			t.Fatalf("Get(%q): %v", s, err)
		}
	}
	res, err := u.Query("PAGE").List(e.ctx)
	if err != nil || res.Pagination.Total != int64(len(evil)) {
		t.Fatalf("table damaged: %+v %v", res, err)
	}
	// A user id is a value too.
	if res, err := e.ds.Auth(`u1' OR '1'='1`).Query("PAGE").List(e.ctx); err != nil || res.Pagination.Total != 0 {
		t.Fatalf("injected user id listed %+v %v", res, err)
	}
}
