package hclspec

import (
	"fmt"
	"strings"

	"github.com/dmplan/dmplan/internal/sqlnorm"
)

// aggregateFuncs are SQLite's aggregate functions (min and max with one
// argument too): SQLite refuses them in a CHECK.
var aggregateFuncs = map[string]bool{
	"avg": true, "count": true, "group_concat": true, "string_agg": true, "sum": true, "total": true,
	"json_group_array": true, "json_group_object": true, "jsonb_group_array": true, "jsonb_group_object": true,
}

// clockFuncs read the clock when given 'now': SQLite creates a CHECK
// that calls one so, then fails every write with "non-deterministic use
// of datetime() in a CHECK constraint".
var clockFuncs = map[string]bool{
	"date": true, "time": true, "datetime": true, "julianday": true, "unixepoch": true, "strftime": true, "timediff": true,
}

// checkCheckExpr reports why SQLite refuses s as a CHECK expression, when
// it creates the table or on every write, or "": no subquery, bound
// parameter or aggregate, and no date function of 'now'.
func checkCheckExpr(s string) string {
	if why := checkSQLExpr(s); why != "" {
		return why
	}
	toks, ok := sqlnorm.Tokenize(s)
	if !ok {
		return ""
	}
	var calls []string // the function each open parenthesis belongs to ("" for none)
	for i, t := range toks {
		switch {
		case t.Kind == sqlnorm.Punct && t.Text == "(":
			fn := ""
			if i > 0 && toks[i-1].Kind == sqlnorm.Word && !sqlnorm.IsKeyword(toks[i-1].Text) {
				fn = strings.ToLower(toks[i-1].Text)
			}
			calls = append(calls, fn)
		case t.Kind == sqlnorm.Punct && t.Text == ")":
			if len(calls) > 0 {
				calls = calls[:len(calls)-1]
			}
		case t.Kind == sqlnorm.Word && (strings.EqualFold(t.Text, "SELECT") || strings.EqualFold(t.Text, "VALUES") || (strings.EqualFold(t.Text, "WITH") && i > 0 && toks[i-1].Text == "(")):
			return "it holds a subquery; SQLite refuses subqueries in a CHECK"
		case t.Kind == sqlnorm.Word && strings.ContainsAny(t.Text[:1], "$:@?"):
			return fmt.Sprintf("it holds the bound parameter %s; SQLite refuses parameters in a CHECK", t.Text)
		case t.Kind == sqlnorm.Word && i+1 < len(toks) && toks[i+1].Text == "(" && !sqlnorm.IsKeyword(t.Text):
			fn := strings.ToLower(t.Text)
			if aggregateFuncs[fn] || ((fn == "min" || fn == "max") && oneArgument(toks[i+1:])) {
				return fmt.Sprintf("it calls the aggregate function %s(); SQLite refuses aggregates in a CHECK", fn)
			}
		case t.Kind == sqlnorm.String && strings.EqualFold(t.Text, "'now'"):
			for _, fn := range calls {
				if clockFuncs[fn] {
					return fmt.Sprintf("it calls %s('now'): SQLite would refuse every write with \"non-deterministic use of %s() in a CHECK constraint\"", fn, fn)
				}
			}
		}
	}
	return ""
}

// checkDefaultExpr reports why SQLite refuses an sql_default expression
// (in parentheses) as not constant, or "": it may name no column and hold
// no subquery or bound parameter.
func checkDefaultExpr(s string) string {
	toks, ok := sqlnorm.Tokenize(s)
	if !ok {
		return ""
	}
	for _, t := range toks {
		switch {
		case t.Kind == sqlnorm.Word && (strings.EqualFold(t.Text, "SELECT") || strings.EqualFold(t.Text, "VALUES") || strings.EqualFold(t.Text, "WITH")):
			return "it holds a subquery; a default must be a constant expression"
		case t.Kind == sqlnorm.Word && strings.ContainsAny(t.Text[:1], "$:@?"):
			return fmt.Sprintf("it holds the bound parameter %s; a default must be a constant expression", t.Text)
		}
	}
	if refs := sqlnorm.Refs(toks); len(refs) > 0 {
		return fmt.Sprintf("it names %q, a column: a default must be a constant expression (SQLite: \"default value of column is not constant\")", refs[0])
	}
	return ""
}

// oneArgument reports whether the call whose parenthesis toks starts with
// has a single argument.
func oneArgument(toks []sqlnorm.Token) bool {
	depth := 0
	for _, t := range toks {
		switch {
		case t.Text == "(":
			depth++
		case t.Text == ")":
			if depth--; depth == 0 {
				return true
			}
		case t.Text == "," && depth == 1:
			return false
		}
	}
	return true
}
