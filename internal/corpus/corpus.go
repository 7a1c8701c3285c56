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

// Apply runs the schema's files on db, each file as one script.
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
func Dump(ctx context.Context, db *sql.DB) (string, error) {
	rows, err := db.QueryContext(ctx, "SELECT type, name, coalesce(sql, '') FROM sqlite_master WHERE name NOT LIKE '\\_dmplan\\_%' ESCAPE '\\' ORDER BY type, name")
	if err != nil {
		return "", err
	}
	var b strings.Builder
	var tables []string
	for rows.Next() {
		var typ, name, text string
		if err := rows.Scan(&typ, &name, &text); err != nil {
			rows.Close()
			return "", err
		}
		fmt.Fprintf(&b, "%s %s: %s\n", typ, name, text)
		if typ == "table" && !strings.HasPrefix(strings.ToUpper(text), "CREATE VIRTUAL") {
			tables = append(tables, name)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", err
	}
	for _, t := range tables {
		if err := dumpRows(ctx, db, t, &b); err != nil {
			return "", fmt.Errorf("dump %s: %w", t, err)
		}
	}
	return b.String(), nil
}

func dumpRows(ctx context.Context, db *sql.DB, table string, b *strings.Builder) error {
	rows, err := db.QueryContext(ctx, `SELECT * FROM "`+strings.ReplaceAll(table, `"`, `""`)+`"`)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	var lines []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		var l strings.Builder
		for i, v := range vals {
			if i > 0 {
				l.WriteString(" | ")
			}
			fmt.Fprintf(&l, "%T:%v", v, v)
		}
		lines = append(lines, l.String())
	}
	if err := rows.Err(); err != nil {
		return err
	}
	sort.Strings(lines)
	fmt.Fprintf(b, "rows of %s (%s):\n", table, strings.Join(cols, ", "))
	for _, l := range lines {
		b.WriteString("  " + l + "\n")
	}
	return nil
}
