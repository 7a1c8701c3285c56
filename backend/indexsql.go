package backend

import (
	"strings"

	"github.com/dmplan/dmplan/internal/sqlnorm"
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
// and the WHERE condition come back normalized (sqlnorm.Normalize), so two
// spellings of one index compare equal. Text it does not follow returns
// ok false; a key that may name the rowid or a string literal used as a
// key (SQLite's legacy spelling of a name) leaves exact false. Inspect
// asks SQLite with PRAGMA index_xinfo in both cases. unique is read from
// the statement's start whatever follows.
func parseIndexSQL(sql string) (idx parsedIndex, ok bool) {
	toks, ok := sqlnorm.Tokenize(sql)
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
		switch toks[j].Text {
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
		if j < end && (toks[j].Text != "," || sqlnorm.Nesting(toks[start:j]) != 0) {
			continue
		}
		k, ok := sqlnorm.ParseKey(toks[from:j])
		if !ok {
			return idx, false
		}
		idx.exact = idx.exact && k.Exact
		idx.columns = append(idx.columns, k.Column)
		idx.keys = append(idx.keys, state.IndexKey{Expr: k.Expr, Collate: k.Collate, Desc: k.Desc})
		from = j + 1
	}
	p.i = end + 1
	if p.done() {
		return idx, true
	}
	if !p.keyword("WHERE") || p.done() {
		return idx, false
	}
	idx.where = sqlnorm.Normalize(toks[p.i:])
	return idx, true
}

// tokenReader reads the tokens of a statement in order.
type tokenReader struct {
	toks []sqlnorm.Token
	i    int
}

func (r *tokenReader) done() bool { return r.i >= len(r.toks) }

// keyword consumes the bare word kw (any case) if it comes next.
func (r *tokenReader) keyword(kw string) bool {
	if r.i < len(r.toks) && r.toks[r.i].Kind == sqlnorm.Word && strings.EqualFold(r.toks[r.i].Text, kw) {
		r.i++
		return true
	}
	return false
}

// punct consumes the punctuation p if it comes next.
func (r *tokenReader) punct(p string) bool {
	if r.i < len(r.toks) && r.toks[r.i].Kind == sqlnorm.Punct && r.toks[r.i].Text == p {
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
	if t.Kind == sqlnorm.Word && (t.Text[0] >= '0' && t.Text[0] <= '9' || sqlnorm.IsKeyword(t.Text)) {
		return "", false
	}
	n, ok := sqlnorm.Name(t)
	if ok {
		r.i++
	}
	return n, ok
}
