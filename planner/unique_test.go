package planner

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/state"
)

// projectWith is PROJECT with an optional nickname field and the given
// indexes instead of its own.
func projectWith(idx ...*hclspec.Index) *hclspec.Model {
	return newModel("PROJECT", "project", "project_id", "PROJECTS",
		[]*hclspec.Field{
			required(fld("name", hclspec.String)),
			withDefault(fld("active", hclspec.Boolean), true),
			fld("nickname", hclspec.String),
		},
		[]string{"name", "active", "nickname"},
		idx...,
	)
}

var ignoreSQL = cmpopts.IgnoreFields(Step{}, "SQL", "Rows")

func TestUniqueIndexDuplicates(t *testing.T) {
	byName := index("project", "by_name", true, "name")
	tests := []struct {
		name  string
		spec  *hclspec.Spec
		live  func(*state.Schema) // applied to liveOf(spec) without the declared indexes
		dups  map[string]bool
		probe []UniqueIndexProbe
		steps []Step // the plan's create_index and blocked steps
	}{
		{
			name:  "DM112 duplicates block the unique index",
			spec:  newSpec(projectWith(byName)),
			live:  func(s *state.Schema) { s.Table("project").HasRows = true },
			dups:  map[string]bool{"project_by_name": true},
			probe: []UniqueIndexProbe{{Index: "project_by_name", Table: "project", Columns: []string{"name"}}},
			steps: []Step{{Action: Blocked, Model: "PROJECT", Target: "project_by_name", Code: CodeUniqueDuplicates}},
		},
		{
			name:  "no duplicates: the index is created",
			spec:  newSpec(projectWith(byName)),
			live:  func(s *state.Schema) { s.Table("project").HasRows = true },
			dups:  map[string]bool{},
			probe: []UniqueIndexProbe{{Index: "project_by_name", Table: "project", Columns: []string{"name"}}},
			steps: []Step{{Action: CreateIndex, Model: "PROJECT", Target: "project_by_name", Safe: true}},
		},
		{
			name:  "empty table is not probed",
			spec:  newSpec(projectWith(byName)),
			live:  func(s *state.Schema) {},
			dups:  map[string]bool{"project_by_name": true},
			steps: []Step{{Action: CreateIndex, Model: "PROJECT", Target: "project_by_name", Safe: true}},
		},
		{
			name:  "plain index is not probed",
			spec:  newSpec(projectWith(index("project", "by_name", false, "name"))),
			live:  func(s *state.Schema) { s.Table("project").HasRows = true },
			steps: []Step{{Action: CreateIndex, Model: "PROJECT", Target: "project_by_name", Safe: true}},
		},
		{
			name: "DM113 a column the plan adds and backfills, with a default",
			spec: newSpec(projectWith(index("project", "by_name_active", true, "name", "active"))),
			live: func(s *state.Schema) {
				dropColumn(s.Table("project"), "active")
				s.Table("project").HasRows = true
			},
			dups:  map[string]bool{"project_by_name_active": true},
			steps: []Step{{Action: Blocked, Model: "PROJECT", Target: "project_by_name_active", Code: CodeUniqueOnBackfill}},
		},
		{
			name: "DM113 a column the plan adds and backfills, without a default",
			spec: newSpec(projectWith(index("project", "by_nickname", true, "nickname"))),
			live: func(s *state.Schema) {
				dropColumn(s.Table("project"), "nickname")
				s.Table("project").HasRows = true
			},
			steps: []Step{{Action: Blocked, Model: "PROJECT", Target: "project_by_nickname", Code: CodeUniqueOnBackfill}},
		},
		{
			name: "a column added to an empty table: nothing to fill, the index is created",
			spec: newSpec(projectWith(index("project", "by_nickname", true, "nickname"))),
			live: func(s *state.Schema) {
				dropColumn(s.Table("project"), "nickname")
			},
			steps: []Step{{Action: CreateIndex, Model: "PROJECT", Target: "project_by_nickname", Safe: true}},
		},
		{
			name: "a plain index on a backfilled column is created",
			spec: newSpec(projectWith(index("project", "by_nickname", false, "nickname"))),
			live: func(s *state.Schema) {
				dropColumn(s.Table("project"), "nickname")
				s.Table("project").HasRows = true
			},
			steps: []Step{{Action: CreateIndex, Model: "PROJECT", Target: "project_by_nickname", Safe: true}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live := liveOf(tt.spec)
			for _, tb := range live.Tables {
				tb.Indexes = nil
			}
			tt.live(live)
			if diff := cmp.Diff(tt.probe, UniqueIndexProbes(tt.spec, "local", live)); diff != "" {
				t.Errorf("probes (-want +got):\n%s", diff)
			}
			p := Diff(tt.spec, "local", live, WithUniqueViolations(tt.dups))
			var got []Step
			for _, s := range p.Steps {
				if s.Action == CreateIndex || s.Action == Blocked {
					got = append(got, s)
				}
			}
			if diff := cmp.Diff(tt.steps, got, ignoreProse, ignoreSQL); diff != "" {
				t.Errorf("steps (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUniqueIndexDuplicatesExplains(t *testing.T) {
	spec := newSpec(projectWith(index("project", "by_name", true, "name")))
	live := liveOf(spec)
	live.Table("project").Indexes = nil
	live.Table("project").HasRows = true
	p := Diff(spec, "local", live, WithUniqueViolations(map[string]bool{"project_by_name": true}))
	b := p.Blocked()
	if len(b) != 1 {
		t.Fatalf("blocked = %+v, want one step", b)
	}
	want := Step{
		Action: Blocked, Model: "PROJECT", Target: "project_by_name", Code: CodeUniqueDuplicates,
		Reason: "unique index project_by_name on project(name) cannot be created: the table holds duplicate values",
		Hint:   `find them with SELECT "name", COUNT(*) FROM "project" GROUP BY "name" HAVING COUNT(*) > 1, fix the records through the runtime, then apply`,
	}
	if diff := cmp.Diff(want, b[0]); diff != "" {
		t.Errorf("blocked step (-want +got):\n%s", diff)
	}
	if p.HasChanges() {
		t.Errorf("plan has changes: %+v", p.Steps)
	}
}

// A unique index on a column whose backfill an interrupted apply left is
// blocked too: the plan resumes the backfill, so the live values (NULL in
// the rows not reached yet) say nothing about duplicates.
func TestUniqueIndexOnResumedBackfill(t *testing.T) {
	spec := newSpec(projectWith(index("project", "by_nickname", true, "nickname")))
	live := liveOf(spec)
	for _, tb := range live.Tables {
		tb.Indexes = nil
	}
	live.Table("project").HasRows = true
	pending := []PendingBackfill{{Target: "project.nickname", Model: "PROJECT", RunID: "r1", Done: 10}}
	p := Diff(spec, "local", live, WithPendingBackfills(pending), WithUniqueViolations(map[string]bool{}))
	var got []Step
	for _, s := range p.Steps {
		if s.Action == CreateIndex || s.Action == Blocked || s.Action == Backfill {
			got = append(got, s)
		}
	}
	want := []Step{
		{Action: Backfill, Model: "PROJECT", Target: "project.nickname", Safe: true},
		{Action: Blocked, Model: "PROJECT", Target: "project_by_nickname", Code: CodeUniqueOnBackfill},
	}
	if diff := cmp.Diff(want, got, ignoreProse, ignoreSQL); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	// Another table's pending backfill changes nothing.
	pending[0].Target = "other.nickname"
	if p := Diff(spec, "local", live, WithPendingBackfills(pending), WithUniqueViolations(map[string]bool{})); len(p.Blocked()) != 0 {
		t.Errorf("blocked: %v", p.Blocked())
	}
}
