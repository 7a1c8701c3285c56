package applier

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/state"
)

var errKVDown = errors.New("kv is down")

func TestApplyThenPlanIsEmpty(t *testing.T) {
	ctx := context.Background()
	b := openStore(t)
	spec := loadSpec(t, baseHCL)
	p := makePlan(t, b, spec)

	var events []string
	r := mustApply(t, b, p, Options{ToolVersion: "dmplan test", Actor: "ci@test",
		Progress: func(e Event) { events = append(events, e.Step.Action.String()+" "+e.Step.Target) }})

	want := &Report{
		PlanID: p.ID, Outcome: state.OutcomeApplied, Batches: 1,
		FingerprintBefore: p.Fingerprint, FingerprintAfter: p.FingerprintAfter,
		TablesCreated:  []string{"note", "page_meta"},
		ColumnsAdded:   []string{},
		IndexesCreated: []string{"page_meta_by_project_status"},
		SeedsRun:       []SeedResult{},
	}
	got := *r
	got.NamespacesCreated, got.Steps, got.StartedAt, got.Duration = nil, nil, want.StartedAt, 0
	// The lock and the history row are written at least (operator's
	// TestReportsCarryCost checks the cost of a backfill step).
	if r.Cost.RowsWritten < 2 {
		t.Errorf("apply cost %+v, want the lock and history rows written at least", r.Cost)
	}
	got.Cost = want.Cost
	if diff := cmp.Diff(want, &got); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	if len(r.NamespacesCreated) != 1 || r.NamespacesCreated[0].Title != "shop-local-PAGES" || r.NamespacesCreated[0].ID == "" {
		t.Errorf("namespaces created = %+v", r.NamespacesCreated)
	}
	wantEvents := []string{"create_namespace shop-local-PAGES", "create_table note", "create_table page_meta", "create_index page_meta_by_project_status"}
	if diff := cmp.Diff(wantEvents, events); diff != "" {
		t.Errorf("progress events (-want +got):\n%s", diff)
	}

	live, err := backend.Inspect(ctx, b.D1(), b.KV())
	if err != nil {
		t.Fatal(err)
	}
	if got := state.Fingerprint(live); got != p.FingerprintAfter {
		t.Errorf("live fingerprint %s, plan expected %s", got, p.FingerprintAfter)
	}
	again := planner.Diff(spec, "local", live)
	if len(again.Steps) != 0 || len(again.Notes) != 0 {
		t.Errorf("plan after apply: steps %v notes %v", again.Steps, again.Notes)
	}

	hist, err := History(ctx, b.D1(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 {
		t.Fatalf("history has %d rows, want 1", len(hist))
	}
	h := hist[0]
	if h.PlanID != p.ID || h.Outcome != state.OutcomeApplied || h.Actor != "ci@test" || h.ToolVersion != "dmplan test" ||
		h.FingerprintBefore != p.Fingerprint || h.FingerprintAfter != p.FingerprintAfter || h.FailedStep != -1 || h.Error != "" {
		t.Errorf("history row = %+v", h)
	}
	if diff := cmp.Diff(map[string]int{"create_namespace": 1, "create_table": 2, "create_index": 1}, h.Counts); diff != "" {
		t.Errorf("history counts (-want +got):\n%s", diff)
	}
	if len(h.Steps) != 4 || !cmp.Equal(h.Steps[1], state.StepRef{Action: "create_table", Target: "note", Model: "NOTE", SQL: p.Steps[1].SQL}) {
		t.Errorf("history steps = %+v", h.Steps)
	}
	if len(h.Namespaces) != 1 || h.Namespaces[0].ID != r.NamespacesCreated[0].ID {
		t.Errorf("history namespaces = %+v", h.Namespaces)
	}
	if h.StartedAt.IsZero() || h.FinishedAt.Before(h.StartedAt) {
		t.Errorf("history times %v .. %v", h.StartedAt, h.FinishedAt)
	}
}

func TestApplyEmptyPlanIsNoOp(t *testing.T) {
	ctx := context.Background()
	b := openStore(t)
	spec := loadSpec(t, baseHCL)
	mustApply(t, b, makePlan(t, b, spec), Options{})

	p := makePlan(t, b, spec)
	r := mustApply(t, b, p, Options{})
	if r.Outcome != state.OutcomeNoOp || len(r.TablesCreated) != 0 {
		t.Errorf("second apply report = %+v", r)
	}
	hist, _ := History(ctx, b.D1(), 0)
	if len(hist) != 1 {
		t.Errorf("a no-op apply recorded history: %d rows", len(hist))
	}

	mustApply(t, b, makePlan(t, b, spec), Options{RecordNoOp: true})
	hist, _ = History(ctx, b.D1(), 0)
	if len(hist) != 2 || hist[0].Outcome != state.OutcomeNoOp {
		t.Errorf("RecordNoOp: history = %+v", hist)
	}
}

func TestApplyRefusesStalePlan(t *testing.T) {
	ctx := context.Background()
	b := openStore(t)
	p := makePlan(t, b, loadSpec(t, baseHCL))
	exec(t, b, `CREATE TABLE page_meta (page_id TEXT PRIMARY KEY NOT NULL)`)

	_, err := Apply(ctx, b, p, Options{})
	if !errors.Is(err, ErrStalePlan) || !strings.HasPrefix(err.Error(), "applier: saved plan is stale: ") {
		t.Fatalf("Apply = %v, want ErrStalePlan", err)
	}
	live, _ := backend.Inspect(ctx, b.D1(), b.KV())
	if len(live.Tables) != 1 || len(live.Namespaces) != 0 {
		t.Errorf("a stale plan changed the target: %+v", live)
	}
	if hist, _ := History(ctx, b.D1(), 0); len(hist) != 0 {
		t.Errorf("a refused plan recorded history")
	}
}

func TestApplyRefusesBlockedPlan(t *testing.T) {
	ctx := context.Background()
	b := openStore(t)
	spec := loadSpec(t, baseHCL)
	mustApply(t, b, makePlan(t, b, spec), Options{})
	changed := strings.Replace(baseHCL, `field "title" { type = string }`, `field "title" { type = integer }`, 1)
	p := makePlan(t, b, loadSpec(t, changed))
	if len(p.Blocked()) != 1 || p.Blocked()[0].Code != planner.CodeTypeChange {
		t.Fatalf("plan blocked steps = %+v", p.Blocked())
	}
	_, err := Apply(ctx, b, p, Options{})
	if !errors.Is(err, ErrBlocked) || !strings.Contains(err.Error(), "DM101 page_meta.title") {
		t.Fatalf("Apply = %v, want ErrBlocked naming DM101", err)
	}
	seed := &planner.Plan{Steps: []planner.Step{{Action: planner.Seed, Model: "USER", Target: "USER.admin", Safe: true}}}
	if _, err := Apply(ctx, b, seed, Options{}); !errors.Is(err, ErrUnsupportedStep) || !strings.Contains(err.Error(), "seed USER.admin") {
		t.Errorf("Apply(seed plan) = %v, want ErrUnsupportedStep", err)
	}
	if _, err := Apply(ctx, b, nil, Options{}); !errors.Is(err, ErrNoPlan) {
		t.Errorf("Apply(nil) = %v", err)
	}
}

func TestApplyFailureRollsBackAndRecords(t *testing.T) {
	ctx := context.Background()
	b := openStore(t)
	mustApply(t, b, makePlan(t, b, loadSpec(t, baseHCL)), Options{})
	exec(t, b, `INSERT INTO page_meta (page_id, project_id, url, user_id) VALUES ('a', 'p', 'https://x', 'u'), ('b', 'p', 'https://x', 'u')`)

	// A new column and a unique index the existing rows break.
	v2 := strings.Replace(baseHCL, `index "by_project_status"`, `index "by_url" {
      columns = ["url"]
      unique  = true
    }
    index "by_project_status"`, 1)
	v2 = strings.Replace(v2, `sync_fields = ["project_id", "url", "title", "status"]`, `sync_fields = ["project_id", "url", "title", "status", "rank"]`, 1)
	v2 = strings.Replace(v2, `field "title" { type = string }`, `field "title" { type = string }
  field "rank" { type = integer }`, 1)
	p := makePlan(t, b, loadSpec(t, v2))
	// This test is about one batch rolling back: without the backfill step
	// between them (its rows have no KV objects anyway), the column and
	// the index share a batch.
	p.Steps = slices.DeleteFunc(p.Steps, func(s planner.Step) bool { return s.Action == planner.Backfill })
	want := []string{"add_column page_meta.rank", "create_index page_meta_by_url"}
	var got []string
	for _, s := range p.Steps {
		got = append(got, s.Action.String()+" "+s.Target)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("plan steps (-want +got):\n%s", diff)
	}

	r, err := Apply(ctx, b, p, Options{})
	var se *StepError
	if !errors.As(err, &se) || se.Index != 1 || se.Step.Target != "page_meta_by_url" || !strings.Contains(se.SQL, "CREATE UNIQUE INDEX") {
		t.Fatalf("Apply = %v, want a StepError for step 2", err)
	}
	if !errors.Is(err, backend.ErrConstraint) {
		t.Errorf("error does not wrap the backend's constraint error: %v", err)
	}
	if r == nil || r.Outcome != state.OutcomeFailed || r.Steps[0].Outcome != StepNotRun || r.Steps[1].Outcome != StepFailed {
		t.Errorf("report = %+v", r)
	}
	live, _ := backend.Inspect(ctx, b.D1(), b.KV())
	if live.Table("page_meta").Column("rank") != nil {
		t.Errorf("the column of the failed batch was not rolled back")
	}
	hist, err := History(ctx, b.D1(), 1)
	if err != nil || len(hist) != 1 {
		t.Fatalf("History = %v, %v", hist, err)
	}
	h := hist[0]
	if h.Outcome != state.OutcomeFailed || h.FailedStep != 1 || !strings.Contains(h.Error, "page_meta_by_url") || h.FingerprintAfter != p.Fingerprint {
		t.Errorf("failed history row = %+v", h)
	}
}

func TestApplyFailureInLaterBatchKeepsEarlierBatches(t *testing.T) {
	ctx := context.Background()
	b := openStore(t)
	spec := loadSpec(t, baseHCL)
	p := makePlan(t, b, spec)
	// Break the last step; with one statement per batch, the steps before
	// it are committed and stay.
	last := len(p.Steps) - 1
	p.Steps[last].SQL = []string{`CREATE INDEX "x" ON "missing_table" ("a")`}
	r, err := Apply(ctx, b, p, Options{MaxBatchStatements: 1})
	var se *StepError
	if !errors.As(err, &se) || se.Index != last {
		t.Fatalf("Apply = %v", err)
	}
	if r.Batches < 4 || r.Steps[1].Outcome != StepApplied || r.Steps[last].Outcome != StepFailed {
		t.Errorf("report = %+v", r)
	}
	live, _ := backend.Inspect(ctx, b.D1(), b.KV())
	if live.Table("note") == nil || live.Table("page_meta") == nil {
		t.Errorf("earlier batches were lost: %+v", live.Tables)
	}
	hist, _ := History(ctx, b.D1(), 0)
	if len(hist) != 1 || hist[0].FailedStep != last || hist[0].FingerprintAfter != state.Fingerprint(live) {
		t.Errorf("history = %+v", hist)
	}
	// The next plan picks up what is left.
	next := makePlan(t, b, spec)
	if len(next.Steps) != 1 || next.Steps[0].Action != planner.CreateIndex {
		t.Errorf("next plan = %+v", next.Steps)
	}
	mustApply(t, b, next, Options{})
}

func TestApplyNamespaceFailure(t *testing.T) {
	ctx := context.Background()
	b := openStore(t)
	p := makePlan(t, b, loadSpec(t, baseHCL))
	_, err := Apply(ctx, kvDown{b}, p, Options{})
	var se *StepError
	if !errors.As(err, &se) || se.Step.Action != planner.CreateNamespace || !errors.Is(err, errKVDown) {
		t.Fatalf("Apply = %v", err)
	}
	live, _ := backend.Inspect(ctx, b.D1(), b.KV())
	if len(live.Tables) != 0 {
		t.Errorf("SQL ran after the namespace failed")
	}
	hist, _ := History(ctx, b.D1(), 0)
	if len(hist) != 1 || hist[0].Outcome != state.OutcomeFailed || hist[0].FailedStep != 0 {
		t.Errorf("history = %+v", hist)
	}
}

func TestApplyAddsNotNullColumnWithDefaultToTableWithRows(t *testing.T) {
	ctx := context.Background()
	b := openStore(t)
	mustApply(t, b, makePlan(t, b, loadSpec(t, baseHCL)), Options{})
	exec(t, b, `INSERT INTO page_meta (page_id, project_id, url, user_id) VALUES ('a', 'p', 'https://x', 'u')`)

	v2 := strings.Replace(baseHCL, `field "title" { type = string }`, `field "title" { type = string }
  field "priority" {
    type     = integer
    required = true
    default  = 3
  }`, 1)
	v2 = strings.Replace(v2, `"title", "status"]`, `"title", "status", "priority"]`, 1)
	spec := loadSpec(t, v2)
	p := makePlan(t, b, spec)
	if len(p.Steps) != 2 || p.Steps[0].SQL[0] != `ALTER TABLE "page_meta" ADD COLUMN "priority" INTEGER NOT NULL DEFAULT 3` ||
		p.Steps[1].Action != planner.Backfill {
		t.Fatalf("plan = %+v", p.Steps)
	}
	r := mustApply(t, b, p, Options{Backfiller: &stubBackfiller{}})
	if diff := cmp.Diff([]string{"page_meta.priority"}, r.ColumnsAdded); diff != "" {
		t.Errorf("columns added (-want +got):\n%s", diff)
	}
	res, err := b.D1().Query(ctx, backend.Stmt{SQL: `SELECT priority FROM page_meta WHERE page_id = 'a'`})
	if err != nil || len(res.Rows) != 1 || res.Rows[0][0] != int64(3) {
		t.Errorf("existing row's priority = %v, %v", res, err)
	}
	if again := makePlan(t, b, spec); len(again.Steps) != 0 {
		t.Errorf("plan after apply = %+v", again.Steps)
	}
}

func TestHistoryOfFreshDatabase(t *testing.T) {
	b := openStore(t)
	hist, err := History(context.Background(), b.D1(), 10)
	if err != nil || len(hist) != 0 {
		t.Errorf("History = %v, %v", hist, err)
	}
}

func TestHistoryNewestFirst(t *testing.T) {
	ctx := context.Background()
	b := openStore(t)
	p1 := makePlan(t, b, loadSpec(t, baseHCL))
	mustApply(t, b, p1, Options{})
	v2 := strings.Replace(baseHCL, `d1 { sync_fields = ["body"] }`, `d1 {
    sync_fields = ["body"]
    index "by_body" { columns = ["body"] }
  }`, 1)
	p2 := makePlan(t, b, loadSpec(t, v2))
	mustApply(t, b, p2, Options{})
	all, err := History(ctx, b.D1(), 0)
	if err != nil || len(all) != 2 || all[0].PlanID != p2.ID || all[1].PlanID != p1.ID || all[0].ID <= all[1].ID {
		t.Fatalf("History = %+v, %v", all, err)
	}
	one, _ := History(ctx, b.D1(), 1)
	if len(one) != 1 || one[0].PlanID != p2.ID {
		t.Errorf("History(limit 1) = %+v", one)
	}
}

// TestApplyDefaultsRoundTrip applies every kind of default and checks that
// the inspected schema is exactly the one planned, so planning again finds
// nothing to do and no default "differs".
func TestApplyDefaultsRoundTrip(t *testing.T) {
	ctx := context.Background()
	b := openStore(t)
	spec := loadSpec(t, `
model "THING" {
  field "label" {
    type    = string
    default = "it's \"quoted\""
  }
  field "count" {
    type     = integer
    required = true
    default  = -3
  }
  field "ratio" {
    type    = number
    default = 0.25
  }
  field "big" {
    type    = number
    default = 1e21
  }
  field "enabled" {
    type    = boolean
    default = false
  }
  field "meta" {
    type    = json
    default = { b = [1, 2], a = "x'y" }
  }
  field "tags" {
    type    = array
    default = ["a", "b"]
  }
  field "seen" {
    type    = timestamp
    default = "2026-01-01T00:00:00.000Z"
  }
  kv { namespace = "THINGS" }
  d1 { sync_fields = ["label", "count", "ratio", "big", "enabled", "meta", "tags", "seen"] }
}
`)
	p := makePlan(t, b, spec)
	mustApply(t, b, p, Options{})
	live, err := backend.Inspect(ctx, b.D1(), b.KV())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(planner.Desired(spec, "local").Tables[0].Columns, live.Table("thing").Columns); diff != "" {
		t.Errorf("inspected columns differ from the desired ones (-want +got):\n%s", diff)
	}
	if state.Fingerprint(live) != p.FingerprintAfter {
		t.Errorf("live fingerprint differs from the plan's FingerprintAfter")
	}
	again := planner.Diff(spec, "local", live)
	if len(again.Steps) != 0 || len(again.Notes) != 0 {
		t.Errorf("plan after apply: %+v %+v", again.Steps, again.Notes)
	}
	// The defaults are what SQLite writes.
	exec(t, b, `INSERT INTO thing (thing_id, user_id) VALUES ('1', 'u')`)
	res, err := b.D1().Query(ctx, backend.Stmt{SQL: `SELECT label, count, ratio, enabled, meta, tags FROM thing`})
	if err != nil {
		t.Fatal(err)
	}
	want := []any{`it's "quoted"`, int64(-3), 0.25, int64(0), `{"a":"x'y","b":[1,2]}`, `["a","b"]`}
	if diff := cmp.Diff(want, res.Rows[0]); diff != "" {
		t.Errorf("row defaults (-want +got):\n%s", diff)
	}
}

// TestStaleness: only changes the plan depends on make it stale.
func TestStaleness(t *testing.T) {
	tests := []struct {
		name  string
		drift func(t *testing.T, b backend.Backend)
		stale bool
	}{
		{"nothing changed", func(*testing.T, backend.Backend) {}, false},
		{"namespace of another project", func(t *testing.T, b backend.Backend) {
			if _, err := b.KV().CreateNamespace(context.Background(), "other-local-CACHE"); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"rows written", func(t *testing.T, b backend.Backend) {
			exec(t, b, `INSERT INTO legacy (id) VALUES (1)`)
		}, false},
		{"declared namespace created by someone else", func(t *testing.T, b backend.Backend) {
			if _, err := b.KV().CreateNamespace(context.Background(), "shop-local-PAGES"); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"unmanaged table created", func(t *testing.T, b backend.Backend) {
			exec(t, b, `CREATE TABLE audit (id INTEGER)`)
		}, true},
		{"unmanaged column added", func(t *testing.T, b backend.Backend) {
			exec(t, b, `ALTER TABLE legacy ADD COLUMN note TEXT`)
		}, true},
		{"index created", func(t *testing.T, b backend.Backend) {
			exec(t, b, `CREATE INDEX legacy_id ON legacy (id)`)
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := openStore(t)
			exec(t, b, `CREATE TABLE legacy (id INTEGER)`)
			p := makePlan(t, b, loadSpec(t, baseHCL))
			tt.drift(t, b)
			_, err := Apply(context.Background(), b, p, Options{})
			if got := errors.Is(err, ErrStalePlan); got != tt.stale || (!tt.stale && err != nil) {
				t.Errorf("Apply = %v, want stale %v", err, tt.stale)
			}
		})
	}
}
