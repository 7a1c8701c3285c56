package applier

import (
	"context"
	"testing"
	"time"

	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/state"
)

func TestRecordBaseline(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		tables []string
		counts map[string]int
	}{
		{"two tables", []string{"todos", "users"}, map[string]int{ImportAction: 2}},
		{"nothing imported", nil, map[string]int{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store, err := local.OpenMemory(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			at := time.Date(2026, 12, 7, 21, 0, 0, 0, time.UTC)
			models := make([]string, len(tc.tables))
			for i, tb := range tc.tables {
				models[i] = "M_" + tb
			}
			got, err := RecordBaseline(ctx, store.D1(), Baseline{Fingerprint: "fp", Tables: tc.tables, Models: models,
				ToolVersion: "dmplan test", Actor: "ci", PlanID: "plan-1", At: at})
			if err != nil {
				t.Fatal(err)
			}
			recs, err := History(ctx, store.D1(), 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 1 {
				t.Fatalf("history has %d rows, want 1", len(recs))
			}
			r := recs[0]
			if got.ID != r.ID || r.ID == 0 {
				t.Errorf("RecordBaseline returned id %d, history holds %d", got.ID, r.ID)
			}
			if r.PlanID != "plan-1" || r.Outcome != state.OutcomeApplied || r.FingerprintBefore != "fp" || r.FingerprintAfter != "fp" ||
				r.Actor != "ci" || r.ToolVersion != "dmplan test" || !r.StartedAt.Equal(at) || r.FailedStep != -1 {
				t.Errorf("row = %+v", r)
			}
			if len(r.Steps) != len(tc.tables) {
				t.Fatalf("steps = %+v", r.Steps)
			}
			for i, s := range r.Steps {
				if s.Action != ImportAction || s.Target != tc.tables[i] || s.Model != models[i] {
					t.Errorf("step %d = %+v", i, s)
				}
			}
			if len(r.Counts) != len(tc.counts) || r.Counts[ImportAction] != tc.counts[ImportAction] {
				t.Errorf("counts = %v, want %v", r.Counts, tc.counts)
			}
		})
	}
}
