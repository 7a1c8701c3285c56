package fleet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/state"
)

// tenantHCL is a tenant's model: a table with an index and a unique index.
const tenantHCL = `
project "shop" {}

model "PAGE" {
  primary_key = "page_id"
  options { user_tracking = false }
  field "project_id" {
    type     = string
    required = true
  }
  field "url" {
    type     = string
    required = true
  }
  field "title" { type = string }
  kv { namespace = "PAGES" }
  d1 {
    table       = "page_meta"
    sync_fields = ["project_id", "url", "title"]
    index "by_project" { columns = ["project_id"] }
    index "by_url" {
      columns = ["url"]
      unique  = true
    }
  }
}
`

// The states a tenant database can be in before a rollout.
const (
	stateFresh   = "fresh"   // empty
	stateCurrent = "current" // already migrated
	stateDrifted = "drifted" // the table made by hand, without title and the indexes
	stateBlocked = "blocked" // drifted, and rows hold duplicate urls
	stateNotNull = "notnull" // a hand-made column the planner cannot add: blocked by plan
)

// driftedDDL is what a person made by hand in a drifted database.
const driftedDDL = `CREATE TABLE page_meta (page_id TEXT PRIMARY KEY NOT NULL, project_id TEXT NOT NULL, url TEXT NOT NULL,
  created_at TEXT, updated_at TEXT, deleted_at TEXT)`

func loadSpec(t testing.TB, src string) *hclspec.Spec {
	t.Helper()
	spec, diags := hclspec.LoadSources("shop", map[string][]byte{"models.dm.hcl": []byte(src)})
	if diags.HasErrors() {
		t.Fatalf("load spec: %s", diags.Error())
	}
	return spec
}

// member is a database of a test fleet, opened for writing.
type member struct {
	Name, ID string
	Backend  backend.Backend
}

// testFleet is a fleet and its databases, opened.
type testFleet struct {
	src     Source
	dbs     []Database
	members []member
}

// prepare puts a database in a state.
func prepare(t testing.TB, ctx context.Context, spec *hclspec.Spec, env string, d1 backend.D1, st string) {
	t.Helper()
	run := func(sqls ...string) {
		for _, q := range sqls {
			if _, err := d1.Query(ctx, backend.Stmt{SQL: q}); err != nil {
				t.Fatalf("prepare %s: %s: %v", st, q, err)
			}
		}
	}
	switch st {
	case stateFresh:
	case stateCurrent:
		live, err := backend.Inspect(ctx, d1, nil)
		if err != nil {
			t.Fatal(err)
		}
		live.Namespaces = planner.Desired(spec, env).Namespaces
		p := planner.Diff(spec, env, live)
		if _, err := applier.ApplyLean(ctx, d1, p, applier.LeanOptions{RolloutID: "earlier"}); err != nil {
			t.Fatalf("prepare current: %v", err)
		}
	case stateDrifted:
		run(driftedDDL)
	case stateBlocked:
		run(strings.Replace(driftedDDL, "url TEXT NOT NULL,", "url TEXT NOT NULL, title TEXT,", 1), `INSERT INTO page_meta (page_id, project_id, url) VALUES ('a', 'p', 'same'), ('b', 'p', 'same')`)
	case stateNotNull:
		run(`CREATE TABLE page_meta (page_id TEXT PRIMARY KEY NOT NULL, project_id TEXT NOT NULL, url TEXT NOT NULL,
  created_at TEXT, updated_at TEXT, deleted_at TEXT, title INTEGER NOT NULL)`)
	default:
		t.Fatalf("unknown state %q", st)
	}
}

// localFleet makes a local fleet of n databases named tenant-000…, in the
// states given round-robin.
func localFleet(t testing.TB, spec *hclspec.Spec, n int, states ...string) *testFleet {
	t.Helper()
	ctx := context.Background()
	src, err := OpenLocal(ctx, t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	f := &testFleet{src: src}
	for i := range n {
		db := Database{Name: fmt.Sprintf("tenant-%03d", i)}
		be, err := src.Open(ctx, db, false)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { be.Close() })
		prepare(t, ctx, spec, "local", be.D1(), states[i%len(states)])
		f.dbs = append(f.dbs, db)
		f.members = append(f.members, member{Name: db.Name, Backend: be})
	}
	return f
}

// appliedRows returns, per member, the number of history rows that
// applied a change (every rollout's).
func appliedRows(t testing.TB, ms []member) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, m := range ms {
		hist, err := applier.History(context.Background(), m.Backend.D1(), 0)
		if err != nil {
			t.Fatalf("history of %s: %v", m.Name, err)
		}
		for _, h := range hist {
			if h.Outcome == state.OutcomeApplied {
				out[m.Name]++
			}
		}
	}
	return out
}

// TestRolloutLocalMixed rolls out to 20 local databases in mixed states:
// fresh and drifted ones are done, current ones stay, duplicate urls and
// a NOT NULL column are blocked; the report says so per database and a
// second run changes nothing.
func TestRolloutLocalMixed(t *testing.T) {
	ctx := context.Background()
	spec := loadSpec(t, tenantHCL)
	states := []string{stateFresh, stateCurrent, stateDrifted, stateBlocked, stateNotNull}
	f := localFleet(t, spec, 20, states...)
	ms := f.members
	dir := t.TempDir()
	id := "r-test-1"
	j, err := CreateJournal(dir, JournalHeader{Rollout: id, Environment: "local"})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Rollout(ctx, f.src, f.dbs, RolloutOptions{ID: id, Environment: "local", Spec: spec,
		Canary: 2, BatchSize: 5, Concurrency: 3, Journal: j})
	if err != nil {
		for _, r := range rep.Results {
			if r.Status == OutcomeFailed {
				t.Logf("%s: %s", r.Database, r.Reason)
			}
		}
		t.Fatalf("Rollout: %v", err)
	}
	want := map[string]Outcome{stateFresh: OutcomeDone, stateCurrent: OutcomeCurrent, stateDrifted: OutcomeDone,
		stateBlocked: OutcomeBlocked, stateNotNull: OutcomeBlocked}
	for i, r := range rep.Results {
		st := states[i%len(states)]
		if r.Database != ms[i].Name || r.Status != want[st] {
			t.Errorf("%s (%s): %s %s, want %s", r.Database, st, r.Status, r.Reason, want[st])
		}
		if st == stateBlocked && r.Code != planner.CodeUniqueDuplicates {
			t.Errorf("%s: code %q, want %s", r.Database, r.Code, planner.CodeUniqueDuplicates)
		}
		if r.Status == OutcomeDone && (r.RestorePoint == "" || !strings.HasPrefix(r.PlanID, id+":")) {
			t.Errorf("%s: done without restore point or rollout plan id: %+v", r.Database, r)
		}
	}
	if rep.Waves != 1+4 {
		t.Errorf("waves = %d, want canary + 4 batches", rep.Waves)
	}
	if got := appliedRows(t, ms); len(got) != 12 {
		t.Errorf("databases with an applied row = %d, want 12 (8 done now, 4 made current before)", len(got))
	}
	// A second rollout finds nothing to do.
	rep2, err := Rollout(ctx, f.src, f.dbs, RolloutOptions{Environment: "local", Spec: spec})
	if err != nil {
		t.Fatalf("second Rollout: %v", err)
	}
	for i, r := range rep2.Results {
		st := states[i%len(states)]
		wantSt := OutcomeCurrent
		if st == stateBlocked || st == stateNotNull {
			wantSt = OutcomeBlocked
		}
		if r.Status != wantSt {
			t.Errorf("second run %s: %s, want %s", r.Database, r.Status, wantSt)
		}
	}
	for name, n := range appliedRows(t, ms) {
		if n != 1 {
			t.Errorf("%s has %d applied rows, want 1", name, n)
		}
	}
}

// TestRolloutStops: a failed canary stops the rollout; past the canary,
// failures beyond MaxFailures stop it; the rest is skipped and a resume
// with the journal finishes the job without asking finished databases.
func TestRolloutStops(t *testing.T) {
	ctx := context.Background()
	spec := loadSpec(t, tenantHCL)
	f := localFleet(t, spec, 12, stateFresh)
	ms := f.members
	broken := map[string]bool{"tenant-001": true, "tenant-005": true, "tenant-006": true}
	planFn := TenantPlan(spec, "local")
	// A broken tenant gets a change that fails to apply.
	failing := func(ctx context.Context, be backend.Backend, db Database, in *operator.Inspection) (*planner.Plan, error) {
		p, err := planFn(ctx, be, db, in)
		if err == nil && broken[db.Name] && len(p.Steps) > 0 {
			p.Steps[0].SQL = append(p.Steps[0].SQL, "INSERT INTO no_such_table VALUES (1)")
		}
		return p, err
	}

	t.Run("canary", func(t *testing.T) {
		rep, err := Rollout(ctx, f.src, f.dbs, RolloutOptions{ID: "r-canary", Spec: spec, Plan: failing, Canary: 2, BatchSize: 4})
		if !errors.Is(err, ErrStopped) || !strings.Contains(rep.Stopped, "canary") {
			t.Fatalf("err = %v, stopped %q; want stopped by the canary", err, rep.Stopped)
		}
		c := rep.Counts()
		if c[OutcomeDone] != 1 || c[OutcomeFailed] != 1 || c[OutcomeSkipped] != 10 {
			t.Errorf("counts = %v, want 1 done, 1 failed, 10 skipped", c)
		}
	})

	t.Run("threshold then resume", func(t *testing.T) {
		dir := t.TempDir()
		id := "r-threshold"
		j, err := CreateJournal(dir, JournalHeader{Rollout: id, Environment: "local"})
		if err != nil {
			t.Fatal(err)
		}
		delete(broken, "tenant-001")
		rep, err := Rollout(ctx, f.src, f.dbs, RolloutOptions{ID: id, Environment: "local", Spec: spec, Plan: failing, BatchSize: 4, Concurrency: 1, MaxFailures: 1, Journal: j})
		if !errors.Is(err, ErrStopped) {
			t.Fatalf("err = %v, want ErrStopped", err)
		}
		c := rep.Counts()
		// tenant-000 was done by the canary subtest: current now.
		if c[OutcomeFailed] != 2 || c[OutcomeSkipped] != 5 {
			t.Errorf("counts = %v, want 2 failed and the 5 after them skipped", c)
		}
		// Fixed; resume from the journal.
		clear(broken)
		j, err = OpenJournal(JournalPath(dir, id))
		if err != nil {
			t.Fatal(err)
		}
		var asked []string
		counting := func(ctx context.Context, be backend.Backend, db Database, in *operator.Inspection) (*planner.Plan, error) {
			asked = append(asked, db.Name)
			return planFn(ctx, be, db, in)
		}
		rep, err = Rollout(ctx, f.src, f.dbs, RolloutOptions{ID: id, Environment: "local", Spec: spec, Plan: counting, BatchSize: 4, Concurrency: 1, Journal: j})
		if err != nil {
			t.Fatalf("resume: %v", err)
		}
		if len(asked) != 7 {
			t.Errorf("resume planned %d databases (%v), want the 7 failed or skipped", len(asked), asked)
		}
		for _, r := range rep.Results {
			if r.Status != OutcomeDone && r.Status != OutcomeCurrent {
				t.Errorf("%s: %s after resume", r.Database, r.Status)
			}
		}
		if p, _ := LatestUnfinished(dir, "local"); p != "" {
			t.Errorf("journal %s still unfinished after a complete resume", p)
		}
		for name, n := range appliedRows(t, ms) {
			if n != 1 {
				t.Errorf("%s has %d applied rows, want 1", name, n)
			}
		}
	})
}

// TestRolloutRefusesSecond: while one rollout holds the fleet, another is
// refused naming it.
func TestRolloutRefusesSecond(t *testing.T) {
	ctx := context.Background()
	spec := loadSpec(t, tenantHCL)
	f := localFleet(t, spec, 3, stateFresh)
	ms := f.members
	l, err := applier.AcquireRolloutLock(ctx, ms[0].Backend.D1(), applier.RolloutLockOptions{Rollout: "r-first", Who: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release(ctx)
	_, err = Rollout(ctx, f.src, f.dbs, RolloutOptions{ID: "r-second", Spec: spec})
	if !errors.Is(err, applier.ErrRolloutLocked) || !strings.Contains(err.Error(), "r-first by alice") {
		t.Fatalf("err = %v, want refused naming r-first by alice", err)
	}
}

// TestJournalTornLine: a journal whose last line was cut by a kill opens,
// without that line, and takes new lines after it.
func TestJournalTornLine(t *testing.T) {
	dir := t.TempDir()
	j, err := CreateJournal(dir, JournalHeader{Rollout: "r1", Environment: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Record(RolloutResult{Database: "a", Status: OutcomeDone}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	f, _ := os.OpenFile(JournalPath(dir, "r1"), os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"result":{"database":"b","sta`)
	f.Close()
	j, err = OpenJournal(JournalPath(dir, "r1"))
	if err != nil {
		t.Fatalf("open torn journal: %v", err)
	}
	if _, ok := j.Final("a"); !ok {
		t.Errorf("a lost")
	}
	if _, ok := j.Final("b"); ok {
		t.Errorf("torn b taken as final")
	}
	if err := j.Record(RolloutResult{Database: "b", Status: OutcomeCurrent}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	j, err = OpenJournal(JournalPath(dir, "r1"))
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	if r, ok := j.Final("b"); !ok || r.Status != OutcomeCurrent {
		t.Errorf("b = %+v, %v", r, ok)
	}
	if p, _ := LatestUnfinished(dir, "prod"); p != JournalPath(dir, "r1") {
		t.Errorf("LatestUnfinished = %q", p)
	}
}
