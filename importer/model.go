package importer

import (
	"cmp"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/state"
)

// model is a table as a D1-only model.
type model struct {
	name, table  string
	primaryKey   []string
	fields       []*field
	strict       bool
	withoutRowid bool
	checks       []string
	uniques      [][]string
	foreignKeys  []state.ForeignKey
	indexes      []*index
	// leftOut are remarks for the file's header: generated columns and
	// constraint names a model does not carry.
	leftOut []string
}

// field is one column as a field.
type field struct {
	name          string
	typ           hclspec.FieldType
	required      bool
	sqlType       string
	def           cty.Value // the default, cty.NilVal for none
	sqlDefault    string
	check         string
	collate       string
	autoincrement bool
	unique        bool
	ref           *state.Reference
}

// index is one live index as an index block.
type index struct {
	label   string
	name    string // set when table_label does not spell the SQL name
	columns []string
	keys    []string
	where   string
	unique  bool
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// sqlName reports why name cannot be a dmplan table or column name, or "".
func sqlName(name string) string {
	switch {
	case !identRE.MatchString(name):
		return "is not a plain identifier (letters, digits and underscores, not starting with a digit)"
	case len(name) > 64:
		return "is longer than 64 characters"
	}
	lower := strings.ToLower(name)
	for _, p := range []string{"sqlite_", "_cf_", "_dmplan_"} {
		if strings.HasPrefix(lower, p) {
			return "starts with the reserved prefix " + p
		}
	}
	return ""
}

// declare makes the model of table t, or says why a model cannot declare
// it. Everything comes from the inspected table (backend.Inspect reads
// the CREATE TABLE text), so the model says what a plan compares against.
func declare(t *state.Table, create string) (*model, string) {
	if why := sqlName(t.Name); why != "" {
		return nil, "its name " + why
	}
	m := &model{name: strings.ToUpper(t.Name), table: t.Name, strict: t.Strict, withoutRowid: t.WithoutRowid,
		checks: t.Checks, uniques: t.Uniques}
	if strings.Contains(strings.ToUpper(create), "CONSTRAINT") {
		m.leftOut = append(m.leftOut, "constraint names (SQLite does not report them; the constraints are declared)")
	}
	var key []*state.Column
	var cols []*state.Column
	for _, c := range t.Columns {
		if c.Generated != "" {
			m.leftOut = append(m.leftOut, "generated column "+c.Name+" (SQLite computes it; it is not a field)")
			continue
		}
		cols = append(cols, c)
		if c.PK {
			key = append(key, c)
		}
	}
	if len(key) == 0 {
		return nil, "it has no PRIMARY KEY, and a model needs a key"
	}
	slices.SortStableFunc(key, func(a, b *state.Column) int { return cmp.Compare(a.KeySeq, b.KeySeq) })
	for _, c := range key {
		m.primaryKey = append(m.primaryKey, c.Name)
	}
	if len(cols) > 100 {
		return nil, fmt.Sprintf("it has %d columns; D1 allows 100", len(cols))
	}
	for _, c := range cols {
		if why := sqlName(c.Name); why != "" {
			return nil, "its column name " + strconv.Quote(c.Name) + " " + why
		}
		f, why := declareField(c, t.Strict)
		if why != "" {
			return nil, why
		}
		m.fields = append(m.fields, f)
	}
	m.foreignKeys = t.ForeignKeys
	labels := map[string]bool{}
	for _, ix := range t.Indexes {
		d := declareIndex(t.Name, ix)
		// Two names may sanitize to one label (idx-a, idx_a): the later
		// one gets a number, and its name attribute keeps the SQL name.
		for n, base := 2, d.label; labels[strings.ToLower(d.label)]; n++ {
			d.label, d.name = fmt.Sprintf("%s_%d", base, n), ix.Name
		}
		labels[strings.ToLower(d.label)] = true
		m.indexes = append(m.indexes, d)
	}
	return m, ""
}

// declareField maps a column to a field.
func declareField(c *state.Column, strict bool) (*field, string) {
	declared := strings.TrimSpace(c.Type)
	if declared == "" {
		return nil, "column " + c.Name + " has no declared type, which no field type maps to"
	}
	upper := strings.ToUpper(declared)
	if strict && upper == "ANY" {
		return nil, "column " + c.Name + " is ANY in a STRICT table, which no field type maps to"
	}
	f := &field{name: c.Name, typ: fieldType(upper), required: c.NotNull, check: c.Check, unique: c.Unique,
		collate: c.Collate, autoincrement: c.Autoincrement, ref: c.References}
	f.ref = c.References
	if upper != f.typ.ColumnType() {
		f.sqlType = upper
	}
	f.def, f.sqlDefault = declareDefault(f.typ, c.Default)
	return f, ""
}

// fieldType maps a declared SQL type to a field type by SQLite's affinity
// rules, and within NUMERIC affinity by the name's meaning.
func fieldType(upper string) hclspec.FieldType {
	switch {
	case strings.Contains(upper, "INT"):
		return hclspec.Integer
	case strings.Contains(upper, "CHAR"), strings.Contains(upper, "CLOB"), strings.Contains(upper, "TEXT"):
		return hclspec.String
	case strings.Contains(upper, "BLOB"):
		return hclspec.Blob
	case strings.Contains(upper, "REAL"), strings.Contains(upper, "FLOA"), strings.Contains(upper, "DOUB"):
		return hclspec.Number
	case strings.HasPrefix(upper, "BOOL"):
		return hclspec.Boolean
	case strings.HasPrefix(upper, "DATE"), strings.HasPrefix(upper, "TIME"):
		return hclspec.Timestamp
	case strings.HasPrefix(upper, "JSON"):
		return hclspec.JSON
	case strings.Contains(upper, "BINARY"):
		// VARBINARY(n) has NUMERIC affinity, which holds every type but
		// blob: its bytes are read as text.
		return hclspec.String
	default:
		return hclspec.Number
	}
}

var (
	intLit   = regexp.MustCompile(`^-?[0-9]+$`)
	floatLit = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)
)

// declareDefault returns the field's default as an HCL expression when the
// planner renders it back to exactly the live text (see
// planner.defaultLiteral), else the live text as sql_default.
func declareDefault(t hclspec.FieldType, live string) (def cty.Value, sql string) {
	live = strings.TrimSpace(live)
	if live == "" || strings.EqualFold(live, "NULL") {
		return cty.NilVal, ""
	}
	switch t {
	case hclspec.String, hclspec.Text:
		if s, ok := sqlString(live); ok {
			return cty.StringVal(s), ""
		}
	case hclspec.Integer:
		if intLit.MatchString(live) {
			if n, err := strconv.ParseInt(live, 10, 64); err == nil && n > -(1<<53) && n < 1<<53 {
				return cty.NumberIntVal(n), ""
			}
		}
	case hclspec.Number:
		if floatLit.MatchString(live) {
			if v, err := strconv.ParseFloat(live, 64); err == nil && !math.IsInf(v, 0) && strconv.FormatFloat(v, 'g', -1, 64) == live {
				return cty.NumberFloatVal(v), ""
			}
		}
	case hclspec.Boolean:
		switch live {
		case "0":
			return cty.False, ""
		case "1":
			return cty.True, ""
		}
	case hclspec.JSON:
		switch live {
		case "'{}'":
			return cty.EmptyObjectVal, ""
		case "'[]'":
			return cty.EmptyTupleVal, ""
		}
	}
	return cty.NilVal, sqlDefault(live)
}

var literalRE = regexp.MustCompile(`(?i)^([-+]?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?|[-+]?0x[0-9a-f]+|'([^']|'')*'|x'[0-9a-f]*'|null|true|false|current_time|current_date|current_timestamp)$`)

// sqlDefault is a live default as sql_default text: PRAGMA table_info
// reports DEFAULT (expr) without its parentheses, which a default that is
// not a literal needs.
func sqlDefault(live string) string {
	if literalRE.MatchString(live) {
		return live
	}
	return "(" + live + ")"
}

// sqlString unquotes a single-quoted SQL string literal.
func sqlString(lit string) (string, bool) {
	if len(lit) < 2 || lit[0] != '\'' || lit[len(lit)-1] != '\'' {
		return "", false
	}
	inner := lit[1 : len(lit)-1]
	if strings.Count(inner, "'")%2 != 0 || strings.Contains(strings.ReplaceAll(inner, "''", ""), "'") {
		return "", false
	}
	return strings.ReplaceAll(inner, "''", "'"), true
}

// declareIndex maps a live index to an index block.
func declareIndex(table string, ix *state.Index) *index {
	out := &index{unique: ix.Unique, where: ix.Where}
	if rest, ok := strings.CutPrefix(ix.Name, table+"_"); ok && identRE.MatchString(rest) {
		out.label = rest
	} else {
		out.label = labelFor(ix.Name)
		out.name = ix.Name
	}
	plain := true
	for _, k := range ix.Keys {
		if k != (state.IndexKey{}) {
			plain = false
		}
	}
	if plain {
		out.columns = ix.Columns
		return out
	}
	for i, col := range ix.Columns {
		k := ix.Key(i)
		s := col
		if k.Expr != "" {
			s = k.Expr
		}
		if k.Collate != "" {
			s += " COLLATE " + k.Collate
		}
		if k.Desc {
			s += " DESC"
		}
		out.keys = append(out.keys, s)
	}
	return out
}

// labelFor makes an index label from a name that is not table_label.
func labelFor(name string) string {
	var b strings.Builder
	for i, r := range name {
		switch {
		case r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' && i > 0:
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "index"
	}
	return b.String()
}
