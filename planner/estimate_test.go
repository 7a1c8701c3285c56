package planner

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/state"
)

// TestRowEstimates checks the D1 rows the plan expects its backfill and
// the index built on existing rows to cost, from the live table's row
// bound, and the note when they pass the Free plan's daily quota.
func TestRowEstimates(t *testing.T) {
	tests := []struct {
		name      string
		live      func(tb *state.Table)
		opts      []Option
		backfill  *RowEstimate
		index     *RowEstimate
		quotaNote bool
	}{
		{
			name:     "rows bounded by the highest rowid",
			live:     func(tb *state.Table) { tb.HasRows, tb.Rows, tb.RowsAtMost = true, -1, 1000 },
			backfill: &RowEstimate{Read: 1110, Written: 1110},
			index:    &RowEstimate{Read: 1000, Written: 1000},
		},
		{
			name:     "over the Free plan's rows written a day",
			live:     func(tb *state.Table) { tb.HasRows, tb.Rows, tb.RowsAtMost = true, -1, 60_000 },
			backfill: &RowEstimate{Read: 66_010, Written: 66_010},
			index:    &RowEstimate{Read: 60_000, Written: 60_000},
			// 126,010 rows written in all.
			quotaNote: true,
		},
		{
			name:     "a paid account is not warned",
			live:     func(tb *state.Table) { tb.HasRows, tb.Rows, tb.RowsAtMost = true, -1, 40_000 },
			opts:     []Option{WithPaidD1(true)},
			backfill: &RowEstimate{Read: 44_010, Written: 44_010},
			index:    &RowEstimate{Read: 40_000, Written: 40_000},
		},
		{
			name:     "over both",
			live:     func(tb *state.Table) { tb.HasRows, tb.Rows, tb.RowsAtMost = true, -1, 1_200_000 },
			backfill: &RowEstimate{Read: 1_320_010, Written: 1_320_010},
			index:    &RowEstimate{Read: 1_200_000, Written: 1_200_000},
			// 2,520,010 rows written.
			quotaNote: true,
		},
		{
			name:     "under both",
			live:     func(tb *state.Table) { tb.HasRows, tb.Rows, tb.RowsAtMost = true, -1, 20_000 },
			backfill: &RowEstimate{Read: 22_010, Written: 22_010},
			index:    &RowEstimate{Read: 20_000, Written: 20_000},
		},
		{
			name:     "rows not bounded (WITHOUT ROWID)",
			live:     func(tb *state.Table) { tb.HasRows, tb.Rows, tb.RowsAtMost = true, -1, 0 },
			backfill: &RowEstimate{Read: 10, Written: 10, Unknown: true},
			index:    &RowEstimate{Unknown: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := newSpec(pageModel())
			live := liveOf(spec)
			tb := live.Table("page_meta")
			dropColumn(tb, "status")
			tb.Indexes = nil
			tt.live(tb)
			p := Diff(spec, "local", live, tt.opts...)
			var backfill, index *RowEstimate
			for _, s := range p.Steps {
				switch s.Action {
				case Backfill:
					backfill = s.Rows
				case CreateIndex:
					index = s.Rows
				case AddColumn:
					if s.Rows != nil {
						t.Errorf("add_column has an estimate: %+v", s.Rows)
					}
				}
			}
			if diff := cmp.Diff(tt.backfill, backfill); diff != "" {
				t.Errorf("backfill estimate (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.index, index); diff != "" {
				t.Errorf("index estimate (-want +got):\n%s", diff)
			}
			var note *Note
			for i, n := range p.Notes {
				if n.Code == NoteFreeQuota {
					note = &p.Notes[i]
				}
			}
			if (note != nil) != tt.quotaNote {
				t.Fatalf("quota note = %+v, want one: %v", note, tt.quotaNote)
			}
			if note != nil && (!strings.Contains(note.Message, "100,000 rows written") || !strings.Contains(note.Message, "assumes none") ||
				!strings.Contains(note.Message, "DMPLAN_D1_PLAN=paid")) {
				t.Errorf("quota note = %q", note.Message)
			}
		})
	}
}

func TestRowEstimateOfNewTableIndexAndSeed(t *testing.T) {
	spec := newSpec(pageModel())
	p := Diff(spec, "local", &state.Schema{})
	for _, s := range p.Steps {
		if s.Rows != nil {
			t.Errorf("%s %s on a new table has an estimate %+v", s.Action, s.Target, s.Rows)
		}
	}
}

func TestRowEstimateOfSeeds(t *testing.T) {
	spec, diags := hclspec.LoadSources("app", map[string][]byte{"m.dm.hcl": []byte(seedHCL)})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	p := Diff(spec, "local", &state.Schema{})
	n := 0
	for _, s := range p.Steps {
		if s.Action != Seed {
			continue
		}
		n++
		// users has no declared index: the row and its primary key's.
		if s.Rows == nil || *s.Rows != (RowEstimate{Read: 1, Written: 2}) {
			t.Errorf("seed %s estimate %+v, want 1 read, 2 written", s.Target, s.Rows)
		}
	}
	if n != 3 {
		t.Fatalf("%d seed steps, want 3", n)
	}
}
