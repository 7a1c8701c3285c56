package consistency

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/runtime"
)

// TestWhereInLongListNumbers: a WhereIn list longer than D1's bound
// parameters (sent as JSON, read with json_each) finds exactly the records
// a short list finds, on both backends, for number values of every kind:
// whole numbers beyond 2^53 and up to 2^63 and past it, negatives,
// fractions, magnitudes SQLite does not read back exactly from decimal
// text, and a mixed list of all of them.
func TestWhereInLongListNumbers(t *testing.T) {
	const src = `project "cons" {}

model "NUM" {
  options { user_tracking = false }
  field "score" { type = number }
  field "count" { type = integer }
  d1 { sync_fields = ["score", "count"] }
}
`
	spec, diags := hclspec.LoadSources("cons", map[string][]byte{"n.dm.hcl": []byte(src)})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	scores := []float64{
		1<<53 - 1, -(1<<53 - 1), 1e15, -1e15, float64(9007199254740993), // 2^53+1 as a float is 2^53
		1<<53 + 2, 1 << 56, 1<<62 + 1024, 1 << 62, -(1 << 62), 3 << 61, math.MaxInt64, math.MinInt64,
		1e19, -1e19, 1e20, 1e21, 1.5e300, -math.MaxFloat64, math.SmallestNonzeroFloat64,
		1.0000000000000002e-300, 9.881312916824931e-291, 0.1, -2.5, 3.141592653589793, 0,
		4503599627370495.5, 123456789012345680,
	}
	counts := []int64{1<<53 - 1, -(1<<53 - 1), 1e15, -1e15, 0, 42}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			be := k.open(t)
			migrate(t, ctx, spec, be, applier.Options{})
			ds := open(t, ctx, spec, be)
			sys := ds.System()
			recs := make([]map[string]any, len(scores))
			for i, s := range scores {
				recs[i] = map[string]any{"num_id": fmt.Sprintf("n%02d", i), "score": s, "count": counts[i%len(counts)]}
			}
			if _, err := sys.CreateMany(ctx, "NUM", recs); err != nil {
				t.Fatal(err)
			}
			// find returns the sorted ids the list matches, and checks that a
			// list longer than D1's parameters takes the JSON path.
			find := func(t *testing.T, field string, values []any) []string {
				t.Helper()
				q := sys.Query("NUM").WhereIn(field, values...).Limit(runtime.MaxLimit)
				if sql, args := q.SQL(); len(values) > backend.MaxParams && (!strings.Contains(sql, "json_each(") || len(args) > backend.MaxParams) {
					t.Fatalf("long list not sent as JSON: %s (%d args)", sql, len(args))
				}
				res, err := q.List(ctx)
				if err != nil {
					t.Fatal(err)
				}
				ids := []string{}
				for _, row := range res.Data {
					ids = append(ids, row["num_id"].(string))
				}
				sort.Strings(ids)
				return ids
			}
			// pad lengthens a list with values no record holds.
			pad := func(values []any, filler func(i int) any) []any {
				for i := 0; i < 2*backend.MaxParams; i++ {
					values = append(values, filler(i))
				}
				return values
			}
			for i, s := range scores {
				short := find(t, "score", []any{s})
				if len(short) == 0 {
					t.Errorf("score %v: a one-value list finds nothing", s)
				}
				long := find(t, "score", pad([]any{s}, func(i int) any { return 7.25 + float64(i) }))
				if d := cmp.Diff(short, long); d != "" {
					t.Errorf("score %d (%v): long list differs from short (-short +long):\n%s", i, s, d)
				}
			}
			all := make([]any, len(scores))
			want := make([]string, len(scores))
			for i, s := range scores {
				all[i] = s
				want[i] = fmt.Sprintf("n%02d", i)
			}
			if d := cmp.Diff(want, find(t, "score", pad(all, func(i int) any { return -0.75 - float64(i) }))); d != "" {
				t.Errorf("mixed long list (-want +got):\n%s", d)
			}
			// Integer columns: exact through JSON as well.
			for _, c := range counts {
				short := find(t, "count", []any{c})
				long := find(t, "count", pad([]any{c}, func(i int) any { return 1000 + i }))
				if len(short) == 0 || !cmp.Equal(short, long) {
					t.Errorf("count %d: short %v, long %v", c, short, long)
				}
			}
		})
	}
}
