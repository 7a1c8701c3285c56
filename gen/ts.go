package gen

import (
	"fmt"
	"strings"

	"github.com/dmplan/dmplan/hclspec"
)

// tsNames are the TypeScript names of a model's declarations.
type tsNames struct {
	Object, Row, Key string
}

// typescript writes the TypeScript file: a module exporting JsonValue, Env,
// and per model its object interface, key helper and Row interface.
func typescript(in *input) []byte {
	var w writer
	w.raw("// " + Header)
	w.raw("// " + hashLine(in))
	w.line("//")
	w.line("// Types of the models of project %s: the object each model keeps in KV,", safe(in.Project))
	w.line("// the row of its D1 table and the Worker bindings. Regenerate with")
	w.line("// `dmplan gen -lang ts`; `dmplan gen -lang ts -check` fails when it is stale.")
	w.line("// D1Database and KVNamespace are the Workers runtime types")
	w.line("// (@cloudflare/workers-types, or the file `wrangler types` writes).")
	w.line("")
	w.line("/** Any JSON value: what a json field holds, and an array field's elements. */")
	w.line("export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };")
	w.line("")
	w.line("/** The Worker bindings of the models, named as `dmplan bindings` prints them. */")
	w.line("export interface Env {")
	for _, b := range in.Bindings {
		switch {
		case b.Type == "D1Database" && len(b.Models) == 0:
			w.line("\t/** D1 database. */")
		case b.Type == "D1Database":
			w.line("\t/** D1 database of models %s. */", strings.Join(b.Models, ", "))
		default:
			w.line("\t/** KV namespace %s of models %s. */", safe(b.Title), strings.Join(b.Models, ", "))
		}
		w.line("\t%s: %s;", b.Name, b.Type)
	}
	w.line("}")

	names := tsDeclNames(in)
	for i, m := range in.Models {
		n := names[i]
		if !m.D1Only {
			w.line("")
			w.line("/**")
			w.line(" * %s: the object kept in KV namespace %s (binding %s) under key %s,", m.Name, m.Namespace, m.Binding, safe(m.KeyPattern))
			w.line(" * as the runtime writes it: JSON.stringify of every field. A field that")
			w.line(" * is not required is absent or null until it is set.")
			w.line(" */")
			w.line("export interface %s {", n.Object)
			for _, f := range m.Fields {
				tsDoc(&w, f, false)
				opt := ""
				typ := tsObjectType(f)
				switch {
				case f.Always:
				case f.Present:
					typ += " | null"
				default:
					opt = "?"
					typ += " | null"
				}
				w.line("\t%s%s: %s;", f.Name, opt, typ)
			}
			w.line("}")
			w.line("")
			idType := "string"
			if m.IntegerKey {
				idType = "number | string"
			}
			if in.Fleet {
				before, after := tenantPrefix(m.KeyPattern)
				w.line("/** The KV key of %s record id of the fleet's database: %s. */", m.Name, safe(before+"<database>"+after+m.KeyPattern))
				w.line("export function %s(database: string, id: %s): string {", n.Key, idType)
				w.line("\treturn %s;", "`"+tsTemplate(before)+"${database}"+tsTemplate(after)+tsKeyBody(m.KeyPattern)+"`")
			} else {
				w.line("/** The KV key of %s record id: %s. */", m.Name, safe(m.KeyPattern))
				w.line("export function %s(id: %s): string {", n.Key, idType)
				w.line("\treturn `%s`;", tsKeyBody(m.KeyPattern))
			}
			w.line("}")
		}
		w.line("")
		w.line("/**")
		if m.D1Only {
			w.line(" * %s: a row of D1 table %s (a D1-only model: it has no KV side).", m.Name, m.Table)
		} else {
			w.line(" * %s: a row of D1 table %s, the model's synced fields.", m.Name, m.Table)
		}
		w.line(" * What env.%s.prepare('SELECT * FROM \"%s\"').all<%s>() returns:", in.Bindings[0].Name, m.Table, n.Row)
		w.line(" * booleans are 0 or 1, json and array columns hold JSON text, blobs are")
		w.line(" * arrays of byte values.")
		w.line(" */")
		w.line("export interface %s {", n.Row)
		for _, f := range m.Columns {
			tsDoc(&w, f, true)
			typ := tsRowType(f)
			if !f.NotNull {
				typ += " | null"
			}
			w.line("\t%s: %s;", f.Name, typ)
		}
		w.line("}")
	}
	return w.bytes()
}

// tsDeclNames picks each model's declaration names, unique across the
// file (models PAGE and PAGE_ROW must not both declare PageRow).
func tsDeclNames(in *input) []tsNames {
	taken := map[string]bool{"JsonValue": true, "Env": true}
	out := make([]tsNames, len(in.Models))
	var objs []string
	for _, m := range in.Models {
		objs = append(objs, pascal(m.Name))
	}
	// Object types first: they are the names users write most.
	var kvObjs []string
	var idx []int
	for i, m := range in.Models {
		if !m.D1Only {
			kvObjs = append(kvObjs, objs[i])
			idx = append(idx, i)
		}
	}
	for j, n := range uniqueNames(kvObjs, taken) {
		out[idx[j]].Object = n
	}
	rows := make([]string, len(in.Models))
	for i := range in.Models {
		rows[i] = objs[i] + "Row"
	}
	for i, n := range uniqueNames(rows, taken) {
		out[i].Row = n
	}
	var keys []string
	for _, i := range idx {
		keys = append(keys, camel(in.Models[i].Name)+"Key")
	}
	for j, n := range uniqueNames(keys, taken) {
		out[idx[j]].Key = n
	}
	return out
}

// tsObjectType is a field's type in the KV object.
func tsObjectType(f *fieldIn) string {
	if len(f.Enum) > 0 && (f.ftype == hclspec.String || f.ftype == hclspec.Text) {
		return tsEnum(f.Enum)
	}
	switch f.ftype {
	case hclspec.Integer, hclspec.Number:
		return "number"
	case hclspec.Boolean:
		return "boolean"
	case hclspec.JSON:
		return "JsonValue"
	case hclspec.Array:
		if f.Name == hclspec.FieldAuth && f.BuiltIn {
			return "string[]"
		}
		return "JsonValue[]"
	}
	return "string" // string, text, timestamp; blob as base64 text
}

// tsRowType is a column's type in a D1 result row.
func tsRowType(f *fieldIn) string {
	if len(f.Enum) > 0 && (f.ftype == hclspec.String || f.ftype == hclspec.Text) {
		return tsEnum(f.Enum)
	}
	switch f.ftype {
	case hclspec.Integer, hclspec.Number:
		return "number"
	case hclspec.Boolean:
		return "0 | 1"
	case hclspec.Blob:
		return "number[]"
	}
	return "string" // text, timestamps, and json/array as JSON text
}

func tsEnum(vals []string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = tsString(v)
	}
	return strings.Join(q, " | ")
}

// tsDoc writes a field's doc comment, when it has something to say.
func tsDoc(w *writer, f *fieldIn, row bool) {
	var parts []string
	switch {
	case f.Primary:
		parts = append(parts, "Primary key.")
	case f.BuiltIn && f.Name == hclspec.FieldAuth:
		parts = append(parts, "The user ids who may read the record (KV only).")
	case f.BuiltIn && f.Name == hclspec.FieldUserID:
		parts = append(parts, "The owner's user id.")
	case f.BuiltIn && f.Name == hclspec.FieldDeletedAt:
		parts = append(parts, "Set when soft-deleted, else null.")
	case f.Auto:
		parts = append(parts, "Set by the runtime.")
	}
	switch f.ftype {
	case hclspec.Timestamp:
		parts = append(parts, "RFC 3339 timestamp, e.g. 2026-11-27T14:50:08.123Z.")
	case hclspec.Integer:
		parts = append(parts, "Integer.")
	case hclspec.Blob:
		if row {
			parts = append(parts, "Blob.")
		} else {
			parts = append(parts, "Blob, as base64 text.")
		}
	case hclspec.JSON, hclspec.Array:
		if row {
			parts = append(parts, "JSON text of a "+f.Type+" field.")
		}
	}
	if f.Named != "" {
		parts = append(parts, "Validated as "+f.Named+".")
	}
	if f.Default != "" {
		if d, ok := strings.CutPrefix(f.Default, "SQL "); ok {
			parts = append(parts, "Column default "+d+".")
		} else {
			parts = append(parts, "Default "+f.Default+".")
		}
	}
	if f.SQLType != "" && row {
		parts = append(parts, "Declared "+f.SQLType+".")
	}
	if len(parts) == 0 {
		return
	}
	w.line("\t/** %s */", safe(strings.Join(parts, " ")))
}

// tsKeyBody is the inside of a template literal giving the key of id:
// page:{id} -> page:${id}.
func tsKeyBody(pattern string) string {
	parts := strings.Split(pattern, "{id}")
	for i, p := range parts {
		parts[i] = tsTemplate(p)
	}
	return strings.Join(parts, "${id}")
}

// tsTemplate escapes text for the inside of a template literal.
func tsTemplate(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, "`", "\\`")
	return strings.ReplaceAll(s, "${", "\\${")
}

// writer collects lines.
type writer struct{ b strings.Builder }

func (w *writer) line(format string, args ...any) {
	if len(args) == 0 {
		w.b.WriteString(format)
	} else {
		fmt.Fprintf(&w.b, format, args...)
	}
	w.b.WriteByte('\n')
}

func (w *writer) bytes() []byte { return []byte(w.b.String()) }

// raw writes s as a line, without formatting.
func (w *writer) raw(s string) {
	w.b.WriteString(s)
	w.b.WriteByte('\n')
}
