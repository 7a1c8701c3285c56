package hclspec

import (
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// staticValue evaluates an expression that may not reference variables or
// call functions. what names the value in diagnostics ("The default"); it
// is a format applied to whatArg, built only when there is a problem.
func staticValue(expr hcl.Expression, what string, whatArg ...any) (cty.Value, hcl.Diagnostics) {
	if v, ok := literalValue(expr); ok {
		return v, nil
	}
	if hasSyntaxError(expr) {
		return cty.NilVal, hcl.Diagnostics{followUp(expr.Range())}
	}
	if vars := expr.Variables(); len(vars) > 0 {
		return cty.NilVal, hcl.Diagnostics{errorf(vars[0].SourceRange(), "Variables not allowed",
			"%s must be a constant value; it cannot refer to %q.", fmt.Sprintf(what, whatArg...), vars[0].RootName())}
	}
	v, diags := expr.Value(nil)
	if diags.HasErrors() {
		return cty.NilVal, diags
	}
	if !v.IsWhollyKnown() {
		// Only a syntax error, already reported by the parser, makes a
		// constant unknown. Fail without a second message.
		return cty.NilVal, hcl.Diagnostics{followUp(expr.Range())}
	}
	return v, nil
}

// literalValue is the value of the commonest constants without walking or
// evaluating the expression: a literal (true, 3, null) or a quoted string
// without interpolation. ok is false for anything else, including the
// unknown placeholders the parser leaves after a syntax error.
func literalValue(expr hcl.Expression) (v cty.Value, ok bool) {
	switch e := expr.(type) {
	case *hclsyntax.LiteralValueExpr:
		v = e.Val
	case *hclsyntax.TemplateExpr:
		if len(e.Parts) != 1 {
			return cty.NilVal, false
		}
		lit, isLit := e.Parts[0].(*hclsyntax.LiteralValueExpr)
		if !isLit || lit.Val.Type() != cty.String || lit.Val.IsNull() {
			return cty.NilVal, false
		}
		v = lit.Val
	default:
		return cty.NilVal, false
	}
	if !v.IsKnown() || v.IsMarked() {
		return cty.NilVal, false
	}
	return v, true
}

// followUpMarker marks diagnostics that only repeat an earlier syntax
// error; LoadSources drops them.
type followUpMarker struct{}

func followUp(rng hcl.Range) *hcl.Diagnostic {
	d := errorf(rng, "Invalid expression", "The expression has a syntax error.")
	d.Extra = followUpMarker{}
	return d
}

// hasSyntaxError reports whether the parser replaced part of expr with a
// placeholder after a syntax error, which it has already reported.
func hasSyntaxError(expr hcl.Expression) bool {
	se, ok := expr.(hclsyntax.Expression)
	if !ok {
		return false
	}
	found := false
	_ = hclsyntax.VisitAll(se, func(n hclsyntax.Node) hcl.Diagnostics {
		switch e := n.(type) {
		case *hclsyntax.ExprSyntaxError:
			found = true
		case *hclsyntax.LiteralValueExpr:
			// The parser's placeholder for a missing expression; literals
			// written in the source are always known.
			found = found || !e.Val.IsKnown()
		}
		return nil
	})
	return found
}

// hasFollowUp reports whether diags repeat a syntax error, so a caller
// replacing them with its own message should keep them instead.
func hasFollowUp(diags hcl.Diagnostics) bool {
	for _, d := range diags {
		if _, ok := d.Extra.(followUpMarker); ok {
			return true
		}
	}
	return false
}

// dropFollowUps removes follow-up diagnostics when other errors remain.
func dropFollowUps(diags hcl.Diagnostics) hcl.Diagnostics {
	out := make(hcl.Diagnostics, 0, len(diags))
	for _, d := range diags {
		if _, ok := d.Extra.(followUpMarker); !ok {
			out = append(out, d)
		}
	}
	if !out.HasErrors() && diags.HasErrors() {
		return diags
	}
	return out
}

// staticString evaluates attr as a constant string.
func staticString(attr *hcl.Attribute) (string, hcl.Diagnostics) {
	v, diags := staticValue(attr.Expr, "The argument %q", attr.Name)
	if diags.HasErrors() {
		return "", diags
	}
	if v.IsNull() || v.Type() != cty.String {
		return "", hcl.Diagnostics{errorf(attr.Expr.Range(), "Invalid value",
			"The argument %q must be a string.", attr.Name)}
	}
	return v.AsString(), nil
}

// staticBool evaluates attr as a constant bool.
func staticBool(attr *hcl.Attribute) (bool, hcl.Diagnostics) {
	v, diags := staticValue(attr.Expr, "The argument %q", attr.Name)
	if diags.HasErrors() {
		return false, diags
	}
	if v.IsNull() || v.Type() != cty.Bool {
		return false, hcl.Diagnostics{errorf(attr.Expr.Range(), "Invalid value",
			"The argument %q must be true or false.", attr.Name)}
	}
	return v.True(), nil
}

// stringItem is one element of a constant list of strings, with its range.
type stringItem struct {
	Value string
	Range hcl.Range
}

// staticStringList evaluates attr as a constant list of strings, keeping
// each element's range for diagnostics.
func staticStringList(attr *hcl.Attribute) ([]stringItem, hcl.Diagnostics) {
	exprs, diags := hcl.ExprList(attr.Expr)
	if diags.HasErrors() {
		return nil, hcl.Diagnostics{errorf(attr.Expr.Range(), "Invalid value",
			"The argument %q must be a list of strings, like [\"a\", \"b\"].", attr.Name)}
	}
	out := make([]stringItem, 0, len(exprs))
	for _, e := range exprs {
		v, d := staticValue(e, "Each element of %q", attr.Name)
		if d.HasErrors() {
			diags = append(diags, d...)
			continue
		}
		if v.IsNull() || v.Type() != cty.String {
			diags = append(diags, errorf(e.Range(), "Invalid value",
				"Each element of %q must be a string.", attr.Name))
			continue
		}
		out = append(out, stringItem{v.AsString(), e.Range()})
	}
	return out, diags
}

// keyword returns the bare word an expression consists of (type = string),
// or the constant string it evaluates to (type = "string").
func keyword(expr hcl.Expression) (string, bool) {
	if k := hcl.ExprAsKeyword(expr); k != "" {
		return k, true
	}
	if len(expr.Variables()) > 0 {
		return "", false
	}
	v, diags := expr.Value(nil)
	if diags.HasErrors() || v.IsNull() || !v.IsKnown() || v.Type() != cty.String {
		return "", false
	}
	return v.AsString(), true
}

// convertValue checks that v fits the field type and converts it to its
// Go form. It returns a reason when it does not fit. The reason never
// contains the value itself.
func convertValue(t FieldType, v cty.Value) (any, string) {
	if v.IsNull() {
		return nil, ""
	}
	if !v.IsWhollyKnown() {
		return nil, "it is not known until run time"
	}
	if err := CheckDepth(v); err != nil {
		return nil, err.Error()
	}
	ty := v.Type()
	want := "a " + t.String()
	ok := false
	switch t {
	case String, Text:
		ok = ty == cty.String
		want = "a string"
	case Timestamp:
		if ty == cty.String {
			ts, err := time.Parse(time.RFC3339Nano, v.AsString())
			if err != nil {
				return nil, "it is not an ISO-8601 timestamp like \"2026-11-27T14:50:08.123Z\""
			}
			if !TimestampInRange(ts) {
				return nil, "it " + TimestampRangeReason
			}
			// Stored as the runtime stores timestamps, so that defaults
			// compare and sort with the values it writes.
			return FormatTimestamp(ts), ""
		}
		want = "an ISO-8601 timestamp string"
	case Integer:
		if ty == cty.Number {
			f := v.AsBigFloat()
			if !f.IsInt() {
				return nil, "it is not a whole number"
			}
			if n, acc := f.Int64(); acc != big.Exact || n > MaxInteger || n < -MaxInteger {
				return nil, "it is out of range: " + IntegerRangeReason
			}
			ok = true
		}
		want = "a whole number"
	case Number:
		ok = ty == cty.Number
		want = "a number"
	case Boolean:
		ok = ty == cty.Bool
		want = "true or false"
	case Array:
		ok = ty.IsTupleType() || ty.IsListType() || ty.IsSetType()
		want = "a list like [\"a\", \"b\"]"
	case JSON:
		ok = true
	}
	if !ok {
		return nil, fmt.Sprintf("%s %s field needs %s, not %s", article(t.String()), t, want, friendlyType(ty))
	}
	g, err := ToGo(v)
	if err != nil {
		return nil, err.Error()
	}
	return g, ""
}

func friendlyType(t cty.Type) string {
	switch {
	case t == cty.String:
		return "a string"
	case t == cty.Number:
		return "a number"
	case t == cty.Bool:
		return "a bool"
	case t.IsTupleType() || t.IsListType() || t.IsSetType():
		return "a list"
	case t.IsObjectType() || t.IsMapType():
		return "an object"
	}
	return t.FriendlyName()
}

// checkFunctions reports calls to functions that hook and seed expressions
// do not have.
func checkFunctions(expr hcl.Expression) hcl.Diagnostics {
	se, ok := expr.(hclsyntax.Expression)
	if !ok {
		return nil
	}
	funcs := Functions()
	var diags hcl.Diagnostics
	_ = hclsyntax.VisitAll(se, func(n hclsyntax.Node) hcl.Diagnostics {
		if c, ok := n.(*hclsyntax.FunctionCallExpr); ok {
			if _, known := funcs[c.Name]; !known {
				diags = append(diags, errorf(c.NameRange, "Call to unknown function",
					"There is no function named %q. The functions are: %s.", c.Name, strings.Join(functionNames(), ", ")))
			}
		}
		return nil
	})
	return diags
}

func functionNames() []string { return []string{"bcrypt", "lower", "timestamp", "upper", "uuid"} }

// checkReferences reports references to variables other than allowed
// roots, and self.X or changes.X naming fields the model lacks (m nil:
// no field check).
func checkReferences(expr hcl.Expression, m *Model, allowed ...string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, t := range expr.Variables() {
		root := t.RootName()
		okRoot := false
		for _, a := range allowed {
			okRoot = okRoot || a == root
		}
		if !okRoot {
			diags = append(diags, errorf(t.SourceRange(), "Invalid reference",
				"%q is not available here; only %s can be referenced.", root, andList(allowed)))
			continue
		}
		if len(t) < 2 {
			if root == "env" {
				diags = append(diags, errorf(t.SourceRange(), "Invalid reference",
					"Name the environment variable to read, like env.API_TOKEN."))
			}
			continue
		}
		name := ""
		switch a := t[1].(type) {
		case hcl.TraverseAttr:
			name = a.Name
		case hcl.TraverseIndex:
			if a.Key.IsKnown() && !a.Key.IsNull() && a.Key.Type() == cty.String {
				name = a.Key.AsString()
			}
		}
		if m != nil && name != "" && (root == "self" || root == "changes") && m.Field(name) == nil {
			diags = append(diags, errorf(t.SourceRange(), "Unknown field",
				"Model %q has no field named %q.%s", m.Name, name, fieldHint(m, name)))
		}
	}
	return diags
}

// article returns "an" before a vowel sound, else "a".
func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

// andList joins names as "a", "a and b" or "a, b and c", writing env as
// env.NAME.
func andList(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		if n == "env" {
			n = "env.NAME"
		}
		out[i] = n
	}
	if len(out) < 2 {
		return strings.Join(out, "")
	}
	return strings.Join(out[:len(out)-1], ", ") + " and " + out[len(out)-1]
}
