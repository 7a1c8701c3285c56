package main

import (
	"testing"

	"github.com/dmplan/dmplan/hclspec"
)

func TestSuggest(t *testing.T) {
	cmds := commandNames()
	tests := []struct {
		typed      string
		candidates []string
		want       string
	}{
		{"plna", cmds, "plan"},
		{"paln", cmds, "plan"},
		{"aplly", cmds, "apply"},
		{"valdate", cmds, "validate"},
		{"force-unlok", cmds, "force-unlock"},
		{"forceunlock", cmds, "force-unlock"},
		{"recon", cmds, "reconcile"},
		{"Plan", cmds, "plan"},
		{"plan", cmds, ""}, // exact: nothing to suggest
		{"x", cmds, ""},
		{"frobnicate", cmds, ""},
		{"", cmds, ""},
		{"detailed-exit-code", []string{"env", "out", "format", "json", "detailed-exitcode", "no-color"}, "detailed-exitcode"},
		{"enviroment", []string{"env", "out", "format"}, "env"},
		{"no-colour", []string{"env", "no-color"}, "no-color"},
	}
	for _, tt := range tests {
		if got := suggest(tt.typed, tt.candidates); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.typed, got, tt.want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "ab", 2}, {"plan", "plan", 0}, {"plna", "plan", 1},
		{"aply", "apply", 1}, {"kitten", "sitting", 3}, {"ab", "ba", 1},
	} {
		if got := hclspec.EditDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("EditDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
