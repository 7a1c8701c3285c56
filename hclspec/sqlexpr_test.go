package hclspec

import "testing"

// TestSQLExprRules checks what checkCheckExpr and checkDefaultExpr accept
// (what SQLite takes, as written by drizzle-kit, Prisma and by hand) and
// refuse (what SQLite refuses when it creates the table or on every write).
func TestSQLExprRules(t *testing.T) {
	checks := []struct {
		expr string
		ok   bool
	}{
		{"length(title) <= 200", true},
		{"status IN ('a', 'b')", true},
		{"max(a, b) > 0", true},
		{"min(length(x), 3) = 3", true},
		{"x <> 'now'", true},
		{"at > date('2020-01-01')", true},
		{"json_valid(data)", true},
		{"CAST(n AS INTEGER) = n", true},
		{"a > random()", true},          // SQLite takes it
		{"b < CURRENT_TIMESTAMP", true}, // SQLite takes it
		{"x IN (SELECT 1)", false},
		{"EXISTS (SELECT 1 FROM t)", false},
		{"x IN (VALUES (1))", false},
		{"x > ?", false},
		{"x > @min", false},
		{"x > $min", false},
		{"sum(x) > 0", false},
		{"max(x) > 0", false},
		{"count(*) < 10", false},
		{"at < datetime('now')", false},
		{"at < strftime('%s', 'NOW')", false},
		{"unixepoch(at) < unixepoch('now', '+1 day')", false},
	}
	for _, c := range checks {
		if got := checkCheckExpr(c.expr) == ""; got != c.ok {
			t.Errorf("check %q: accepted %v, want %v (%s)", c.expr, got, c.ok, checkCheckExpr(c.expr))
		}
	}
	defaults := []struct {
		expr string
		ok   bool
	}{
		{"(unixepoch())", true},
		{"(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))", true},
		{"(lower(hex(randomblob(16))))", true},
		{"(json_array())", true},
		{"(CAST(0 AS REAL))", true},
		{"(-1)", true},
		{"(1e10)", true},
		{"(x'00ff')", true},
		{"(TRUE)", true},
		{"('a' || 'b')", true},
		{"(CURRENT_TIMESTAMP)", true},
		{"(abs(random()) % 10)", true},
		{"(a + 1)", false},
		{"(\"other\")", false},
		{"(?)", false},
		{"(:p)", false},
	}
	for _, c := range defaults {
		if got := checkDefaultExpr(c.expr) == ""; got != c.ok {
			t.Errorf("default %q: accepted %v, want %v (%s)", c.expr, got, c.ok, checkDefaultExpr(c.expr))
		}
	}
}
