package sqlnorm

import (
	"fmt"
	"strings"
)

// nonDeterministic are SQLite's built-in functions whose result changes
// from call to call; an index may not use them.
var nonDeterministic = map[string]bool{
	"random": true, "randomblob": true, "changes": true, "total_changes": true,
	"last_insert_rowid": true, "sqlite_offset": true,
}

// aggregates are SQLite's aggregate functions (min and max are aggregates
// with one argument only).
var aggregates = map[string]bool{
	"count": true, "sum": true, "avg": true, "total": true, "group_concat": true, "string_agg": true,
	"json_group_array": true, "json_group_object": true, "jsonb_group_array": true, "jsonb_group_object": true,
}

// CheckIndexExpr returns why toks cannot be an expression of an index (a
// key or the WHERE of a partial index), or "" when SQLite may accept it:
// one balanced expression over the table's own columns, with no subquery,
// bound parameter, aggregate or function whose result changes from call to
// call (SQLite's rules for indexes on expressions and partial indexes).
// Whether each name is a column of the table is left to the caller
// (Refs lists them).
func CheckIndexExpr(toks []Token) string {
	if len(toks) == 0 {
		return "it is empty"
	}
	depth := 0
	for i, t := range toks {
		switch {
		case t.Kind == Punct && t.Text == ";":
			return "it holds \";\": write one expression, not statements"
		case t.Kind == Punct && t.Text == "(":
			depth++
			if i+1 < len(toks) && toks[i+1].Kind == Word && (strings.EqualFold(toks[i+1].Text, "WITH") || strings.EqualFold(toks[i+1].Text, "VALUES")) {
				return "it holds a subquery, which SQLite does not allow in an index"
			}
		case t.Kind == Punct && t.Text == ")":
			if depth--; depth < 0 {
				return "a \")\" closes a parenthesis that was never opened"
			}
		case t.Kind == Punct && t.Text == ".":
			return "it names a column of another table (a qualified name); an index refers to its own table's columns only"
		case t.Kind == Word && (strings.EqualFold(t.Text, "ASC") || strings.EqualFold(t.Text, "DESC")):
			return fmt.Sprintf("%s may only follow a whole key", strings.ToUpper(t.Text))
		case t.Kind == Word && strings.EqualFold(t.Text, "SELECT"):
			return "it holds a subquery, which SQLite does not allow in an index"
		case t.Kind == Word && strings.ContainsAny(t.Text[:1], "$:@?"):
			return fmt.Sprintf("it holds the bound parameter %s; an index is fixed SQL text", t.Text)
		case t.Kind == Word && (strings.EqualFold(t.Text, "CURRENT_TIME") || strings.EqualFold(t.Text, "CURRENT_DATE") || strings.EqualFold(t.Text, "CURRENT_TIMESTAMP")):
			return fmt.Sprintf("it reads the clock (%s), which SQLite does not allow in an index", strings.ToUpper(t.Text))
		case t.Kind == String && strings.EqualFold(t.Text, "'now'"):
			return "it reads the clock ('now'), which SQLite does not allow in an index"
		case t.Kind == Word && i+1 < len(toks) && toks[i+1].Text == "(" && !IsKeyword(t.Text):
			fn := strings.ToLower(t.Text)
			if nonDeterministic[fn] {
				return fmt.Sprintf("it calls %s(), whose result changes from call to call; SQLite allows only deterministic functions in an index", fn)
			}
			if aggregates[fn] || ((fn == "min" || fn == "max") && len(Split(callArgs(toks[i+1:]))) == 1) {
				return fmt.Sprintf("it calls the aggregate function %s(), which SQLite does not allow in an index", fn)
			}
		}
	}
	if depth != 0 {
		return "a \"(\" is never closed"
	}
	return ""
}

// callArgs returns the tokens between the parenthesis toks starts with and
// the one that closes it.
func callArgs(toks []Token) []Token {
	depth := 0
	for j, t := range toks {
		switch t.Text {
		case "(":
			depth++
		case ")":
			if depth--; depth == 0 {
				return toks[1:j]
			}
		}
	}
	return toks[1:]
}

// Refs returns the names an expression refers to as columns, in order of
// first use, as written: bare words that are neither keywords, numbers,
// parameters nor function names, and quoted names. Collation names and the
// type of a CAST are not references.
func Refs(toks []Token) []string {
	var out []string
	seen := map[string]bool{}
	castDepth := -1 // depth of the CAST( whose AS type is being skipped
	depth := 0
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch t.Text {
		case "(":
			depth++
			continue
		case ")":
			depth--
			if depth < castDepth {
				castDepth = -1
			}
			continue
		}
		if castDepth >= 0 {
			continue
		}
		if t.Kind == Word && strings.EqualFold(t.Text, "AS") {
			castDepth = depth
			continue
		}
		if t.Kind == Word && strings.EqualFold(t.Text, "COLLATE") {
			i++ // the collation name
			continue
		}
		if t.Kind != Word && t.Kind != Quoted {
			continue
		}
		if i+1 < len(toks) && toks[i+1].Text == "(" {
			continue // a function
		}
		if t.Kind == Word && (IsKeyword(t.Text) || isDigit(t.Text[0]) || strings.ContainsAny(t.Text[:1], "$:@?")) {
			continue
		}
		if k := strings.ToLower(t.Text); !seen[k] {
			seen[k] = true
			out = append(out, t.Text)
		}
	}
	return out
}

// TopLevelOr reports whether an OR joins the expression's terms outside
// parentheses, so that ANDing a condition to it needs parentheses around
// it.
func TopLevelOr(toks []Token) bool {
	depth := 0
	for _, t := range toks {
		switch {
		case t.Text == "(":
			depth++
		case t.Text == ")":
			depth--
		case depth == 0 && t.Kind == Word && strings.EqualFold(t.Text, "OR"):
			return true
		}
	}
	return false
}

// Conjuncts returns the terms an expression ANDs together at its top
// level, each normalized ("a = 1 AND (b OR c)" gives "a = 1" and
// "(b OR c)"); an expression with an OR at its top level is one term. A
// row matches the expression only if it matches every term, so a query
// whose WHERE holds a term lets SQLite use a partial index whose
// condition is that term.
func Conjuncts(toks []Token) []string {
	if len(toks) == 0 {
		return nil
	}
	if TopLevelOr(toks) {
		return []string{Normalize(toks)}
	}
	var out []string
	depth, from, between := 0, 0, false
	for j, t := range toks {
		switch {
		case t.Text == "(":
			depth++
		case t.Text == ")":
			depth--
		case depth == 0 && t.Kind == Word && strings.EqualFold(t.Text, "BETWEEN"):
			between = true
		case depth == 0 && t.Kind == Word && strings.EqualFold(t.Text, "AND"):
			if between { // x BETWEEN a AND b
				between = false
				continue
			}
			out = append(out, Normalize(toks[from:j]))
			from = j + 1
		}
	}
	return append(out, Normalize(toks[from:]))
}
