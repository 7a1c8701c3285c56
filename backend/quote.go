package backend

import "strings"

// QuoteIdent quotes an SQL identifier for SQLite and D1: it wraps name in
// double quotes and doubles any double quote inside it, so any table, column
// or index name is safe to splice into statement text.
func QuoteIdent(name string) string {
	if !strings.Contains(name, `"`) {
		return `"` + name + `"`
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
