package hclspec

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/dmplan/dmplan/internal/sqlnorm"
)

var indexSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "columns"}, {Name: "keys"}, {Name: "where"}, {Name: "unique"}, {Name: "name"}},
}

// UniqueLive is the value of unique that makes an index unique among the
// records that are not soft-deleted.
const UniqueLive = "live"

// liveCondition is the condition a unique = "live" index adds: the row is
// not soft-deleted.
const liveCondition = "deleted_at IS NULL"

// Condition returns the WHERE condition the index is created with,
// normalized (see internal/sqlnorm) so that it compares equal to what
// inspection reads back: Where, ANDed with "deleted_at IS NULL" when
// UniqueLive; "" for an index over every row.
func (ix *Index) Condition() string {
	w := ""
	if ix.Where != "" {
		toks, ok := sqlnorm.Tokenize(ix.Where)
		if !ok {
			return ix.Where
		}
		w = sqlnorm.Normalize(toks)
		if ix.UniqueLive && w != liveCondition && sqlnorm.TopLevelOr(toks) {
			w = "(" + w + ")"
		}
	}
	switch {
	case !ix.UniqueLive || w == liveCondition:
		return w
	case w == "":
		return liveCondition
	}
	return w + " AND " + liveCondition
}

// OnlyLive reports whether the index holds only records that are not
// soft-deleted: its condition ANDs "deleted_at IS NULL" at the top (as
// unique = "live" does). The runtime's queries of a soft-deleting model
// filter deleted_at IS NULL, so SQLite can use such an index for them.
func (ix *Index) OnlyLive() bool {
	c := ix.Condition()
	if c == "" {
		return false
	}
	toks, ok := sqlnorm.Tokenize(c)
	return ok && slices.Contains(sqlnorm.Conjuncts(toks), liveCondition)
}

// indexes decodes the index blocks of the model's d1 block (other
// block types are left to their own decoders).
func (d *decoder) indexes(m *Model, blocks []*hcl.Block) hcl.Diagnostics {
	var diags hcl.Diagnostics
	seen := map[string]hcl.Range{}
	for _, blk := range blocks {
		if blk.Type != "index" {
			continue
		}
		label := blk.Labels[0]
		lr := labelRange(blk, 0)
		if prev, ok := seen[strings.ToLower(label)]; ok {
			diags = append(diags, duplicate(lr, prev, "Duplicate index declaration",
				fmt.Sprintf("An index labelled %q in model %q", label, m.Name)))
			continue
		}
		seen[strings.ToLower(label)] = lr
		idx := &Index{Label: label, Name: m.D1.Table + "_" + label, DeclRange: blk.DefRange}
		content, cd := blk.Body.Content(indexSchema)
		diags = append(diags, cd...)
		named := false
		if a, ok := content.Attributes["name"]; ok {
			n, nd := staticString(a)
			diags = append(diags, nd...)
			if !nd.HasErrors() {
				named = true
				if why := checkIndexName(n); why != "" {
					diags = append(diags, errorf(a.Expr.Range(), "Invalid index name",
						"The index name %q cannot be used: %s.", n, why))
				}
				idx.Name = n
			}
		}
		if why := checkSQLName(label); why != "" {
			diags = append(diags, errorf(lr, "Invalid index label",
				"The index label %q cannot be used: %s.", label, why))
		} else if !named && len(idx.Name) > maxIdentLen {
			diags = append(diags, errorf(lr, "Index name too long",
				"The index name %q (table + \"_\" + label) is %d characters long; the limit is %d. Shorten the label or set name = \"...\".", idx.Name, len(idx.Name), maxIdentLen))
		}
		if a, ok := content.Attributes["unique"]; ok {
			diags = append(diags, indexUnique(m, idx, a)...)
		}
		cols, hasCols := content.Attributes["columns"]
		keys, hasKeys := content.Attributes["keys"]
		switch {
		case hasCols && hasKeys:
			diags = append(diags, errorf(keys.NameRange, "Both columns and keys",
				"An index lists its columns (columns = [...]) or its keys (keys = [...], which may hold expressions, COLLATE and DESC), not both. The columns are at %s.", cols.NameRange.String()))
		case hasCols:
			diags = append(diags, indexColumns(m, idx, cols)...)
		case hasKeys:
			diags = append(diags, indexKeys(m, idx, keys)...)
		default:
			diags = append(diags, errorf(blk.DefRange, "Index without columns",
				"Set columns = [\"a\", \"b\"] to index columns, or keys = [\"lower(email)\", \"created_at DESC\"] for expressions, collations or descending keys."))
		}
		if a, ok := content.Attributes["where"]; ok {
			diags = append(diags, indexWhere(m, idx, a)...)
		}
		m.D1.Indexes = append(m.D1.Indexes, idx)
	}
	return diags
}

// checkIndexName reports why an index name set with name = "..." cannot
// be used, or "". dmplan quotes every name it writes, so any text SQLite
// accepts will do (an index another tool made may be named
// "idx-users-email"), but not SQLite's reserved prefix or dmplan's and
// Cloudflare's.
func checkIndexName(name string) string {
	switch {
	case strings.TrimSpace(name) == "":
		return "it is empty"
	case len(name) > maxIdentLen:
		return fmt.Sprintf("it is %d characters long; the limit is %d", len(name), maxIdentLen)
	case strings.ContainsRune(name, 0):
		return "it holds a NUL character"
	}
	lower := strings.ToLower(name)
	for _, p := range reservedPrefixes {
		if strings.HasPrefix(lower, p) {
			return fmt.Sprintf("names starting with %q are reserved", p)
		}
	}
	return ""
}

// indexUnique decodes unique = true | false | "live".
func indexUnique(m *Model, idx *Index, a *hcl.Attribute) hcl.Diagnostics {
	v, diags := staticValue(a.Expr, "The argument %q", a.Name)
	if diags.HasErrors() {
		return diags
	}
	switch {
	case !v.IsNull() && v.Type() == cty.Bool:
		idx.Unique = v.True()
	case !v.IsNull() && v.Type() == cty.String && v.AsString() == UniqueLive:
		idx.Unique, idx.UniqueLive = true, true
		if !m.Options.SoftDelete {
			return hcl.Diagnostics{errorf(a.Expr.Range(), "unique = \"live\" without soft delete",
				"unique = \"live\" makes the index unique among the records that are not soft-deleted (deleted_at IS NULL), but model %q does not soft-delete (options { soft_delete = false }). Use unique = true, or where = \"...\" with unique = true for another condition.", m.Name)}
		}
	default:
		return hcl.Diagnostics{errorf(a.Expr.Range(), "Invalid value",
			"The argument \"unique\" must be true, false or \"live\" (unique among the records that are not soft-deleted).")}
	}
	return nil
}

// indexColumns decodes columns = [...]: plain columns.
func indexColumns(m *Model, idx *Index, a *hcl.Attribute) hcl.Diagnostics {
	items, diags := staticStringList(a)
	if !diags.HasErrors() && len(items) == 0 {
		diags = append(diags, errorf(a.Expr.Range(), "Index without columns",
			"List at least one column to index."))
	}
	cols := map[string]hcl.Range{}
	for _, it := range items {
		if prev, ok := cols[it.Value]; ok {
			diags = append(diags, errorf(it.Range, "Duplicate index column",
				"The column %q is already listed at %s.", it.Value, prev.String()))
			continue
		}
		cols[it.Value] = it.Range
		if d := indexColumn(m, it.Value, it.Range); d != nil {
			diags = append(diags, d)
		}
		idx.Columns = append(idx.Columns, it.Value)
	}
	return diags
}

// indexColumn checks that name is a D1 column of the model, nil when it
// is.
func indexColumn(m *Model, name string, rng hcl.Range) *hcl.Diagnostic {
	f := m.Field(name)
	switch {
	case f == nil:
		return errorf(rng, "Unknown index column",
			"Model %q has no field named %q.%s", m.Name, name, fieldHint(m, name))
	case !f.Synced:
		return errorf(rng, "Index column not synced",
			"The field %q is not a D1 column of table %q; add it to sync_fields to index it.", name, m.D1.Table)
	}
	return nil
}

// columnField returns the synced field a name in SQL text refers to
// (SQLite matches column names ignoring ASCII case), or a diagnostic.
func columnField(m *Model, name string, rng hcl.Range, where string) (*Field, *hcl.Diagnostic) {
	var f *Field
	for _, c := range m.Fields {
		if strings.EqualFold(c.Name, name) {
			f = c
			break
		}
	}
	switch {
	case f == nil:
		return nil, errorf(rng, "Unknown column in index",
			"%s refers to %q, which is not a field of model %q.%s Quote a string literal with single quotes ('text').", where, name, m.Name, fieldHint(m, name))
	case !f.Synced:
		return nil, errorf(rng, "Index column not synced",
			"%s refers to the field %q, which is not a D1 column of table %q; add it to sync_fields.", where, f.Name, m.D1.Table)
	}
	return f, nil
}

// indexCollations are the collations D1 has; it cannot load others.
var indexCollations = map[string]bool{"BINARY": true, "NOCASE": true, "RTRIM": true}

// indexKeys decodes keys = [...]: each a column or an expression, with
// an optional COLLATE and ASC or DESC.
func indexKeys(m *Model, idx *Index, a *hcl.Attribute) hcl.Diagnostics {
	items, diags := staticStringList(a)
	if !diags.HasErrors() && len(items) == 0 {
		diags = append(diags, errorf(a.Expr.Range(), "Index without keys",
			"List at least one key to index, like keys = [\"lower(email)\"]."))
	}
	seen := map[string]hcl.Range{}
	for _, it := range items {
		toks, ok := sqlnorm.Tokenize(it.Value)
		if !ok {
			diags = append(diags, errorf(it.Range, "Invalid index key",
				"The key %q holds a quote that is never closed.", it.Value))
			continue
		}
		if len(sqlnorm.Split(toks)) > 1 {
			diags = append(diags, errorf(it.Range, "Invalid index key",
				"The key %q holds several keys; write each as its own list element: keys = [\"a\", \"b DESC\"].", it.Value))
			continue
		}
		k, ok := sqlnorm.ParseKey(toks)
		if !ok {
			diags = append(diags, errorf(it.Range, "Invalid index key",
				"The key %q is not a column or an expression, optionally followed by COLLATE name and ASC or DESC, like \"lower(email)\", \"name COLLATE NOCASE\" or \"created_at DESC\".", it.Value))
			continue
		}
		if k.Collate != "" && !indexCollations[k.Collate] {
			diags = append(diags, errorf(it.Range, "Unknown collation",
				"The key %q uses the collation %s; D1 has BINARY, NOCASE and RTRIM only.", it.Value, k.Collate))
			continue
		}
		key := IndexKey{Collate: k.Collate, Desc: k.Desc}
		what := fmt.Sprintf("The key %q", it.Value)
		if k.Column != "" {
			f, d := columnField(m, k.Column, it.Range, what)
			if d != nil {
				diags = append(diags, d)
				continue
			}
			key.Column = f.Name
		} else {
			if why := sqlnorm.CheckIndexExpr(exprPart(toks, k)); why != "" {
				diags = append(diags, errorf(it.Range, "Invalid index expression",
					"The key %q cannot be indexed: %s.", it.Value, why))
				continue
			}
			refs := sqlnorm.Refs(exprPart(toks, k))
			if len(refs) == 0 {
				diags = append(diags, errorf(it.Range, "Invalid index expression",
					"The key %q reads no column, so every row has the same key; index a column or an expression of columns.", it.Value))
				continue
			}
			bad := false
			for _, name := range refs {
				if _, d := columnField(m, name, it.Range, what); d != nil {
					diags = append(diags, d)
					bad = true
				}
			}
			if bad {
				continue
			}
			key.Expr = k.Expr
		}
		norm := sqlnorm.Normalize(toks)
		if prev, ok := seen[norm]; ok {
			diags = append(diags, errorf(it.Range, "Duplicate index key",
				"The key %q is already listed at %s.", it.Value, prev.String()))
			continue
		}
		seen[norm] = it.Range
		idx.Keys = append(idx.Keys, key)
		if key.Column != "" {
			idx.Columns = append(idx.Columns, key.Column)
		} else {
			idx.Columns = append(idx.Columns, "<expr>")
		}
	}
	return diags
}

// exprPart returns the tokens of a key without its COLLATE and ASC/DESC
// suffix.
func exprPart(toks []sqlnorm.Token, k sqlnorm.Key) []sqlnorm.Token {
	n := len(toks)
	if n > 0 && toks[n-1].Kind == sqlnorm.Word && (strings.EqualFold(toks[n-1].Text, "ASC") || strings.EqualFold(toks[n-1].Text, "DESC")) {
		n--
	}
	if n >= 2 && toks[n-2].Kind == sqlnorm.Word && strings.EqualFold(toks[n-2].Text, "COLLATE") {
		n -= 2
	}
	return toks[:n]
}

// indexWhere decodes where = "...": the condition of a partial index.
func indexWhere(m *Model, idx *Index, a *hcl.Attribute) hcl.Diagnostics {
	w, diags := staticString(a)
	if diags.HasErrors() {
		return diags
	}
	rng := a.Expr.Range()
	w = strings.TrimSpace(w)
	toks, ok := sqlnorm.Tokenize(w)
	switch {
	case !ok:
		return hcl.Diagnostics{errorf(rng, "Invalid index condition",
			"The condition holds a quote that is never closed.")}
	case len(toks) > 0 && toks[0].Kind == sqlnorm.Word && strings.EqualFold(toks[0].Text, "WHERE"):
		return hcl.Diagnostics{errorf(rng, "Invalid index condition",
			"Leave out the WHERE keyword: where = %q.", strings.TrimSpace(w[len(toks[0].Text):]))}
	}
	if why := sqlnorm.CheckIndexExpr(toks); why != "" {
		return hcl.Diagnostics{errorf(rng, "Invalid index condition",
			"The condition cannot make a partial index: %s.", why)}
	}
	for _, name := range sqlnorm.Refs(toks) {
		if _, d := columnField(m, name, rng, "The condition"); d != nil {
			diags = append(diags, d)
		}
	}
	idx.Where = w
	return diags
}
