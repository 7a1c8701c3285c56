package backend

import (
	"strings"

	"github.com/dmplan/dmplan/internal/sqlnorm"
	"github.com/dmplan/dmplan/state"
)

// parsedTable is what parseTableSQL reads from the CREATE TABLE text that
// sqlite_master keeps: what PRAGMA table_info does not tell.
type parsedTable struct {
	virtual      string // module of CREATE VIRTUAL TABLE ... USING module
	strict       bool
	withoutRowid bool
	columns      []parsedColumn // every column definition, generated ones too
	checks       []string       // table CHECK constraints, normalized
	uniques      [][]string     // table UNIQUE constraints (plain column keys)
	primaryKey   []string       // a table PRIMARY KEY constraint, in key order
	foreignKeys  []state.ForeignKey
	// unmodeled lists what the text declares that state does not hold
	// (ON CONFLICT clauses, deferred foreign keys, STORED generated
	// columns, keys with a collation or order in table constraints).
	unmodeled []string
}

// parsedColumn is one column definition.
type parsedColumn struct {
	name          string
	collate       string // upper-case, "" for BINARY or none
	checks        []string
	autoincrement bool
	unique        bool
	primary       bool
	references    *state.Reference
	generated     string
	unmodeled     []string
}

// parseTableSQL reads CREATE [TEMP] [VIRTUAL] TABLE text with SQLite's
// grammar: quoted names ("x", `x`, [x]), string literals, comments, nested
// parentheses, CONSTRAINT names, conflict clauses, table options. ok is
// false for text it cannot read (CREATE TABLE ... AS SELECT, or text that
// does not tokenize); then only PRAGMA table_info describes the table. It
// never panics on any input (FuzzParseTableSQL).
func parseTableSQL(sql string) (parsedTable, bool) {
	var p parsedTable
	toks, ok := sqlnorm.Tokenize(sql)
	if !ok {
		return p, false
	}
	i := 0
	word := func(w string) bool {
		if i < len(toks) && toks[i].Kind == sqlnorm.Word && strings.EqualFold(toks[i].Text, w) {
			i++
			return true
		}
		return false
	}
	if !word("CREATE") {
		return p, false
	}
	_ = word("TEMP") || word("TEMPORARY")
	virtual := word("VIRTUAL")
	if !word("TABLE") {
		return p, false
	}
	if word("IF") {
		if !word("NOT") || !word("EXISTS") {
			return p, false
		}
	}
	// [schema.]name
	if i >= len(toks) {
		return p, false
	}
	i++
	if i+1 < len(toks) && toks[i].Text == "." && toks[i].Kind == sqlnorm.Punct {
		i += 2
	}
	if virtual {
		if !word("USING") || i >= len(toks) {
			return p, false
		}
		p.virtual = strings.ToLower(toks[i].Text)
		return p, true
	}
	if i >= len(toks) || toks[i].Text != "(" {
		return p, false // CREATE TABLE ... AS SELECT
	}
	end := closeParen(toks, i)
	if end < 0 {
		return p, false
	}
	for _, item := range splitTop(toks[i+1 : end]) {
		if len(item) == 0 {
			return p, false
		}
		if !p.tableConstraint(item) {
			c, ok := parseColumnDef(item)
			if !ok {
				return p, false
			}
			p.columns = append(p.columns, c)
		}
	}
	// Table options: WITHOUT ROWID, STRICT, separated by commas.
	for _, opt := range splitTop(toks[end+1:]) {
		switch {
		case len(opt) == 0:
		case len(opt) == 2 && isWord(opt[0], "WITHOUT") && isWord(opt[1], "ROWID"):
			p.withoutRowid = true
		case len(opt) == 1 && isWord(opt[0], "STRICT"):
			p.strict = true
		default:
			return p, false
		}
	}
	return p, true
}

// tableConstraint reads a table constraint into p and reports whether item
// is one (rather than a column definition).
func (p *parsedTable) tableConstraint(item []sqlnorm.Token) bool {
	i := 0
	if isWord(item[0], "CONSTRAINT") {
		if len(item) < 3 {
			return false
		}
		i = 2
	}
	t := item[i]
	if t.Kind != sqlnorm.Word {
		return false
	}
	switch strings.ToUpper(t.Text) {
	case "PRIMARY":
		if i+2 < len(item) && isWord(item[i+1], "KEY") && item[i+2].Text == "(" {
			cols, plain := keyColumns(item[i+2:])
			p.primaryKey = cols
			p.noteConstraint("PRIMARY KEY", item[i+2:], plain)
			return true
		}
	case "UNIQUE":
		if i+1 < len(item) && item[i+1].Text == "(" {
			cols, plain := keyColumns(item[i+1:])
			p.uniques = append(p.uniques, cols)
			p.noteConstraint("UNIQUE", item[i+1:], plain)
			return true
		}
	case "CHECK":
		if i+1 < len(item) && item[i+1].Text == "(" {
			if e := closeParen(item, i+1); e > 0 {
				p.checks = append(p.checks, sqlnorm.Normalize(item[i+2:e]))
			}
			return true
		}
	case "FOREIGN":
		if i+2 < len(item) && isWord(item[i+1], "KEY") && item[i+2].Text == "(" {
			e := closeParen(item, i+2)
			if e < 0 {
				return true
			}
			fk := state.ForeignKey{Columns: nameList(item[i+3 : e])}
			j := e + 1
			if j < len(item) && isWord(item[j], "REFERENCES") {
				ref, _, deferred := parseReferences(item, j+1)
				fk.Reference = ref
				if deferred {
					p.unmodeled = append(p.unmodeled, "FOREIGN KEY ("+strings.Join(fk.Columns, ", ")+") is DEFERRABLE INITIALLY DEFERRED")
				}
			}
			p.foreignKeys = append(p.foreignKeys, fk)
			return true
		}
	}
	return false
}

// noteConstraint records what a table PRIMARY KEY or UNIQUE constraint
// declares beyond plain columns: a key with a collation, an order or an
// expression, or an ON CONFLICT clause. toks start at its parenthesis.
func (p *parsedTable) noteConstraint(what string, toks []sqlnorm.Token, plain bool) {
	e := closeParen(toks, 0)
	if e < 0 {
		return
	}
	if !plain {
		p.unmodeled = append(p.unmodeled, what+" ("+sqlnorm.Normalize(toks[1:e])+") has keys with a collation, an order or an expression")
	}
	if r := conflictClause(toks[e+1:]); r != "" {
		p.unmodeled = append(p.unmodeled, what+" ("+sqlnorm.Normalize(toks[1:e])+") has ON CONFLICT "+r)
	}
}

// conflictClause returns the resolution of an ON CONFLICT clause at the
// start of toks, "" when there is none or it is ABORT, the default.
func conflictClause(toks []sqlnorm.Token) string {
	if len(toks) >= 3 && isWord(toks[0], "ON") && isWord(toks[1], "CONFLICT") {
		if r := strings.ToUpper(toks[2].Text); r != "ABORT" {
			return r
		}
	}
	return ""
}

// parseColumnDef reads name [type] [constraints].
func parseColumnDef(item []sqlnorm.Token) (parsedColumn, bool) {
	var c parsedColumn
	name, ok := sqlnorm.Name(item[0])
	if !ok {
		return c, false
	}
	c.name = name
	i := 1
	// The type: words, then an optional (n) or (n, m), up to a constraint.
	for i < len(item) && (item[i].Kind == sqlnorm.Word || item[i].Kind == sqlnorm.Quoted) && !constraintWord(item[i]) {
		i++
	}
	if i < len(item) && item[i].Text == "(" && i > 1 {
		e := closeParen(item, i)
		if e < 0 {
			return c, false
		}
		i = e + 1
	}
	for i < len(item) {
		t := item[i]
		if t.Kind != sqlnorm.Word {
			i++ // tolerate what SQLite would have refused anyway
			continue
		}
		switch strings.ToUpper(t.Text) {
		case "CONSTRAINT":
			i += 2
		case "PRIMARY":
			c.primary = true
			i += 2 // PRIMARY KEY
			if i < len(item) && isWord(item[i], "DESC") {
				// INTEGER PRIMARY KEY DESC is not an alias of the rowid.
				c.unmodeled = append(c.unmodeled, "PRIMARY KEY DESC")
				i++
			}
		case "AUTOINCREMENT":
			c.autoincrement = true
			i++
		case "UNIQUE":
			c.unique = true
			i++
		case "CHECK":
			i++
			if i < len(item) && item[i].Text == "(" {
				e := closeParen(item, i)
				if e < 0 {
					return c, false
				}
				c.checks = append(c.checks, sqlnorm.Normalize(item[i+1:e]))
				i = e + 1
			}
		case "DEFAULT":
			i++
			if i < len(item) && item[i].Text == "(" {
				if e := closeParen(item, i); e > 0 {
					i = e + 1
					continue
				}
				return c, false
			}
			if i < len(item) && (item[i].Text == "-" || item[i].Text == "+") {
				i++
			}
			i++
		case "COLLATE":
			i++
			if i < len(item) {
				if n, ok := sqlnorm.Name(item[i]); ok {
					c.collate = strings.ToUpper(n)
					if c.collate == "BINARY" {
						c.collate = ""
					}
				}
				i++
			}
		case "REFERENCES":
			ref, next, deferred := parseReferences(item, i+1)
			c.references = &ref
			if deferred {
				c.unmodeled = append(c.unmodeled, "REFERENCES is DEFERRABLE INITIALLY DEFERRED")
			}
			i = next
		case "AS":
			i++
			if i < len(item) && item[i].Text == "(" {
				e := closeParen(item, i)
				if e < 0 {
					return c, false
				}
				c.generated = sqlnorm.Normalize(item[i+1 : e])
				i = e + 1
			}
		case "ON":
			if r := conflictClause(item[i:]); r != "" {
				c.unmodeled = append(c.unmodeled, "ON CONFLICT "+r)
			}
			i += 3 // ON CONFLICT <resolution>
		case "STORED":
			c.unmodeled = append(c.unmodeled, "generated STORED")
			i++
		default:
			i++ // NOT, NULL, ASC, DESC, GENERATED, ALWAYS, STORED, VIRTUAL, ...
		}
	}
	return c, true
}

// constraintWord reports whether a bare word starts a column constraint,
// which ends the type name.
func constraintWord(t sqlnorm.Token) bool {
	if t.Kind != sqlnorm.Word {
		return false
	}
	switch strings.ToUpper(t.Text) {
	case "CONSTRAINT", "PRIMARY", "NOT", "NULL", "UNIQUE", "CHECK", "DEFAULT", "COLLATE", "REFERENCES", "GENERATED", "AS":
		return true
	}
	return false
}

// parseReferences reads table [(cols)] [ON DELETE|UPDATE action | MATCH
// name | [NOT] DEFERRABLE [INITIALLY DEFERRED|IMMEDIATE]]... starting at
// toks[i], and returns the index after it and whether the constraint is
// DEFERRABLE INITIALLY DEFERRED (checked at commit, not per statement).
func parseReferences(toks []sqlnorm.Token, i int) (r state.Reference, next int, deferred bool) {
	if i >= len(toks) {
		return r, i, false
	}
	not := false
	r.Table, _ = sqlnorm.Name(toks[i])
	i++
	if i < len(toks) && toks[i].Text == "(" {
		if e := closeParen(toks, i); e > 0 {
			r.Columns = nameList(toks[i+1 : e])
			i = e + 1
		}
	}
	for i < len(toks) {
		switch {
		case isWord(toks[i], "ON") && i+1 < len(toks):
			which := strings.ToUpper(toks[i+1].Text)
			i += 2
			var act string
			switch {
			case i+1 < len(toks) && (isWord(toks[i], "SET") || isWord(toks[i], "NO")):
				act = strings.ToUpper(toks[i].Text + " " + toks[i+1].Text)
				i += 2
			case i < len(toks):
				act = strings.ToUpper(toks[i].Text)
				i++
			}
			if act == "NO ACTION" {
				act = ""
			}
			switch which {
			case "DELETE":
				r.OnDelete = act
			case "UPDATE":
				r.OnUpdate = act
			}
		case isWord(toks[i], "MATCH"):
			i += 2 // parsed and ignored by SQLite
		case isWord(toks[i], "NOT"):
			not = true
			i++
		case isWord(toks[i], "DEFERRED"):
			deferred = !not
			i++
		case isWord(toks[i], "DEFERRABLE"), isWord(toks[i], "INITIALLY"), isWord(toks[i], "IMMEDIATE"):
			i++
		default:
			return r, i, deferred
		}
	}
	return r, i, deferred
}

// keyColumns reads (col [COLLATE x] [ASC|DESC], ...) starting at the
// parenthesis toks[0]: the column names, "<expr>" for anything else, and
// whether every key is a plain column (ASC and COLLATE BINARY included).
func keyColumns(toks []sqlnorm.Token) ([]string, bool) {
	e := closeParen(toks, 0)
	if e < 0 {
		return nil, true
	}
	var out []string
	plain := true
	for _, part := range splitTop(toks[1:e]) {
		if len(part) == 0 {
			continue
		}
		n, ok := sqlnorm.Name(part[0])
		if !ok || (len(part) > 1 && !isWord(part[1], "COLLATE") && !isWord(part[1], "ASC") && !isWord(part[1], "DESC")) {
			out = append(out, "<expr>")
			plain = false
			continue
		}
		out = append(out, n)
		rest := part[1:]
		if len(rest) >= 2 && isWord(rest[0], "COLLATE") {
			if !isWord(rest[1], "BINARY") {
				plain = false
			}
			rest = rest[2:]
		}
		if len(rest) > 0 && !isWord(rest[0], "ASC") {
			plain = false
		}
	}
	return out, plain
}

// nameList reads a comma-separated list of names.
func nameList(toks []sqlnorm.Token) []string {
	var out []string
	for _, part := range splitTop(toks) {
		if len(part) > 0 {
			if n, ok := sqlnorm.Name(part[0]); ok {
				out = append(out, n)
			}
		}
	}
	return out
}

// splitTop splits tokens at the commas outside parentheses.
func splitTop(toks []sqlnorm.Token) [][]sqlnorm.Token {
	if len(toks) == 0 {
		return nil
	}
	var out [][]sqlnorm.Token
	depth, start := 0, 0
	for i, t := range toks {
		if t.Kind != sqlnorm.Punct {
			continue
		}
		switch t.Text {
		case "(":
			depth++
		case ")":
			depth--
		case ",":
			if depth == 0 {
				out = append(out, toks[start:i])
				start = i + 1
			}
		}
	}
	return append(out, toks[start:])
}

// closeParen returns the index of the parenthesis closing toks[open], or
// -1.
func closeParen(toks []sqlnorm.Token, open int) int {
	depth := 0
	for j := open; j < len(toks); j++ {
		if toks[j].Kind != sqlnorm.Punct {
			continue
		}
		switch toks[j].Text {
		case "(":
			depth++
		case ")":
			depth--
			if depth == 0 {
				return j
			}
		}
	}
	return -1
}

func isWord(t sqlnorm.Token, w string) bool {
	return t.Kind == sqlnorm.Word && strings.EqualFold(t.Text, w)
}

// shadowSuffixes are the shadow tables each virtual table module keeps.
var shadowSuffixes = map[string][]string{
	"fts5":  {"_data", "_idx", "_content", "_docsize", "_config"},
	"fts4":  {"_segments", "_segdir", "_docsize", "_stat", "_content"},
	"fts3":  {"_segments", "_segdir", "_docsize", "_stat", "_content"},
	"rtree": {"_node", "_rowid", "_parent"},
}

// applyTableSQL completes a table inspected through PRAGMA table_info with
// what its CREATE TABLE text adds. Generated columns, which table_info
// leaves out, are appended with Generated set.
func applyTableSQL(t *state.Table, p parsedTable) {
	t.Virtual = p.virtual
	t.Strict, t.WithoutRowid = p.strict, p.withoutRowid
	t.Checks = p.checks
	t.Uniques = p.uniques
	t.ForeignKeys = p.foreignKeys
	t.Unmodeled = p.unmodeled
	for _, pc := range p.columns {
		c := t.Column(pc.name)
		if c == nil {
			if pc.generated == "" {
				continue
			}
			c = &state.Column{Name: pc.name}
			t.Columns = append(t.Columns, c)
		}
		c.Collate = pc.collate
		c.Check = strings.Join(pc.checks, " AND ")
		c.Autoincrement = pc.autoincrement
		c.Unique = pc.unique
		c.References = pc.references
		c.Generated = pc.generated
		for _, u := range pc.unmodeled {
			t.Unmodeled = append(t.Unmodeled, "column "+pc.name+": "+u)
		}
	}
}

// markShadows sets ShadowOf on the shadow tables of the virtual tables.
func markShadows(tables []*state.Table) {
	byName := map[string]*state.Table{}
	for _, t := range tables {
		byName[strings.ToLower(t.Name)] = t
	}
	for _, v := range tables {
		for _, suf := range shadowSuffixes[v.Virtual] {
			if s := byName[strings.ToLower(v.Name+suf)]; s != nil && s.Virtual == "" {
				s.ShadowOf = v.Name
			}
		}
	}
}
