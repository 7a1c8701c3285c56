package hclspec_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/google/go-cmp/cmp"
)

func TestDuplicatesAcrossFiles(t *testing.T) {
	srcs := map[string][]byte{
		"a.dm.hcl": []byte("model \"PAGE\" {\n  field \"title\" { type = string }\n}\n"),
		"b.dm.hcl": []byte("# second\nmodel \"PAGE\" {\n  field \"url\" { type = string }\n}\n"),
	}
	spec, diags := hclspec.LoadSources("p", srcs)
	if len(diags) != 1 {
		t.Fatalf("diags = %v", diags)
	}
	d := diags[0]
	if d.Summary != "Duplicate model declaration" || d.Subject.Filename != "b.dm.hcl" || d.Subject.Start.Line != 2 {
		t.Errorf("diag = %s at %s", d.Summary, d.Subject)
	}
	if want := `A model named "PAGE" was already declared at a.dm.hcl:1,7-13.`; !strings.HasPrefix(d.Detail, want) {
		t.Errorf("detail = %q, want prefix %q", d.Detail, want)
	}
	if len(spec.Models) != 1 || spec.Models[0].Field("title") == nil {
		t.Errorf("the first declaration should win: %+v", spec.Models)
	}
}

func TestLoadDirProblems(t *testing.T) {
	empty := t.TempDir()
	for _, tt := range []struct {
		dir, summary string
	}{
		{empty, "No configuration files"},
		{filepath.Join(empty, "missing"), "Cannot read configuration directory"},
	} {
		spec, diags := hclspec.LoadDir(tt.dir)
		if spec == nil || spec.Sources == nil {
			t.Fatalf("LoadDir(%s) returned an incomplete spec", tt.dir)
		}
		if len(diags) != 1 || diags[0].Summary != tt.summary {
			t.Errorf("LoadDir(%s) diags = %v, want %q", tt.dir, diags, tt.summary)
		}
	}
}

func TestSpecFilledDespiteErrors(t *testing.T) {
	spec, diags := hclspec.LoadSources("p", map[string][]byte{"x.dm.hcl": []byte("model \"A\" {\n  field \"b\" { type = nope }\n")})
	if !diags.HasErrors() || spec == nil || spec.Sources["x.dm.hcl"] == nil {
		t.Fatalf("spec = %+v, diags = %v", spec, diags)
	}
}

func TestHash(t *testing.T) {
	a := map[string][]byte{"x/a.dm.hcl": []byte("model \"A\" {}\n"), "x/b.dm.hcl": []byte("model \"B\" {}\n")}
	b := map[string][]byte{"b.dm.hcl": []byte("model \"B\" {}\n"), "a.dm.hcl": []byte("model \"A\" {}\n")}
	c := map[string][]byte{"a.dm.hcl": []byte("model \"A\" {}\nmodel \"B\" {}\n"), "b.dm.hcl": nil}
	sa, _ := hclspec.LoadSources("p", a)
	sb, _ := hclspec.LoadSources("p", b)
	sc, _ := hclspec.LoadSources("p", c)
	if sa.Hash() != sb.Hash() {
		t.Error("the same files in another directory hash differently")
	}
	if sa.Hash() == sc.Hash() {
		t.Error("moving text between files does not change the hash")
	}
	if len(sa.Hash()) != 64 {
		t.Errorf("hash = %q", sa.Hash())
	}
}

func TestWriteDiagnostics(t *testing.T) {
	src := "model \"PAGE\" {\n\tfield \"title\" { type = strng }\n}\n"
	spec, diags := hclspec.LoadSources("p", map[string][]byte{"models/page.dm.hcl": []byte(src)})
	var buf bytes.Buffer
	if err := hclspec.WriteDiagnostics(&buf, spec, diags, false); err != nil {
		t.Fatal(err)
	}
	want := "models/page.dm.hcl:2:25: error: Invalid field type\n" +
		"\n" +
		"  2 | \tfield \"title\" { type = strng }\n" +
		"    | \t                       ^^^^^\n" +
		"\n" +
		"  The type must be one of string, text, json, array, timestamp, integer, number, boolean, blob,\n" +
		"  written as a bare word: type = string.\n"
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
	buf.Reset()
	_ = hclspec.WriteDiagnostics(&buf, spec, diags, true)
	if !strings.Contains(buf.String(), "\x1b[1;31merror\x1b[0m") {
		t.Errorf("colour output lacks a red error: %q", buf.String())
	}
}

func TestLoadDirNamesFilesByPath(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "m.dm.hcl"), []byte("model \"M\" {\n  field \"x\" { type = bad }\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, diags := hclspec.LoadDir(dir)
	if len(diags) != 1 || diags[0].Subject.Filename != filepath.Join(dir, "m.dm.hcl") {
		t.Errorf("diags = %v", diags)
	}
}

func TestDiagnosticsInSourceOrder(t *testing.T) {
	src := `model "PAGE" {
  field "a" { type = nope }
  kv { key_pattern = "x" }
  kv {}
  field "b" { type = nope }
}
seed "NOPE" "x" {
  data = {}
}
model "PAGE" {}
`
	_, diags := hclspec.LoadSources("p", map[string][]byte{"a.dm.hcl": []byte(src)})
	var lines []int
	for _, d := range diags {
		lines = append(lines, d.Subject.Start.Line)
	}
	if diff := cmp.Diff([]int{2, 3, 4, 5, 7, 10}, lines); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
}
