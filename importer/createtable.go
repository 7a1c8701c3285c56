package importer

import (
	"errors"
	"fmt"
	"strings"
)

// createTable is what a CREATE TABLE statement declares beyond what
// PRAGMA table_info reports: constraints as written, table options, and
// the primary key in key order.
type createTable struct {
	Name         string
	Columns      []*columnDef
	PrimaryKey   []string // in key order, from a column or a table constraint
	Checks       []string // table CHECK expressions, as written
	Uniques      [][]string
	ForeignKeys  []foreignKey // table FOREIGN KEY constraints
	Strict       bool
	WithoutRowid bool
}

// columnDef is one column definition.
type columnDef struct {
	Name          string
	Type          string // as written, "" when none
	PrimaryKey    bool
	Autoincrement bool
	NotNull       bool
	Unique        bool
	Check         string
	Collate       string // upper-case
	References    *reference
	Generated     bool // GENERATED ALWAYS AS / AS (...): not in PRAGMA table_info
}

// reference is a REFERENCES clause.
type reference struct {
	Table    string
	Columns  []string
	OnDelete string // upper-case, "" when not written or NO ACTION
	OnUpdate string
}

// foreignKey is a table FOREIGN KEY constraint.
type foreignKey struct {
	Columns []string
	Ref     reference
}

// errNotCreateTable is returned for text that is not a CREATE TABLE
// statement with a column list (CREATE VIRTUAL TABLE, CREATE TABLE AS).
var errNotCreateTable = errors.New("not a CREATE TABLE statement with column definitions")

// token kinds.
const (
	tkWord   = iota // bare word or keyword
	tkQuoted        // "x", `x`, [x]: an identifier
	tkString        // 'x'
	tkNumber
	tkPunct
)

type token struct {
	kind       int
	text       string // the identifier's name unquoted, or the token as written
	start, end int    // byte offsets in the source
}

// tokenize splits SQL text into tokens, dropping comments and spaces.
func tokenize(s string) ([]token, error) {
	var out []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			j := strings.Index(s[i+2:], "*/")
			if j < 0 {
				return nil, fmt.Errorf("unterminated comment at offset %d", i)
			}
			i += j + 4
		case c == '\'' || c == '"' || c == '`':
			j := i + 1
			var b strings.Builder
			for {
				if j >= len(s) {
					return nil, fmt.Errorf("unterminated quote at offset %d", i)
				}
				if s[j] == c {
					if j+1 < len(s) && s[j+1] == c {
						b.WriteByte(c)
						j += 2
						continue
					}
					break
				}
				b.WriteByte(s[j])
				j++
			}
			kind := tkQuoted
			text := b.String()
			if c == '\'' {
				kind, text = tkString, s[i:j+1]
			}
			out = append(out, token{kind: kind, text: text, start: i, end: j + 1})
			i = j + 1
		case c == '[':
			j := strings.IndexByte(s[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("unterminated [ at offset %d", i)
			}
			out = append(out, token{kind: tkQuoted, text: s[i+1 : i+j], start: i, end: i + j + 1})
			i += j + 1
		case (c == 'x' || c == 'X') && i+1 < len(s) && s[i+1] == '\'':
			j := strings.IndexByte(s[i+2:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unterminated blob literal at offset %d", i)
			}
			out = append(out, token{kind: tkString, text: s[i : i+j+3], start: i, end: i + j + 3})
			i += j + 3
		case isWordByte(c) && !(c >= '0' && c <= '9'):
			j := i
			for j < len(s) && isWordByte(s[j]) {
				j++
			}
			out = append(out, token{kind: tkWord, text: s[i:j], start: i, end: j})
			i = j
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			j := i
			for j < len(s) && (isWordByte(s[j]) || s[j] == '.' ||
				(s[j] == '+' || s[j] == '-') && j > i && (s[j-1] == 'e' || s[j-1] == 'E')) {
				j++
			}
			out = append(out, token{kind: tkNumber, text: s[i:j], start: i, end: j})
			i = j
		default:
			n := 1
			if i+1 < len(s) {
				switch s[i : i+2] {
				case "<=", ">=", "<>", "!=", "==", "||", "<<", ">>", "->":
					n = 2
				}
			}
			out = append(out, token{kind: tkPunct, text: s[i : i+n], start: i, end: i + n})
			i += n
		}
	}
	return out, nil
}

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// parser reads tokens of one statement.
type parser struct {
	src  string
	toks []token
	i    int
}

func (p *parser) peek() token {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return token{kind: -1}
}

func (p *parser) done() bool { return p.i >= len(p.toks) }

// kw consumes the keywords in order when they all follow.
func (p *parser) kw(words ...string) bool {
	for k, w := range words {
		if p.i+k >= len(p.toks) {
			return false
		}
		t := p.toks[p.i+k]
		if t.kind != tkWord || !strings.EqualFold(t.text, w) {
			return false
		}
	}
	p.i += len(words)
	return true
}

func (p *parser) punct(s string) bool {
	if t := p.peek(); t.kind == tkPunct && t.text == s {
		p.i++
		return true
	}
	return false
}

// name consumes an identifier (bare or quoted) or a string used as one.
func (p *parser) name() (string, bool) {
	t := p.peek()
	switch t.kind {
	case tkWord, tkQuoted:
		p.i++
		return t.text, true
	case tkString:
		p.i++
		return strings.ReplaceAll(t.text[1:len(t.text)-1], "''", "'"), true
	}
	return "", false
}

// parenText consumes a parenthesized group and returns the source text
// inside it, trimmed.
func (p *parser) parenText() (string, bool) {
	if !p.punct("(") {
		return "", false
	}
	start := p.i
	depth := 1
	for ; p.i < len(p.toks); p.i++ {
		t := p.toks[p.i]
		if t.kind != tkPunct {
			continue
		}
		switch t.text {
		case "(":
			depth++
		case ")":
			depth--
			if depth == 0 {
				text := ""
				if p.i > start {
					text = p.src[p.toks[start].start:p.toks[p.i-1].end]
				}
				p.i++
				return strings.TrimSpace(text), true
			}
		}
	}
	return "", false
}

// nameList consumes "(a, b COLLATE x ASC, c)" and returns the names.
func (p *parser) nameList() ([]string, bool) {
	if !p.punct("(") {
		return nil, false
	}
	var out []string
	for {
		n, ok := p.name()
		if !ok {
			return nil, false
		}
		out = append(out, n)
		// Skip a collation or order the list may carry.
		for {
			if p.kw("COLLATE") {
				if _, ok := p.name(); !ok {
					return nil, false
				}
				continue
			}
			if p.kw("ASC") || p.kw("DESC") {
				continue
			}
			break
		}
		if p.punct(")") {
			return out, true
		}
		if !p.punct(",") {
			return nil, false
		}
	}
}

// parseCreateTable reads a CREATE TABLE statement as sqlite_master keeps
// it.
func parseCreateTable(sql string) (*createTable, error) {
	toks, err := tokenize(sql)
	if err != nil {
		return nil, err
	}
	p := &parser{src: sql, toks: toks}
	if !p.kw("CREATE") {
		return nil, errNotCreateTable
	}
	_ = p.kw("TEMP") || p.kw("TEMPORARY")
	if !p.kw("TABLE") {
		return nil, errNotCreateTable
	}
	_ = p.kw("IF", "NOT", "EXISTS")
	ct := &createTable{}
	name, ok := p.name()
	if !ok {
		return nil, errNotCreateTable
	}
	if p.punct(".") {
		if name, ok = p.name(); !ok {
			return nil, errNotCreateTable
		}
	}
	ct.Name = name
	if !p.punct("(") {
		return nil, errNotCreateTable
	}
	for {
		if p.isTableConstraint() {
			if err := p.tableConstraint(ct); err != nil {
				return nil, err
			}
		} else {
			c, err := p.columnDef()
			if err != nil {
				return nil, err
			}
			ct.Columns = append(ct.Columns, c)
			if c.PrimaryKey {
				ct.PrimaryKey = []string{c.Name}
			}
		}
		if p.punct(")") {
			break
		}
		if !p.punct(",") {
			return nil, fmt.Errorf("unexpected %q in the column list", p.peek().text)
		}
	}
	for !p.done() {
		switch {
		case p.kw("STRICT"):
			ct.Strict = true
		case p.kw("WITHOUT", "ROWID"):
			ct.WithoutRowid = true
		case p.punct(","), p.punct(";"):
		default:
			return nil, fmt.Errorf("unexpected %q after the column list", p.peek().text)
		}
	}
	return ct, nil
}

func (p *parser) isTableConstraint() bool {
	t := p.peek()
	if t.kind != tkWord {
		return false
	}
	switch strings.ToUpper(t.text) {
	case "CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN":
		// A column may be named like a keyword only when quoted, except
		// that SQLite lets a bare "check" or "unique" through nowhere in
		// a column list: these always start a constraint.
		return true
	}
	return false
}

func (p *parser) tableConstraint(ct *createTable) error {
	if p.kw("CONSTRAINT") {
		if _, ok := p.name(); !ok {
			return errors.New("CONSTRAINT without a name")
		}
	}
	switch {
	case p.kw("PRIMARY", "KEY"):
		cols, ok := p.nameList()
		if !ok {
			return errors.New("unreadable PRIMARY KEY column list")
		}
		ct.PrimaryKey = cols
		p.conflictClause()
	case p.kw("UNIQUE"):
		cols, ok := p.nameList()
		if !ok {
			return errors.New("unreadable UNIQUE column list")
		}
		ct.Uniques = append(ct.Uniques, cols)
		p.conflictClause()
	case p.kw("CHECK"):
		e, ok := p.parenText()
		if !ok {
			return errors.New("unreadable CHECK expression")
		}
		ct.Checks = append(ct.Checks, e)
	case p.kw("FOREIGN", "KEY"):
		cols, ok := p.nameList()
		if !ok {
			return errors.New("unreadable FOREIGN KEY column list")
		}
		if !p.kw("REFERENCES") {
			return errors.New("FOREIGN KEY without REFERENCES")
		}
		r, err := p.references()
		if err != nil {
			return err
		}
		ct.ForeignKeys = append(ct.ForeignKeys, foreignKey{Columns: cols, Ref: *r})
	default:
		return fmt.Errorf("unexpected %q in a table constraint", p.peek().text)
	}
	return nil
}

func (p *parser) conflictClause() {
	if p.kw("ON", "CONFLICT") {
		p.i++ // ROLLBACK, ABORT, FAIL, IGNORE or REPLACE
	}
}

// columnDef reads a column name, its type and its constraints.
func (p *parser) columnDef() (*columnDef, error) {
	name, ok := p.name()
	if !ok {
		return nil, fmt.Errorf("unexpected %q where a column name belongs", p.peek().text)
	}
	c := &columnDef{Name: name}
	// The type: words, then an optional (n) or (n, m).
	start := p.i
	for {
		t := p.peek()
		if t.kind != tkWord || constraintStart[strings.ToUpper(t.text)] {
			break
		}
		p.i++
	}
	if p.i > start {
		if t := p.peek(); t.kind == tkPunct && t.text == "(" {
			if _, ok := p.parenText(); !ok {
				return nil, fmt.Errorf("column %s: unreadable type", name)
			}
		}
		c.Type = p.src[p.toks[start].start:p.toks[p.i-1].end]
	}
	for {
		t := p.peek()
		if t.kind == -1 || t.kind == tkPunct && (t.text == "," || t.text == ")") {
			return c, nil
		}
		switch {
		case p.kw("CONSTRAINT"):
			if _, ok := p.name(); !ok {
				return nil, fmt.Errorf("column %s: CONSTRAINT without a name", name)
			}
		case p.kw("PRIMARY", "KEY"):
			c.PrimaryKey = true
			_ = p.kw("ASC") || p.kw("DESC")
			p.conflictClause()
			if p.kw("AUTOINCREMENT") {
				c.Autoincrement = true
			}
		case p.kw("NOT", "NULL"):
			c.NotNull = true
			p.conflictClause()
		case p.kw("NULL"):
			p.conflictClause()
		case p.kw("UNIQUE"):
			c.Unique = true
			p.conflictClause()
		case p.kw("CHECK"):
			e, ok := p.parenText()
			if !ok {
				return nil, fmt.Errorf("column %s: unreadable CHECK", name)
			}
			c.Check = e
		case p.kw("DEFAULT"):
			// The text comes from PRAGMA table_info; skip it here.
			if _, ok := p.parenText(); ok {
				break
			}
			_ = p.punct("-") || p.punct("+")
			if p.done() {
				return nil, fmt.Errorf("column %s: DEFAULT without a value", name)
			}
			p.i++
		case p.kw("COLLATE"):
			coll, ok := p.name()
			if !ok {
				return nil, fmt.Errorf("column %s: COLLATE without a name", name)
			}
			c.Collate = strings.ToUpper(coll)
		case p.kw("REFERENCES"):
			r, err := p.references()
			if err != nil {
				return nil, fmt.Errorf("column %s: %w", name, err)
			}
			c.References = r
		case p.kw("GENERATED", "ALWAYS", "AS"), p.kw("AS"):
			if _, ok := p.parenText(); !ok {
				return nil, fmt.Errorf("column %s: unreadable generated column expression", name)
			}
			_ = p.kw("STORED") || p.kw("VIRTUAL")
			c.Generated = true
		default:
			return nil, fmt.Errorf("column %s: unexpected %q", name, t.text)
		}
	}
}

// constraintStart are the words that end a column's type.
var constraintStart = map[string]bool{
	"CONSTRAINT": true, "PRIMARY": true, "NOT": true, "NULL": true, "UNIQUE": true, "CHECK": true,
	"DEFAULT": true, "COLLATE": true, "REFERENCES": true, "GENERATED": true, "AS": true,
}

// references reads what follows REFERENCES.
func (p *parser) references() (*reference, error) {
	t, ok := p.name()
	if !ok {
		return nil, errors.New("REFERENCES without a table")
	}
	r := &reference{Table: t}
	if tk := p.peek(); tk.kind == tkPunct && tk.text == "(" {
		cols, ok := p.nameList()
		if !ok {
			return nil, errors.New("unreadable REFERENCES column list")
		}
		r.Columns = cols
	}
	for {
		switch {
		case p.kw("ON", "DELETE"):
			r.OnDelete = p.action()
		case p.kw("ON", "UPDATE"):
			r.OnUpdate = p.action()
		case p.kw("MATCH"):
			p.i++
		case p.kw("NOT", "DEFERRABLE"), p.kw("DEFERRABLE"):
			if p.kw("INITIALLY") {
				p.i++
			}
		default:
			return r, nil
		}
	}
}

// action reads a foreign key action; NO ACTION, the default, is "".
func (p *parser) action() string {
	switch {
	case p.kw("SET", "NULL"):
		return "SET NULL"
	case p.kw("SET", "DEFAULT"):
		return "SET DEFAULT"
	case p.kw("CASCADE"):
		return "CASCADE"
	case p.kw("RESTRICT"):
		return "RESTRICT"
	case p.kw("NO", "ACTION"):
		return ""
	}
	p.i++
	return ""
}
