package planner

import (
	"strings"
	"testing"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/state"
)

// Taking a field out of sync_fields and deleting it leave the same live
// column behind, and plan the same: no blocked step, the note DM202 saying
// the column is kept and no longer written. (Before, the first blocked as
// DM102 and the second passed as DM202.)
func TestUnsyncedAndDeletedFieldsPlanAlike(t *testing.T) {
	unsynced := pageModel() // content is declared, not in sync_fields
	deleted := pageModel()
	deleted.Fields = dropField(deleted.Fields, "content")
	for _, tc := range []struct {
		name string
		m    *hclspec.Model
		want []string
	}{
		{"taken out of sync_fields", unsynced, []string{"field content of model PAGE is not in sync_fields", "column page_meta.content is kept but no longer written",
			"existing rows keep their last values", "the KV objects keep the field", "reconcile -model PAGE -fix"}},
		{"deleted", deleted, []string{"column page_meta.content matches no field of model PAGE", "kept but not written",
			"KV objects written before keep any value"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := newSpec(tc.m)
			live := liveOf(newSpec(pageModel()))
			live.Table("page_meta").Columns = append(live.Table("page_meta").Columns, &state.Column{Name: "content", Type: "TEXT"})
			p := Diff(spec, "local", live)
			if len(p.Blocked()) > 0 || p.HasChanges() {
				t.Fatalf("steps: %v", p.Steps)
			}
			if len(p.Notes) != 1 || p.Notes[0].Code != NoteUnmanagedColumn || p.Notes[0].Target != "page_meta.content" {
				t.Fatalf("notes = %v", p.Notes)
			}
			for _, w := range append(tc.want, "Drop the column by hand once nothing reads it") {
				if !strings.Contains(p.Notes[0].Message, w) {
					t.Errorf("note %q lacks %q", p.Notes[0].Message, w)
				}
			}
		})
	}
}

func dropField(fs []*hclspec.Field, name string) []*hclspec.Field {
	var out []*hclspec.Field
	for _, f := range fs {
		if f.Name != name {
			out = append(out, f)
		}
	}
	return out
}
