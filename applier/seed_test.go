package applier

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/state"
)

// listSeeder records the seeds it runs and fails the one named fail.
type listSeeder struct {
	ran  []string
	fail string
}

func (s *listSeeder) RunSeed(_ context.Context, model, name string) (SeedOutcome, error) {
	key := planner.SeedKey(model, name)
	if key == s.fail {
		return SeedOutcome{}, errors.New("seed refused")
	}
	s.ran = append(s.ran, key)
	return SeedOutcome{Written: 1}, nil
}

const seededHCL = baseHCL + `
seed "NOTE" "hello" {
  match = ["body"]
  data  = { body = "hello", user_id = "u1" }
}
seed "NOTE" "bye" {
  match = ["body"]
  data  = { body = "bye", user_id = "u1" }
}
`

func TestApplySeeds(t *testing.T) {
	tests := []struct {
		name       string
		fail       string
		wantRan    []string
		wantOut    string
		wantFailed string // target of the failed step in history
		wantCounts []string
	}{
		{name: "all seeds run after the schema", wantRan: []string{"NOTE.hello", "NOTE.bye"}, wantOut: state.OutcomeApplied,
			wantCounts: []string{"NOTE.hello=1", "NOTE.bye=1"}},
		{name: "a failing seed stops the run and is recorded", fail: "NOTE.bye", wantRan: []string{"NOTE.hello"},
			wantOut: state.OutcomeFailed, wantFailed: "NOTE.bye", wantCounts: []string{"NOTE.hello=1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			b := openStore(t)
			p := makePlan(t, b, loadSpec(t, seededHCL))
			if n := p.Counts()[planner.Seed]; n != 2 {
				t.Fatalf("seed steps = %d, want 2", n)
			}
			if _, err := Apply(ctx, b, p, Options{}); !errors.Is(err, ErrUnsupportedStep) {
				t.Fatalf("Apply without a Seeder = %v, want ErrUnsupportedStep", err)
			}
			s := &listSeeder{fail: tt.fail}
			r, err := Apply(ctx, b, p, Options{Seeder: s})
			if (err != nil) != (tt.fail != "") {
				t.Fatalf("Apply = %v", err)
			}
			if diff := cmp.Diff(tt.wantRan, s.ran); diff != "" {
				t.Errorf("seeds run (-want +got):\n%s", diff)
			}
			if len(r.TablesCreated) != 2 {
				t.Errorf("tables created = %v, want the schema applied before the seeds", r.TablesCreated)
			}
			hist, err := History(ctx, b.D1(), 0)
			if err != nil || len(hist) != 1 {
				t.Fatalf("history = %+v, %v", hist, err)
			}
			h := hist[0]
			if h.Outcome != tt.wantOut {
				t.Errorf("history outcome %q, want %q", h.Outcome, tt.wantOut)
			}
			failed := ""
			if h.FailedStep >= 0 {
				failed = h.Steps[h.FailedStep].Target
			}
			if failed != tt.wantFailed {
				t.Errorf("history failed step %q, want %q (error %q)", failed, tt.wantFailed, h.Error)
			}
			var counts []string
			for _, st := range h.Steps {
				if st.Records != nil {
					counts = append(counts, st.Target+"="+string(rune('0'+*st.Records)))
				}
			}
			if diff := cmp.Diff(tt.wantCounts, counts); diff != "" {
				t.Errorf("history seed counts (-want +got):\n%s", diff)
			}
		})
	}
}
