package view

import (
	"bytes"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/planner"
)

const wantHuman = `Target: environment local · backend local · database .dmplan/d1.sqlite

PAGE
  + create namespace nimbus-local-PAGES
  + create table page_meta
      CREATE TABLE "page_meta" (
        "page_id" TEXT PRIMARY KEY NOT NULL,
        "status" TEXT DEFAULT 'a, b'
      )

USER
  ~ add column users.nickname
      # model USER declares field nickname in sync_fields
      ALTER TABLE "users" ADD COLUMN "nickname" TEXT
  ! blocked users.age
      DM101 changing USER.age (column users.age) from TEXT to INTEGER needs a manual migration
      hint: add a new field, backfill it, switch readers

Notes (reported, never changed)
  - DM201 legacy: table legacy is not managed by dmplan; left alone

Plan: 2 to create, 1 to add, 1 blocked.
Blocked changes are never applied: make them by hand as each hint says, or change the spec back.
`

func renderHuman(t *testing.T, color bool, p *planner.Plan) string {
	t.Helper()
	var out, errOut bytes.Buffer
	v := NewPlan(Human, Streams{Out: &out, Err: &errOut, Color: color})
	v.Plan(PlanReport{Target: testTarget, Plan: p})
	if errOut.Len() != 0 {
		t.Errorf("stderr: %q", errOut.String())
	}
	return out.String()
}

func TestPlanHumanWithoutColor(t *testing.T) {
	got := renderHuman(t, false, testPlan())
	if diff := cmp.Diff(wantHuman, got); diff != "" {
		t.Errorf("human plan (-want +got):\n%s", diff)
	}
	if strings.Contains(got, "\x1b[") {
		t.Errorf("colour off, but the output has ANSI escapes")
	}
}

func TestPlanHumanColorIsSameText(t *testing.T) {
	got := renderHuman(t, true, testPlan())
	if !strings.Contains(got, "\x1b[") {
		t.Fatalf("colour on, but no ANSI escapes in:\n%s", got)
	}
	if diff := cmp.Diff(wantHuman, ansi.Strip(got)); diff != "" {
		t.Errorf("coloured text differs from plain text (-plain +stripped):\n%s", diff)
	}
}

func TestPlanHumanNoChanges(t *testing.T) {
	got := renderHuman(t, false, &planner.Plan{ID: "x"})
	want := "Target: environment local · backend local · database .dmplan/d1.sqlite\n\nNo changes. The live schema matches the spec.\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestSummaryLines(t *testing.T) {
	tests := []struct {
		name        string
		s           Summary
		plan, apply string
	}{
		{"empty", Summary{}, "No changes. The live schema matches the spec.", "Apply complete: nothing to do."},
		{"creates and adds", Summary{Create: 8, Add: 2, Tables: 3, Indexes: 4, Namespaces: 1, Columns: 2},
			"Plan: 8 to create, 2 to add.",
			"Apply complete: 3 tables created, 2 columns added, 4 indexes created, 1 namespace created."},
		{"blocked only", Summary{Blocked: 1}, "Plan: 0 to create, 0 to add, 1 blocked.", "Apply complete: nothing to do."},
		{"singulars", Summary{Create: 2, Add: 1, Tables: 1, Indexes: 1, Columns: 1},
			"Plan: 2 to create, 1 to add.",
			"Apply complete: 1 table created, 1 column added, 1 index created."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.PlanLine(); got != tt.plan {
				t.Errorf("PlanLine = %q, want %q", got, tt.plan)
			}
			if got := tt.s.AppliedLine(); got != tt.apply {
				t.Errorf("AppliedLine = %q, want %q", got, tt.apply)
			}
		})
	}
}

func TestPrettySQL(t *testing.T) {
	tests := []struct{ in, want string }{
		{`CREATE INDEX "i" ON "t" ("a", "b")`, `CREATE INDEX "i" ON "t" ("a", "b")`},
		{`CREATE TABLE "t" ("a" TEXT, "b" TEXT DEFAULT 'x, (y)')`, "CREATE TABLE \"t\" (\n  \"a\" TEXT,\n  \"b\" TEXT DEFAULT 'x, (y)'\n)"},
		{`CREATE TABLE "t" ("a" TEXT, PRIMARY KEY ("a", "b"))`, "CREATE TABLE \"t\" (\n  \"a\" TEXT,\n  PRIMARY KEY (\"a\", \"b\")\n)"},
		{`CREATE TABLE "t" ("a" TEXT`, `CREATE TABLE "t" ("a" TEXT`}, // unbalanced: unchanged
	}
	for _, tt := range tests {
		if got := prettySQL(tt.in); got != tt.want {
			t.Errorf("prettySQL(%q) =\n%s\nwant\n%s", tt.in, got, tt.want)
		}
	}
}
