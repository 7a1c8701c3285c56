package importer

import (
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

func strList(xs []string) cty.Value {
	if len(xs) == 0 {
		return cty.ListValEmpty(cty.String)
	}
	vs := make([]cty.Value, len(xs))
	for i, x := range xs {
		vs[i] = cty.StringVal(x)
	}
	return cty.ListVal(vs)
}

// render writes the model's file: a header comment, then the model.
func (m *model) render(opts Options, unmanaged []Unmanaged) []byte {
	f := hclwrite.NewEmptyFile()
	root := f.Body()
	mb := root.AppendNewBlock("model", []string{m.name}).Body()
	mb.SetAttributeValue("storage", cty.StringVal("d1"))
	if len(m.primaryKey) == 1 {
		mb.SetAttributeValue("primary_key", cty.StringVal(m.primaryKey[0]))
	} else {
		mb.SetAttributeValue("primary_key", strList(m.primaryKey))
	}
	ob := mb.AppendNewBlock("options", nil).Body()
	for _, o := range []string{"timestamps", "soft_delete", "user_tracking", "auth"} {
		ob.SetAttributeValue(o, cty.False)
	}
	mb.AppendNewline()
	for _, fd := range m.fields {
		fb := mb.AppendNewBlock("field", []string{fd.name}).Body()
		fb.SetAttributeTraversal("type", hcl.Traversal{hcl.TraverseRoot{Name: fd.typ.String()}})
		if fd.required {
			fb.SetAttributeValue("required", cty.True)
		}
		if fd.sqlType != "" {
			fb.SetAttributeValue("sql_type", cty.StringVal(fd.sqlType))
		}
		if fd.def != cty.NilVal {
			fb.SetAttributeValue("default", fd.def)
		}
		if fd.sqlDefault != "" {
			fb.SetAttributeValue("sql_default", cty.StringVal(fd.sqlDefault))
		}
		if fd.autoincrement {
			fb.SetAttributeValue("autoincrement", cty.True)
		}
		if fd.unique {
			fb.SetAttributeValue("unique", cty.True)
		}
		if fd.collate != "" {
			fb.SetAttributeValue("collate", cty.StringVal(fd.collate))
		}
		if fd.check != "" {
			fb.SetAttributeValue("check", cty.StringVal(fd.check))
		}
		if r := fd.ref; r != nil {
			ref := r.Table
			if len(r.Columns) == 1 {
				ref += "." + r.Columns[0]
			}
			fb.SetAttributeValue("references", cty.StringVal(ref))
			if r.OnDelete != "" {
				fb.SetAttributeValue("on_delete", cty.StringVal(r.OnDelete))
			}
			if r.OnUpdate != "" {
				fb.SetAttributeValue("on_update", cty.StringVal(r.OnUpdate))
			}
		}
	}
	mb.AppendNewline()
	db := mb.AppendNewBlock("d1", nil).Body()
	db.SetAttributeValue("table", cty.StringVal(m.table))
	if m.strict {
		db.SetAttributeValue("strict", cty.True)
	}
	if m.withoutRowid {
		db.SetAttributeValue("without_rowid", cty.True)
	}
	if len(m.checks) > 0 {
		db.SetAttributeValue("checks", strList(m.checks))
	}
	if len(m.uniques) > 0 {
		us := make([]cty.Value, len(m.uniques))
		for i, u := range m.uniques {
			us[i] = strList(u)
		}
		db.SetAttributeValue("unique", cty.TupleVal(us))
	}
	for _, fk := range m.foreignKeys {
		kb := db.AppendNewBlock("foreign_key", nil).Body()
		kb.SetAttributeValue("columns", strList(fk.Columns))
		ref := fk.Reference.Table
		if len(fk.Reference.Columns) > 0 {
			ref += "(" + strings.Join(fk.Reference.Columns, ", ") + ")"
		}
		kb.SetAttributeValue("references", cty.StringVal(ref))
		if fk.Reference.OnDelete != "" {
			kb.SetAttributeValue("on_delete", cty.StringVal(fk.Reference.OnDelete))
		}
		if fk.Reference.OnUpdate != "" {
			kb.SetAttributeValue("on_update", cty.StringVal(fk.Reference.OnUpdate))
		}
	}
	for _, ix := range m.indexes {
		ib := db.AppendNewBlock("index", []string{ix.label}).Body()
		if ix.name != "" {
			ib.SetAttributeValue("name", cty.StringVal(ix.name))
		}
		if len(ix.keys) > 0 {
			ib.SetAttributeValue("keys", strList(ix.keys))
		} else {
			ib.SetAttributeValue("columns", strList(ix.columns))
		}
		if ix.where != "" {
			ib.SetAttributeValue("where", cty.StringVal(ix.where))
		}
		if ix.unique {
			ib.SetAttributeValue("unique", cty.True)
		}
	}

	var head strings.Builder
	head.WriteString("# " + m.name + ": table " + m.table + ", imported by dmplan import")
	if opts.Source != "" {
		head.WriteString(" from " + opts.Source)
	}
	head.WriteString(".\n# A D1-only model. To keep its records in KV too, set storage = \"d1+kv\",\n" +
		"# add a kv block and list every field in d1.sync_fields: the plan then\n" +
		"# creates the namespace and copies every row into a KV object.\n")
	var notes []string
	for _, u := range unmanaged {
		if u.Kind == KindTrigger && strings.EqualFold(u.Table, m.table) {
			notes = append(notes, "trigger "+u.Name+" (triggers cannot be declared)")
		}
	}
	notes = append(notes, m.leftOut...)
	if len(notes) > 0 {
		head.WriteString("# Left as it is in the database, not declared here:\n")
		for _, n := range notes {
			head.WriteString("#   - " + n + "\n")
		}
	}
	head.WriteString("\n")
	return append([]byte(head.String()), hclwrite.Format(oneLine(f.Bytes()))...)
}

// oneLineRE matches a block holding one attribute, written on three lines.
var oneLineRE = regexp.MustCompile(`(?m)^([ \t]*(?:field|index) "[^"\n]*") \{\n[ \t]*([a-z_]+ += [^\n{}]*)\n[ \t]*\}$`)

// oneLine writes blocks that hold a single attribute on one line, as the
// examples do: field "title" { type = string }.
func oneLine(src []byte) []byte {
	return oneLineRE.ReplaceAll(src, []byte("$1 { $2 }"))
}
