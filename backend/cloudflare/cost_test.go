package cloudflare

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/runtime"
)

const costHCL = `
project "cost" {}
model "NOTE" {
  field "project_id" {
    type     = string
    required = true
  }
  field "title" { type = string }
  field "body" { type = text }
  kv {
    namespace   = "NOTES"
    key_pattern = "note:{id}"
  }
  d1 {
    table       = "notes"
    sync_fields = ["project_id", "title"]
    index "by_project" { columns = ["project_id"] }
  }
}
`

// TestRuntimeCost checks the D1 rows the runtime's operations report on
// workerd's D1 (its own meta rows_read and rows_written, which count index
// rows), summed by a caller's Meter and carried by query results.
func TestRuntimeCost(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	spec, diags := hclspec.LoadSources("", map[string][]byte{"cost.dm.hcl": []byte(costHCL)})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	live, err := backend.Inspect(ctx, f.s.D1(), f.s.KV())
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := applier.Apply(ctx, f.s, planner.Diff(spec, "test", live), applier.Options{Logger: quiet}); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	var logs syncBuffer
	warn := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ds, err := runtime.Open(ctx, spec, f.s, runtime.WithEnvironment("test"), runtime.WithLogger(warn))
	if err != nil {
		t.Fatal(err)
	}
	u := ds.Auth("u1")
	measure := func(name string, run func(context.Context) error) runtime.Cost {
		t.Helper()
		var m runtime.Meter
		if err := run(runtime.WithMeter(ctx, &m)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Logf("%s: %+v", name, m.Cost())
		return m.Cost()
	}
	recs := make([]*runtime.Record, 200)
	for i := range recs {
		recs[i] = u.New("NOTE")
		recs[i].SetAll(map[string]any{"project_id": fmt.Sprintf("p%d", i%4), "title": fmt.Sprint(i)})
	}
	after, err := backend.Inspect(ctx, f.s.D1(), f.s.KV())
	if err != nil {
		t.Fatal(err)
	}
	// Each new row costs D1 one row for the table, one for the primary
	// key's implicit index (a TEXT primary key of a rowid table) and one
	// per declared index.
	perRow := int64(2 + len(after.Table("notes").Indexes))
	if perRow < 3 {
		t.Fatalf("notes has %d indexes, want at least by_project", perRow-2)
	}
	many := measure("SaveMany 200", func(ctx context.Context) error { return u.SaveMany(ctx, recs) })
	if want := (runtime.Cost{RowsWritten: 200 * perRow}); many != want {
		t.Errorf("SaveMany of 200 new records cost %+v, want %+v", many, want)
	}
	var id string
	save := measure("Save", func(ctx context.Context) error {
		r := u.New("NOTE")
		r.SetAll(map[string]any{"project_id": "p9", "title": "one"})
		err := r.Save(ctx)
		id = r.ID()
		return err
	})
	if want := (runtime.Cost{RowsWritten: perRow}); save != want {
		t.Errorf("Save of a new record cost %+v, want %+v", save, want)
	}
	// Update reads the row by primary key (1 row) and rewrites it; its
	// indexed columns are unchanged, so D1 writes fewer index rows than a
	// create.
	upd := measure("Update", func(ctx context.Context) error {
		_, err := u.Update(ctx, "NOTE", id, map[string]any{"title": "two"})
		return err
	})
	if upd.RowsRead < 1 || upd.RowsRead > 2 || upd.RowsWritten < 1 || upd.RowsWritten > perRow {
		t.Errorf("Update cost %+v, want 1-2 rows read and 1-%d written", upd, perRow)
	}
	var res *runtime.Result
	page := measure("Query indexed page with total", func(ctx context.Context) error {
		var err error
		res, err = u.Query("NOTE").Where("project_id", "p1").Limit(10).List(ctx)
		return err
	})
	if res.Cost != page {
		t.Errorf("Result.Cost %+v, the caller's meter %+v", res.Cost, page)
	}
	// The 50 matches are counted and the page of 10 read: more than the
	// page, never more than two passes of the table.
	if page.RowsRead < 50 || page.RowsRead > 2*201 || page.RowsWritten != 0 {
		t.Errorf("indexed page of 10 of 50 matches cost %+v, want 50 to 402 rows read, none written", page)
	}
	count := measure("Count all", func(ctx context.Context) error {
		_, err := u.Query("NOTE").Count(ctx)
		return err
	})
	// COUNT(*) reads every one of the 201 rows (or index entries).
	if count.RowsRead < 201 || count.RowsRead > 2*201 || count.RowsWritten != 0 {
		t.Errorf("Count of 201 records cost %+v, want 201 to 402 rows read, none written", count)
	}
	again := measure("Count all again", func(ctx context.Context) error {
		_, err := u.Query("NOTE").Count(ctx)
		return err
	})
	if again != count {
		t.Errorf("the second count cost %+v, the first (with its plan read) %+v: reading the plan must cost no rows", again, count)
	}

	// Index advice, from workerd's own query plans: the indexed page
	// searches by_project; the user's count scans the table (user_id has
	// no index), which is logged once with the rows it read.
	var advice []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err == nil && m["msg"] == "runtime.index_advice" {
			advice = append(advice, m)
		}
	}
	if len(advice) != 1 || advice[0]["op"] != "count" || advice[0]["model"] != "NOTE" ||
		advice[0]["rows_read"] != float64(count.RowsRead) || !strings.HasPrefix(advice[0]["plan"].(string), "SCAN ") {
		t.Errorf("index advice = %v, want one full-scan warning for the count, with its %d rows read", advice, count.RowsRead)
	}
}

// syncBuffer is a bytes.Buffer safe for a logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestBackfillEstimate checks the plan's row estimate of a backfill and of
// the index built after it against what workerd's D1 reports the apply
// cost: the estimate bounds the rows written and read.
func TestBackfillEstimate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	load := func(src string) *hclspec.Spec {
		spec, diags := hclspec.LoadSources("", map[string][]byte{"cost.dm.hcl": []byte(src)})
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		return spec
	}
	v1 := load(costHCL)
	v2 := load(strings.Replace(strings.Replace(costHCL, `sync_fields = ["project_id", "title"]`, `sync_fields = ["project_id", "title", "body"]`, 1),
		`index "by_project" { columns = ["project_id"] }`, `index "by_project" { columns = ["project_id"] }
    index "by_body" { columns = ["body"] }`, 1))
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	plan := func(spec *hclspec.Spec) *planner.Plan {
		live, err := backend.Inspect(ctx, f.s.D1(), f.s.KV())
		if err != nil {
			t.Fatal(err)
		}
		return planner.Diff(spec, "test", live)
	}
	if _, err := applier.Apply(ctx, f.s, plan(v1), applier.Options{Logger: quiet}); err != nil {
		t.Fatal(err)
	}
	ds1, err := runtime.Open(ctx, v1, f.s, runtime.WithEnvironment("test"), runtime.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	const n = 150
	data := make([]map[string]any, n)
	for i := range data {
		data[i] = map[string]any{"project_id": "p", "body": fmt.Sprint("body ", i)}
	}
	if _, err := ds1.Auth("u1").CreateMany(ctx, "NOTE", data); err != nil {
		t.Fatal(err)
	}
	p := plan(v2)
	ds2, err := runtime.Open(ctx, v2, f.s, runtime.WithEnvironment("test"), runtime.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := applier.Apply(ctx, f.s, p, applier.Options{Logger: quiet, Backfiller: operator.Backfiller(ds2)})
	if err != nil {
		t.Fatal(err)
	}
	var est planner.RowEstimate
	for i, s := range p.Steps {
		t.Logf("%s %s: estimate %+v, report %+v", s.Action, s.Target, s.Rows, rep.Steps[i].Cost)
		if s.Rows != nil {
			est.Read += s.Rows.Read
			est.Written += s.Rows.Written
		}
		if s.Action == planner.Backfill {
			got := rep.Steps[i].Cost
			if s.Rows == nil || s.Rows.Unknown || s.Rows.Written < n || got == nil {
				t.Fatalf("backfill of %d rows: estimate %+v, cost %+v", n, s.Rows, got)
			}
			if got.RowsWritten > s.Rows.Written || got.RowsRead > s.Rows.Read {
				t.Errorf("backfill cost %+v, over its estimate %+v", *got, *s.Rows)
			}
		}
	}
	t.Logf("apply: estimate %+v, cost %+v", est, rep.Cost)
}
