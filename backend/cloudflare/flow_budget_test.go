package cloudflare

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/cloudflare/cftest"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/runtime"
)

// batchCall is one D1 Batch call an apply made: how many statements it
// held, whether any of them came from the plan, and how many HTTP requests
// it took.
type batchCall struct {
	stmts    int
	plan     bool
	requests int
}

// countingStore watches the Batch calls made through a Store.
type countingStore struct {
	*Store
	planSQL map[string]bool

	mu    sync.Mutex
	calls []batchCall
}

func (c *countingStore) D1() backend.D1 { return countingD1{c} }

type countingD1 struct{ c *countingStore }

func (d countingD1) Query(ctx context.Context, st backend.Stmt) (*backend.Result, error) {
	return d.c.Store.D1().Query(ctx, st)
}

func (d countingD1) Batch(ctx context.Context, sts []backend.Stmt) ([]*backend.Result, error) {
	before := d.c.Requests()
	res, err := d.c.Store.D1().Batch(ctx, sts)
	call := batchCall{stmts: len(sts), requests: int(d.c.Requests() - before)}
	for _, st := range sts {
		call.plan = call.plan || d.c.planSQL[st.SQL]
	}
	d.c.mu.Lock()
	d.c.calls = append(d.c.calls, call)
	d.c.mu.Unlock()
	return res, err
}

// examplesWithoutSeeds is examples/ without its seed, whose bcrypt and
// lookups are not what these budgets measure.
func examplesWithoutSeeds(t *testing.T) *hclspec.Spec {
	t.Helper()
	spec, diags := hclspec.LoadDir("../../examples")
	if diags.HasErrors() {
		t.Fatalf("load examples: %s", diags.Error())
	}
	spec.Seeds = nil
	return spec
}

// TestApplyBudget applies the examples' plan and checks that every batch
// of plan statements is one D1 request, for the default chunking (the
// whole plan in one batch) and for small chunks.
func TestApplyBudget(t *testing.T) {
	t.Parallel()
	for _, maxStmts := range []int{0, 4} {
		t.Run(fmt.Sprintf("max %d statements", maxStmts), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			f := newFixture(t)
			spec := examplesWithoutSeeds(t)
			live, err := backend.Inspect(ctx, f.s.D1(), f.s.KV())
			if err != nil {
				t.Fatal(err)
			}
			p := planner.Diff(spec, "test", live)
			cs := &countingStore{Store: f.s, planSQL: map[string]bool{}}
			statements := 0
			for _, s := range p.Steps {
				for _, q := range s.SQL {
					cs.planSQL[q] = true
					statements++
				}
			}
			f.mark(t)
			rep, err := applier.Apply(ctx, cs, p, applier.Options{
				MaxBatchStatements: maxStmts, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			})
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			chunks := 0
			for _, c := range cs.calls {
				if c.requests != 1 {
					t.Errorf("a batch of %d statements took %d requests, want 1", c.stmts, c.requests)
				}
				if c.plan {
					chunks++
				}
			}
			if chunks != rep.Batches {
				t.Errorf("%d batches carried plan statements, the report counts %d", chunks, rep.Batches)
			}
			// The statement that completes the history row rides in the
			// plan's last chunk.
			wantChunks := 1
			if maxStmts > 0 {
				wantChunks = (statements + 1 + maxStmts - 1) / maxStmts
			}
			if chunks < wantChunks || (maxStmts == 0 && chunks != 1) {
				t.Errorf("%d statements went in %d batch requests, want %d", statements, chunks, wantChunks)
			}
			d1, kv := splitRequests(f.requests(t))
			// Around the chunks: taking the lock (one batch), Inspect (one
			// request on an empty database: no table to describe), the
			// history row written as running before the first step (one
			// batch) and releasing the lock. On KV: Inspect's namespace
			// list, then one create per new namespace.
			if want := chunks + 4; d1 != want {
				t.Errorf("apply made %d D1 requests, want %d (%d chunks + lock 2 + inspect 1 + history start 1)", d1, want, chunks)
			}
			if want := 1 + len(rep.NamespacesCreated); kv != want {
				t.Errorf("apply made %d KV requests, want %d", kv, want)
			}
			t.Logf("%d plan statements: %d chunks; apply took %d D1 and %d KV requests", statements, chunks, d1, kv)
		})
	}
}

// splitRequests counts D1 and KV requests.
func splitRequests(rs []cftest.Request) (d1, kv int) {
	for _, r := range rs {
		if strings.Contains(r.Path, "/d1/") {
			d1++
		} else {
			kv++
		}
	}
	return d1, kv
}

// TestRuntimeBudgets counts the requests of the runtime's operations on
// the examples: Save 2, Get 1, a query page with its total 1, a hydrated
// page 2, SaveMany of 1000 records at most 4, Delete by id 3.
func TestRuntimeBudgets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	spec := examplesWithoutSeeds(t)
	live, err := backend.Inspect(ctx, f.s.D1(), f.s.KV())
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := applier.Apply(ctx, f.s, planner.Diff(spec, "test", live), applier.Options{Logger: quiet}); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	f.mark(t)
	ds, err := runtime.Open(ctx, spec, f.s, runtime.WithEnvironment("test"), runtime.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(f.requests(t)); got != 1 {
		t.Errorf("runtime.Open made %d requests, want 1 (the namespace list)", got)
	}
	u := ds.Auth("u1")
	page := func(i int) map[string]any {
		return map[string]any{"project_id": "p1", "url": fmt.Sprintf("https://example.com/%05d", i), "content": "body"}
	}
	var id string
	bulk := make([]*runtime.Record, 1000)
	for i := range bulk {
		bulk[i] = u.New("PAGE")
		bulk[i].SetAll(page(1000 + i))
	}
	tests := []struct {
		name   string
		want   int
		atMost bool // the budget is an upper bound
		run    func() error
	}{
		{"Save", 2, false, func() error {
			r := u.New("PAGE")
			r.SetAll(page(1))
			err := r.Save(ctx)
			id = r.ID()
			return err
		}},
		{"Get", 1, false, func() error { _, err := u.Get(ctx, "PAGE", id); return err }},
		{"Update", 3, false, func() error { _, err := u.Update(ctx, "PAGE", id, map[string]any{"title": "t"}); return err }},
		{"SaveMany 1000", 4, true, func() error { return u.SaveMany(ctx, bulk) }},
		{"Query page with total", 1, false, func() error {
			res, err := u.Query("PAGE").Where("project_id", "p1").OrderBy("url", runtime.Asc).Page(3).List(ctx)
			if err == nil && (res.Pagination.Total != 1001 || len(res.Data) != runtime.DefaultLimit) {
				err = fmt.Errorf("page 3: %d rows of %d", len(res.Data), res.Pagination.Total)
			}
			return err
		}},
		{"Query hydrated page", 2, false, func() error {
			res, err := u.Query("PAGE").Limit(100).WithData().List(ctx)
			if err == nil && (len(res.Data) != 100 || res.Data[0]["content"] != "body") {
				err = fmt.Errorf("hydrated page: %d rows, first %v", len(res.Data), res.Data[0])
			}
			return err
		}},
		// Read, then the KV put and the D1 update of the soft delete.
		{"Delete by id", 3, false, func() error { return u.Delete(ctx, "PAGE", id) }},
	}
	for _, tt := range tests {
		f.mark(t)
		before := f.s.Requests()
		if err := tt.run(); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		store := int(f.s.Requests() - before)
		served := len(f.requests(t))
		if store != served {
			t.Errorf("%s: Store counted %d requests, the harness served %d", tt.name, store, served)
		}
		if served > tt.want || (!tt.atMost && served != tt.want) {
			t.Errorf("%s: %d requests, budget %d", tt.name, served, tt.want)
		}
		t.Logf("%s: %d requests (budget %d)", tt.name, served, tt.want)
	}
}
