package planner

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/state"
)

// quoteIdent quotes a SQLite identifier with double quotes, doubling any
// embedded quote, so reserved words ("order", "group") are safe as names.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// quoteString renders a SQL string literal with ” escaping.
func quoteString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// defaultLiteral renders a field default as the SQL text of a DEFAULT
// clause: strings single-quoted, booleans 1/0, numbers as written, json and
// array values as JSON text. It returns "" when there is no default or the
// value cannot be rendered (NaN, infinities, unsupported Go types).
func defaultLiteral(f *hclspec.Field) string {
	if f == nil || f.Default == nil {
		return ""
	}
	switch v := f.Default.(type) {
	case string:
		if f.Type == hclspec.JSON {
			return jsonLiteral(v)
		}
		return quoteString(v)
	case bool:
		if v {
			return "1"
		}
		return "0"
	case int:
		return strconv.FormatInt(int64(v), 10)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return ""
		}
		if f.Type == hclspec.Integer && v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return strconv.FormatInt(int64(v), 10)
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	case []any, map[string]any, []string:
		return jsonLiteral(v)
	default:
		return ""
	}
}

// jsonLiteral renders v as JSON text inside a SQL string literal. Map keys
// are sorted by encoding/json, so the text is deterministic.
func jsonLiteral(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return quoteString(string(b))
}

// columnDef renders a column definition for CREATE TABLE and ADD COLUMN.
func columnDef(c *state.Column) string {
	var b strings.Builder
	b.WriteString(quoteIdent(c.Name))
	b.WriteByte(' ')
	b.WriteString(c.Type)
	if c.PK {
		b.WriteString(" PRIMARY KEY")
	}
	if c.NotNull {
		b.WriteString(" NOT NULL")
	}
	if c.Default != "" {
		b.WriteString(" DEFAULT ")
		b.WriteString(c.Default)
	}
	return b.String()
}

// createTableSQL renders CREATE TABLE with every column; indexes are
// separate statements (createIndexSQL).
func createTableSQL(t *state.Table) string {
	var b strings.Builder
	b.WriteString("CREATE TABLE ")
	b.WriteString(quoteIdent(t.Name))
	b.WriteString(" (")
	for i, c := range t.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(columnDef(c))
	}
	b.WriteString(")")
	return b.String()
}

// addColumnSQL renders ALTER TABLE ... ADD COLUMN. Callers check
// addColumnCheck first.
func addColumnSQL(table string, c *state.Column) string {
	return "ALTER TABLE " + quoteIdent(table) + " ADD COLUMN " + columnDef(c)
}

// createIndexSQL renders CREATE [UNIQUE] INDEX with each key's
// expression, collation and order and the WHERE of a partial index. The
// expressions and the condition are normalized text, which inspection
// reads back unchanged.
func createIndexSQL(table string, ix *state.Index) string {
	var b strings.Builder
	b.WriteString("CREATE ")
	if ix.Unique {
		b.WriteString("UNIQUE ")
	}
	b.WriteString("INDEX ")
	b.WriteString(quoteIdent(ix.Name))
	b.WriteString(" ON ")
	b.WriteString(quoteIdent(table))
	b.WriteString(" (")
	for i, c := range ix.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(keySQL(c, ix.Key(i)))
		if ix.Key(i).Desc {
			b.WriteString(" DESC")
		}
	}
	b.WriteString(")")
	if ix.Where != "" {
		b.WriteString(" WHERE ")
		b.WriteString(ix.Where)
	}
	return b.String()
}

// keySQL renders one key of an index without its order: the quoted
// column or the expression, then its collation.
func keySQL(col string, k state.IndexKey) string {
	s := quoteIdent(col)
	if k.Expr != "" {
		s = k.Expr
	}
	if k.Collate != "" {
		s += " COLLATE " + k.Collate
	}
	return s
}
