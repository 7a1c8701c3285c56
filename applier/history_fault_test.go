package applier

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/backend/faulty"
	"github.com/dmplan/dmplan/state"
)

// TestApplyHistoryCompletionFails fails the history write that closes a
// successful apply (a plan with seeds writes it after them): the apply
// still succeeds. One failure is retried away; when every attempt fails,
// the report warns, the row stays running, and the next apply finds it,
// marks it interrupted and says so.
func TestApplyHistoryCompletionFails(t *testing.T) {
	tests := []struct {
		name     string
		failures int
		want     string // the row's outcome after the apply
	}{
		{"one failure is retried", 1, state.OutcomeApplied},
		{"every attempt fails", historyAttempts, state.OutcomeRunning},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			b := openStore(t)
			f := faulty.Wrap(b)
			p := makePlan(t, b, loadSpec(t, seededHCL))
			for range tt.failures {
				f.FailStatement("UPDATE " + historyTable + " SET fingerprint_after")
			}
			rep, err := Apply(ctx, f, p, Options{Seeder: &listSeeder{}, Logger: quietLogger()})
			if err != nil {
				t.Fatalf("Apply = %v; want success, its steps all ran", err)
			}
			if rep.Outcome != state.OutcomeApplied {
				t.Errorf("report outcome = %q, want applied", rep.Outcome)
			}
			if f.Armed() {
				t.Errorf("not every armed failure fired: the completion was not retried %d times", tt.failures)
			}
			hist, err := History(ctx, b.D1(), 0)
			if err != nil || len(hist) != 1 {
				t.Fatalf("history = %+v, %v; want one row", hist, err)
			}
			if hist[0].Outcome != tt.want {
				t.Errorf("history outcome = %q, want %q", hist[0].Outcome, tt.want)
			}
			if tt.want == state.OutcomeApplied {
				if len(rep.Warnings) != 0 {
					t.Errorf("warnings = %q, want none", rep.Warnings)
				}
				return
			}
			if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "the apply succeeded") ||
				!strings.Contains(rep.Warnings[0], "injected failure") {
				t.Errorf("warnings = %q, want one saying the apply succeeded and why history failed", rep.Warnings)
			}

			// The next apply (a no-op plan recorded as such) finds the row.
			next, err := Apply(ctx, b, makePlan(t, b, loadSpec(t, seededHCL+"\nmodel \"TAG\" {\n  kv { namespace = \"PAGES\" }\n  d1 {}\n}\n")),
				Options{Seeder: &listSeeder{}, Logger: quietLogger()})
			if err != nil {
				t.Fatalf("next Apply: %v", err)
			}
			if len(next.Interrupted) != 1 || next.Interrupted[0].ID != hist[0].ID || next.Interrupted[0].PlanID != p.ID {
				t.Errorf("next apply found interrupted %+v, want row %d of plan %s", next.Interrupted, hist[0].ID, p.ID)
			}
			hist, err = History(ctx, b.D1(), 0)
			if err != nil || len(hist) != 2 {
				t.Fatalf("history = %+v, %v; want two rows", hist, err)
			}
			if hist[1].Outcome != state.OutcomeInterrupted || !strings.Contains(hist[1].Error, "did not record its end") {
				t.Errorf("the first apply's row = %q %q, want interrupted, saying it did not record its end", hist[1].Outcome, hist[1].Error)
			}
			if hist[0].Outcome != state.OutcomeApplied {
				t.Errorf("the next apply's row = %q, want applied", hist[0].Outcome)
			}
		})
	}
}

// TestFindHistory names rows by history id, by plan id and by the start
// of a plan id; a plan applied twice gives both rows, newest first.
func TestFindHistory(t *testing.T) {
	ctx := context.Background()
	b := openStore(t)
	p := makePlan(t, b, loadSpec(t, baseHCL))
	mustApply(t, b, p, Options{})
	// The same plan recorded again as a no-op (RecordNoOp), then another.
	for _, id := range []string{p.ID, "424242-other"} {
		noop := makePlan(t, b, loadSpec(t, baseHCL))
		noop.ID = id
		mustApply(t, b, noop, Options{RecordNoOp: true})
	}
	tests := []struct {
		ref  string
		want []int64
	}{
		{"1", []int64{1}},
		{"3", []int64{3}},
		{"999999999", nil}, // no such id, and no plan id starts with it (a UUID has a dash 9th)
		{p.ID, []int64{2, 1}},
		{p.ID[:6], []int64{2, 1}},
		{"424242", []int64{3}}, // digits, no such id: the start of a plan id
		{"nope", nil},
		{"", nil},
		{"%", nil},
		{"12345678", nil}, // digits, no such id: a plan prefix, and none matches
	}
	for _, tt := range tests {
		recs, err := FindHistory(ctx, b.D1(), tt.ref)
		if err != nil {
			t.Fatalf("FindHistory(%q): %v", tt.ref, err)
		}
		var got []int64
		for _, r := range recs {
			got = append(got, r.ID)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("FindHistory(%q) = rows %v, want %v", tt.ref, got, tt.want)
		}
	}
}
