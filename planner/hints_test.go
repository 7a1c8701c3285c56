package planner

import (
	"strings"
	"testing"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/state"
)

// Blocked steps about the primary key or a built-in field give advice a
// person can follow: never to remove the primary key or a built-in field
// from the model, to make it optional or to give it a default, none of
// which the configuration allows.
func TestHintsNeverAskToRemoveKeyOrBuiltIn(t *testing.T) {
	src := func(options string) *hclspec.Spec {
		spec, diags := hclspec.LoadSources("hints", map[string][]byte{"m.dm.hcl": []byte(`
model "ITEM" {
  options {` + options + `}
  field "name" { type = string }
  d1 { sync_fields = ["name"] }
}
`)})
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		return spec
	}
	all := src("")
	tests := []struct {
		name string
		spec *hclspec.Spec
		live func(tb *state.Table)
		code string
		want []string
	}{
		{"primary key type", all, func(tb *state.Table) { tb.Column("item_id").Type = "INTEGER" }, CodeTypeChange,
			[]string{`declare the key's field with the live column's type (field "item_id" { type = integer })`, "point d1.table at a new table name", "reconcile -model ITEM -fix"}},
		{"built-in type", all, func(tb *state.Table) { tb.Column("created_at").Type = "INTEGER" }, CodeTypeChange,
			[]string{"created_at is the built-in field of option timestamps", `ALTER TABLE "item" RENAME COLUMN "created_at" TO "created_at_old"`, "fills it from the KV objects"}},
		{"user_id added to a table with rows", all, func(tb *state.Table) { dropColumn(tb, "user_id"); tb.HasRows = true }, CodeNotNullNoDefault,
			[]string{"user_id is the built-in field of option user_tracking", "turn option user_tracking off", "rebuild table item by hand"}},
		{"user_id added to an empty table", all, func(tb *state.Table) { dropColumn(tb, "user_id") }, CodeNotNullNoDefault,
			[]string{"table item is empty", `DROP TABLE "item"`, "turn option user_tracking off"}},
		{"user_id column allows NULL", all, func(tb *state.Table) { tb.Column("user_id").NotNull = false }, CodeNullabilityChange,
			[]string{"user_id is the built-in field of option user_tracking, which dmplan stores NOT NULL", "turn option user_tracking off"}},
		{"deleted_at column NOT NULL", all, func(tb *state.Table) { tb.Column("deleted_at").NotNull = true; tb.Column("deleted_at").Default = "" }, CodeNullabilityChange,
			[]string{"deleted_at is the built-in field of option soft_delete", "without the NOT NULL constraint on deleted_at"}},
		{"user_id left NOT NULL with user_tracking off", src("user_tracking = false"), func(tb *state.Table) {
			tb.Columns = append(tb.Columns, &state.Column{Name: "user_id", Type: "TEXT", NotNull: true})
		}, CodeUnmanagedNotNull,
			[]string{"turn option user_tracking back on", `ALTER TABLE "item" DROP COLUMN "user_id"`}},
	}
	bad := []string{"remove item_id", "remove created_at", "remove user_id", "remove deleted_at", "give the field a default",
		"make the field optional", "keep the field", "keep field user_id"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live := liveOf(tt.spec)
			tt.live(live.Table("item"))
			p := Diff(tt.spec, "local", live)
			var step *Step
			for i, s := range p.Blocked() {
				if s.Code == tt.code {
					step = &p.Blocked()[i]
				}
			}
			if step == nil {
				t.Fatalf("no %s step in %v", tt.code, p.Steps)
			}
			for _, w := range tt.want {
				if !strings.Contains(step.Hint, w) {
					t.Errorf("hint %q lacks %q", step.Hint, w)
				}
			}
			for _, b := range bad {
				if strings.Contains(step.Hint, b) {
					t.Errorf("hint %q says %q", step.Hint, b)
				}
			}
		})
	}
}
