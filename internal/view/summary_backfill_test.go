package view

import (
	"testing"

	"github.com/dmplan/dmplan/planner"
)

// A backfill step fills several columns of one table; the summary counts
// columns, as it says.
func TestSummaryCountsBackfilledColumns(t *testing.T) {
	p := &planner.Plan{Steps: []planner.Step{
		{Action: planner.AddColumn, Target: "post.body"},
		{Action: planner.AddColumn, Target: "post.views"},
		{Action: planner.Backfill, Target: "post.body,views"},
		{Action: planner.Backfill, Target: "note.title"},
	}}
	s := Summarize(p)
	if s.Backfill != 3 {
		t.Errorf("Backfill = %d, want 3", s.Backfill)
	}
	if got, want := s.AppliedLine(), "Apply complete: 2 columns added, 3 columns backfilled."; got != want {
		t.Errorf("AppliedLine = %q, want %q", got, want)
	}
}
