package planner

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dmplan/dmplan/state"
)

func TestBackfillSteps(t *testing.T) {
	tests := []struct {
		name string
		live func(tb *state.Table)
		want []Step // AddColumn, Backfill and CreateIndex steps, in order
	}{
		{
			name: "table with rows: backfill between the column and its index",
			live: func(tb *state.Table) { dropColumn(tb, "status"); tb.Indexes = nil; tb.HasRows, tb.Rows = true, 12408 },
			want: []Step{
				{Action: AddColumn, Model: "PAGE", Target: "page_meta.status", Safe: true},
				{Action: Backfill, Model: "PAGE", Target: "page_meta.status", Safe: true,
					Reason: "12,408 existing rows of page_meta have no status yet: fill it from the KV objects of model PAGE"},
				{Action: CreateIndex, Model: "PAGE", Target: "page_meta_by_project_status", Safe: true},
			},
		},
		{
			name: "two columns, one backfill; rows not counted",
			live: func(tb *state.Table) {
				dropColumn(tb, "status")
				dropColumn(tb, "title")
				tb.HasRows, tb.Rows = true, -1
			},
			want: []Step{
				{Action: AddColumn, Model: "PAGE", Target: "page_meta.title", Safe: true},
				{Action: AddColumn, Model: "PAGE", Target: "page_meta.status", Safe: true},
				{Action: Backfill, Model: "PAGE", Target: "page_meta.title,status", Safe: true,
					Reason: "the existing rows of page_meta have no title, status yet: fill them from the KV objects of model PAGE"},
			},
		},
		{
			name: "empty table: nothing to backfill",
			live: func(tb *state.Table) { dropColumn(tb, "status"); tb.HasRows, tb.Rows = false, 0 },
			want: []Step{{Action: AddColumn, Model: "PAGE", Target: "page_meta.status", Safe: true}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := newSpec(pageModel())
			live := liveOf(spec)
			tt.live(live.Table("page_meta"))
			p := Diff(spec, "local", live)
			var got []Step
			for _, s := range p.Steps {
				switch s.Action {
				case AddColumn, CreateIndex:
					s.SQL, s.Reason = nil, ""
					got = append(got, s)
				case Backfill:
					got = append(got, s)
				}
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(Step{}, "Rows")); diff != "" {
				t.Errorf("steps (-want +got):\n%s", diff)
			}
		})
	}
}
