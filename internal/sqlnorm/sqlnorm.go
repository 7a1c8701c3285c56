// Package sqlnorm reads the small SQL fragments a model declares and a
// live database keeps (index keys, WHERE conditions, CHECK expressions)
// and writes them in one normalized spelling, so that the text hclspec
// reads from HCL and the text the backend reads from sqlite_master
// compare equal when SQLite reads them alike. It depends on the standard
// library only, so both sides can use it.
package sqlnorm

import "strings"

// Kind is the kind of a Token.
type Kind int

// Token kinds of Tokenize.
const (
	Word   Kind = iota // a bare word or number
	Quoted             // a "quoted", `quoted` or [bracketed] name
	String             // a 'string' or x'blob' literal
	Punct              // an operator or punctuation
)

// Token is one token of SQL text; Text of a Quoted is the name without
// its quotes, of a String the literal as written.
type Token struct {
	Kind Kind
	Text string
}

// Tokenize splits SQL text into tokens, dropping whitespace and comments.
// ok is false for an unterminated literal or name.
func Tokenize(s string) (toks []Token, ok bool) {
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
			toks = append(toks, Token{String, s[i:end]})
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
			toks = append(toks, Token{Quoted, inner})
			i = end
		case IsIdentByte(c) || c == '$' || c == ':' || c == '@' || c == '?':
			j := i + 1
			for j < len(s) && (IsIdentByte(s[j]) || (isDigit(c) && s[j] == '.')) {
				// A number's exponent sign: 1e-5, 2.5E+3.
				if isDigit(c) && (s[j] == 'e' || s[j] == 'E') && j+2 < len(s) && (s[j+1] == '-' || s[j+1] == '+') && isDigit(s[j+2]) {
					j += 2
				}
				j++
			}
			toks = append(toks, Token{Word, s[i:j]})
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
			toks = append(toks, Token{Punct, s[i : i+n]})
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

// IsIdentByte reports whether c may appear in a bare SQL name.
func IsIdentByte(c byte) bool {
	return c == '_' || c >= 0x80 ||
		(c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// Name returns the name a token spells: a bare word or a quoted name.
func Name(t Token) (string, bool) {
	switch t.Kind {
	case Word, Quoted:
		return t.Text, t.Text != ""
	}
	return "", false
}

// keywords are the words Normalize writes upper-case; every other bare
// word is a name (or function name) and is written lower-case. A quoted
// name that spells one of them keeps its quotes.
var keywords = map[string]bool{
	"AND": true, "OR": true, "NOT": true, "IS": true, "NULL": true, "IN": true,
	"LIKE": true, "GLOB": true, "REGEXP": true, "MATCH": true, "ESCAPE": true,
	"BETWEEN": true, "CASE": true, "WHEN": true, "THEN": true, "ELSE": true,
	"END": true, "CAST": true, "AS": true, "COLLATE": true, "EXISTS": true,
	"SELECT": true, "FROM": true, "WHERE": true, "DISTINCT": true, "ISNULL": true,
	"NOTNULL": true, "TRUE": true, "FALSE": true, "CURRENT_DATE": true,
	"CURRENT_TIME": true, "CURRENT_TIMESTAMP": true, "ASC": true, "DESC": true,
	"ON": true, "INDEX": true, "UNIQUE": true, "CREATE": true,
}

// IsKeyword reports whether Normalize treats the bare word w as a keyword.
func IsKeyword(w string) bool { return keywords[strings.ToUpper(w)] }

// reserved are SQLite's keywords (https://sqlite.org/lang_keywords.html)
// that its parser never takes as a bare name: a name spelling one must
// be quoted. The others (action, key, replace, temp, ...) fall back to
// names where a name is expected, so they stay bare.
var reserved = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range strings.Fields(`add all alter and as autoincrement between case check
	collate commit constraint create cross default deferrable delete distinct drop else escape
	except exists filter foreign from full group having in index indexed inner insert intersect
	into is isnull join left limit natural not nothing notnull null on or order outer over
	primary references returning right rollback select set table then to transaction union
	unique update using values when where window`) {
		m[k] = true
	}
	return m
}()

// NeedsQuotes reports whether a name must be quoted to be read as a name
// in normalized text: it is one of SQLite's reserved keywords, or a word
// Normalize writes as a keyword (END, CAST, LIKE, TRUE, CURRENT_TIME, ...).
func NeedsQuotes(name string) bool {
	return reserved[strings.ToLower(name)] || IsKeyword(name)
}

// Normalize writes tokens in one spelling: names lower-case (SQLite
// compares them ignoring ASCII case) and quoted only when they must be
// (a reserved SQLite keyword, an odd character),
// keywords upper-case, literals as written, one space between tokens but
// none inside parentheses, before commas or around dots. Normalizing the
// text it returns gives the same text back.
func Normalize(toks []Token) string {
	var b strings.Builder
	for i, t := range toks {
		if i > 0 {
			p := toks[i-1]
			prev := p.Text
			punct := func(tok Token, s string) bool { return tok.Kind == Punct && tok.Text == s }
			switch {
			case punct(t, ".") && p.Kind == Word && isDigit(prev[0]):
				// "1 ." must not become the number "1."
				b.WriteByte(' ')
			case unary(toks, i-1) && (t.Kind != Punct || t.Text == "(" || t.Text == "~"):
				// -1, NOT ~x, -(a): a sign sticks to its operand; before
				// another operator it keeps its space ("- -1": "--"
				// would start a comment, "->" is an operator).
			case punct(p, "(") || punct(p, ".") || punct(t, ")") || punct(t, ",") || punct(t, "."):
			case punct(t, "(") && p.Kind != Punct && !IsKeyword(prev):
				// a function call: lower(x)
			default:
				b.WriteByte(' ')
			}
		}
		switch t.Kind {
		case Word:
			switch {
			case IsKeyword(t.Text):
				b.WriteString(strings.ToUpper(t.Text))
			case isDigit(t.Text[0]) || strings.ContainsAny(t.Text[:1], "$:@?"):
				b.WriteString(t.Text)
			case reserved[strings.ToLower(t.Text)] && (i+1 == len(toks) || !(toks[i+1].Kind == Punct && toks[i+1].Text == "(")):
				// A reserved word where a name stands (order > 0, as a
				// hand might write it): quoted, as it must be to run.
				b.WriteString(QuoteIdent(strings.ToLower(t.Text)))
			default:
				b.WriteString(strings.ToLower(t.Text))
			}
		case Quoted:
			name := strings.ToLower(t.Text)
			if PlainName(name) {
				b.WriteString(name)
			} else {
				b.WriteString(QuoteIdent(name))
			}
		default:
			b.WriteString(t.Text)
		}
	}
	return b.String()
}

// unary reports whether toks[i] is a sign or ~ applied to what follows:
// it starts the text or follows an operator, an opening parenthesis, a
// comma or a keyword that is not a value.
func unary(toks []Token, i int) bool {
	t := toks[i]
	if t.Kind != Punct || (t.Text != "-" && t.Text != "+" && t.Text != "~") {
		return false
	}
	if i == 0 {
		return true
	}
	p := toks[i-1]
	switch p.Kind {
	case Punct:
		return p.Text != ")"
	case Word:
		switch strings.ToUpper(p.Text) {
		case "NULL", "TRUE", "FALSE", "CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP", "END":
			return false
		}
		return IsKeyword(p.Text)
	}
	return false
}

// NormalizeText tokenizes s and normalizes it; ok is false when s holds
// an unterminated literal or name.
func NormalizeText(s string) (string, bool) {
	toks, ok := Tokenize(s)
	if !ok {
		return "", false
	}
	return Normalize(toks), true
}

// PlainName reports whether a lower-case name reads the same unquoted: it
// needs no quotes (NeedsQuotes) and holds only ASCII letters, digits and
// underscores, not leading with a digit.
func PlainName(name string) bool {
	if name == "" || isDigit(name[0]) || NeedsQuotes(name) {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !IsIdentByte(name[i]) || name[i] >= 0x80 {
			return false
		}
	}
	return true
}

// QuoteIdent quotes an SQL identifier: it wraps name in double quotes and
// doubles any double quote inside it.
func QuoteIdent(name string) string {
	if !strings.Contains(name, `"`) {
		return `"` + name + `"`
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// Nesting returns how many parentheses are open after toks (negative when
// more close than open).
func Nesting(toks []Token) int {
	depth := 0
	for _, t := range toks {
		switch t.Text {
		case "(":
			depth++
		case ")":
			depth--
		}
	}
	return depth
}

// Key is one key of an index as written: a column or an expression, with
// an optional collation and order.
type Key struct {
	// Column is the column name, "" for an expression.
	Column string
	// Expr is the normalized text of an expression key, "" for a column.
	Expr string
	// Collate is an explicit collation other than BINARY, upper-case.
	Collate string
	Desc    bool
	// Exact is false when the key may name the rowid rather than a column,
	// or is a string literal SQLite may read as a column name (its legacy
	// spelling); only the database can tell then.
	Exact bool
}

// ParseKey reads one key of an index: a column or an expression, then an
// optional COLLATE name and ASC or DESC. ok is false for a key it cannot
// read (empty, a bare keyword or number, COLLATE without a name).
func ParseKey(toks []Token) (key Key, ok bool) {
	if n := len(toks); n > 0 && toks[n-1].Kind == Word {
		switch strings.ToUpper(toks[n-1].Text) {
		case "DESC":
			key.Desc = true
			toks = toks[:n-1]
		case "ASC":
			toks = toks[:n-1]
		}
	}
	if n := len(toks); n >= 2 && toks[n-2].Kind == Word && strings.EqualFold(toks[n-2].Text, "COLLATE") {
		name, ok := Name(toks[n-1])
		if !ok {
			return key, false
		}
		if c := strings.ToUpper(name); c != "BINARY" {
			key.Collate = c
		}
		toks = toks[:n-2]
	}
	if n := len(toks); n > 0 && toks[n-1].Kind == Word && strings.EqualFold(toks[n-1].Text, "COLLATE") {
		return key, false
	}
	// SQLite reads a parenthesized column as the column.
	for len(toks) >= 3 && toks[0].Text == "(" && toks[len(toks)-1].Text == ")" && Nesting(toks[1:len(toks)-1]) == 0 {
		toks = toks[1 : len(toks)-1]
	}
	switch {
	case len(toks) == 0:
		return key, false
	case len(toks) == 1 && toks[0].Kind == String:
		// 'name' may be a column in SQLite's legacy reading.
		key.Expr = Normalize(toks)
		return key, true
	case len(toks) == 1 && (toks[0].Kind == Word || toks[0].Kind == Quoted):
		name, _ := Name(toks[0])
		if toks[0].Kind == Word && (isDigit(name[0]) || IsKeyword(name)) {
			return key, false
		}
		key.Column, key.Exact = name, !IsRowidName(name)
		return key, true
	}
	key.Expr = Normalize(toks)
	key.Exact = true
	return key, true
}

// IsRowidName reports whether a name may refer to the rowid rather than
// to a column.
func IsRowidName(name string) bool {
	return strings.EqualFold(name, "rowid") || strings.EqualFold(name, "oid") || strings.EqualFold(name, "_rowid_")
}

// Split splits toks at the commas outside parentheses; empty input gives
// no parts.
func Split(toks []Token) [][]Token {
	if len(toks) == 0 {
		return nil
	}
	var out [][]Token
	depth, from := 0, 0
	for j, t := range toks {
		switch t.Text {
		case "(":
			depth++
		case ")":
			depth--
		case ",":
			if depth == 0 && t.Kind == Punct {
				out = append(out, toks[from:j])
				from = j + 1
			}
		}
	}
	return append(out, toks[from:])
}
