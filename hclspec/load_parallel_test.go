package hclspec_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/internal/benchgen"
)

// TestLoadParallelMatchesSerial loads a configuration big enough to be
// parsed and decoded on several goroutines, with errors in several files
// and models, and checks that the outcome is the same as on one.
func TestLoadParallelMatchesSerial(t *testing.T) {
	srcs := benchgen.Sources(120)
	// Errors spread over the files: a bad type, a duplicate field, a
	// duplicate model, a shared table, a syntax error.
	srcs["models0000.dm.hcl"] = []byte(strings.Replace(string(srcs["models0000.dm.hcl"]), "type = number", "type = decimal", 1))
	srcs["models0001.dm.hcl"] = []byte(strings.Replace(string(srcs["models0001.dm.hcl"]), `field "f03"`, `field "f02"`, 1))
	srcs["models0002.dm.hcl"] = append(srcs["models0002.dm.hcl"], []byte(benchgen.Model(7)+"\nmodel \"X\" {\n  d1 { table = \"t_m0101\" }\n}\nmodel \"Y\" {\n  field \"a\" { type = }\n}\n")...)

	load := func(procs int) (string, string) {
		prev := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(prev)
		spec, diags := hclspec.LoadSources("bench", srcs)
		var models []string
		for _, m := range spec.Models {
			models = append(models, fmt.Sprintf("%s %s %s %d fields %d indexes", m.Name, m.D1.Table, m.KV.Binding, len(m.Fields), len(m.D1.Indexes)))
		}
		return strings.Join(models, "\n"), diagText(diags)
	}
	serialModels, serialDiags := load(1)
	parallelModels, parallelDiags := load(2)
	if diff := cmp.Diff(serialModels, parallelModels); diff != "" {
		t.Errorf("models differ (-serial +parallel):\n%s", diff)
	}
	if diff := cmp.Diff(serialDiags, parallelDiags); diff != "" {
		t.Errorf("diagnostics differ (-serial +parallel):\n%s", diff)
	}
	for _, want := range []string{"Invalid field type", "Duplicate field declaration", "Duplicate model declaration", "Duplicate table"} {
		if !strings.Contains(serialDiags, want) {
			t.Errorf("diagnostics lack %q:\n%s", want, serialDiags)
		}
	}
}

func diagText(diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		fmt.Fprintf(&b, "%v %s: %s (%s)\n", d.Subject, d.Summary, d.Detail, severity(d.Severity))
	}
	return b.String()
}

func severity(s hcl.DiagnosticSeverity) string {
	if s == hcl.DiagError {
		return "error"
	}
	return "warning"
}
