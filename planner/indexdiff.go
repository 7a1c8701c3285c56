package planner

import (
	"fmt"
	"strings"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/state"
)

// indexProps are the properties of an index that decide what it holds and
// which queries it serves, compared field by field between the declared
// index and the live one. The declared side is what dmplan creates from
// the index block (desiredIndex): columns or keys with their expressions,
// collations and order, and the condition (where, and deleted_at IS NULL
// for unique = "live"), normalized as inspection normalizes the live one.
type indexProps struct {
	Unique  bool
	Columns []string // column names, or "<expr>" for an expression key
	Keys    []state.IndexKey
	Where   string // normalized WHERE of a partial index
}

func propsOf(ix *state.Index) indexProps {
	p := indexProps{Unique: ix.Unique, Columns: ix.Columns, Where: ix.Where, Keys: make([]state.IndexKey, len(ix.Columns))}
	for i := range ix.Columns {
		p.Keys[i] = ix.Key(i)
	}
	return p
}

// indexDiff is one way the live index differs from the declared one.
type indexDiff struct {
	shape bool   // columns or uniqueness (DM105) rather than a finer property (DM114)
	text  string // what differs, in words
}

// diffIndex lists how have differs from want, field by field; nil when
// they are the same index. Names compare ignoring ASCII case, as SQLite
// does.
func diffIndex(want, have indexProps) []indexDiff {
	var out []indexDiff
	if want.Unique != have.Unique {
		if have.Unique {
			out = append(out, indexDiff{true, "the live index is unique, the declared one is not"})
		} else {
			out = append(out, indexDiff{true, "the declared index is unique, the live one is not"})
		}
	}
	sameCols := len(want.Columns) == len(have.Columns)
	// A key that is an expression on either side is compared below, as
	// an expression, not as a column.
	for i := 0; sameCols && i < len(want.Columns); i++ {
		sameCols = want.Keys[i].Expr != "" || have.Keys[i].Expr != "" || strings.EqualFold(want.Columns[i], have.Columns[i])
	}
	if !sameCols {
		out = append(out, indexDiff{true, fmt.Sprintf("the live index covers %s, the declared one %s", describeKeys(have), describeKeys(want))})
	} else {
		for i, col := range have.Columns {
			w, h := want.Keys[i], have.Keys[i]
			name := col
			if h.Expr != "" {
				name = h.Expr
			}
			if w.Expr != h.Expr {
				switch {
				case h.Expr == "":
					out = append(out, indexDiff{false, fmt.Sprintf("key %d of the live index is the column %s, the declared one the expression %s", i+1, col, w.Expr)})
				case w.Expr == "":
					out = append(out, indexDiff{false, fmt.Sprintf("key %d of the live index is the expression %s, not the column %s", i+1, h.Expr, want.Columns[i])})
				default:
					out = append(out, indexDiff{false, fmt.Sprintf("key %d of the live index is the expression %s, the declared one %s", i+1, h.Expr, w.Expr)})
				}
			}
			if !strings.EqualFold(w.Collate, h.Collate) {
				out = append(out, indexDiff{false, fmt.Sprintf("%s is compared with %s in the live index, %s in the declared one", name, collation(h.Collate), collation(w.Collate))})
			}
			if w.Desc != h.Desc {
				out = append(out, indexDiff{false, fmt.Sprintf("%s is %s in the live index, %s in the declared one", name, order(h.Desc), order(w.Desc))})
			}
		}
	}
	if want.Where != have.Where {
		switch {
		case want.Where == "":
			out = append(out, indexDiff{false, "the live index is partial (WHERE " + have.Where + "), the declared one covers every row"})
		case have.Where == "":
			out = append(out, indexDiff{false, "the declared index is partial (WHERE " + want.Where + "), the live one covers every row"})
		default:
			out = append(out, indexDiff{false, "the live index covers the rows WHERE " + have.Where + ", the declared one WHERE " + want.Where})
		}
	}
	return out
}

func collation(c string) string {
	if c == "" {
		return "the column's collation"
	}
	return "COLLATE " + c
}

func order(desc bool) string {
	if desc {
		return "descending"
	}
	return "ascending"
}

// describeKeys writes the keys of an index as SQL would: (a, lower(b) DESC).
func describeKeys(p indexProps) string {
	parts := make([]string, len(p.Columns))
	for i, c := range p.Columns {
		k := p.Keys[i]
		if k.Expr != "" {
			c = k.Expr
		}
		if k.Collate != "" {
			c += " COLLATE " + k.Collate
		}
		if k.Desc {
			c += " DESC"
		}
		parts[i] = c
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// describeIndex writes an index as a reader would compare it:
// unique (a, b DESC) WHERE x IS NULL.
func describeIndex(ix *state.Index) string {
	p := propsOf(ix)
	s := describeKeys(p)
	if p.Unique {
		s = "unique " + s
	}
	if p.Where != "" {
		s += " WHERE " + p.Where
	}
	return s
}

// compareIndex blocks a declared index whose live namesake differs: DM105
// when its columns or uniqueness differ, DM114 when only its order,
// collation, expressions or WHERE clause do. dmplan never drops an index,
// so either way a person decides: drop the live one so dmplan creates it
// as declared, or keep it and let dmplan create the declared one under a
// new label.
func (d *differ) compareIndex(m *hclspec.Model, want, have *state.Index) {
	diffs := diffIndex(propsOf(want), propsOf(have))
	if len(diffs) == 0 {
		return
	}
	code := CodeIndexDefinition
	texts := make([]string, len(diffs))
	for i, df := range diffs {
		texts[i] = df.text
		if df.shape {
			code = CodeIndexChanged
		}
	}
	reason := fmt.Sprintf("model %s declares index %s as %s, but the live index is %s: %s",
		m.Name, want.Name, describeIndex(want), describeIndex(have), strings.Join(texts, "; "))
	hint := fmt.Sprintf("dmplan does not drop indexes. If the live index was changed by hand, drop it (DROP INDEX %s) and apply: dmplan creates it as declared. "+
		"To keep it, give the index block a new label: dmplan creates the declared index beside it (drop the old one by hand when unused)",
		quoteIdent(have.Name))
	d.block(m, want.Name, code, reason, hint)
}
