package hclspec_test

import (
	"bytes"
	"testing"

	"github.com/dmplan/dmplan/hclspec"
)

func TestExamplesLoadCleanly(t *testing.T) {
	spec, diags := hclspec.LoadDir("../examples")
	if len(diags) > 0 {
		var buf bytes.Buffer
		_ = hclspec.WriteDiagnostics(&buf, spec, diags, false)
		t.Fatalf("examples have %d diagnostics:\n%s", len(diags), buf.String())
	}
	want := []string{"PAGE", "PROJECT", "PUBLIC_DATA", "USER"}
	var got []string
	for _, m := range spec.Models {
		got = append(got, m.Name)
	}
	if len(got) != len(want) {
		t.Fatalf("models = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("models = %v, want %v", got, want)
		}
	}
	if spec.Project.Name != "nimbus" || spec.Project.BindingPrefix != "NIMBUS_" {
		t.Errorf("project = %+v", spec.Project)
	}
	if len(spec.Seeds) != 1 || spec.Seeds[0].Model != "USER" || spec.Seeds[0].Name != "admin" {
		t.Errorf("seeds = %+v", spec.Seeds)
	}
}
