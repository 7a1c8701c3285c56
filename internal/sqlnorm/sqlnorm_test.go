package sqlnorm

import (
	"slices"
	"strings"
	"testing"
)

// TestNormalizeIgnoresSpelling checks that spellings SQLite reads alike
// normalize alike and that different conditions stay different.
func TestNormalizeIgnoresSpelling(t *testing.T) {
	norm := func(s string) string {
		n, ok := NormalizeText(s)
		if !ok {
			t.Fatalf("NormalizeText(%q) failed", s)
		}
		if again, _ := NormalizeText(n); again != n {
			t.Errorf("NormalizeText(%q) = %q, normalized again %q", s, n, again)
		}
		return n
	}
	same := [][]string{
		{`deleted_at IS NULL`, `"deleted_at" is null`, "Deleted_At\n\tIS /* x */ NULL", "[deleted_at] IS NULL -- y"},
		{`lower(email)`, `LOWER ( "Email" )`, "lower(`email`)"},
		{`status = 'Done'`, `"STATUS"='Done'`},
		{`"my col" > 1.5`, `[My Col]>1.5`},
	}
	for _, group := range same {
		for _, s := range group[1:] {
			if a, b := norm(group[0]), norm(s); a != b {
				t.Errorf("normalize(%q) = %q, normalize(%q) = %q, want equal", group[0], a, s, b)
			}
		}
	}
	differ := [][2]string{
		{`deleted_at IS NULL`, `deleted_at IS NOT NULL`},
		{`status = 'Done'`, `status = 'done'`},
		{`"select" = 1`, `x = 1`},
		{`a - b`, `a -- b`},
	}
	for _, d := range differ {
		if a, b := norm(d[0]), norm(d[1]); a == b {
			t.Errorf("normalize(%q) = normalize(%q) = %q, want different", d[0], d[1], a)
		}
	}
}

func toks(t *testing.T, s string) []Token {
	t.Helper()
	ts, ok := Tokenize(s)
	if !ok {
		t.Fatalf("Tokenize(%q) failed", s)
	}
	return ts
}

func TestCheckIndexExpr(t *testing.T) {
	ok := []string{
		`deleted_at IS NULL`, `lower(email)`, `status IN ('a', 'b') AND x >= 1`,
		`json_extract(data, '$.a')`, `max(a, b)`, `CAST(a AS INTEGER) > 0`,
		`CASE WHEN a THEN 1 ELSE 2 END`, `a IS DISTINCT FROM b`, `date(created_at)`,
	}
	for _, s := range ok {
		if why := CheckIndexExpr(toks(t, s)); why != "" {
			t.Errorf("CheckIndexExpr(%q) = %q, want accepted", s, why)
		}
	}
	bad := map[string]string{
		`a = 1; DROP TABLE t`:            `";"`,
		`(a = 1`:                         `never closed`,
		`a = 1)`:                         `never opened`,
		`a IN (SELECT x FROM y)`:         `subquery`,
		`EXISTS (select 1)`:              `subquery`,
		`a IN (VALUES (1))`:              `subquery`,
		`a = ?`:                          `bound parameter ?`,
		`a = :x`:                         `bound parameter :x`,
		`random() > 0`:                   `random()`,
		`created_at > CURRENT_TIMESTAMP`: `clock`,
		`created_at > date('now')`:       `clock`,
		`count(a) > 1`:                   `aggregate`,
		`max(a) > 1`:                     `aggregate`,
		`other.a = 1`:                    `qualified`,
		``:                               `empty`,
	}
	for s, want := range bad {
		ts, _ := Tokenize(s)
		if why := CheckIndexExpr(ts); !strings.Contains(why, want) {
			t.Errorf("CheckIndexExpr(%q) = %q, want it to say %q", s, why, want)
		}
	}
}

func TestRefs(t *testing.T) {
	tests := map[string][]string{
		`deleted_at IS NULL`:                         {"deleted_at"},
		`lower("Email") = 'x' AND Email IS NOT NULL`: {"Email"},
		`CAST(a AS VARCHAR(10)) > b COLLATE NOCASE`:  {"a", "b"},
		`json_extract(data, '$.a') = 1 AND x > 1.5`:  {"data", "x"},
		`CASE WHEN [my col] THEN 1 ELSE z END`:       {"my col", "z"},
	}
	for s, want := range tests {
		if got := Refs(toks(t, s)); !slices.Equal(got, want) {
			t.Errorf("Refs(%q) = %q, want %q", s, got, want)
		}
	}
}

func TestTopLevelOr(t *testing.T) {
	for s, want := range map[string]bool{
		`a OR b`: true, `(a OR b)`: false, `a AND b`: false, `a AND (b or c) or d`: true,
	} {
		if got := TopLevelOr(toks(t, s)); got != want {
			t.Errorf("TopLevelOr(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestParseKey(t *testing.T) {
	tests := []struct {
		in   string
		want Key
		ok   bool
	}{
		{`email`, Key{Column: "email", Exact: true}, true},
		{`"Email" COLLATE nocase DESC`, Key{Column: "Email", Collate: "NOCASE", Desc: true, Exact: true}, true},
		{`name collate binary asc`, Key{Column: "name", Exact: true}, true},
		{`LOWER( email )`, Key{Expr: "lower(email)", Exact: true}, true},
		{`(a)`, Key{Column: "a", Exact: true}, true},
		{`rowid`, Key{Column: "rowid"}, true},
		{`DESC`, Key{}, false},
		{`a COLLATE`, Key{}, false},
		{`12`, Key{}, false},
	}
	for _, tt := range tests {
		ts, _ := Tokenize(tt.in)
		got, ok := ParseKey(ts)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("ParseKey(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// TestNormalizeSigns: a unary sign sticks to its operand, a binary one
// is spaced, and a number's exponent stays one token.
func TestNormalizeSigns(t *testing.T) {
	for in, want := range map[string]string{
		`amount_cents >= -1`:        `amount_cents >= -1`,
		`a-1`:                       `a - 1`,
		`(-a) * - b`:                `(-a) * -b`,
		`x IN (-1,+2)`:              `x IN (-1, +2)`,
		`- -1 < a`:                  `- -1 < a`,
		`a - -1`:                    `a - -1`,
		`x BETWEEN -5 AND - 2`:      `x BETWEEN -5 AND -2`,
		`CASE WHEN a THEN -1 END-1`: `CASE WHEN a THEN -1 END - 1`,
		`NOT ~flags`:                `NOT ~flags`,
		`r < 1e-5 AND s > 2.5E+3`:   `r < 1e-5 AND s > 2.5E+3`,
	} {
		if got, _ := NormalizeText(in); got != want {
			t.Errorf("NormalizeText(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzNormalize checks that normalizing never panics and that normalized
// text normalizes to itself, which lets the planner emit it and compare
// it with what inspection reads back.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		`deleted_at IS NULL`, `lower("Email")`, `a -- b`, `"select" = 1`, `x'00ff' || [a b]`,
		`status IN ('a','b') AND x>=1`, "`q``q` /* c */ ->> '$.a'", `CAST(a AS TEXT)`,
		`a >= - -1e-5`, `NOT ~-x`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := NormalizeText(s)
		if !ok {
			return
		}
		ts, _ := Tokenize(s)
		_ = CheckIndexExpr(ts)
		_ = Refs(ts)
		for _, part := range Split(ts) {
			_, _ = ParseKey(part)
		}
		if again, ok := NormalizeText(n); !ok || again != n {
			t.Errorf("NormalizeText(%q) = %q, normalized again %q (ok %v)", s, n, again, ok)
		}
	})
}

func TestConjuncts(t *testing.T) {
	for s, want := range map[string][]string{
		`deleted_at IS NULL`: {"deleted_at IS NULL"},
		`(status = 'a' OR status = 'b') and Deleted_At is null`: {"(status = 'a' OR status = 'b')", "deleted_at IS NULL"},
		`a OR b AND deleted_at IS NULL`:                         {"a OR b AND deleted_at IS NULL"},
		`n BETWEEN 1 AND 5 AND deleted_at IS NULL`:              {"n BETWEEN 1 AND 5", "deleted_at IS NULL"},
		``: nil,
	} {
		if got := Conjuncts(toks(t, s)); !slices.Equal(got, want) {
			t.Errorf("Conjuncts(%q) = %q, want %q", s, got, want)
		}
	}
}

// TestNormalizeQuotesKeywordNames: a name that is a reserved SQLite
// keyword ("order", "group") or a word Normalize writes as a keyword
// ("end") keeps its quotes, so normalized text stays valid SQL; keywords
// SQLite takes as bare names ("key", "action") and functions stay bare.
func TestNormalizeQuotesKeywordNames(t *testing.T) {
	for in, want := range map[string]string{
		`"order" > 0`:                 `"order" > 0`,
		`[Group] = 1 AND "ORDER" < 2`: `"group" = 1 AND "order" < 2`,
		"`key` IS NULL":               `key IS NULL`, // key falls back to a name
		`order > 0 AND Group < 1`:     `"order" > 0 AND "group" < 1`,
		`"action" IN ('a')`:           `action IN ('a')`,
		`"end" > "cast"`:              `"end" > "cast"`,
		`replace(a, 'x', 'y') = b`:    `replace(a, 'x', 'y') = b`,
		`"status" = 'order'`:          `status = 'order'`,
	} {
		if got, _ := NormalizeText(in); got != want {
			t.Errorf("NormalizeText(%q) = %q, want %q", in, got, want)
		}
	}
}
