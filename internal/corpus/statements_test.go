package corpus

import (
	"reflect"
	"testing"
)

func TestStatements(t *testing.T) {
	for _, tc := range []struct {
		name, script string
		want         []string
	}{
		{"plain", "CREATE TABLE a (x);\nINSERT INTO a VALUES (';');", []string{"CREATE TABLE a (x)", "INSERT INTO a VALUES (';')"}},
		{"comments", "-- only a comment;\n/* c; */ SELECT 1;\n-- trailing", []string{"-- only a comment;\n/* c; */ SELECT 1"}},
		{"drizzle breakpoints", "CREATE TABLE `t` (`a` text);--> statement-breakpoint\nCREATE INDEX `i` ON `t` (`a`);", []string{"CREATE TABLE `t` (`a` text)", "--> statement-breakpoint\nCREATE INDEX `i` ON `t` (`a`)"}},
		{"trigger", "CREATE TRIGGER tr AFTER INSERT ON a BEGIN\n  INSERT INTO b VALUES (CASE WHEN new.x THEN 1 ELSE 0 END);\n  DELETE FROM c;\nEND;\nSELECT 2;",
			[]string{"CREATE TRIGGER tr AFTER INSERT ON a BEGIN\n  INSERT INTO b VALUES (CASE WHEN new.x THEN 1 ELSE 0 END);\n  DELETE FROM c;\nEND", "SELECT 2"}},
		{"quoted names", `CREATE TABLE "a;b" ("it""s" TEXT); SELECT 'it''s;'`, []string{`CREATE TABLE "a;b" ("it""s" TEXT)`, `SELECT 'it''s;'`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Statements(tc.script); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Statements = %q, want %q", got, tc.want)
			}
		})
	}
}
