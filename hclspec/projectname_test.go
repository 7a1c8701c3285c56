package hclspec_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/dmplan/dmplan/hclspec"
)

func TestProjectFromDirWarning(t *testing.T) {
	model := "model \"ITEM\" {\n  field \"name\" { type = string }\n}\n"
	tests := []struct {
		name, src string
		warn      bool
	}{
		{"models without project block", model, true},
		{"project block", "project \"shop\" {}\n" + model, false},
		{"no models", "environment \"local\" {\n  backend = \"local\"\n}\n", false},
		{"errors come first", "model \"ITEM\" {\n  field \"name\" { type = nope }\n}\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "checkout-123")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "a.dm.hcl"), []byte(tt.src), 0o644); err != nil {
				t.Fatal(err)
			}
			_, diags := hclspec.LoadDir(dir)
			var warnings []*hcl.Diagnostic
			for _, d := range diags {
				if d.Severity == hcl.DiagWarning {
					warnings = append(warnings, d)
				}
			}
			if !tt.warn {
				if len(warnings) != 0 {
					t.Fatalf("warnings = %v", warnings)
				}
				return
			}
			if len(diags) != 1 || len(warnings) != 1 {
				t.Fatalf("diags = %v, want one warning", diags)
			}
			for _, want := range []string{`directory name "checkout-123"`, `"checkout-123"`, `project "checkout-123" {}`} {
				if !strings.Contains(warnings[0].Detail, want) {
					t.Errorf("detail %q lacks %q", warnings[0].Detail, want)
				}
			}
		})
	}
	// A saved plan re-loads its sources with the recorded project name:
	// no warning there.
	_, diags := hclspec.LoadSources("shop", map[string][]byte{"a.dm.hcl": []byte(model)})
	if len(diags) != 0 {
		t.Errorf("LoadSources diags = %v", diags)
	}
}
