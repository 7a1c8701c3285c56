package hclspec

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// maxIdentLen is the longest identifier dmplan accepts for a table,
// column or index name.
const maxIdentLen = 64

// isIdent reports whether s matches [A-Za-z_][A-Za-z0-9_]*. It runs for
// every name in a configuration, so it is a loop rather than a regexp.
func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// reservedPrefixes are name prefixes owned by SQLite, Cloudflare D1 and
// dmplan itself.
var reservedPrefixes = []string{"sqlite_", "_cf_", "_dmplan_"}

// checkSQLName reports why name cannot be an SQLite identifier, or "" when
// it can. SQLite keywords can: dmplan quotes every identifier it writes
// (see keywordWarnings).
func checkSQLName(name string) string {
	switch {
	case name == "":
		return "it is empty"
	case len(name) > maxIdentLen:
		return fmt.Sprintf("it is %d characters long; the limit is %d", len(name), maxIdentLen)
	case !isIdent(name):
		return "it must start with a letter or underscore and contain only letters, digits and underscores"
	}
	lower := strings.ToLower(name)
	for _, p := range reservedPrefixes {
		if strings.HasPrefix(lower, p) {
			return fmt.Sprintf("names starting with %q are reserved", p)
		}
	}
	return ""
}

// keywordWarnings warns about the D1 names of a decoded model that are
// SQLite keywords (key, order, group, ...): dmplan quotes every identifier
// it generates, so they work, but hand-written SQL must quote them too. A
// field that stays in KV only gets no warning; index names (table_label)
// are never keywords.
func keywordWarnings(m *Model, table, pk hcl.Range) hcl.Diagnostics {
	var diags hcl.Diagnostics
	warn := func(rng hcl.Range, what, name string) {
		r := rng
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  "SQLite keyword as a " + what + " name",
			Detail: fmt.Sprintf("%q is an SQLite keyword; dmplan quotes it, but hand-written SQL must quote it too (%s).",
				name, `"`+name+`"`),
			Subject: &r,
		})
	}
	if m.D1.Table != "" && sqliteKeywords[strings.ToLower(m.D1.Table)] {
		warn(table, "table", m.D1.Table)
	}
	for _, f := range m.Columns() {
		if !sqliteKeywords[strings.ToLower(f.Name)] {
			continue
		}
		rng := f.DeclRange
		if f.Primary {
			rng = pk
		}
		warn(rng, "column", f.Name)
	}
	return diags
}

// reservedTables are table names other tools own in a D1 database.
var reservedTables = map[string]string{
	"d1_migrations":        "wrangler keeps its migration history there",
	"__drizzle_migrations": "drizzle keeps its migration history there",
	"_prisma_migrations":   "Prisma keeps its migration history there",
}

// checkTableName is checkSQLName plus the names other tools own.
func checkTableName(name string) string {
	if why := checkSQLName(name); why != "" {
		return why
	}
	if why, ok := reservedTables[strings.ToLower(name)]; ok {
		return why
	}
	return ""
}

// IsSQLiteKeyword reports whether name is one of SQLite's keywords (any
// case), which SQL text must quote to use as a name.
func IsSQLiteKeyword(name string) bool { return sqliteKeywords[strings.ToLower(name)] }

// sqliteKeywords is SQLite's keyword list (https://sqlite.org/lang_keywords.html).
var sqliteKeywords = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range strings.Fields(`abort action add after all alter always analyze and as asc
	attach autoincrement before begin between by cascade case cast check collate column commit
	conflict constraint create cross current current_date current_time current_timestamp
	database default deferrable deferred delete desc detach distinct do drop each else end
	escape except exclude exclusive exists explain fail filter first following for foreign from
	full generated glob group groups having if ignore immediate in index indexed initially inner
	insert instead intersect into is isnull join key last left like limit match materialized
	natural no not nothing notnull null nulls of offset on or order others outer over partition
	plan pragma preceding primary query raise range recursive references regexp reindex release
	rename replace restrict returning right rollback row rows savepoint select set table temp
	temporary then ties to transaction trigger unbounded union unique update using vacuum values
	view virtual when where window with without`) {
		m[k] = true
	}
	return m
}()

// isProjectName reports whether s matches [a-z0-9][a-z0-9_-]*.
func isProjectName(s string) bool {
	return s != "" && (isLower(s[0]) || isDigit(s[0])) &&
		allOf(s, isLower, isDigit, func(c byte) bool { return c == '_' || c == '-' })
}

// sanitizeProjectName turns a directory name into a project name: lower
// case, runs of other characters replaced by "-", at most 63 characters.
func sanitizeProjectName(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
			b.WriteRune(r)
			dash = false
			continue
		}
		if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.Trim(b.String(), "-_")
	if len(out) > 63 {
		out = strings.Trim(out[:63], "-_")
	}
	if out == "" {
		return "dmplan"
	}
	return out
}
