package hclspec

import (
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// TestLiteralValue checks the shortcut staticValue takes for literals
// against HCL's own evaluation, and that it declines everything else.
func TestLiteralValue(t *testing.T) {
	tests := []struct {
		src  string
		fast bool
	}{
		{`"pending"`, true},
		{`""`, true},
		{`"caf\u00e9 \"q\""`, true},
		{`true`, true},
		{`false`, true},
		{`42`, true},
		{`-1`, false}, // a unary operation
		{`3.25`, true},
		{`null`, true},
		{`"a${"b"}"`, false},
		{`"${x}"`, false},
		{`["a", "b"]`, false},
		{`{ a = 1 }`, false},
		{`x`, false},
		{`upper("a")`, false},
	}
	for _, tt := range tests {
		expr, diags := hclsyntax.ParseExpression([]byte(tt.src), "test.hcl", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatalf("%s: %v", tt.src, diags)
		}
		got, ok := literalValue(expr)
		if ok != tt.fast {
			t.Errorf("literalValue(%s) ok = %v, want %v", tt.src, ok, tt.fast)
			continue
		}
		if !ok {
			continue
		}
		want, diags := expr.Value(nil)
		if diags.HasErrors() {
			t.Fatalf("%s: %v", tt.src, diags)
		}
		if !got.RawEquals(want) {
			t.Errorf("literalValue(%s) = %#v, HCL evaluates %#v", tt.src, got, want)
		}
	}
}

// TestLiteralValueAfterSyntaxError checks that the parser's placeholder
// for a missing expression is not taken for a constant.
func TestLiteralValueAfterSyntaxError(t *testing.T) {
	f, _ := hclsyntax.ParseConfig([]byte("a = \n"), "test.hcl", hcl.InitialPos)
	attrs, _ := f.Body.JustAttributes()
	a, ok := attrs["a"]
	if !ok {
		t.Fatal("no attribute a")
	}
	if v, ok := literalValue(a.Expr); ok {
		t.Errorf("literalValue took the placeholder for %#v", v)
	}
	if _, diags := staticValue(a.Expr, "The argument %q", "a"); !diags.HasErrors() {
		t.Error("staticValue accepted the placeholder")
	}
}
