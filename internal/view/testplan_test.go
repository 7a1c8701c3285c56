package view

import (
	"fmt"
	"strings"
	"time"

	"github.com/dmplan/dmplan/planner"
)

// testPlan is a small plan with one step of each kind people see.
func testPlan() *planner.Plan {
	return &planner.Plan{
		FormatVersion: planner.FormatVersion,
		ID:            "11111111-2222-3333-4444-555555555555",
		CreatedAt:     time.Date(2026, 11, 27, 14, 50, 8, 0, time.UTC),
		Fingerprint:   strings.Repeat("ab", 32),
		Steps: []planner.Step{
			{Action: planner.CreateNamespace, Model: "PAGE", Target: "nimbus-local-PAGES", Reason: "model PAGE keeps records in KV namespace PAGES", Safe: true},
			{Action: planner.CreateTable, Model: "PAGE", Target: "page_meta", Safe: true,
				SQL:    []string{`CREATE TABLE "page_meta" ("page_id" TEXT PRIMARY KEY NOT NULL, "status" TEXT DEFAULT 'a, b')`},
				Reason: "model PAGE syncs 2 fields to D1 table page_meta, which does not exist yet"},
			{Action: planner.AddColumn, Model: "USER", Target: "users.nickname", Safe: true,
				SQL:    []string{`ALTER TABLE "users" ADD COLUMN "nickname" TEXT`},
				Reason: "model USER declares field nickname in sync_fields"},
			{Action: planner.Blocked, Model: "USER", Target: "users.age", Code: "DM101",
				Reason: "changing USER.age (column users.age) from TEXT to INTEGER needs a manual migration",
				Hint:   "add a new field, backfill it, switch readers"},
		},
		Notes: []planner.Note{{Code: "DM201", Target: "legacy", Message: "table legacy is not managed by dmplan; left alone"}},
	}
}

// hugePlan has n create-table steps with long SQL and b blocked steps.
func hugePlan(n, b int) *planner.Plan {
	p := &planner.Plan{ID: "huge", Fingerprint: strings.Repeat("cd", 32)}
	cols := make([]string, 40)
	for i := range cols {
		cols[i] = fmt.Sprintf(`"column_number_%02d" TEXT`, i)
	}
	for i := 0; i < n; i++ {
		t := fmt.Sprintf("table_%04d", i)
		p.Steps = append(p.Steps, planner.Step{
			Action: planner.CreateTable, Model: fmt.Sprintf("MODEL_%04d", i), Target: t, Safe: true,
			SQL:    []string{fmt.Sprintf(`CREATE TABLE "%s" (%s)`, t, strings.Join(cols, ", "))},
			Reason: "model syncs 40 fields to D1 table " + t + ", which does not exist yet",
		})
	}
	for i := 0; i < b; i++ {
		p.Steps = append(p.Steps, planner.Step{
			Action: planner.Blocked, Model: "M", Target: fmt.Sprintf("t.c%05d", i), Code: "DM101",
			Reason: strings.Repeat("a long reason ", 10), Hint: strings.Repeat("a long hint ", 10),
		})
	}
	return p
}

var testTarget = Target{Environment: "local", Backend: "local", Database: ".dmplan/d1.sqlite"}
