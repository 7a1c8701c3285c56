// Package corpus holds schemas written the way real D1 applications write
// them (wrangler migration histories, drizzle-kit and Prisma output,
// hand-written SQL with FTS5, triggers and views), each with a few rows,
// and the helpers its test uses to apply one to a database and dump what
// a database holds. The test imports each schema and checks that the
// models plan as "No changes" and that nothing in the database changed.
package corpus

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/dmplan/dmplan/backend"
)

// Files returns the SQL files of the schema in dir, in the order they are
// applied (by name, as wrangler applies migrations).
func Files(dir string) ([]string, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.sql"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, fmt.Errorf("no *.sql files in %s", dir)
	}
	return names, nil
}

// Apply runs the schema's files on a local database, each file as one
// script.
func Apply(ctx context.Context, db *sql.DB, dir string) error {
	files, err := Files(dir)
	if err != nil {
		return err
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if _, err := db.ExecContext(ctx, string(b)); err != nil {
			return fmt.Errorf("apply %s: %w", filepath.Base(f), err)
		}
	}
	return nil
}

// Dump renders the database's user objects (their SQL text) and every
// row of every table, sorted, skipping dmplan's own tables (_dmplan_*),
// so that two dumps are equal exactly when nothing but dmplan's
// bookkeeping changed.
func Dump(ctx context.Context, d1 backend.D1) (string, error) {
	res, err := d1.Query(ctx, backend.Stmt{SQL: "SELECT type, name, coalesce(sql, '') FROM sqlite_master ORDER BY type, name"})
	if err != nil {
		return "", err
	}
	var b strings.Builder
	var tables []string
	for _, row := range res.Rows {
		typ, name, text := fmt.Sprint(row[0]), fmt.Sprint(row[1]), fmt.Sprint(row[2])
		if strings.HasPrefix(strings.ToLower(name), "_dmplan_") || strings.HasPrefix(name, "_cf_") {
			continue
		}
		fmt.Fprintf(&b, "%s %s: %s\n", typ, name, text)
		if typ == "table" && !strings.HasPrefix(strings.ToUpper(text), "CREATE VIRTUAL") {
			tables = append(tables, name)
		}
	}
	for _, t := range tables {
		rows, err := d1.Query(ctx, backend.Stmt{SQL: "SELECT * FROM " + backend.QuoteIdent(t)})
		if err != nil {
			return "", fmt.Errorf("dump %s: %w", t, err)
		}
		lines := make([]string, 0, len(rows.Rows))
		for _, r := range rows.Rows {
			var l strings.Builder
			for i, v := range r {
				if i > 0 {
					l.WriteString(" | ")
				}
				fmt.Fprintf(&l, "%T:%v", v, v)
			}
			lines = append(lines, l.String())
		}
		sort.Strings(lines)
		fmt.Fprintf(&b, "rows of %s (%s):\n", t, strings.Join(rows.Columns, ", "))
		for _, l := range lines {
			b.WriteString("  " + l + "\n")
		}
	}
	return b.String(), nil
}

// Statements splits a script into statements, keeping the body of a
// CREATE TRIGGER (BEGIN ... END, with its own semicolons) in its
// statement; for backends that take one statement per request. Comments
// are kept with the statement that follows them; empty statements are
// dropped.
func Statements(script string) []string {
	var out []string
	start, depth := 0, 0
	trigger := false
	word := func(i int) (string, int) {
		j := i
		for j < len(script) && (script[j] == '_' || script[j] >= 'a' && script[j] <= 'z' || script[j] >= 'A' && script[j] <= 'Z' || script[j] >= '0' && script[j] <= '9') {
			j++
		}
		return strings.ToUpper(script[i:j]), j
	}
	flush := func(end int) {
		if st := strings.TrimSpace(script[start:end]); st != "" && hasCode(st) {
			out = append(out, st)
		}
		start, depth, trigger = end+1, 0, false
	}
	for i := 0; i < len(script); {
		c := script[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			j := i + 1
			for j < len(script) && !(script[j] == c && (j+1 >= len(script) || script[j+1] != c)) {
				if script[j] == c {
					j++
				}
				j++
			}
			i = j + 1
		case c == '-' && i+1 < len(script) && script[i+1] == '-':
			for i < len(script) && script[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(script) && script[i+1] == '*':
			j := strings.Index(script[i+2:], "*/")
			if j < 0 {
				i = len(script)
			} else {
				i += j + 4
			}
		case c == ';':
			if depth == 0 {
				flush(i)
			}
			i++
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			w, j := word(i)
			switch w {
			case "TRIGGER":
				trigger = true
			case "BEGIN", "CASE":
				if trigger {
					depth++
				}
			case "END":
				if trigger && depth > 0 {
					depth--
				}
			}
			i = j
		default:
			i++
		}
	}
	flush(len(script))
	return out
}

// hasCode reports whether a statement holds more than comments.
func hasCode(st string) bool {
	for _, line := range strings.Split(st, "\n") {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "--") {
			return true
		}
	}
	return false
}

// ApplyD1 runs the schema's files on a D1 database one statement at a
// time (Statements), as wrangler d1 execute does.
func ApplyD1(ctx context.Context, d1 backend.D1, dir string) error {
	files, err := Files(dir)
	if err != nil {
		return err
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		for _, st := range Statements(string(b)) {
			if _, err := d1.Query(ctx, backend.Stmt{SQL: st}); err != nil {
				return fmt.Errorf("apply %s: %q: %w", filepath.Base(f), st, err)
			}
		}
	}
	return nil
}
