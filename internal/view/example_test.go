package view_test

import (
	"fmt"
	"os"

	"github.com/dmplan/dmplan/internal/view"
	"github.com/dmplan/dmplan/planner"
)

func ExampleNewPlan() {
	p := &planner.Plan{ID: "example", Steps: []planner.Step{
		{Action: planner.CreateTable, Model: "NOTE", Target: "note", Safe: true,
			SQL: []string{`CREATE TABLE "note" ("note_id" TEXT PRIMARY KEY NOT NULL, "title" TEXT)`}},
		{Action: planner.AddColumn, Model: "USER", Target: "users.nickname", Safe: true,
			SQL:    []string{`ALTER TABLE "users" ADD COLUMN "nickname" TEXT`},
			Reason: "model USER declares field nickname in sync_fields"},
	}}
	v := view.NewPlan(view.Human, view.Streams{Out: os.Stdout, Err: os.Stderr, Color: false})
	v.Plan(view.PlanReport{
		Target: view.Target{Environment: "local", Backend: "local", Database: ".dmplan/d1.sqlite"},
		Plan:   p,
	})
	// Output:
	// Target: environment local · backend local · database .dmplan/d1.sqlite
	//
	// NOTE
	//   + create table note
	//       CREATE TABLE "note" (
	//         "note_id" TEXT PRIMARY KEY NOT NULL,
	//         "title" TEXT
	//       )
	//
	// USER
	//   ~ add column users.nickname
	//       # model USER declares field nickname in sync_fields
	//       ALTER TABLE "users" ADD COLUMN "nickname" TEXT
	//
	// Plan: 1 to create, 1 to add.
}

func ExampleSummary_AppliedLine() {
	s := view.Summary{Tables: 3, Columns: 2, Indexes: 4, Namespaces: 1}
	fmt.Println(s.AppliedLine())
	// Output: Apply complete: 3 tables created, 2 columns added, 4 indexes created, 1 namespace created.
}
