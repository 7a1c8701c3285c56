package backend

import (
	"strings"

	"github.com/dmplan/dmplan/state"
)

// parsedIndex is what parseIndexSQL reads from the text SQLite keeps for an
// index in sqlite_master.
type parsedIndex struct {
	unique  bool
	columns []string         // as written; "" for an expression key
	keys    []state.IndexKey // one per column
	where   string           // normalized condition of a partial index
	// exact reports whether every key was read for sure; when it is false
	// (a key that may name the rowid, a string literal used as a key)
	// PRAGMA index_xinfo says which column each key is.
	exact bool
}

// parseIndexSQL reads a CREATE INDEX statement:
//
//	CREATE [UNIQUE] INDEX [IF NOT EXISTS] [schema.]name ON table
//	    (key [COLLATE name] [ASC|DESC], ...) [WHERE expr]
//
// where a key is a bare or quoted column name or an expression. Expressions
// and the WHERE condition come back normalized (normalizeSQL), so two
// spellings of one index compare equal. Text it does not follow returns
// ok false; a key that may name the rowid or a string literal used as a
// key (SQLite's legacy spelling of a name) leaves exact false. Inspect
// asks SQLite with PRAGMA index_xinfo in both cases. unique is read from
// the statement's start whatever follows.
func parseIndexSQL(sql string) (idx parsedIndex, ok bool) {
	toks, ok := tokenizeSQL(sql)
	if !ok {
		return idx, false
	}
	p := tokenReader{toks: toks}
	if !p.keyword("CREATE") {
		return idx, false
	}
	idx.unique = p.keyword("UNIQUE")
	if !p.keyword("INDEX") {
		return idx, false
	}
	if p.keyword("IF") && !(p.keyword("NOT") && p.keyword("EXISTS")) {
		return idx, false
	}
	if _, ok := p.name(); !ok {
		return idx, false
	}
	if p.punct(".") {
		if _, ok := p.name(); !ok {
			return idx, false
		}
	}
	if !p.keyword("ON") {
		return idx, false
	}
	if _, ok := p.name(); !ok || !p.punct("(") {
		return idx, false
	}
	// The key list ends at the parenthesis that closes the one above.
	start, depth, end := p.i, 1, -1
	for j := p.i; j < len(toks) && end < 0; j++ {
		switch toks[j].text {
		case "(":
			depth++
		case ")":
			if depth--; depth == 0 {
				end = j
			}
		}
	}
	if end < 0 {
		return idx, false
	}
	from := start
	idx.exact = true
	for j := start; j <= end; j++ {
		if j < end && (toks[j].text != "," || nestingAt(toks[start:j]) != 0) {
			continue
		}
		col, key, exact, ok := indexKey(toks[from:j])
		if !ok {
			return idx, false
		}
		idx.exact = idx.exact && exact
		idx.columns = append(idx.columns, col)
		idx.keys = append(idx.keys, key)
		from = j + 1
	}
	p.i = end + 1
	if p.done() {
		return idx, true
	}
	if !p.keyword("WHERE") || p.done() {
		return idx, false
	}
	idx.where = normalizeTokens(toks[p.i:])
	return idx, true
}

// nestingAt returns how many parentheses are open after toks.
func nestingAt(toks []sqlToken) int {
	depth := 0
	for _, t := range toks {
		switch t.text {
		case "(":
			depth++
		case ")":
			depth--
		}
	}
	return depth
}

// indexKey reads one key of an index: a column or an expression, then an
// optional COLLATE name and ASC or DESC. col is the column name, "" for an
// expression. exact is false when the key may be the rowid or a column
// spelled as a string; ok is false for a key it cannot read.
func indexKey(toks []sqlToken) (col string, key state.IndexKey, exact, ok bool) {
	if n := len(toks); n > 0 && toks[n-1].kind == tokWord {
		switch strings.ToUpper(toks[n-1].text) {
		case "DESC":
			key.Desc = true
			toks = toks[:n-1]
		case "ASC":
			toks = toks[:n-1]
		}
	}
	if n := len(toks); n >= 2 && toks[n-2].kind == tokWord && strings.EqualFold(toks[n-2].text, "COLLATE") {
		name, ok := tokenName(toks[n-1])
		if !ok {
			return "", key, false, false
		}
		if c := strings.ToUpper(name); c != "BINARY" {
			key.Collate = c
		}
		toks = toks[:n-2]
	}
	// SQLite reads a parenthesized column as the column.
	for len(toks) >= 3 && toks[0].text == "(" && toks[len(toks)-1].text == ")" && nestingAt(toks[1:len(toks)-1]) == 0 {
		toks = toks[1 : len(toks)-1]
	}
	switch {
	case len(toks) == 0:
		return "", key, false, false
	case len(toks) == 1 && toks[0].kind == tokString:
		// 'name' may be a column in SQLite's legacy reading.
		key.Expr = normalizeTokens(toks)
		return "", key, false, true
	case len(toks) == 1 && (toks[0].kind == tokWord || toks[0].kind == tokQuoted):
		name, _ := tokenName(toks[0])
		if toks[0].kind == tokWord && (isDigit(name[0]) || isKeyword(name)) {
			return "", key, false, false
		}
		return name, key, !isRowidName(name), true
	}
	key.Expr = normalizeTokens(toks)
	return "", key, true, true
}

// isRowidName reports whether a name may refer to the rowid rather than
// to a column; PRAGMA index_xinfo knows which.
func isRowidName(name string) bool {
	return strings.EqualFold(name, "rowid") || strings.EqualFold(name, "oid") || strings.EqualFold(name, "_rowid_")
}

// Token kinds of tokenizeSQL.
const (
	tokWord   = iota // a bare word or number
	tokQuoted        // a "quoted", `quoted` or [bracketed] name
	tokString        // a 'string' or x'blob' literal
	tokPunct         // an operator or punctuation
)

// sqlToken is one token of SQL text; text of a tokQuoted is the name
// without its quotes, of a tokString the literal as written.
type sqlToken struct {
	kind int
	text string
}

// tokenizeSQL splits SQL text into tokens, dropping whitespace and
// comments. ok is false for an unterminated literal or name.
func tokenizeSQL(s string) (toks []sqlToken, ok bool) {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '-' && strings.HasPrefix(s[i:], "--"):
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '/' && strings.HasPrefix(s[i:], "/*"):
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				i = len(s)
			} else {
				i += end + 4
			}
		case c == '\'' || ((c == 'x' || c == 'X') && i+1 < len(s) && s[i+1] == '\''):
			j := i
			if c != '\'' {
				j++
			}
			end, ok := closing(s, j, '\'', true)
			if !ok {
				return nil, false
			}
			toks = append(toks, sqlToken{tokString, s[i:end]})
			i = end
		case c == '"' || c == '`' || c == '[':
			closer, doubled := c, true
			if c == '[' {
				closer, doubled = ']', false
			}
			end, ok := closing(s, i, closer, doubled)
			if !ok {
				return nil, false
			}
			inner := s[i+1 : end-1]
			if doubled {
				inner = strings.ReplaceAll(inner, string([]byte{closer, closer}), string(closer))
			}
			toks = append(toks, sqlToken{tokQuoted, inner})
			i = end
		case isIdentByte(c) || c == '$' || c == ':' || c == '@' || c == '?':
			j := i + 1
			for j < len(s) && (isIdentByte(s[j]) || (isDigit(c) && s[j] == '.')) {
				j++
			}
			toks = append(toks, sqlToken{tokWord, s[i:j]})
			i = j
		default:
			n := 1
			if i+1 < len(s) {
				switch s[i : i+2] {
				case "<=", ">=", "!=", "<>", "==", "||", "<<", ">>", "->":
					n = 2
					if s[i:i+2] == "->" && i+2 < len(s) && s[i+2] == '>' {
						n = 3
					}
				}
			}
			toks = append(toks, sqlToken{tokPunct, s[i : i+n]})
			i += n
		}
	}
	return toks, true
}

// closing returns the index just after the quote that closes the one at
// s[open] (or the quote after an x of a blob), honouring doubled quotes.
func closing(s string, open int, closer byte, doubled bool) (int, bool) {
	for j := open + 1; j < len(s); j++ {
		if s[j] != closer {
			continue
		}
		if doubled && j+1 < len(s) && s[j+1] == closer {
			j++
			continue
		}
		return j + 1, true
	}
	return 0, false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// tokenName returns the name a token spells: a bare word or a quoted name.
func tokenName(t sqlToken) (string, bool) {
	switch t.kind {
	case tokWord, tokQuoted:
		return t.text, t.text != ""
	}
	return "", false
}

// sqlKeywords are the words normalizeTokens writes upper-case; every other
// bare word is a name (or function name) and is written lower-case. A
// quoted name that spells one of them keeps its quotes.
var sqlKeywords = map[string]bool{
	"AND": true, "OR": true, "NOT": true, "IS": true, "NULL": true, "IN": true,
	"LIKE": true, "GLOB": true, "REGEXP": true, "MATCH": true, "ESCAPE": true,
	"BETWEEN": true, "CASE": true, "WHEN": true, "THEN": true, "ELSE": true,
	"END": true, "CAST": true, "AS": true, "COLLATE": true, "EXISTS": true,
	"SELECT": true, "FROM": true, "WHERE": true, "DISTINCT": true, "ISNULL": true,
	"NOTNULL": true, "TRUE": true, "FALSE": true, "CURRENT_DATE": true,
	"CURRENT_TIME": true, "CURRENT_TIMESTAMP": true, "ASC": true, "DESC": true,
	"ON": true, "INDEX": true, "UNIQUE": true, "CREATE": true,
}

func isKeyword(w string) bool { return sqlKeywords[strings.ToUpper(w)] }

// normalizeTokens writes tokens in one spelling: names lower-case (SQLite
// compares them ignoring ASCII case) and quoted only when they must be,
// keywords upper-case, literals as written, one space between tokens but
// none inside parentheses, before commas or around dots.
func normalizeTokens(toks []sqlToken) string {
	var b strings.Builder
	for i, t := range toks {
		if i > 0 {
			prev := toks[i-1].text
			switch {
			case prev == "(" || prev == "." || t.text == ")" || t.text == "," || t.text == ".":
			case t.text == "(" && toks[i-1].kind != tokPunct && !isKeyword(prev):
				// a function call: lower(x)
			default:
				b.WriteByte(' ')
			}
		}
		switch t.kind {
		case tokWord:
			switch {
			case isKeyword(t.text):
				b.WriteString(strings.ToUpper(t.text))
			case isDigit(t.text[0]) || strings.ContainsAny(t.text[:1], "$:@?"):
				b.WriteString(t.text)
			default:
				b.WriteString(strings.ToLower(t.text))
			}
		case tokQuoted:
			name := strings.ToLower(t.text)
			if plainName(name) {
				b.WriteString(name)
			} else {
				b.WriteString(QuoteIdent(name))
			}
		default:
			b.WriteString(t.text)
		}
	}
	return b.String()
}

// plainName reports whether a lower-case name reads the same unquoted.
func plainName(name string) bool {
	if name == "" || isDigit(name[0]) || isKeyword(name) {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !isIdentByte(name[i]) || name[i] >= 0x80 {
			return false
		}
	}
	return true
}

// tokenReader reads the tokens of a statement in order.
type tokenReader struct {
	toks []sqlToken
	i    int
}

func (r *tokenReader) done() bool { return r.i >= len(r.toks) }

// keyword consumes the bare word kw (any case) if it comes next.
func (r *tokenReader) keyword(kw string) bool {
	if r.i < len(r.toks) && r.toks[r.i].kind == tokWord && strings.EqualFold(r.toks[r.i].text, kw) {
		r.i++
		return true
	}
	return false
}

// punct consumes the punctuation p if it comes next.
func (r *tokenReader) punct(p string) bool {
	if r.i < len(r.toks) && r.toks[r.i].kind == tokPunct && r.toks[r.i].text == p {
		r.i++
		return true
	}
	return false
}

// name consumes a name: a bare word that is not a keyword, or a quoted
// name.
func (r *tokenReader) name() (string, bool) {
	if r.i >= len(r.toks) {
		return "", false
	}
	t := r.toks[r.i]
	if t.kind == tokWord && (isDigit(t.text[0]) || isKeyword(t.text)) {
		return "", false
	}
	n, ok := tokenName(t)
	if ok {
		r.i++
	}
	return n, ok
}
