package view

import (
	"strings"
	"testing"

	"github.com/dmplan/dmplan/planner"
)

// A one-line plan names the blocked steps first: a drift line of a
// blocked database with many steps must still say why it is blocked
// (it used to show "+ ..., and 3 more" with the DM code cut off).
func TestStepsLineBlockedFirst(t *testing.T) {
	p := &planner.Plan{}
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		p.Steps = append(p.Steps, planner.Step{Action: planner.CreateTable, Target: n})
	}
	p.Steps = append(p.Steps, planner.Step{Action: planner.Blocked, Target: "f_by_x", Code: planner.CodeUniqueDuplicates})
	tests := []struct {
		max  int
		want string
	}{
		{4, "! DM112 f_by_x, + create table a, + create table b, + create table c, and 2 more"},
		{1, "! DM112 f_by_x, and 5 more"},
		{20, "! DM112 f_by_x, + create table a, + create table b, + create table c, + create table d, + create table e"},
	}
	for _, tt := range tests {
		if got := StepsLine(p, tt.max); got != tt.want {
			t.Errorf("StepsLine(%d) = %q, want %q", tt.max, got, tt.want)
		}
	}
	if got := StepsLine(&planner.Plan{Steps: p.Steps[:2]}, 4); !strings.HasPrefix(got, "+ create table a") {
		t.Errorf("without blocked steps, the order is the plan's: %q", got)
	}
}
