package backend

import "strings"

// parsedIndex is what parseIndexSQL reads from the text SQLite keeps for an
// index in sqlite_master.
type parsedIndex struct {
	unique  bool
	columns []string // as written; the caller maps them to the table's spelling
}

// parseIndexSQL reads a plain CREATE INDEX statement:
//
//	CREATE [UNIQUE] INDEX [IF NOT EXISTS] [schema.]name ON table
//	    (column [ASC|DESC], ...) [WHERE ...]
//
// where every column is a bare or quoted identifier. Anything else (an
// expression, COLLATE, rowid, text it does not follow) returns ok false,
// and Inspect asks SQLite with PRAGMA index_info instead. unique is read
// from the statement's start whatever follows.
func parseIndexSQL(sql string) (idx parsedIndex, ok bool) {
	l := sqlLexer{s: sql}
	if !l.keyword("CREATE") {
		return idx, false
	}
	idx.unique = l.keyword("UNIQUE")
	if !l.keyword("INDEX") {
		return idx, false
	}
	if l.keyword("IF") && !(l.keyword("NOT") && l.keyword("EXISTS")) {
		return idx, false
	}
	if _, ok := l.ident(); !ok {
		return idx, false
	}
	if l.punct('.') {
		if _, ok := l.ident(); !ok {
			return idx, false
		}
	}
	if !l.keyword("ON") {
		return idx, false
	}
	if _, ok := l.ident(); !ok || !l.punct('(') {
		return idx, false
	}
	for {
		col, ok := l.ident()
		if !ok || isRowidName(col) {
			return idx, false
		}
		idx.columns = append(idx.columns, col)
		if !l.keyword("ASC") {
			l.keyword("DESC")
		}
		if l.punct(')') {
			break
		}
		if !l.punct(',') {
			return idx, false
		}
	}
	if l.skipSpace(); l.i < len(l.s) && !l.keyword("WHERE") {
		return idx, false
	}
	return idx, true
}

// isRowidName reports whether a name may refer to the rowid rather than
// to a column; PRAGMA index_info knows which.
func isRowidName(name string) bool {
	return strings.EqualFold(name, "rowid") || strings.EqualFold(name, "oid") || strings.EqualFold(name, "_rowid_")
}

// sqlLexer reads the few tokens parseIndexSQL needs.
type sqlLexer struct {
	s string
	i int
}

func (l *sqlLexer) skipSpace() {
	for l.i < len(l.s) {
		switch c := l.s[l.i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			l.i++
		case c == '-' && strings.HasPrefix(l.s[l.i:], "--"):
			for l.i < len(l.s) && l.s[l.i] != '\n' {
				l.i++
			}
		case c == '/' && strings.HasPrefix(l.s[l.i:], "/*"):
			end := strings.Index(l.s[l.i+2:], "*/")
			if end < 0 {
				l.i = len(l.s)
			} else {
				l.i += end + 4
			}
		default:
			return
		}
	}
}

// word reads a bare word without consuming it.
func (l *sqlLexer) word() string {
	l.skipSpace()
	j := l.i
	for j < len(l.s) && isIdentByte(l.s[j]) {
		j++
	}
	return l.s[l.i:j]
}

// keyword consumes the bare word kw (any case) if it comes next.
func (l *sqlLexer) keyword(kw string) bool {
	if w := l.word(); strings.EqualFold(w, kw) {
		l.i += len(w)
		return true
	}
	return false
}

// punct consumes the byte c if it comes next.
func (l *sqlLexer) punct(c byte) bool {
	l.skipSpace()
	if l.i < len(l.s) && l.s[l.i] == c {
		l.i++
		return true
	}
	return false
}

// ident consumes an identifier: a bare word that is not one of the
// keywords that can follow a column, or a "quoted", `quoted` or
// [bracketed] name.
func (l *sqlLexer) ident() (string, bool) {
	l.skipSpace()
	if l.i >= len(l.s) {
		return "", false
	}
	switch open := l.s[l.i]; open {
	case '"', '`', '[':
		closer := open
		if open == '[' {
			closer = ']'
		}
		var b strings.Builder
		for j := l.i + 1; j < len(l.s); j++ {
			c := l.s[j]
			if c != closer {
				b.WriteByte(c)
				continue
			}
			if open != '[' && j+1 < len(l.s) && l.s[j+1] == closer {
				b.WriteByte(c)
				j++
				continue
			}
			l.i = j + 1
			return b.String(), true
		}
		return "", false
	}
	w := l.word()
	if w == "" || (w[0] >= '0' && w[0] <= '9') {
		return "", false
	}
	switch strings.ToUpper(w) {
	case "COLLATE", "ASC", "DESC", "ON", "WHERE", "INDEX", "UNIQUE", "CREATE":
		return "", false
	}
	l.i += len(w)
	return w, true
}
