package gen

import (
	"fmt"
	"go/format"
	"strings"

	"github.com/dmplan/dmplan/hclspec"
)

// golang writes the Go file: per model a struct with json tags matching
// its KV object (or, for a D1-only model, its row), the KV key helper,
// enum constants and a constructor of its runtime.TypedModel.
func golang(in *input) ([]byte, error) {
	var w writer
	w.raw("// " + Header)
	w.raw("// " + hashLine(in))
	w.line("")
	w.line("package %s", in.Package)
	w.line("")

	taken := map[string]bool{}
	types := make([]string, len(in.Models))
	for i, m := range in.Models {
		types[i] = pascal(m.Name)
	}
	types = uniqueNames(types, taken)
	var body writer
	usesTime, usesJSON := false, false
	for i, m := range in.Models {
		t := types[i]
		fields := m.Fields
		if m.D1Only {
			fields = m.Columns
		}
		body.line("")
		if m.D1Only {
			body.line("// %s is a record of model %s, a row of D1 table %s (a D1-only model).", t, m.Name, m.Table)
		} else {
			body.line("// %s is a record of model %s: the object kept in KV namespace %s", t, m.Name, m.Namespace)
			body.line("// under key %s; its synced fields are the columns of D1 table %s.", safe(m.KeyPattern), m.Table)
		}
		body.line("// Optional fields are pointers (or nil slices), nil when unset.")
		body.line("type %s struct {", t)
		fnames := make([]string, len(fields))
		for j, f := range fields {
			fnames[j] = pascal(f.Name)
		}
		fnames = uniqueNames(fnames, map[string]bool{})
		for j, f := range fields {
			typ, tm, js := goType(f, m.D1Only)
			usesTime = usesTime || tm
			usesJSON = usesJSON || js
			tag := f.Name
			if !f.Always && !f.Present && !(m.D1Only && f.NotNull) {
				tag += ",omitempty"
			}
			comment := goComment(f)
			body.line("\t%s %s `json:%q`%s", fnames[j], typ, tag, comment)
		}
		body.line("}")

		var consts []string
		for j, f := range fields {
			if len(f.Enum) == 0 || (f.ftype != hclspec.String && f.ftype != hclspec.Text) {
				continue
			}
			vals := make([]string, len(f.Enum))
			for k, v := range f.Enum {
				vals[k] = t + fnames[j] + pascal(identPart(v))
			}
			vals = uniqueNames(vals, taken)
			for k, v := range f.Enum {
				consts = append(consts, fmt.Sprintf("\t%s = %q", vals[k], v))
			}
		}
		if len(consts) > 0 {
			body.line("")
			body.line("// The values %s's enum fields allow.", m.Name)
			body.line("const (")
			for _, c := range consts {
				body.line("%s", c)
			}
			body.line(")")
		}

		if !m.D1Only {
			key := uniqueNames([]string{t + "Key"}, taken)[0]
			body.line("")
			if in.Fleet {
				before, after := tenantPrefix(m.KeyPattern)
				body.line("// %s returns the KV key of %s record id of the fleet's database", key, m.Name)
				body.line("// (%s).", safe(before+"<database>"+after+m.KeyPattern))
				body.line("func %s(database, id string) string {", key)
				body.line("\treturn %s", goConcat(before, "database", after+m.KeyPattern))
			} else {
				body.line("// %s returns the KV key of %s record id (%s).", key, m.Name, safe(m.KeyPattern))
				body.line("func %s(id string) string {", key)
				body.line("\treturn %s", goKeyExpr(m.KeyPattern))
			}
			body.line("}")
		}

		ctor := uniqueNames([]string{t + "Model"}, taken)[0]
		body.line("")
		body.line("// %s returns the typed handle of model %s over h: Create, Get, Update,", ctor, m.Name)
		body.line("// Delete, Restore and Query with %s values. It fails when the struct and", t)
		body.line("// the model h's datastore has loaded disagree (regenerate).")
		body.line("func %s(h *runtime.Handle) (*runtime.TypedModel[%s], error) {", ctor, t)
		body.line("\treturn runtime.Typed[%s](h, %q)", t, m.Name)
		body.line("}")
	}

	w.line("import (")
	if usesJSON {
		w.line("\t\"encoding/json\"")
	}
	if usesTime {
		w.line("\t\"time\"")
	}
	if usesJSON || usesTime {
		w.line("")
	}
	if len(in.Models) > 0 {
		w.line("\t\"github.com/dmplan/dmplan/runtime\"")
	}
	w.line(")")
	w.b.WriteString(body.b.String())
	out, err := format.Source(w.bytes())
	if err != nil {
		return nil, fmt.Errorf("generated Go does not parse: %w", err)
	}
	return out, nil
}

// goType is a field's Go type: a value type when the field is always set,
// a pointer (or a nil-able slice) otherwise.
func goType(f *fieldIn, d1only bool) (typ string, usesTime, usesJSON bool) {
	always := f.Always || (d1only && f.NotNull)
	ptr := func(t string) string {
		if always {
			return t
		}
		return "*" + t
	}
	switch f.ftype {
	case hclspec.Timestamp:
		return ptr("time.Time"), true, false
	case hclspec.Integer:
		return ptr("int64"), false, false
	case hclspec.Number:
		return ptr("float64"), false, false
	case hclspec.Boolean:
		return ptr("bool"), false, false
	case hclspec.JSON:
		return "json.RawMessage", false, true
	case hclspec.Array:
		if f.Name == hclspec.FieldAuth && f.BuiltIn {
			return "[]string", false, false
		}
		return "[]any", false, false
	case hclspec.Blob:
		return "[]byte", false, false
	}
	return ptr("string"), false, false
}

// goComment is the line comment of a struct field.
func goComment(f *fieldIn) string {
	var parts []string
	switch {
	case f.Primary:
		parts = append(parts, "primary key")
	case f.BuiltIn && f.Name == hclspec.FieldAuth:
		parts = append(parts, "user ids who may read the record")
	case f.Auto:
		parts = append(parts, "set by the runtime")
	}
	if f.Named != "" {
		parts = append(parts, "validated as "+f.Named)
	}
	if len(f.Enum) > 0 {
		parts = append(parts, "one of "+strings.Join(quoteAll(f.Enum), ", "))
	}
	if f.Default != "" {
		if d, ok := strings.CutPrefix(f.Default, "SQL "); ok {
			parts = append(parts, "column default "+d)
		} else {
			parts = append(parts, "default "+f.Default)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " // " + safe(strings.Join(parts, "; "))
}

func quoteAll(vals []string) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = fmt.Sprintf("%q", v)
	}
	return out
}

// identPart keeps the letters and digits of an enum value, as words for
// a constant name: "in-progress" -> in_progress.
func identPart(v string) string {
	var b strings.Builder
	for _, r := range v {
		switch {
		case r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'):
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := strings.Trim(b.String(), "_")
	if s == "" {
		return "value"
	}
	return s
}

// goKeyExpr is the Go expression of the key of id: page:{id} ->
// "page:" + id.
func goKeyExpr(pattern string) string { return goConcat("", "", pattern) }

// goConcat is the Go expression of before + the variable named v (none
// when "") + the key pattern rest, whose {id} is the variable id.
func goConcat(before, v, rest string) string {
	var terms []string
	lit := func(s string) {
		if s != "" {
			terms = append(terms, fmt.Sprintf("%q", s))
		}
	}
	lit(before)
	if v != "" {
		terms = append(terms, v)
	}
	for i, p := range strings.Split(rest, "{id}") {
		if i > 0 {
			terms = append(terms, "id")
		}
		lit(p)
	}
	if len(terms) == 0 {
		return `""`
	}
	return strings.Join(terms, " + ")
}

// safe makes s fit in a comment line: no line breaks, no comment end.
func safe(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == 0x2028 || r == 0x2029 {
			return ' '
		}
		return r
	}, s)
	return strings.ReplaceAll(s, "*/", "* /")
}
