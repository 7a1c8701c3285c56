package main

import (
	"testing"

	"github.com/dmplan/dmplan/hclspec"
)

// TestDescribeWranglerTarget: two environments on the same wrangler
// state (the top level and a wrangler environment) are told apart in the
// Target line: their D1 databases differ even though the directory is
// the same.
func TestDescribeWranglerTarget(t *testing.T) {
	c := &cli{}
	tests := []struct {
		target hclspec.Target
		want   string
	}{
		{hclspec.Target{Backend: hclspec.BackendWrangler, Path: ".wrangler/state/v3", Binding: "DB"},
			".wrangler/state/v3 (D1 binding DB)"},
		{hclspec.Target{Backend: hclspec.BackendWrangler, Path: ".wrangler/state/v3", Binding: "DB", WranglerEnv: "staging"},
			".wrangler/state/v3 (D1 binding DB of wrangler env staging)"},
	}
	for _, tt := range tests {
		if got := c.describe(&tt.target).Database; got != tt.want {
			t.Errorf("describe(%+v).Database = %q, want %q", tt.target, got, tt.want)
		}
	}
}
