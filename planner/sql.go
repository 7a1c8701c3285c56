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

// columnDef renders a column definition for CREATE TABLE and ADD COLUMN:
// name, type, PRIMARY KEY [AUTOINCREMENT] (a single-column key), NOT
// NULL, DEFAULT, COLLATE, UNIQUE, CHECK and REFERENCES, in the order
// drizzle-kit and wrangler migrations write them.
func columnDef(c *state.Column) string {
	var b strings.Builder
	b.WriteString(quoteIdent(c.Name))
	if c.Type != "" {
		b.WriteByte(' ')
		b.WriteString(c.Type)
	}
	if c.PK && c.KeySeq == 0 {
		b.WriteString(" PRIMARY KEY")
		if c.Autoincrement {
			b.WriteString(" AUTOINCREMENT")
		}
	}
	if c.NotNull {
		b.WriteString(" NOT NULL")
	}
	if c.Default != "" {
		b.WriteString(" DEFAULT ")
		b.WriteString(defaultClause(c.Default))
	}
	if c.Collate != "" {
		b.WriteString(" COLLATE ")
		b.WriteString(c.Collate)
	}
	if c.Unique {
		b.WriteString(" UNIQUE")
	}
	if c.Check != "" {
		b.WriteString(" CHECK (")
		b.WriteString(sqlText(c.Check))
		b.WriteString(")")
	}
	if c.References != nil {
		b.WriteString(" REFERENCES ")
		b.WriteString(referenceSQL(*c.References))
	}
	return b.String()
}

// referenceSQL renders what follows REFERENCES.
func referenceSQL(r state.Reference) string {
	var b strings.Builder
	b.WriteString(quoteIdent(r.Table))
	if len(r.Columns) > 0 {
		b.WriteString(" (")
		b.WriteString(identList(r.Columns))
		b.WriteString(")")
	}
	if r.OnDelete != "" {
		b.WriteString(" ON DELETE ")
		b.WriteString(r.OnDelete)
	}
	if r.OnUpdate != "" {
		b.WriteString(" ON UPDATE ")
		b.WriteString(r.OnUpdate)
	}
	return b.String()
}

func identList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = quoteIdent(n)
	}
	return strings.Join(q, ", ")
}

// createTableSQL renders CREATE TABLE with every column, the table
// constraints (a composite PRIMARY KEY, UNIQUE, CHECK, FOREIGN KEY) and
// options (STRICT, WITHOUT ROWID); indexes are separate statements
// (createIndexSQL).
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
	if pk := t.PrimaryKey(); len(pk) > 1 {
		b.WriteString(", PRIMARY KEY (" + identList(pk) + ")")
	}
	for _, u := range t.Uniques {
		b.WriteString(", UNIQUE (" + identList(u) + ")")
	}
	for _, c := range t.Checks {
		b.WriteString(", CHECK (" + sqlText(c) + ")")
	}
	for _, fk := range t.ForeignKeys {
		b.WriteString(", FOREIGN KEY (" + identList(fk.Columns) + ") REFERENCES " + referenceSQL(fk.Reference))
	}
	b.WriteString(")")
	var opts []string
	if t.Strict {
		opts = append(opts, "STRICT")
	}
	if t.WithoutRowid {
		opts = append(opts, "WITHOUT ROWID")
	}
	if len(opts) > 0 {
		b.WriteString(" " + strings.Join(opts, ", "))
	}
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
