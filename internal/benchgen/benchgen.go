// Package benchgen writes generated model definitions for dmplan's
// benchmarks: n models of 12 fields and 2 indexes each, in files of 50
// models, varied the way real definitions are (every field type, required
// fields, defaults, enum and named validations, a unique index).
package benchgen

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// PerFile is how many models one generated file holds.
const PerFile = 50

// Fields and Indexes are the declared fields and indexes of every model.
const (
	Fields  = 12
	Indexes = 2
)

// field is one field template: its type and any further attributes.
type field struct {
	typ, extra string
}

// fields are the 12 declared fields of every model, in order. The synced
// ones are listed in syncFields.
var fields = [Fields]field{
	{"string", "required = true"},
	{"string", `validation = "slug"`},
	{"string", `default = "pending"` + "\n    validation = [\"pending\", \"active\", \"archived\"]"},
	{"text", ""},
	{"integer", "default = 0"},
	{"number", ""},
	{"boolean", "default = false"},
	{"timestamp", ""},
	{"json", ""},
	{"array", "default = []"},
	{"string", `validation = "email"`},
	{"string", `validation = "url"`},
}

var syncFields = []string{"f00", "f01", "f02", "f04", "f06", "f07", "f10"}

// Model returns the source of model number i.
func Model(i int) string {
	var b strings.Builder
	name := ModelName(i)
	fmt.Fprintf(&b, "model %q {\n", name)
	if i%4 == 1 {
		b.WriteString("  options {\n    soft_delete = false\n  }\n\n")
	}
	for j, f := range fields {
		if f.extra == "" {
			fmt.Fprintf(&b, "  field \"f%02d\" { type = %s }\n", j, f.typ)
			continue
		}
		fmt.Fprintf(&b, "  field \"f%02d\" {\n    type = %s\n    %s\n  }\n", j, f.typ, f.extra)
	}
	fmt.Fprintf(&b, "\n  kv {\n    namespace   = \"NS_%s\"\n    key_pattern = \"%s:{id}\"\n  }\n",
		name, strings.ToLower(name))
	fmt.Fprintf(&b, "  d1 {\n    table       = \"t_%s\"\n    sync_fields = [\"%s\"]\n",
		strings.ToLower(name), strings.Join(syncFields, `", "`))
	b.WriteString("    index \"by_f01\" {\n      columns = [\"f01\"]\n      unique  = true\n    }\n")
	b.WriteString("    index \"by_f00_f02\" { columns = [\"f00\", \"f02\"] }\n  }\n}\n")
	return b.String()
}

// ModelName is the name of model number i.
func ModelName(i int) string { return fmt.Sprintf("M%04d", i) }

// Sources returns models 0 to n-1 as file contents by file name
// (models0000.dm.hcl holds the first PerFile), with a project file.
func Sources(n int) map[string][]byte {
	srcs := map[string][]byte{
		"project.dm.hcl": []byte("project \"bench\" {\n  binding_prefix = \"BENCH_\"\n}\n"),
	}
	var b strings.Builder
	for i := range n {
		b.WriteString(Model(i))
		b.WriteString("\n")
		if (i+1)%PerFile == 0 || i == n-1 {
			srcs[fmt.Sprintf("models%04d.dm.hcl", i/PerFile)] = []byte(b.String())
			b.Reset()
		}
	}
	return srcs
}

// WriteDir replaces the *.dm.hcl files in dir with Sources(n).
func WriteDir(dir string, n int) error {
	old, err := filepath.Glob(filepath.Join(dir, "*.dm.hcl"))
	if err != nil {
		return err
	}
	for _, p := range old {
		if err := os.Remove(p); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, src := range Sources(n) {
		if err := os.WriteFile(filepath.Join(dir, name), src, 0o644); err != nil {
			return err
		}
	}
	return nil
}
