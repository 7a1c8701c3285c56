package runtime_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/runtime"
)

// TestIntegerRange: an integer field holds -(2^53-1) to 2^53-1, the
// integers D1 (a double over its REST API) and JavaScript hold exactly, so
// KV and D1 never disagree on one. Those round-trip exactly; anything
// beyond is refused on every write path, naming the field, never the value.
func TestIntegerRange(t *testing.T) {
	e := setup(t)
	sys := e.ds.System()
	for _, n := range []int64{1<<53 - 1, -(1<<53 - 1), 1e15, 42, 0} {
		r, err := sys.Create(e.ctx, "ITEM", map[string]any{"name": "n", "user_id": "u", "count": n})
		if err != nil {
			t.Fatalf("count %d: %v", n, err)
		}
		back, err := sys.Get(e.ctx, "ITEM", r.ID())
		if err != nil {
			t.Fatal(err)
		}
		if back.Get("count") != n {
			t.Errorf("%d came back as %v (%T)", n, back.Get("count"), back.Get("count"))
		}
		if row := e.d1Row(t, "item", "item_id", r.ID()); row["count"] != n {
			t.Errorf("%d in D1 as %v (%T)", n, row["count"], row["count"])
		}
	}
	keep, err := sys.Create(e.ctx, "ITEM", map[string]any{"name": "keep", "user_id": "u", "count": 7})
	if err != nil {
		t.Fatal(err)
	}
	refused := []any{
		int64(1 << 53), int64(-(1 << 53)), int64(1<<53 + 1), int64(math.MaxInt64), int64(math.MinInt64),
		uint64(1 << 60), float64(1 << 53), -1e16, json.Number("9007199254740993"),
	}
	check := func(t *testing.T, err error) {
		t.Helper()
		var ve *runtime.ValidationError
		if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != "count" || ve.Fields[0].Code != runtime.CodeType ||
			!strings.Contains(ve.Fields[0].Message, "from -(2^53-1) to 2^53-1") {
			t.Fatalf("err = %v, want a ValidationError: count out of range", err)
		}
	}
	for i, n := range refused {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			_, err := sys.Create(e.ctx, "ITEM", map[string]any{"name": "bad", "user_id": "u", "count": n})
			check(t, err)
			if s := fmt.Sprint(n); strings.Contains(err.Error(), s) {
				t.Errorf("error %q holds the value", err)
			}
			_, err = sys.CreateMany(e.ctx, "ITEM", []map[string]any{{"name": "bad", "user_id": "u", "count": n}})
			check(t, err)
			keep.Set("count", n)
			check(t, keep.Save(e.ctx))
			keep.Set("count", int64(7))
		})
	}
	res, err := sys.Query("ITEM").Where("name", "bad").List(e.ctx)
	if err != nil || res.Pagination.Total != 0 {
		t.Errorf("refused records were stored: %v %v", res, err)
	}
	if back, err := sys.Get(e.ctx, "ITEM", keep.ID()); err != nil || back.Get("count") != int64(7) {
		t.Errorf("refused saves changed the record: %v %v", back, err)
	}
}
