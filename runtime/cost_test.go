package runtime_test

import (
	"fmt"
	"testing"

	"github.com/dmplan/dmplan/runtime"
)

// TestCostLocal checks what the local backend reports as an operation's
// cost (rows returned stand for rows read, rows changed for rows written;
// see backend.Cost), through every surface: the caller's Meter, nested
// meters, a query Result's Cost and each operation's log line.
func TestCostLocal(t *testing.T) {
	e := setup(t)
	u := e.ds.Auth("u1")
	var all runtime.Meter
	ctx := runtime.WithMeter(e.ctx, &all)

	recs := make([]*runtime.Record, 45)
	for i := range recs {
		recs[i] = u.New("PAGE")
		recs[i].SetAll(map[string]any{"project_id": "p1", "url": fmt.Sprintf("https://e.com/%d", i)})
	}
	var bulk runtime.Meter
	if err := u.SaveMany(runtime.WithMeter(ctx, &bulk), recs); err != nil {
		t.Fatal(err)
	}
	if got := bulk.Cost(); got != (runtime.Cost{RowsWritten: 45}) {
		t.Errorf("SaveMany of 45 records cost %+v, want 45 rows written", got)
	}

	var one runtime.Meter
	r := u.New("PAGE")
	r.SetAll(map[string]any{"project_id": "p2", "url": "https://e.com/one"})
	if err := r.Save(runtime.WithMeter(ctx, &one)); err != nil {
		t.Fatal(err)
	}
	if got := one.Cost(); got != (runtime.Cost{RowsWritten: 1}) {
		t.Errorf("Save cost %+v, want 1 row written", got)
	}

	res, err := u.Query("PAGE").Where("project_id", "p1").Limit(20).Page(3).List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The page's 5 rows, each carrying the total.
	if len(res.Data) != 5 || res.Cost != (runtime.Cost{RowsRead: 5}) {
		t.Errorf("page 3: %d rows, cost %+v; want 5 rows, 5 rows read", len(res.Data), res.Cost)
	}
	empty, err := u.Query("PAGE").Where("project_id", "none").List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if empty.Cost != (runtime.Cost{}) { // no row returned
		t.Errorf("empty page cost %+v, want no rows read", empty.Cost)
	}
	if n, err := u.Query("PAGE").Count(ctx); err != nil || n != 46 {
		t.Fatalf("Count = %d, %v", n, err)
	}

	if got, want := all.Cost(), (runtime.Cost{RowsRead: 5 + 1, RowsWritten: 46}); got != want {
		t.Errorf("outer meter %+v, want %+v (the sum of every operation)", got, want)
	}

	// Each operation logs its own cost, not its caller's running total.
	want := map[string][2]float64{
		"runtime.save_many": {0, 45},
		"runtime.save":      {0, 1},
		"runtime.query":     {5, 0},
		"runtime.count":     {1, 0},
	}
	costs := map[string][2]float64{}
	for _, l := range logLines(t, e.logs.String()) {
		msg, _ := l["msg"].(string)
		if _, ok := want[msg]; !ok {
			continue // a step of an operation
		}
		rr, ok1 := l["rows_read"].(float64)
		rw, ok2 := l["rows_written"].(float64)
		if !ok1 || !ok2 {
			t.Errorf("log line %s has no rows_read/rows_written: %v", msg, l)
			continue
		}
		c := costs[msg]
		costs[msg] = [2]float64{c[0] + rr, c[1] + rw}
	}
	for msg, w := range want {
		if costs[msg] != w {
			t.Errorf("%s logged rows read/written %v, want %v", msg, costs[msg], w)
		}
	}
}
