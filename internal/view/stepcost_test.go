package view

import (
	"bytes"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/planner"
)

// A backfill's cost line says it includes the progress records, so it does
// not seem to contradict the step line that counts only the rows filled;
// other steps' lines carry no such note.
func TestStepCostLines(t *testing.T) {
	var out bytes.Buffer
	v := NewApply(Human, Streams{Out: &out, Err: &out})
	v.Applied(Target{Environment: "local", Backend: "local"}, &planner.Plan{}, ApplyResult{
		Outcome: OutcomeApplied,
		StepCosts: []StepCost{
			{Action: planner.Backfill, Target: "tasks.weight", Cost: backend.Cost{RowsWritten: 3}},
			{Action: planner.Seed, Target: "USER.admin", Cost: backend.Cost{RowsWritten: 1}},
		},
	})
	got := out.String()
	for _, want := range []string{
		"tasks.weight: 0 read, 3 written (its progress records included)\n",
		"USER.admin: 0 read, 1 written\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("apply output lacks %q:\n%s", want, got)
		}
	}
}
