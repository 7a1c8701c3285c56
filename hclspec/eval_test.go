package hclspec_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"golang.org/x/crypto/bcrypt"
)

func fakeEnv(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func parseExpr(t *testing.T, src string) hcl.Expression {
	t.Helper()
	e, diags := hclsyntax.ParseExpression([]byte(src), "expr.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return e
}

func TestEvalContextFor(t *testing.T) {
	getenv := fakeEnv(map[string]string{"PASSWORD": "hunter2", "NAME": "Ada"})
	vars := map[string]cty.Value{
		"self":    cty.ObjectVal(map[string]cty.Value{"status": cty.StringVal("completed"), "slug": cty.StringVal("Home")}),
		"changes": cty.ObjectVal(map[string]cty.Value{"status": cty.StringVal("completed")}),
	}
	tests := []struct {
		expr      string
		want      any
		sensitive bool
	}{
		{`changes.status == "completed"`, true, false},
		{`lower(self.slug)`, "home", false},
		{`upper(env.NAME)`, "ADA", true},
		{`"hello ${env.NAME}"`, "hello Ada", true},
		{`{ name = env.NAME, n = 1 }`, map[string]any{"name": "Ada", "n": int64(1)}, true},
		{`[1, 2.5, "x", null]`, []any{int64(1), 2.5, "x", nil}, false},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			e := parseExpr(t, tt.expr)
			ctx, missing := hclspec.EvalContextFor(getenv, vars, e)
			if len(missing) > 0 {
				t.Fatalf("missing %v", missing)
			}
			v, diags := e.Value(ctx)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if got := hclspec.IsSensitive(v); got != tt.sensitive {
				t.Errorf("IsSensitive = %v, want %v", got, tt.sensitive)
			}
			if _, err := hclspec.ToGo(v); tt.sensitive && err == nil {
				t.Error("ToGo accepted a marked value")
			}
			unmarked, _ := v.UnmarkDeep()
			got, err := hclspec.ToGo(unmarked)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("value (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEvalContextForMissing(t *testing.T) {
	e := parseExpr(t, `"${env.B}${env.A}${env["C"]}${env.A}"`)
	if got := hclspec.EnvNames(e); !cmp.Equal(got, []string{"A", "B", "C"}) {
		t.Errorf("EnvNames = %v", got)
	}
	_, missing := hclspec.EvalContextFor(fakeEnv(map[string]string{"B": "x"}), nil, e)
	if diff := cmp.Diff([]string{"A", "C"}, missing); diff != "" {
		t.Errorf("missing (-want +got):\n%s", diff)
	}
}

func TestEvalContextProcessEnv(t *testing.T) {
	t.Setenv("DMPLAN_HCLSPEC_TEST", "from-process")
	ctx := hclspec.EvalContext(nil, nil)
	v, diags := parseExpr(t, `env.DMPLAN_HCLSPEC_TEST`).Value(ctx)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if !hclspec.IsSensitive(v) {
		t.Error("env value is not marked sensitive")
	}
	if u, _ := v.Unmark(); u.AsString() != "from-process" {
		t.Errorf("value = %q", u.AsString())
	}
}

func TestFunctions(t *testing.T) {
	hash := parseExpr(t, `bcrypt(env.PW)`)
	ctx, _ := hclspec.EvalContextFor(fakeEnv(map[string]string{"PW": "correct horse"}), nil, hash)
	h, diags := hash.Value(ctx)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if !hclspec.IsSensitive(h) {
		t.Error("bcrypt of a sensitive value is not sensitive")
	}
	hu, _ := h.Unmark()
	if err := bcrypt.CompareHashAndPassword([]byte(hu.AsString()), []byte("correct horse")); err != nil {
		t.Errorf("bcrypt hash does not verify: %v", err)
	}

	u, diags := parseExpr(t, `uuid()`).Value(ctx)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if !hclspec.ValidateNamed("uuid", u.AsString()) || u.AsString()[14] != '4' {
		t.Errorf("uuid() = %q", u.AsString())
	}

	ts, diags := parseExpr(t, `timestamp()`).Value(ctx)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`).MatchString(ts.AsString()) {
		t.Errorf("timestamp() = %q", ts.AsString())
	}

	long := strings.Repeat("x", 80)
	ctx, _ = hclspec.EvalContextFor(fakeEnv(map[string]string{"PW": long}), nil, hash)
	_, diags = hash.Value(ctx)
	if !diags.HasErrors() {
		t.Fatal("bcrypt of 80 bytes succeeded")
	}
	for _, d := range hclspec.Redact(diags) {
		if strings.Contains(d.Error(), long) {
			t.Errorf("diagnostic holds the password: %s", d.Error())
		}
	}
}

func TestToGo(t *testing.T) {
	tests := []struct {
		name string
		in   cty.Value
		want any
	}{
		{"null", cty.NullVal(cty.String), nil},
		{"string", cty.StringVal("x"), "x"},
		{"int", cty.NumberIntVal(7), int64(7)},
		{"float", cty.NumberFloatVal(0.25), 0.25},
		{"huge", cty.MustParseNumberVal("1e30"), 1e30},
		{"bool", cty.False, false},
		{"list", cty.ListVal([]cty.Value{cty.StringVal("a")}), []any{"a"}},
		{"set", cty.SetVal([]cty.Value{cty.StringVal("a")}), []any{"a"}},
		{"map", cty.MapVal(map[string]cty.Value{"k": cty.True}), map[string]any{"k": true}},
		{"empty tuple", cty.EmptyTupleVal, []any{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := hclspec.ToGo(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if _, err := hclspec.ToGo(cty.UnknownVal(cty.String)); err == nil {
		t.Error("ToGo accepted an unknown value")
	}
	secret := cty.ObjectVal(map[string]cty.Value{"a": cty.StringVal("topsecret").Mark(hclspec.SensitiveMark)})
	if !hclspec.IsSensitive(secret) {
		t.Error("nested mark not seen")
	}
	if _, err := hclspec.ToGo(secret); err == nil || strings.Contains(err.Error(), "topsecret") {
		t.Errorf("ToGo(marked) err = %v", err)
	}
}

// Values from the configuration nested deeper than MaxValueDepth are
// refused by CheckDepth, at any depth, without walking them whole; ToGo
// converts values of any depth (a webhook body may hold deep user data) in
// linear time.
func TestValueDepth(t *testing.T) {
	nest := func(depth int) cty.Value {
		v := cty.NumberIntVal(1)
		for range depth {
			v = cty.TupleVal([]cty.Value{v})
		}
		return v
	}
	if err := hclspec.CheckDepth(nest(hclspec.MaxValueDepth)); err != nil {
		t.Errorf("%d levels: %v", hclspec.MaxValueDepth, err)
	}
	for _, depth := range []int{hclspec.MaxValueDepth + 1, 10_000} {
		err := hclspec.CheckDepth(nest(depth))
		if err == nil || !strings.Contains(err.Error(), "nested more than 64 levels deep") {
			t.Errorf("%d levels: err = %v", depth, err)
		}
	}
	g, err := hclspec.ToGo(nest(10_000))
	if err != nil {
		t.Fatalf("ToGo of 10,000 levels: %v", err)
	}
	for range 10_000 {
		l, ok := g.([]any)
		if !ok || len(l) != 1 {
			t.Fatalf("ToGo gave %T", g)
		}
		g = l[0]
	}
	if g != int64(1) {
		t.Errorf("innermost value %v", g)
	}
}

// ToGo's errors say where in the value the problem is.
func TestToGoErrorPath(t *testing.T) {
	v := cty.ObjectVal(map[string]cty.Value{"a": cty.TupleVal([]cty.Value{cty.True, cty.MustParseNumberVal("1e400")})})
	_, err := hclspec.ToGo(v)
	var pe cty.PathError
	if !errors.As(err, &pe) || len(pe.Path) != 2 || !strings.Contains(err.Error(), "out of range") {
		t.Fatalf("err = %#v", err)
	}
	if a, ok := pe.Path[0].(cty.GetAttrStep); !ok || a.Name != "a" {
		t.Errorf("path %#v", pe.Path)
	}
	if i, ok := pe.Path[1].(cty.IndexStep); !ok || !i.Key.RawEquals(cty.NumberIntVal(1)) {
		t.Errorf("path %#v", pe.Path)
	}
}
