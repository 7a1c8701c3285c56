package applier

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/dmplan/dmplan/state"
)

// TestApplyStop closes Options.Stop while the apply runs (after its Nth
// step) or before it: the batch in flight finishes, nothing after it
// runs, history records the run as interrupted, the lock is released and
// the next plan holds exactly the steps that did not run.
func TestApplyStop(t *testing.T) {
	tests := []struct {
		name      string
		stopAfter int // steps applied when Stop closes; -1 closes it before Apply
		wantRow   bool
	}{
		{"before the apply", -1, false},
		{"after the first step", 1, true},
		{"after the second step", 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			b := openStore(t)
			p := makePlan(t, b, loadSpec(t, baseHCL))
			stop := make(chan struct{})
			var once sync.Once
			if tt.stopAfter < 0 {
				close(stop)
			}
			applied := 0
			rep, err := Apply(ctx, b, p, Options{MaxBatchStatements: 1, Stop: stop, Logger: quietLogger(),
				Progress: func(ev Event) {
					applied = ev.Done
					if ev.Done == tt.stopAfter {
						once.Do(func() { close(stop) })
					}
				}})
			if !errors.Is(err, ErrInterrupted) {
				t.Fatalf("Apply = %v, want ErrInterrupted", err)
			}
			if tt.stopAfter >= 0 && applied != tt.stopAfter {
				t.Errorf("%d steps applied, want %d: the apply went on after the stop", applied, tt.stopAfter)
			}
			if tt.stopAfter >= 0 && !strings.Contains(err.Error(), "of 4 steps applied") {
				t.Errorf("error %q does not say how far the apply got", err)
			}
			if cur, err := LockHolder(ctx, b.D1()); err != nil || cur != nil {
				t.Errorf("lock after the stop = %+v, %v; want released", cur, err)
			}
			hist, err := History(ctx, b.D1(), 0)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.wantRow {
				if len(hist) != 0 || rep != nil && len(rep.TablesCreated) > 0 {
					t.Errorf("stopped before it began, the apply left history %+v", hist)
				}
				return
			}
			if len(hist) != 1 || hist[0].Outcome != state.OutcomeInterrupted || !strings.Contains(hist[0].Error, "interrupted before step") {
				t.Fatalf("history = %v, want one interrupted row saying where it stopped", outcomes(hist))
			}
			if rep.Outcome != state.OutcomeInterrupted {
				t.Errorf("report outcome = %q, want interrupted", rep.Outcome)
			}
			next := makePlan(t, b, loadSpec(t, baseHCL))
			if got, want := len(next.Steps), len(p.Steps)-tt.stopAfter; got != want {
				t.Errorf("the next plan has %d steps, want the %d that did not run", got, want)
			}
		})
	}
}
