package view

import (
	"strings"
	"testing"

	"github.com/dmplan/dmplan/planner"
)

// TestFillKVPlanText: a plan whose only step is a fill_kv (a resumed
// copy) is a change, and the human plan says what the step copies.
func TestFillKVPlanText(t *testing.T) {
	p := &planner.Plan{Steps: []planner.Step{{Action: planner.FillKV, Model: "USER", Target: "users", Safe: true,
		Reason: "copy 1,234 rows of users into KV objects user:{id} of namespace adopt-local-USERS: model USER now keeps its records in KV (keys that already hold an object are left alone)"}}}
	sum := Summarize(p)
	if sum.Empty() || sum.PlanLine() != "Plan: 0 to create, 0 to add, 1 to copy into KV." {
		t.Errorf("plan line %q", sum.PlanLine())
	}
	if got := sum.AppliedLine(); got != "Apply complete: 1 table copied into KV." {
		t.Errorf("applied line %q", got)
	}
	out := renderPlan(Styles{}, Target{}, p)
	t.Log("\n" + out)
	for _, want := range []string{"fill KV from users", "# copy 1,234 rows of users into KV objects user:{id}"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan text lacks %q:\n%s", want, out)
		}
	}
}

// TestFillKVAppliedStepGroupsDigits: the applied fill_kv and backfill
// lines group the count's digits as every other count the apply prints.
func TestFillKVAppliedStepGroupsDigits(t *testing.T) {
	tests := []struct {
		step planner.Step
		n    int
		want string
	}{
		{planner.Step{Action: planner.FillKV, Model: "USER", Target: "users"}, 153506, "filled KV from users (153,506 objects written)"},
		{planner.Step{Action: planner.FillKV, Model: "USER", Target: "users"}, 1, "filled KV from users (1 object written)"},
		{planner.Step{Action: planner.Backfill, Model: "USER", Target: "users.color"}, 29000, "(29,000 rows written)"},
	}
	for _, tc := range tests {
		var out strings.Builder
		v := NewApply(Human, Streams{Out: &out, Err: &out})
		v.Applying(Target{}, &planner.Plan{Steps: []planner.Step{tc.step}})
		v.Step(tc.step, StepOutcome{Records: tc.n}, nil)
		if !strings.Contains(out.String(), tc.want) {
			t.Errorf("%s %d: %q lacks %q", tc.step.Action, tc.n, out.String(), tc.want)
		}
	}
}
