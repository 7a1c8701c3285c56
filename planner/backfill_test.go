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

// A table with rows gains a column while its model's KV namespace is
// created by the same plan: that namespace is empty, so no backfill is
// offered from it (it would read nothing and report the rows filled); a
// note says why the rows keep the column NULL. Pending backfills of such
// a model are not resumed either.
func TestNoBackfillFromANamespaceThePlanCreates(t *testing.T) {
	spec := newSpec(pageModel())
	live := liveOf(spec)
	live.Namespaces = nil // PAGES does not exist yet
	tb := live.Table("page_meta")
	dropColumn(tb, "status")
	tb.HasRows, tb.Rows = true, 40
	p := Diff(spec, "local", live, WithPendingBackfills([]PendingBackfill{{Target: "page_meta.title", Model: "PAGE", RunID: "r1", Done: 10}}))
	var got []string
	for _, s := range p.Steps {
		got = append(got, s.Action.String()+" "+s.Target)
	}
	want := []string{"create_namespace nimbus-local-PAGES", "add_column page_meta.status"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	var notes []string
	for _, n := range p.Notes {
		if n.Code == NoteNoBackfillSource {
			notes = append(notes, n.Target+": "+n.Message)
		}
	}
	wantNotes := []string{
		"page_meta.status: table page_meta holds rows, but the KV namespace nimbus-local-PAGES of model PAGE is created by this plan and holds no objects to fill status from: the existing rows keep it NULL (if the records live in another namespace, check kv.namespace and the environment)",
		"page_meta.title: table page_meta holds rows, but the KV namespace nimbus-local-PAGES of model PAGE is created by this plan and holds no objects to fill title from: the existing rows keep it NULL (if the records live in another namespace, check kv.namespace and the environment)",
	}
	if diff := cmp.Diff(wantNotes, notes); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
}
