package planner

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/state"
)

// TestRefill: a table the plan creates while its model's namespace holds
// objects is refilled from KV in the same plan, after the table and its
// indexes; not when the namespace is empty, created by the same plan, or
// the table exists.
func TestRefill(t *testing.T) {
	refill := Step{Action: Backfill, Model: "PAGE", Safe: true,
		Target: "page_meta.project_id,url,title,status,last_processed,user_id,created_at,updated_at,deleted_at",
		Reason: "table page_meta is created by this plan while KV namespace nimbus-local-PAGES holds model PAGE's objects: refill it from KV (every record gets its row)"}
	tests := []struct {
		name      string
		live      func(*state.Schema)
		stored    map[string]bool
		wantPeeks []RefillPeek
		want      []Step // Backfill steps
	}{
		{
			name:      "table dropped, objects in KV: refilled",
			live:      func(s *state.Schema) { s.Tables = nil },
			stored:    map[string]bool{"PAGE": true},
			wantPeeks: []RefillPeek{{Model: "PAGE", Namespace: "nimbus-local-PAGES", Prefix: "PAGE:"}},
			want:      []Step{refill},
		},
		{
			name:      "table dropped, namespace empty: created empty",
			live:      func(s *state.Schema) { s.Tables = nil },
			stored:    map[string]bool{"PAGE": false},
			wantPeeks: []RefillPeek{{Model: "PAGE", Namespace: "nimbus-local-PAGES", Prefix: "PAGE:"}},
		},
		{
			name: "namespace created by the same plan: nothing to peek at",
			live: func(s *state.Schema) { s.Tables, s.Namespaces = nil, nil },
		},
		{
			name:   "table exists: no refill, whatever KV holds",
			live:   func(*state.Schema) {},
			stored: map[string]bool{"PAGE": true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := newSpec(pageModel())
			live := liveOf(spec)
			tt.live(live)
			if diff := cmp.Diff(tt.wantPeeks, RefillPeeks(spec, "local", live)); diff != "" {
				t.Errorf("peeks (-want +got):\n%s", diff)
			}
			p := Diff(spec, "local", live, WithStoredObjects(tt.stored))
			var got []Step
			createdAt, refillAt := -1, -1
			for i, s := range p.Steps {
				switch s.Action {
				case Backfill:
					if s.Rows == nil || !s.Rows.Unknown {
						t.Errorf("refill estimate %+v, want unknown (the plan does not count KV objects)", s.Rows)
					}
					s.Rows = nil
					got = append(got, s)
					refillAt = i
				case CreateTable, CreateIndex:
					createdAt = i
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("backfill steps (-want +got):\n%s", diff)
			}
			if len(got) > 0 {
				if refillAt < createdAt {
					t.Errorf("the refill (step %d) runs before the table and its indexes (last at %d)", refillAt, createdAt)
				}
				if !p.Refills(got[0]) {
					t.Error("Plan.Refills does not recognize the refill")
				}
			}
		})
	}
}
