// Package indextest is the suite of declared index kinds every backend
// passes: indexes with expression, COLLATE and DESC keys, partial indexes
// and unique = "live" are created as declared and then plan as no
// changes; each way a live index can be rebuilt by hand under a declared
// name blocks the plan; duplicate probes respect a partial index's
// condition; and the runtime refuses a record whose value a live record
// holds, also when it is restored, leaving KV and D1 as they were.
package indextest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/runtime"
	"github.com/dmplan/dmplan/state"
)

// Run runs the suite in the sub-test "Indexes" on a backend newBackend
// returns. Its table and KV namespace have random names, so the backend
// may be shared; the table is dropped at the end.
func Run(t *testing.T, newBackend func(t *testing.T) backend.Backend) {
	t.Run("Indexes", func(t *testing.T) {
		f := &fixture{b: newBackend(t), table: unique("member"), env: unique("ix"),
			log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		t.Cleanup(func() {
			_, _ = f.b.D1().Query(context.Background(), backend.Stmt{SQL: "DROP TABLE IF EXISTS " + backend.QuoteIdent(f.table)})
		})
		for _, step := range []struct {
			name string
			run  func(*testing.T)
		}{
			{"ApplyThenNoChanges", f.applyThenNoChanges},
			{"DriftBlocks", f.driftBlocks},
			{"UniqueLive", f.uniqueLive},
			{"ConcurrentWriters", f.concurrentWriters},
			{"QueriesUseLiveIndex", f.queriesUseLiveIndex},
			{"CheckNeedsUniqueIndexes", f.checkNeedsUniqueIndexes},
			{"ProbesRespectWhere", f.probesRespectWhere},
		} {
			if !t.Run(step.name, step.run) {
				return // later steps build on this one
			}
		}
	})
}

func unique(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + "_" + hex.EncodeToString(b)
}

type fixture struct {
	b     backend.Backend
	table string
	env   string
	log   *slog.Logger
}

// modelHCL is the model with one index of each kind; extra is more index
// blocks.
const modelHCL = `project "ixt" {}

model "MEMBER" {
  field "email"  { type = string }
  field "name"   { type = string }
  field "status" { type = string }
  options {
    user_tracking = false
    auth          = false
  }
  d1 {
    table       = %q
    sync_fields = ["email", "name", "status"]
    index "plain" { columns = ["status", "email"] }
    index "lower" { keys = ["lower(email)", "status DESC"] }
    index "nocase" { keys = ["name COLLATE NOCASE", "created_at DESC"] }
    index "partial" {
      columns = ["status"]
      where   = "status <> 'done'"
    }
    index "live" {
      columns = ["email"]
      unique  = "live"
    }
    index "live_or" {
      keys   = ["Name COLLATE nocase"]
      unique = "live"
      where  = "status = 'a' OR status = 'b'"
    }
    index "named" {
      name    = %q
      columns = ["name", "status"]
    }
%s  }
}
`

func (f *fixture) spec(t *testing.T, extra string) *hclspec.Spec {
	t.Helper()
	spec, diags := hclspec.LoadSources("ixt", map[string][]byte{"m.dm.hcl": fmt.Appendf(nil, modelHCL, f.table, f.named(), extra)})
	if diags.HasErrors() {
		t.Fatalf("load: %s", diags.Error())
	}
	return spec
}

func (f *fixture) idx(label string) string { return f.table + "_" + label }

// named is the SQL name the index block "named" sets: not table_label,
// and one that needs quoting.
func (f *fixture) named() string { return "Idx-" + f.table + " by name" }

// plan plans spec the way dmplan plan does: inspect, probe the unique
// indexes it would create for duplicates, diff.
func (f *fixture) plan(t *testing.T, spec *hclspec.Spec) *planner.Plan {
	t.Helper()
	ctx := context.Background()
	live, err := backend.Inspect(ctx, f.b.D1(), f.b.KV())
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	dups, err := applier.UniqueViolations(ctx, f.b.D1(), planner.UniqueIndexProbes(spec, f.env, live))
	if err != nil {
		t.Fatalf("UniqueViolations: %v", err)
	}
	return planner.Diff(spec, f.env, live, planner.WithUniqueViolations(dups))
}

func (f *fixture) apply(t *testing.T, p *planner.Plan) {
	t.Helper()
	rep, err := applier.Apply(context.Background(), f.b, p, applier.Options{ToolVersion: "indextest", Actor: "indextest", Logger: f.log})
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if rep.Outcome != state.OutcomeApplied {
		t.Fatalf("apply outcome %q", rep.Outcome)
	}
}

// noChanges fails unless spec plans nothing against the target.
func (f *fixture) noChanges(t *testing.T, spec *hclspec.Spec) {
	t.Helper()
	if p := f.plan(t, spec); p.HasChanges() || len(p.Steps) != 0 {
		t.Fatalf("plan has changes: steps %+v notes %+v", p.Steps, p.Notes)
	}
}

func (f *fixture) exec(t *testing.T, sqls ...string) {
	t.Helper()
	sts := make([]backend.Stmt, len(sqls))
	for i, s := range sqls {
		sts[i] = backend.Stmt{SQL: s}
	}
	if _, err := f.b.D1().Batch(context.Background(), sts); err != nil {
		t.Fatalf("%s: %v", strings.Join(sqls, "; "), err)
	}
}

func (f *fixture) applyThenNoChanges(t *testing.T) {
	spec := f.spec(t, "")
	p := f.plan(t, spec)
	if n := p.Counts()[planner.CreateIndex]; n != 7 || len(p.Blocked()) > 0 {
		t.Fatalf("first plan: %d create_index steps, blocked %+v; want 7, none", n, p.Blocked())
	}
	f.apply(t, p)
	live, err := backend.Inspect(context.Background(), f.b.D1(), f.b.KV())
	if err != nil {
		t.Fatal(err)
	}
	if got := p.LiveFingerprint(live); got != p.FingerprintAfter {
		t.Errorf("live fingerprint %s after apply, the plan expected %s", got, p.FingerprintAfter)
	}
	f.noChanges(t, spec)
}

// driftBlocks rebuilds each declared index by hand with one property
// changed: the plan blocks it; dropping it as the hint says lets apply
// create it as declared, and the plan is then empty again.
func (f *fixture) driftBlocks(t *testing.T) {
	spec := f.spec(t, "")
	tb := backend.QuoteIdent(f.table)
	tests := []struct {
		name, label, create, code, say string
	}{
		{"expression", "lower", "CREATE INDEX %s ON %s (upper(email), status DESC)", planner.CodeIndexDefinition, "the expression upper(email), the declared one lower(email)"},
		{"expression to column", "lower", "CREATE INDEX %s ON %s (email, status DESC)", planner.CodeIndexDefinition, "is the column email, the declared one the expression lower(email)"},
		{"order", "lower", "CREATE INDEX %s ON %s (lower(email), status)", planner.CodeIndexDefinition, "status is ascending in the live index, descending in the declared one"},
		{"collation", "nocase", "CREATE INDEX %s ON %s (name, created_at DESC)", planner.CodeIndexDefinition, "name is compared with the column's collation in the live index, COLLATE NOCASE in the declared one"},
		{"collation kind", "nocase", "CREATE INDEX %s ON %s (name COLLATE RTRIM, created_at DESC)", planner.CodeIndexDefinition, "COLLATE RTRIM in the live index"},
		{"where dropped", "partial", "CREATE INDEX %s ON %s (status)", planner.CodeIndexDefinition, "the declared index is partial (WHERE status <> 'done'), the live one covers every row"},
		{"where changed", "partial", "CREATE INDEX %s ON %s (status) WHERE status <> 'open'", planner.CodeIndexDefinition, "the live index covers the rows WHERE status <> 'open', the declared one WHERE status <> 'done'"},
		{"unique everywhere, declared live", "live", "CREATE UNIQUE INDEX %s ON %s (email)", planner.CodeIndexDefinition, "the declared index is partial (WHERE deleted_at IS NULL), the live one covers every row"},
		{"live, not unique", "live", "CREATE INDEX %s ON %s (email) WHERE deleted_at IS NULL", planner.CodeIndexChanged, "the declared index is unique, the live one is not"},
		{"live with condition lost", "live_or", "CREATE UNIQUE INDEX %s ON %s (name COLLATE NOCASE) WHERE deleted_at IS NULL", planner.CodeIndexDefinition, "the declared one WHERE (status = 'a' OR status = 'b') AND deleted_at IS NULL"},
		{"named index, other columns", "", "CREATE INDEX %s ON %s (name)", planner.CodeIndexChanged, "the live index covers (name), the declared one (name, status)"},
		{"plain made partial", "plain", "CREATE INDEX %s ON %s (status, email) WHERE deleted_at IS NULL", planner.CodeIndexDefinition, "the live index is partial (WHERE deleted_at IS NULL), the declared one covers every row"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := f.named()
			if tt.label != "" {
				name = f.idx(tt.label)
			}
			q := backend.QuoteIdent(name)
			f.exec(t, "DROP INDEX "+q, fmt.Sprintf(tt.create, q, tb))
			p := f.plan(t, spec)
			b := p.Blocked()
			if len(b) != 1 || b[0].Target != name || b[0].Code != tt.code || !strings.Contains(b[0].Reason, tt.say) ||
				!strings.Contains(b[0].Hint, "DROP INDEX "+q) {
				t.Errorf("blocked steps %+v\nwant one %s on %s saying %q", b, tt.code, name, tt.say)
			}
			f.exec(t, "DROP INDEX "+q)
			p = f.plan(t, spec)
			if len(p.Steps) != 1 || p.Steps[0].Action != planner.CreateIndex || p.Steps[0].Target != name {
				t.Fatalf("plan after DROP INDEX: %+v, want one create_index %s", p.Steps, name)
			}
			f.apply(t, p)
			f.noChanges(t, spec)
		})
	}
	t.Run("respelled", func(t *testing.T) {
		name := f.idx("live_or")
		f.exec(t, "DROP INDEX "+backend.QuoteIdent(name), fmt.Sprintf(
			"create unique index if not exists [%s] on %s (\n  (\"NAME\") collate NOCASE asc -- same\n) where (STATUS='a' or \"status\" = 'b')  and Deleted_At IS null", name, strings.ToUpper(f.table)))
		f.noChanges(t, spec)
	})
}

func (f *fixture) open(t *testing.T) *runtime.Handle {
	t.Helper()
	ds, err := runtime.Open(context.Background(), f.spec(t, ""), f.b, runtime.WithEnvironment(f.env), runtime.WithLogger(f.log))
	if err != nil {
		t.Fatalf("runtime.Open: %v", err)
	}
	return ds.System()
}

// kvObjects returns every KV object of MEMBER by key.
func (f *fixture) kvObjects(t *testing.T) map[string]string {
	t.Helper()
	ctx := context.Background()
	spec := f.spec(t, "")
	live, err := backend.Inspect(ctx, f.b.D1(), f.b.KV())
	if err != nil {
		t.Fatal(err)
	}
	ns := live.Namespace(spec.NamespaceTitle(f.env, "MEMBER"))
	if ns == nil {
		t.Fatal("no MEMBER namespace")
	}
	out := map[string]string{}
	for cursor := ""; ; {
		page, err := f.b.KV().List(ctx, ns.ID, "", cursor, 0)
		if err != nil {
			t.Fatal(err)
		}
		keys := make([]string, len(page.Keys))
		for i, k := range page.Keys {
			keys[i] = k.Name
		}
		vals, err := f.b.KV().GetMany(ctx, ns.ID, keys)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range vals {
			out[k] = string(v)
		}
		if page.Cursor == "" {
			return out
		}
		cursor = page.Cursor
	}
}

// rows returns the D1 rows of MEMBER as "id email deleted" lines.
func (f *fixture) rows(t *testing.T) map[string]string {
	t.Helper()
	res, err := f.b.D1().Query(context.Background(), backend.Stmt{SQL: "SELECT member_id, email, deleted_at IS NOT NULL FROM " + backend.QuoteIdent(f.table)})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range res.Rows {
		out[fmt.Sprint(r[0])] = fmt.Sprintf("%v deleted=%v", r[1], r[2])
	}
	return out
}

// wantConflict checks that err is the refusal of a unique = "live" index
// naming the email field.
func wantConflict(t *testing.T, err error) { wantConflictOn(t, err, "email") }

// wantConflictOn checks that err is the refusal of a unique index naming
// the field.
func wantConflictOn(t *testing.T, err error, field string) {
	t.Helper()
	var ce *runtime.ConstraintError
	if !errors.Is(err, runtime.ErrConflict) || errors.Is(err, runtime.ErrPartialWrite) || !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a *ConstraintError (ErrConflict), not a partial write", err)
	}
	if !slices.Equal(ce.Fields, []string{field}) || !strings.Contains(err.Error(), "another record holds the same "+field) {
		t.Errorf("conflict fields %q, message %q; want %s named", ce.Fields, err, field)
	}
}

// uniqueLive: a record whose email a live record holds is refused; once
// that record is soft-deleted the email is free; restoring it then is
// refused, and it stays deleted with KV and D1 unchanged.
func (f *fixture) uniqueLive(t *testing.T) {
	ctx := context.Background()
	h := f.open(t)
	first, err := h.Create(ctx, "MEMBER", map[string]any{"email": "a@example.com", "name": "First"})
	if err != nil {
		t.Fatal(err)
	}
	kvBefore, rowsBefore := f.kvObjects(t), f.rows(t)
	_, err = h.Create(ctx, "MEMBER", map[string]any{"email": "a@example.com", "name": "Second"})
	wantConflict(t, err)
	if d := cmp.Diff(kvBefore, f.kvObjects(t)); d != "" {
		t.Errorf("KV after the refused create (-before +after):\n%s", d)
	}
	if d := cmp.Diff(rowsBefore, f.rows(t)); d != "" {
		t.Errorf("D1 after the refused create (-before +after):\n%s", d)
	}
	// An update that takes a live record's email is refused the same way.
	other, err := h.Create(ctx, "MEMBER", map[string]any{"email": "b@example.com", "name": "Other"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.Update(ctx, "MEMBER", other.ID(), map[string]any{"email": "a@example.com"})
	wantConflict(t, err)

	if err := h.Delete(ctx, "MEMBER", first.ID()); err != nil {
		t.Fatal(err)
	}
	third, err := h.Create(ctx, "MEMBER", map[string]any{"email": "a@example.com", "name": "Third"})
	if err != nil {
		t.Fatalf("create with the email of a soft-deleted record: %v", err)
	}
	kvBefore, rowsBefore = f.kvObjects(t), f.rows(t)
	wantConflict(t, h.Restore(ctx, "MEMBER", first.ID()))
	if d := cmp.Diff(kvBefore, f.kvObjects(t)); d != "" {
		t.Errorf("KV after the refused restore (-before +after):\n%s", d)
	}
	if d := cmp.Diff(rowsBefore, f.rows(t)); d != "" {
		t.Errorf("D1 after the refused restore (-before +after):\n%s", d)
	}
	if _, err := h.Get(ctx, "MEMBER", first.ID()); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("Get of the record whose restore was refused: %v, want ErrNotFound (still deleted)", err)
	}
	// Once the email is free again, the restore goes through.
	if err := h.Delete(ctx, "MEMBER", third.ID()); err != nil {
		t.Fatal(err)
	}
	if err := h.Restore(ctx, "MEMBER", first.ID()); err != nil {
		t.Fatalf("restore once the email is free: %v", err)
	}
	if r, err := h.Get(ctx, "MEMBER", first.ID()); err != nil || r.Get("name") != "First" {
		t.Errorf("restored record: %v, %v", r, err)
	}
	f.noChanges(t, f.spec(t, ""))
}

// concurrentWriters: several writers create records with one email at
// once; exactly one wins, every other gets the conflict, and KV holds
// exactly the winner's object.
func (f *fixture) concurrentWriters(t *testing.T) {
	ctx := context.Background()
	const writers = 6
	kvBefore := f.kvObjects(t)
	errs := make([]error, writers)
	ids := make([]string, writers)
	handles := make([]*runtime.Handle, writers) // one datastore per writer, as separate processes would have
	for i := range handles {
		handles[i] = f.open(t)
	}
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := handles[i].Create(ctx, "MEMBER", map[string]any{"email": "c@example.com", "name": fmt.Sprintf("writer %d", i)})
			errs[i] = err
			if err == nil {
				ids[i] = r.ID()
			}
		}()
	}
	wg.Wait()
	var won []string
	for i, err := range errs {
		if err == nil {
			won = append(won, ids[i])
			continue
		}
		wantConflict(t, err)
	}
	if len(won) != 1 {
		t.Fatalf("%d writers won (%v), want exactly 1", len(won), errs)
	}
	added := map[string]string{}
	for k, v := range f.kvObjects(t) {
		if _, ok := kvBefore[k]; !ok {
			added[k] = v
		}
	}
	if len(added) != 1 {
		t.Errorf("KV gained %d objects, want the winner's only: %v", len(added), added)
	}
	for k := range added {
		if !strings.HasSuffix(k, won[0]) {
			t.Errorf("KV gained %s, want the winner %s", k, won[0])
		}
	}
	n, err := f.open(t).Query("MEMBER").Where("email", "c@example.com").Count(ctx)
	if err != nil || n != 1 {
		t.Errorf("D1 rows with the email: %d (%v), want 1", n, err)
	}
}

// probesRespectWhere adds unique indexes to a table with rows: a
// unique = "live" one on a value only soft-deleted records share is
// created; a unique one over every row is blocked (DM112) with a query
// that finds the duplicates.
func (f *fixture) probesRespectWhere(t *testing.T) {
	ctx := context.Background()
	h := f.open(t)
	for _, name := range []string{"Dup", "dup"} {
		r, err := h.Create(ctx, "MEMBER", map[string]any{"email": unique("d") + "@example.com", "name": name, "status": "x"})
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Delete(ctx, "MEMBER", r.ID()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.Create(ctx, "MEMBER", map[string]any{"email": unique("d") + "@example.com", "name": "DUP", "status": "x"}); err != nil {
		t.Fatal(err)
	}
	live := f.spec(t, `    index "live_name" {
      keys   = ["name COLLATE NOCASE"]
      unique = "live"
    }
`)
	p := f.plan(t, live)
	if len(p.Steps) != 1 || p.Steps[0].Action != planner.CreateIndex {
		t.Fatalf("plan of a live unique index whose duplicates are all deleted: %+v", p.Steps)
	}
	f.apply(t, p)
	f.noChanges(t, live)
	ds, err := runtime.Open(ctx, live, f.b, runtime.WithEnvironment(f.env), runtime.WithLogger(f.log))
	if err != nil {
		t.Fatal(err)
	}
	_, err = ds.System().Create(ctx, "MEMBER", map[string]any{"email": unique("d") + "@example.com", "name": "dUp"})
	wantConflictOn(t, err, "name") // NOCASE: "dUp" is "DUP"

	every := f.spec(t, `    index "live_name" {
      keys   = ["name COLLATE NOCASE"]
      unique = "live"
    }
    index "all_names" {
      keys   = ["lower(name)"]
      unique = true
    }
`)
	b := f.plan(t, every).Blocked()
	if len(b) != 1 || b[0].Code != planner.CodeUniqueDuplicates || b[0].Target != f.idx("all_names") ||
		!strings.Contains(b[0].Hint, "GROUP BY lower(name) HAVING COUNT(*) > 1") {
		t.Fatalf("blocked %+v, want DM112 on %s with the query", b, f.idx("all_names"))
	}
	// The hint's query finds them.
	q := b[0].Hint[strings.Index(b[0].Hint, "SELECT"):strings.Index(b[0].Hint, ", fix")]
	res, err := f.b.D1().Query(ctx, backend.Stmt{SQL: q})
	if err != nil || len(res.Rows) != 1 || fmt.Sprint(res.Rows[0][1]) != "3" {
		t.Errorf("%s: %v, %v; want one group of 3", q, res, err)
	}
}

// queriesUseLiveIndex: the runtime's queries of a soft-deleting model
// filter deleted_at IS NULL, so a unique = "live" index (WHERE deleted_at
// IS NULL) serves a filter on its column, listed with a total, counted or
// explained, and index advice stays quiet.
func (f *fixture) queriesUseLiveIndex(t *testing.T) {
	ctx := context.Background()
	var logs strings.Builder
	ds, err := runtime.Open(ctx, f.spec(t, ""), f.b, runtime.WithEnvironment(f.env),
		runtime.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	if err != nil {
		t.Fatal(err)
	}
	h := ds.System()
	q := func() *runtime.Query { return h.Query("MEMBER").Where("email", "a@example.com") }
	e, err := q().Explain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if e.FullScan || e.Index != f.idx("live") {
		t.Errorf("explain where email = ?: index %q, full scan %v; want %s\ncount %q\npage %q", e.Index, e.FullScan, f.idx("live"), e.Count, e.Page)
	}
	for _, p := range e.Page {
		if strings.HasPrefix(p, "SCAN ") && !strings.Contains(p, " USING ") {
			t.Errorf("page plan scans the table: %q", e.Page)
		}
	}
	res, err := q().Total(runtime.TotalExact).List(ctx)
	if err != nil || len(res.Data) != 1 || res.Pagination.Total != 1 {
		t.Fatalf("list where email = ?: %+v, %v; want the one live record", res, err)
	}
	if n, err := q().Count(ctx); err != nil || n != 1 {
		t.Errorf("count where email = ?: %d, %v; want 1", n, err)
	}
	// Every statement List runs for these shapes, a total included, finds
	// the rows through the live index rather than reading the table.
	for _, sq := range []*runtime.Query{
		q().Total(runtime.TotalExact),
		q().Where("name", "First").Total(runtime.TotalExact),
		q().Where("name", "First").OrderBy("status", runtime.Asc).Total(runtime.TotalExact),
		q().OrderBy("status", runtime.Asc).Total(runtime.TotalExact),
	} {
		text, args := sq.SQL()
		plan, err := f.b.D1().Query(ctx, backend.Stmt{SQL: "EXPLAIN QUERY PLAN " + text, Args: args})
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		if step, full := runtime.FullScan(plan, f.table); full {
			t.Errorf("%s\nreads the whole table: %s", text, step)
		}
		if _, err := sq.List(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Contains(logs.String(), "runtime.index_advice") {
		t.Errorf("index advice for a query the live index serves:\n%s", logs.String())
	}
}

// checkNeedsUniqueIndexes: Datastore.Check reports a declared unique
// index the target lacks, since D1 would then take the records it
// refuses, and is satisfied once apply creates it again.
func (f *fixture) checkNeedsUniqueIndexes(t *testing.T) {
	ctx := context.Background()
	ds, err := runtime.Open(ctx, f.spec(t, ""), f.b, runtime.WithEnvironment(f.env), runtime.WithLogger(f.log))
	if err != nil {
		t.Fatal(err)
	}
	if err := ds.Check(ctx); err != nil {
		t.Fatalf("Check of the applied spec: %v", err)
	}
	f.exec(t, "DROP INDEX "+backend.QuoteIdent(f.idx("live")), "DROP INDEX "+backend.QuoteIdent(f.idx("lower")))
	err = ds.Check(ctx)
	if !errors.Is(err, runtime.ErrNotMigrated) || !strings.Contains(err.Error(), "unique index "+f.idx("live")) || strings.Contains(err.Error(), f.idx("lower")) {
		t.Errorf("Check without the unique and a plain index: %v; want ErrNotMigrated naming the unique one only", err)
	}
	f.apply(t, f.plan(t, f.spec(t, "")))
	if err := ds.Check(ctx); err != nil {
		t.Errorf("Check after apply: %v", err)
	}
}
