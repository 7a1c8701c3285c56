package planner

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/state"
)

// ignoreProse compares steps on what they do; reasons and hints are
// checked separately by TestDiffExplains.
var ignoreProse = cmpopts.IgnoreFields(Step{}, "Reason", "Hint", "Rows") // Rows: see estimate_test.go

func TestDiffFreshDatabase(t *testing.T) {
	p := Diff(newSpec(pageModel()), "local", &state.Schema{})
	want := []Step{
		{Action: CreateNamespace, Model: "PAGE", Target: "nimbus-local-PAGES", Safe: true,
			Reason: "model PAGE keeps records in KV namespace PAGES"},
		{Action: CreateTable, Model: "PAGE", Target: "page_meta", Safe: true,
			Reason: "model PAGE syncs 10 fields to D1 table page_meta, which does not exist yet",
			SQL:    []string{`CREATE TABLE "page_meta" ("page_id" TEXT PRIMARY KEY NOT NULL, "project_id" TEXT NOT NULL, "url" TEXT NOT NULL, "title" TEXT, "status" TEXT DEFAULT 'pending', "last_processed" TEXT, "user_id" TEXT, "created_at" TEXT, "updated_at" TEXT, "deleted_at" TEXT)`}},
		{Action: CreateIndex, Model: "PAGE", Target: "page_meta_by_project_status", Safe: true,
			Reason: "model PAGE declares index by_project_status on page_meta(project_id, status)",
			SQL:    []string{`CREATE INDEX "page_meta_by_project_status" ON "page_meta" ("project_id", "status")`}},
	}
	if diff := cmp.Diff(want, p.Steps); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	if p.FormatVersion != FormatVersion || p.ID == "" || p.CreatedAt.IsZero() {
		t.Errorf("plan header = %q %q %v", p.FormatVersion, p.ID, p.CreatedAt)
	}
	if diff := cmp.Diff([]string{"nimbus-local-PAGES"}, p.NamespaceScope); diff != "" {
		t.Errorf("NamespaceScope (-want +got):\n%s", diff)
	}
	if p.Fingerprint != state.Fingerprint(&state.Schema{}) {
		t.Errorf("Fingerprint is not the live schema's")
	}
	if want := state.Fingerprint(Desired(newSpec(pageModel()), "local")); p.FingerprintAfter != want {
		t.Errorf("FingerprintAfter = %s, want the desired schema's %s", p.FingerprintAfter, want)
	}
}

func TestDiff(t *testing.T) {
	tests := []struct {
		name  string
		spec  *hclspec.Spec
		live  func(s *state.Schema) // edits the schema of a fresh apply
		steps []Step
		notes []string // "CODE target"
	}{
		{
			name: "in sync",
			spec: newSpec(pageModel(), projectModel()),
			live: func(*state.Schema) {},
		},
		{
			name: "field added to sync_fields",
			spec: newSpec(pageModel()),
			live: func(s *state.Schema) { dropColumn(s.Table("page_meta"), "title") },
			steps: []Step{{Action: AddColumn, Model: "PAGE", Target: "page_meta.title", Safe: true,
				SQL: []string{`ALTER TABLE "page_meta" ADD COLUMN "title" TEXT`}}},
		},
		{
			name: "built-in field and column with default",
			spec: newSpec(projectModel()),
			live: func(s *state.Schema) {
				dropColumn(s.Table("project"), "active")
				dropColumn(s.Table("project"), "deleted_at")
				s.Table("project").HasRows = true
			},
			steps: []Step{
				{Action: AddColumn, Model: "PROJECT", Target: "project.active", Safe: true,
					SQL: []string{`ALTER TABLE "project" ADD COLUMN "active" INTEGER DEFAULT 1`}},
				{Action: AddColumn, Model: "PROJECT", Target: "project.deleted_at", Safe: true,
					SQL: []string{`ALTER TABLE "project" ADD COLUMN "deleted_at" TEXT`}},
				{Action: Backfill, Model: "PROJECT", Target: "project.active,deleted_at", Safe: true},
			},
		},
		{
			name: "required field with default on table with rows",
			spec: newSpec(newModel("TASK", "task", "task_id", "TASKS",
				[]*hclspec.Field{required(withDefault(fld("state", hclspec.String), "open"))}, []string{"state"})),
			live: func(s *state.Schema) { dropColumn(s.Table("task"), "state"); s.Table("task").HasRows = true },
			steps: []Step{{Action: AddColumn, Model: "TASK", Target: "task.state", Safe: true,
				SQL: []string{`ALTER TABLE "task" ADD COLUMN "state" TEXT NOT NULL DEFAULT 'open'`}},
				{Action: Backfill, Model: "TASK", Target: "task.state", Safe: true}},
		},
		{
			name: "new index on existing table, after its new column",
			spec: newSpec(pageModel()),
			live: func(s *state.Schema) {
				tb := s.Table("page_meta")
				dropColumn(tb, "status")
				tb.Indexes = nil
			},
			steps: []Step{
				{Action: AddColumn, Model: "PAGE", Target: "page_meta.status", Safe: true,
					SQL: []string{`ALTER TABLE "page_meta" ADD COLUMN "status" TEXT DEFAULT 'pending'`}},
				{Action: CreateIndex, Model: "PAGE", Target: "page_meta_by_project_status", Safe: true,
					SQL: []string{`CREATE INDEX "page_meta_by_project_status" ON "page_meta" ("project_id", "status")`}},
			},
		},
		{
			name:  "missing namespace only",
			spec:  newSpec(pageModel()),
			live:  func(s *state.Schema) { s.Namespaces = nil },
			steps: []Step{{Action: CreateNamespace, Model: "PAGE", Target: "nimbus-local-PAGES", Safe: true}},
		},
		{
			name:  "DM101 type change",
			spec:  newSpec(pageModel()),
			live:  func(s *state.Schema) { s.Table("page_meta").Column("status").Type = "INTEGER" },
			steps: []Step{{Action: Blocked, Model: "PAGE", Target: "page_meta.status", Code: CodeTypeChange}},
		},
		{
			name: "field taken out of sync_fields: its column is a note, like a deleted field's",
			spec: newSpec(pageModel()),
			live: func(s *state.Schema) {
				s.Table("page_meta").Columns = append(s.Table("page_meta").Columns, &state.Column{Name: "content", Type: "TEXT"})
			},
			notes: []string{"DM202 page_meta.content"},
		},
		{
			name: "field taken out of sync_fields with a NOT NULL column blocks like a deleted field's (DM111)",
			spec: newSpec(pageModel()),
			live: func(s *state.Schema) {
				s.Table("page_meta").Columns = append(s.Table("page_meta").Columns, &state.Column{Name: "content", Type: "TEXT", NotNull: true})
			},
			steps: []Step{{Action: Blocked, Model: "PAGE", Target: "page_meta.content", Code: CodeUnmanagedNotNull}},
		},
		{
			name: "DM111 unmanaged NOT NULL column without a default",
			spec: newSpec(pageModel()),
			live: func(s *state.Schema) {
				tb := s.Table("page_meta")
				tb.Columns = append(tb.Columns,
					&state.Column{Name: "qty", Type: "INTEGER", NotNull: true},
					&state.Column{Name: "rank", Type: "INTEGER", NotNull: true, Default: "0"},
					&state.Column{Name: "old_note", Type: "TEXT", NotNull: true, Default: "NULL"})
			},
			steps: []Step{
				{Action: Blocked, Model: "PAGE", Target: "page_meta.qty", Code: CodeUnmanagedNotNull},
				{Action: Blocked, Model: "PAGE", Target: "page_meta.old_note", Code: CodeUnmanagedNotNull},
			},
			notes: []string{"DM202 page_meta.rank"},
		},
		{
			name:  "DM103 required without default on table with rows",
			spec:  newSpec(pageModel()),
			live:  func(s *state.Schema) { dropColumn(s.Table("page_meta"), "url"); s.Table("page_meta").HasRows = true },
			steps: []Step{{Action: Blocked, Model: "PAGE", Target: "page_meta.url", Code: CodeNotNullNoDefault}},
		},
		{
			name:  "DM103 required without default on empty table",
			spec:  newSpec(pageModel()),
			live:  func(s *state.Schema) { dropColumn(s.Table("page_meta"), "url") },
			steps: []Step{{Action: Blocked, Model: "PAGE", Target: "page_meta.url", Code: CodeNotNullNoDefault}},
		},
		{
			name: "DM104 primary key change",
			spec: newSpec(pageModel()),
			live: func(s *state.Schema) {
				tb := s.Table("page_meta")
				tb.Column("page_id").PK = false
				tb.Columns = append([]*state.Column{{Name: "id", Type: "INTEGER", PK: true}}, tb.Columns...)
			},
			// The live key column id is named by DM104, not noted again.
			steps: []Step{{Action: Blocked, Model: "PAGE", Target: "page_meta", Code: CodePrimaryKeyChange}},
		},
		{
			name:  "DM104 primary key column missing",
			spec:  newSpec(pageModel()),
			live:  func(s *state.Schema) { dropColumn(s.Table("page_meta"), "page_id") },
			steps: []Step{{Action: Blocked, Model: "PAGE", Target: "page_meta", Code: CodePrimaryKeyChange}},
		},
		{
			name:  "DM105 index definition changed",
			spec:  newSpec(pageModel()),
			live:  func(s *state.Schema) { s.Table("page_meta").Indexes[0].Columns = []string{"project_id"} },
			steps: []Step{{Action: Blocked, Model: "PAGE", Target: "page_meta_by_project_status", Code: CodeIndexChanged}},
		},
		{
			name:  "DM105 index uniqueness changed",
			spec:  newSpec(projectModel()),
			live:  func(s *state.Schema) { s.Table("project").Indexes[0].Unique = false },
			steps: []Step{{Action: Blocked, Model: "PROJECT", Target: "project_by_name", Code: CodeIndexChanged}},
		},
		{
			name:  "DM105 index columns in another order",
			spec:  newSpec(pageModel()),
			live:  func(s *state.Schema) { s.Table("page_meta").Indexes[0].Columns = []string{"status", "project_id"} },
			steps: []Step{{Action: Blocked, Model: "PAGE", Target: "page_meta_by_project_status", Code: CodeIndexChanged}},
		},
		{
			name:  "DM114 index made partial by hand",
			spec:  newSpec(pageModel()),
			live:  func(s *state.Schema) { s.Table("page_meta").Indexes[0].Where = "deleted_at IS NULL" },
			steps: []Step{{Action: Blocked, Model: "PAGE", Target: "page_meta_by_project_status", Code: CodeIndexDefinition}},
		},
		{
			name: "DM114 index key with a collation",
			spec: newSpec(pageModel()),
			live: func(s *state.Schema) {
				s.Table("page_meta").Indexes[0].Keys = []state.IndexKey{{}, {Collate: "NOCASE"}}
			},
			steps: []Step{{Action: Blocked, Model: "PAGE", Target: "page_meta_by_project_status", Code: CodeIndexDefinition}},
		},
		{
			name:  "DM114 index key descending",
			spec:  newSpec(pageModel()),
			live:  func(s *state.Schema) { s.Table("page_meta").Indexes[0].Keys = []state.IndexKey{{Desc: true}, {}} },
			steps: []Step{{Action: Blocked, Model: "PAGE", Target: "page_meta_by_project_status", Code: CodeIndexDefinition}},
		},
		{
			name: "DM114 expression key",
			spec: newSpec(pageModel()),
			live: func(s *state.Schema) {
				ix := s.Table("page_meta").Indexes[0]
				ix.Columns = []string{"project_id", "<expr>"}
				ix.Keys = []state.IndexKey{{}, {Expr: "lower(status)"}}
			},
			steps: []Step{{Action: Blocked, Model: "PAGE", Target: "page_meta_by_project_status", Code: CodeIndexDefinition}},
		},
		{
			name:  "plain keys spelled out are no change",
			spec:  newSpec(pageModel()),
			live:  func(s *state.Schema) { s.Table("page_meta").Indexes[0].Keys = []state.IndexKey{{}, {}} },
			steps: nil,
		},
		{
			name: "DM106 too many columns on an existing table",
			spec: newSpec(wideModel(95)),
			live: func(s *state.Schema) {
				tb := s.Table("wide")
				for i := 0; i < 10; i++ {
					tb.Columns = append(tb.Columns, &state.Column{Name: "legacy_" + string(rune('a'+i)), Type: "TEXT"})
				}
				dropColumn(tb, "f1")
			},
			steps: []Step{{Action: Blocked, Model: "WIDE", Target: "wide", Code: CodeTooManyColumns}},
			notes: []string{"DM202 wide.legacy_a", "DM202 wide.legacy_b", "DM202 wide.legacy_c", "DM202 wide.legacy_d",
				"DM202 wide.legacy_e", "DM202 wide.legacy_f", "DM202 wide.legacy_g", "DM202 wide.legacy_h",
				"DM202 wide.legacy_i", "DM202 wide.legacy_j"},
		},
		{
			name:  "DM106 too many columns in a new table",
			spec:  newSpec(wideModel(97)),
			live:  func(s *state.Schema) { s.Tables = nil },
			steps: []Step{{Action: Blocked, Model: "WIDE", Target: "wide", Code: CodeTooManyColumns}},
		},
		{
			name:  "DM107 field became required",
			spec:  newSpec(pageModel()),
			live:  func(s *state.Schema) { s.Table("page_meta").Column("url").NotNull = false },
			steps: []Step{{Action: Blocked, Model: "PAGE", Target: "page_meta.url", Code: CodeNullabilityChange}},
		},
		{
			name:  "DM107 field became optional",
			spec:  newSpec(pageModel()),
			live:  func(s *state.Schema) { s.Table("page_meta").Column("title").NotNull = true },
			steps: []Step{{Action: Blocked, Model: "PAGE", Target: "page_meta.title", Code: CodeNullabilityChange}},
		},
		{
			name: "DM108 index needs a blocked column",
			spec: newSpec(newModel("TASK", "task", "task_id", "TASKS",
				[]*hclspec.Field{required(fld("owner", hclspec.String))}, []string{"owner"},
				index("task", "by_owner", false, "owner"))),
			live: func(s *state.Schema) { tb := s.Table("task"); dropColumn(tb, "owner"); tb.Indexes = nil },
			steps: []Step{
				{Action: Blocked, Model: "TASK", Target: "task.owner", Code: CodeNotNullNoDefault},
				{Action: Blocked, Model: "TASK", Target: "task_by_owner", Code: CodeIndexNeedsColumn},
			},
		},
		{
			name:  "DM110 two models share a table",
			spec:  newSpec(pageModel(), newModel("PAGE2", "page_meta", "page_id", "PAGES", nil, nil)),
			live:  func(*state.Schema) {},
			steps: []Step{{Action: Blocked, Model: "PAGE2", Target: "page_meta", Code: CodeDuplicateTable}},
		},
		{
			name: "notes: unmanaged table, column, index, default, type spelling; internal tables ignored",
			spec: newSpec(pageModel()),
			live: func(s *state.Schema) {
				tb := s.Table("page_meta")
				tb.Columns = append(tb.Columns, &state.Column{Name: "legacy", Type: "TEXT"})
				tb.Indexes = append(tb.Indexes, &state.Index{Name: "page_meta_by_url", Columns: []string{"url"}})
				tb.Column("status").Default = "'new'"
				tb.Column("title").Type = "VARCHAR(200)"
				s.Tables = append(s.Tables,
					&state.Table{Name: "audit_log"},
					&state.Table{Name: "_dmplan_history"},
					&state.Table{Name: "d1_migrations"},
					&state.Table{Name: "_cf_KV"})
			},
			notes: []string{"DM205 page_meta.title", "DM203 page_meta.status", "DM202 page_meta.legacy",
				"DM204 page_meta_by_url", "DM201 audit_log"},
		},
		{
			name: "two models share a namespace",
			spec: newSpec(pageModel(), newModel("NOTE", "note", "note_id", "PAGES", nil, nil)),
			live: func(s *state.Schema) { s.Namespaces = nil; s.Tables = nil },
			steps: []Step{
				{Action: CreateNamespace, Model: "NOTE", Target: "nimbus-local-PAGES", Safe: true},
				{Action: CreateTable, Model: "NOTE", Target: "note", Safe: true,
					SQL: []string{`CREATE TABLE "note" ("note_id" TEXT PRIMARY KEY NOT NULL, "user_id" TEXT, "created_at" TEXT, "updated_at" TEXT, "deleted_at" TEXT)`}},
				{Action: CreateTable, Model: "PAGE", Target: "page_meta", Safe: true,
					SQL: []string{`CREATE TABLE "page_meta" ("page_id" TEXT PRIMARY KEY NOT NULL, "project_id" TEXT NOT NULL, "url" TEXT NOT NULL, "title" TEXT, "status" TEXT DEFAULT 'pending', "last_processed" TEXT, "user_id" TEXT, "created_at" TEXT, "updated_at" TEXT, "deleted_at" TEXT)`}},
				{Action: CreateIndex, Model: "PAGE", Target: "page_meta_by_project_status", Safe: true,
					SQL: []string{`CREATE INDEX "page_meta_by_project_status" ON "page_meta" ("project_id", "status")`}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live := liveOf(tt.spec)
			tt.live(live)
			p := Diff(tt.spec, "local", live)
			if diff := cmp.Diff(tt.steps, p.Steps, ignoreProse, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("steps (-want +got):\n%s", diff)
			}
			var notes []string
			for _, n := range p.Notes {
				notes = append(notes, n.Code+" "+n.Target)
			}
			if diff := cmp.Diff(tt.notes, notes, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("notes (-want +got):\n%s", diff)
			}
			for _, s := range p.Steps {
				if s.Reason == "" {
					t.Errorf("step %s has no reason", s.Summary())
				}
				if s.Action == Blocked && (s.Hint == "" || s.Safe || len(s.SQL) > 0) {
					t.Errorf("blocked step %s: hint %q safe %v sql %v", s.Summary(), s.Hint, s.Safe, s.SQL)
				}
			}
			if len(p.Blocked()) == 0 && !p.HasChanges() && p.FingerprintAfter != p.Fingerprint {
				t.Errorf("no changes but FingerprintAfter differs from Fingerprint")
			}
		})
	}
}

// TestDiffExplains checks that reasons and hints name what a person needs.
func TestDiffExplains(t *testing.T) {
	tests := []struct {
		name string
		live func(s *state.Schema)
		want []string // substrings of "Reason; Hint" of the first step
	}{
		{"add column", func(s *state.Schema) { dropColumn(s.Table("page_meta"), "title") },
			[]string{"model PAGE declares field title in sync_fields"}},
		{"built-in", func(s *state.Schema) { dropColumn(s.Table("page_meta"), "created_at") },
			[]string{"model PAGE has the built-in field created_at (option timestamps)"}},
		{"DM101", func(s *state.Schema) { s.Table("page_meta").Column("status").Type = "INTEGER" },
			[]string{"PAGE.status", "page_meta.status", "from INTEGER to TEXT", "type string", "add a new synced field", "backfill", "switch readers",
				"remove status from the model; its column is kept"}},
		{"DM103", func(s *state.Schema) {
			dropColumn(s.Table("page_meta"), "url")
			s.Table("page_meta").HasRows, s.Table("page_meta").Rows = true, 12
		}, []string{"page_meta.url", "NOT NULL without a default", "12 rows", "give the field a default", "optional"}},
		{"DM111", func(s *state.Schema) {
			s.Table("page_meta").Columns = append(s.Table("page_meta").Columns, &state.Column{Name: "qty", Type: "INTEGER", NotNull: true})
		}, []string{"page_meta.qty", "no synced field of model PAGE", "NOT NULL without a default", "every new record would fail",
			"keep field qty in the model", `ALTER TABLE "page_meta" DROP COLUMN "qty"`, "once nothing reads it"}},
		{"DM104", func(s *state.Schema) { s.Table("page_meta").Column("page_id").PK = false },
			[]string{"primary key (page_id)", "no primary key", "a new d1.table", "refills it from the model's KV objects in the same plan",
				"drop table page_meta by hand once nothing reads it"}},
		{"DM105", func(s *state.Schema) { s.Table("page_meta").Indexes[0].Unique = true },
			[]string{"page_meta_by_project_status", "unique (project_id, status)", "new label", `DROP INDEX "page_meta_by_project_status"`}},
		{"DM114", func(s *state.Schema) {
			ix := s.Table("page_meta").Indexes[0]
			ix.Where, ix.Keys = "deleted_at IS NULL", []state.IndexKey{{Collate: "NOCASE"}, {Desc: true}}
		},
			[]string{"page_meta_by_project_status", "(project_id COLLATE NOCASE, status DESC) WHERE deleted_at IS NULL",
				"project_id is compared with COLLATE NOCASE in the live index, the column's collation in the declared one",
				"status is descending in the live index, ascending in the declared one",
				"the live index is partial (WHERE deleted_at IS NULL), the declared one covers every row",
				`DROP INDEX "page_meta_by_project_status"`, "new label"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := newSpec(pageModel())
			live := liveOf(spec)
			tt.live(live)
			p := Diff(spec, "local", live)
			if len(p.Steps) == 0 {
				t.Fatal("no steps")
			}
			text := p.Steps[0].Reason + "; " + p.Steps[0].Hint
			t.Log(p.Steps[0].Explain())
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("%q does not mention %q", text, w)
				}
			}
		})
	}
}

func TestDiffDeterministic(t *testing.T) {
	spec := newSpec(pageModel(), projectModel(), newModel("NOTE", "note", "note_id", "PAGES", nil, nil))
	live := liveOf(spec)
	dropColumn(live.Table("page_meta"), "title")
	live.Table("project").Indexes = nil
	live.Tables = append(live.Tables, &state.Table{Name: "zeta"}, &state.Table{Name: "alpha"})
	shuffled := live.Clone()
	for i, j := 0, len(shuffled.Tables)-1; i < j; i, j = i+1, j-1 {
		shuffled.Tables[i], shuffled.Tables[j] = shuffled.Tables[j], shuffled.Tables[i]
	}
	at := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	a := mustJSON(t, Diff(spec, "local", live, WithID("x"), WithTime(at)))
	b := mustJSON(t, Diff(spec, "local", shuffled, WithID("x"), WithTime(at)))
	if a != b {
		t.Errorf("plans differ:\n%s\n%s", a, b)
	}
	p1, p2 := Diff(spec, "local", live), Diff(spec, "local", live)
	if p1.ID == p2.ID {
		t.Errorf("two plans share the id %s", p1.ID)
	}
}

func TestDiffAfterApplyIsEmpty(t *testing.T) {
	spec := newSpec(pageModel(), projectModel())
	live := liveOf(spec)
	dropColumn(live.Table("page_meta"), "title")
	p := Diff(spec, "local", live)
	// The expected after-schema, planned against again, has no steps.
	after := live.Clone()
	after.Table("page_meta").Columns = append(after.Table("page_meta").Columns, &state.Column{Name: "title", Type: "TEXT"})
	if got := state.Fingerprint(after); got != p.FingerprintAfter {
		t.Errorf("FingerprintAfter = %s, want %s", p.FingerprintAfter, got)
	}
	if again := Diff(spec, "local", after); len(again.Steps) != 0 {
		t.Errorf("second plan has steps: %v", again.Steps)
	}
}

func TestPlanJSONRoundTrip(t *testing.T) {
	p := Diff(newSpec(pageModel()), "local", nil)
	var back Plan
	if err := json.Unmarshal([]byte(mustJSON(t, p)), &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, &back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func dropColumn(t *state.Table, name string) {
	for i, c := range t.Columns {
		if c.Name == name {
			t.Columns = append(t.Columns[:i], t.Columns[i+1:]...)
			return
		}
	}
	panic("no column " + name)
}

// wideModel has n declared synced fields f0..f(n-1), plus the primary key
// and four built-ins.
func wideModel(n int) *hclspec.Model {
	var fs []*hclspec.Field
	var sync []string
	for i := 0; i < n; i++ {
		name := "f" + itoa(i)
		fs = append(fs, fld(name, hclspec.String))
		sync = append(sync, name)
	}
	return newModel("WIDE", "wide", "wide_id", "WIDE", fs, sync)
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestDiffTooManyColumnsHint: when kept columns no field maps to push a
// table over D1's 100 columns, the DM106 hint offers to drop them, not
// only to sync fewer fields.
func TestDiffTooManyColumnsHint(t *testing.T) {
	spec := newSpec(wideModel(95))
	live := liveOf(spec)
	tb := live.Table("wide")
	for i := 0; i < 10; i++ {
		tb.Columns = append(tb.Columns, &state.Column{Name: "legacy_" + string(rune('a'+i)), Type: "TEXT"})
	}
	dropColumn(tb, "f1")
	p := Diff(spec, "local", live)
	var hint string
	for _, s := range p.Steps {
		if s.Code == CodeTooManyColumns {
			hint = s.Hint
		}
	}
	for _, w := range []string{"sync fewer fields", "10 columns of table wide that no synced field maps to (notes DM202)",
		`ALTER TABLE "wide" DROP COLUMN "legacy_a"`, "once nothing reads them"} {
		if !strings.Contains(hint, w) {
			t.Errorf("DM106 hint %q does not mention %q", hint, w)
		}
	}
}

// TestDiffIndexNameTaken: SQLite keeps table and index names in one
// namespace, so a declared index whose name a live index of another table
// (or a table) holds is blocked, never planned to fail at apply.
func TestDiffIndexNameTaken(t *testing.T) {
	spec := newSpec(pageModel(), projectModel())
	tests := []struct {
		name   string
		live   func(s *state.Schema)
		holder string
	}{
		{"index on another table", func(s *state.Schema) {
			page := s.Table("page_meta")
			ix := page.Indexes[0]
			page.Indexes = page.Indexes[1:]
			s.Table("project").Indexes = append(s.Table("project").Indexes, &state.Index{Name: ix.Name, Columns: []string{"name"}})
		}, "an index on table project"},
		{"a table, new table's index", func(s *state.Schema) {
			name := s.Table("page_meta").Indexes[0].Name
			var keep []*state.Table
			for _, tb := range s.Tables {
				if tb.Name != "page_meta" {
					keep = append(keep, tb)
				}
			}
			s.Tables = append(keep, &state.Table{Name: name, Columns: []*state.Column{{Name: "x", Type: "TEXT"}}})
		}, "a table"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live := liveOf(spec)
			tt.live(live)
			p := Diff(spec, "local", live)
			var found bool
			for _, s := range p.Steps {
				if s.Action == CreateIndex && s.Target == "page_meta_by_project_status" {
					t.Errorf("planned %s, which would fail at apply", s.Summary())
				}
				if s.Action == Blocked && s.Target == "page_meta_by_project_status" {
					found = true
					if s.Code != CodeIndexChanged || !strings.Contains(s.Reason, "is taken by "+tt.holder) || !strings.Contains(s.Hint, "new label") {
						t.Errorf("blocked step: %s; %s; %s", s.Code, s.Reason, s.Hint)
					}
				}
			}
			if !found {
				t.Errorf("no blocked step for the taken name; steps: %v", p.Steps)
			}
		})
	}
}

// TestDiffTableNameTaken: a table to create whose name a live index holds
// is blocked (DM115), never planned to fail at apply.
func TestDiffTableNameTaken(t *testing.T) {
	spec := newSpec(pageModel(), projectModel())
	live := liveOf(spec)
	var keep []*state.Table
	for _, tb := range live.Tables {
		if tb.Name != "page_meta" {
			keep = append(keep, tb)
		}
	}
	live.Tables = keep
	live.Table("project").Indexes = append(live.Table("project").Indexes, &state.Index{Name: "page_meta", Columns: []string{"name"}})
	p := Diff(spec, "local", live)
	var found bool
	for _, s := range p.Steps {
		if s.Action == CreateTable && s.Target == "page_meta" {
			t.Errorf("planned %s, which would fail at apply", s.Summary())
		}
		if s.Action == Blocked && s.Target == "page_meta" && s.Code == CodeTableNameTaken {
			found = strings.Contains(s.Reason, "taken by an index on table project") && strings.Contains(s.Hint, "another d1.table")
		}
	}
	if !found {
		t.Errorf("no DM115 step; steps: %v", p.Steps)
	}
}
