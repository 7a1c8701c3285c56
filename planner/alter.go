package planner

import (
	"fmt"
	"strings"

	"github.com/dmplan/dmplan/state"
)

// addCheck is the answer to "can this column be added to this existing
// table in place, and if not why": a blocked code, the reason and what a
// person can do by hand. OK is true when ALTER TABLE ADD COLUMN works.
type addCheck struct {
	OK   bool
	Code string
	Why  string
	Hint string
}

// addColumnCheck holds SQLite's ALTER TABLE ADD COLUMN rules in one place
// (https://sqlite.org/lang_altertable.html#altertabaddcol):
//
//   - the column may not be a PRIMARY KEY or UNIQUE (a unique index block
//     is the way to add uniqueness to an existing table);
//   - a REFERENCES column needs a NULL default while foreign keys are
//     enforced (D1 enforces them);
//   - a NOT NULL column needs a default other than NULL, whether or not
//     the table holds rows;
//   - the default must be a constant: no CURRENT_TIME, CURRENT_DATE,
//     CURRENT_TIMESTAMP or expression in parentheses.
func addColumnCheck(t *state.Table, c *state.Column) addCheck {
	ref := t.Name + "." + c.Name
	switch {
	case c.PK:
		return addCheck{
			Code: CodePrimaryKeyChange,
			Why:  fmt.Sprintf("SQLite cannot add the primary key column %s to an existing table", ref),
			Hint: "keep the existing primary key, or create a new table (a new model or d1.table) and copy the rows by hand",
		}
	case c.NotNull && (c.Default == "" || strings.EqualFold(c.Default, "NULL")):
		why := fmt.Sprintf("column %s would be NOT NULL without a default, which SQLite cannot add to an existing table, even an empty one", ref)
		if t.HasRows {
			why = fmt.Sprintf("column %s would be NOT NULL without a default, and table %s holds rows with no value for it", ref, t.Name)
			if t.Rows > 0 {
				why = fmt.Sprintf("column %s would be NOT NULL without a default, and table %s holds %d rows with no value for it", ref, t.Name, t.Rows)
			}
		}
		return addCheck{
			Code: CodeNotNullNoDefault,
			Why:  why,
			Hint: "give the field a default (SQLite fills existing rows with it), or make the field optional and backfill it through the runtime",
		}
	case c.Unique:
		return addCheck{
			Code: CodeAddColumnConstraint,
			Why:  fmt.Sprintf("column %s would be UNIQUE, which SQLite cannot add with ALTER TABLE ADD COLUMN", ref),
			Hint: "drop unique = true from the field and declare a unique index block on it instead (dmplan adds that to an existing table), or rebuild the table by hand",
		}
	case c.References != nil && c.Default != "" && !strings.EqualFold(strings.TrimSpace(c.Default), "NULL"):
		return addCheck{
			Code: CodeAddColumnConstraint,
			Why:  fmt.Sprintf("column %s would reference %s with the default %s; SQLite adds a REFERENCES column only with a NULL default while foreign keys are enforced, as on D1", ref, c.References.Table, c.Default),
			Hint: "drop the default (the runtime fills the value), or rebuild the table by hand",
		}
	case c.Default != "" && !isConstantDefault(c.Default):
		return addCheck{
			Code: CodeNotInPlace,
			Why:  fmt.Sprintf("column %s has the non-constant default %s, which SQLite cannot add to an existing table", ref, c.Default),
			Hint: "use a constant default and let the runtime fill the value",
		}
	}
	return addCheck{OK: true}
}

// isConstantDefault reports whether a DEFAULT clause's text is a literal
// SQLite accepts in ALTER TABLE ADD COLUMN: NULL, TRUE/FALSE, a string,
// a blob or a (signed) number.
func isConstantDefault(d string) bool {
	d = strings.TrimSpace(d)
	switch strings.ToUpper(d) {
	case "NULL", "TRUE", "FALSE":
		return true
	case "":
		return false
	}
	if d[0] == '\'' {
		return len(d) >= 2 && d[len(d)-1] == '\'' && !strings.Contains(strings.ReplaceAll(d[1:len(d)-1], "''", ""), "'")
	}
	if len(d) >= 3 && (d[0] == 'x' || d[0] == 'X') && d[1] == '\'' && d[len(d)-1] == '\'' {
		return true
	}
	if d[0] == '+' || d[0] == '-' {
		d = d[1:]
	}
	return isNumericLiteral(d)
}

func isNumericLiteral(s string) bool {
	if s == "" {
		return false
	}
	if len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X") {
		for _, r := range s[2:] {
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return false
			}
		}
		return true
	}
	digits, dot, exp := false, false, false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch >= '0' && ch <= '9':
			digits = true
		case ch == '.' && !dot && !exp:
			dot = true
		case (ch == 'e' || ch == 'E') && digits && !exp:
			exp = true
			digits = false
			if i+1 < len(s) && (s[i+1] == '+' || s[i+1] == '-') {
				i++
			}
		default:
			return false
		}
	}
	return digits
}

// affinity returns SQLite's type affinity for a declared column type
// (https://sqlite.org/datatype3.html#determination_of_column_affinity).
func affinity(declared string) string {
	t := strings.ToUpper(declared)
	switch {
	case strings.Contains(t, "INT"):
		return "INTEGER"
	case strings.Contains(t, "CHAR"), strings.Contains(t, "CLOB"), strings.Contains(t, "TEXT"):
		return "TEXT"
	case strings.Contains(t, "BLOB"), strings.TrimSpace(t) == "":
		return "BLOB"
	case strings.Contains(t, "REAL"), strings.Contains(t, "FLOA"), strings.Contains(t, "DOUB"):
		return "REAL"
	default:
		return "NUMERIC"
	}
}
