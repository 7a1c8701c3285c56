package backend

import (
	"errors"
	"fmt"
	"strings"
)

// ErrMultipleStatements is returned when the text of one Stmt holds more than
// one SQL statement. Send each statement as its own Stmt, in a Batch when
// they must apply together.
var ErrMultipleStatements = errors.New("backend: one statement per Stmt; use a batch for several")

// SQLInfo is what a lexical scan learns about the text of one statement.
type SQLInfo struct {
	// Keyword is the statement's first keyword, upper-cased ("SELECT",
	// "INSERT", "WITH", "PRAGMA", ...).
	Keyword string
	// Params is the number of bound parameters the text refers to: the
	// highest ?NNN, counting each anonymous ? and named parameter as the
	// next number, as SQLite does.
	Params int
	// Rows reports whether the statement can return rows: SELECT, VALUES,
	// PRAGMA, EXPLAIN, a WITH query, or any statement with RETURNING.
	Rows bool
	// Writes reports whether the statement may change the database.
	Writes bool
}

// ScanSQL scans statement text without parsing it fully: it skips string
// literals, quoted identifiers and comments, finds the first keyword,
// counts parameters and rejects what D1 rejects before anything runs:
// transaction statements (ErrTransactionStatement), several statements in one
// text (ErrMultipleStatements) and empty text.
func ScanSQL(sql string) (SQLInfo, error) {
	var (
		info       SQLInfo
		statements int
		depth      int
		dml        bool   // INSERT/UPDATE/DELETE/REPLACE at depth 0 (for WITH)
		pragmaFunc string // a pragma_xxx( call, which D1 refuses
		returning  bool
		first      = true // at the start of a statement
		words      int    // words seen in the first statement
		trigger    bool   // the first statement is CREATE ... TRIGGER
		body       bool   // inside a trigger's BEGIN ... END
		cases      int    // CASE ... END nesting inside a trigger body
	)
	n := len(sql)
	for i := 0; i < n; {
		c := sql[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '-' && i+1 < n && sql[i+1] == '-':
			for i < n && sql[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < n && sql[i+1] == '*':
			end := strings.Index(sql[i+2:], "*/")
			if end < 0 {
				i = n
			} else {
				i += end + 4
			}
		case c == '\'' || c == '"' || c == '`':
			i = skipQuoted(sql, i, c)
			first = markStatement(first, &statements)
		case c == '[':
			i = skipQuoted(sql, i, ']')
			first = markStatement(first, &statements)
		case c == ';':
			first = !body
			i++
		case c == '?':
			first = markStatement(first, &statements)
			j := i + 1
			num := 0
			for j < n && sql[j] >= '0' && sql[j] <= '9' {
				if num < 1<<20 {
					num = num*10 + int(sql[j]-'0')
				}
				j++
			}
			if j == i+1 {
				info.Params++
			} else if num > info.Params {
				info.Params = num
			}
			i = j
		case (c == ':' || c == '@' || c == '$') && i+1 < n && isIdentByte(sql[i+1]):
			first = markStatement(first, &statements)
			info.Params++
			i++
			for i < n && isIdentByte(sql[i]) {
				i++
			}
		case isIdentByte(c):
			j := i
			for j < n && isIdentByte(sql[j]) {
				j++
			}
			word := sql[i:j]
			if len(word) > 7 && strings.EqualFold(word[:7], "pragma_") && nextByte(sql, j) == '(' {
				pragmaFunc = word
			}
			if statements <= 1 {
				words++
				switch {
				case words <= 4 && info.Keyword == "CREATE" && strings.EqualFold(word, "TRIGGER"):
					trigger = true
				case trigger && !body && strings.EqualFold(word, "BEGIN"):
					body = true
				case body && strings.EqualFold(word, "CASE"):
					cases++
				case body && strings.EqualFold(word, "END"):
					if cases > 0 {
						cases--
					} else {
						body = false
					}
				}
			}
			if first {
				first = false
				statements++
				if statements == 1 {
					info.Keyword = strings.ToUpper(word)
				}
			} else if depth == 0 && statements == 1 {
				switch {
				case strings.EqualFold(word, "RETURNING"):
					returning = true
				case strings.EqualFold(word, "INSERT"), strings.EqualFold(word, "UPDATE"),
					strings.EqualFold(word, "DELETE"), strings.EqualFold(word, "REPLACE"):
					dml = true
				}
			}
			i = j
		default:
			first = markStatement(first, &statements)
			switch c {
			case '(':
				depth++
			case ')':
				if depth > 0 {
					depth--
				}
			}
			i++
		}
	}
	switch info.Keyword {
	case "":
		return info, errors.New("backend: empty statement")
	case "BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE":
		return info, fmt.Errorf("%s: %w", info.Keyword, ErrTransactionStatement)
	case "ATTACH", "DETACH":
		return info, fmt.Errorf("%s: %w", info.Keyword, ErrNotAuthorized)
	case "SELECT", "VALUES", "PRAGMA", "EXPLAIN":
		info.Rows = true
	case "WITH":
		info.Rows = !dml || returning
		info.Writes = dml
	default:
		info.Rows = returning
		info.Writes = true
	}
	if statements > 1 {
		return info, fmt.Errorf("%d statements: %w", statements, ErrMultipleStatements)
	}
	if pragmaFunc != "" {
		return info, fmt.Errorf("table-valued function %s; use a PRAGMA statement: %w", pragmaFunc, ErrNotAuthorized)
	}
	return info, nil
}

// nextByte returns the first byte at or after i that is not white space,
// or 0 at the end.
func nextByte(s string, i int) byte {
	for ; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\r', '\f', '\v':
		default:
			return s[i]
		}
	}
	return 0
}

// markStatement counts a statement that starts with something other than
// a keyword (a statement SQLite will reject, but still a statement).
func markStatement(first bool, statements *int) bool {
	if first {
		*statements++
	}
	return false
}

// skipQuoted returns the index just past the quoted token starting at i.
// A doubled closing quote inside the token is an escaped quote.
func skipQuoted(s string, i int, close byte) int {
	for j := i + 1; j < len(s); j++ {
		if s[j] == close {
			if close != ']' && j+1 < len(s) && s[j+1] == close {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(s)
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 0x80 ||
		(c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// CheckStmt checks a statement against D1's limits before it is sent:
// statement text, bound parameters and the size of string and BLOB
// arguments. It also runs ScanSQL and returns what it learned.
func CheckStmt(st Stmt) (SQLInfo, error) {
	if len(st.SQL) > MaxStatementBytes {
		return SQLInfo{}, fmt.Errorf("statement of %d bytes (limit %d): %w", len(st.SQL), MaxStatementBytes, ErrTooLarge)
	}
	info, err := ScanSQL(st.SQL)
	if err != nil {
		return info, err
	}
	if info.Params > MaxParams {
		return info, fmt.Errorf("statement uses %d parameters (limit %d): %w", info.Params, MaxParams, ErrTooLarge)
	}
	if err := CheckArgs(st.Args); err != nil {
		return info, err
	}
	return info, nil
}

// ErrArgType is returned for a statement argument of a type that D1 cannot
// bind the same way on every backend.
var ErrArgType = errors.New("backend: argument type not supported; use nil, an integer, a float, a string, []byte or bool")

// CheckArgs checks the number of arguments, their types (nil, Go integers,
// floats, string, []byte, bool) and the size of each string and BLOB
// argument against D1's limits. Other types, time.Time among them, are
// refused: each backend would turn them into different text.
func CheckArgs(args []any) error {
	if len(args) > MaxParams {
		return fmt.Errorf("%d bound parameters (limit %d): %w", len(args), MaxParams, ErrTooLarge)
	}
	for i, a := range args {
		size := 0
		switch v := a.(type) {
		case string:
			size = len(v)
		case []byte:
			size = len(v)
		case nil, int64, float64, bool, int, int32, int16, int8, uint32, uint16, uint8, float32:
			continue
		default:
			return fmt.Errorf("parameter %d is %T: %w", i+1, a, ErrArgType)
		}
		if size > MaxRowBytes {
			return fmt.Errorf("parameter %d holds %d bytes (limit %d): %w", i+1, size, MaxRowBytes, ErrTooLarge)
		}
	}
	return nil
}
