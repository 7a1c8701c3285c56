package planner

import (
	"testing"

	"github.com/dmplan/dmplan/state"
)

func TestAddColumnCheck(t *testing.T) {
	empty := &state.Table{Name: "t"}
	full := &state.Table{Name: "t", HasRows: true, Rows: 3}
	tests := []struct {
		name string
		t    *state.Table
		c    state.Column
		code string // "" when it can be added
	}{
		{"nullable", full, state.Column{Name: "a", Type: "TEXT"}, ""},
		{"not null with default", full, state.Column{Name: "a", Type: "TEXT", NotNull: true, Default: "'x'"}, ""},
		{"not null with numeric default", full, state.Column{Name: "a", Type: "INTEGER", NotNull: true, Default: "-1"}, ""},
		{"not null without default, rows", full, state.Column{Name: "a", Type: "TEXT", NotNull: true}, CodeNotNullNoDefault},
		{"not null without default, empty", empty, state.Column{Name: "a", Type: "TEXT", NotNull: true}, CodeNotNullNoDefault},
		{"not null default NULL", empty, state.Column{Name: "a", Type: "TEXT", NotNull: true, Default: "NULL"}, CodeNotNullNoDefault},
		{"primary key", empty, state.Column{Name: "a", Type: "TEXT", PK: true}, CodePrimaryKeyChange},
		{"current_timestamp default", empty, state.Column{Name: "a", Type: "TEXT", Default: "CURRENT_TIMESTAMP"}, CodeNotInPlace},
		{"expression default", empty, state.Column{Name: "a", Type: "TEXT", Default: "(datetime('now'))"}, CodeNotInPlace},
		{"concatenation default", empty, state.Column{Name: "a", Type: "TEXT", Default: "'a' || 'b'"}, CodeNotInPlace},
		{"escaped quote default", empty, state.Column{Name: "a", Type: "TEXT", Default: "'it''s'"}, ""},
		{"float default", empty, state.Column{Name: "a", Type: "REAL", Default: "1.5e+10"}, ""},
		{"hex default", empty, state.Column{Name: "a", Type: "INTEGER", Default: "0x1F"}, ""},
		{"blob default", empty, state.Column{Name: "a", Type: "BLOB", Default: "x'00ff'"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := addColumnCheck(tt.t, &tt.c)
			if got.OK != (tt.code == "") || got.Code != tt.code {
				t.Errorf("addColumnCheck = %+v, want code %q", got, tt.code)
			}
			if !got.OK && (got.Why == "" || got.Hint == "") {
				t.Errorf("blocked without why/hint: %+v", got)
			}
		})
	}
}

func TestAffinity(t *testing.T) {
	for in, want := range map[string]string{
		"INTEGER": "INTEGER", "INT": "INTEGER", "BIGINT": "INTEGER", "TEXT": "TEXT", "VARCHAR(20)": "TEXT",
		"CLOB": "TEXT", "BLOB": "BLOB", "": "BLOB", "REAL": "REAL", "DOUBLE": "REAL", "FLOAT": "REAL",
		"NUMERIC": "NUMERIC", "BOOLEAN": "NUMERIC",
	} {
		if got := affinity(in); got != want {
			t.Errorf("affinity(%q) = %q, want %q", in, got, want)
		}
	}
}
