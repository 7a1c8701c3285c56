package hclspec

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Environment returns the environment with the name, or nil.
func (s *Spec) Environment(name string) *Environment {
	for _, e := range s.Environments {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// ResolveEnvironment evaluates the named environment's arguments, reading
// env.X through getenv (nil: os.LookupEnv). A variable that is not set is
// an error naming the variable and the environment; values are never put
// in diagnostics. Target.Sensitive lists the arguments that read env.X.
// A local Path is returned as written (default ".dmplan"); callers resolve
// it against the configuration directory.
func (s *Spec) ResolveEnvironment(name string, getenv func(string) (string, bool)) (*Target, hcl.Diagnostics) {
	env := s.Environment(name)
	if env == nil {
		names := make([]string, 0, len(s.Environments))
		for _, e := range s.Environments {
			names = append(names, e.Name)
		}
		sort.Strings(names)
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Unknown environment",
			Detail:   fmt.Sprintf("There is no environment named %q. The environments are: %s.", name, strings.Join(names, ", ")),
		}}
	}
	t := &Target{Environment: env.Name, Backend: env.Backend, Sensitive: map[string]bool{}, Gateway: env.Gateway, Fleet: env.Fleet}
	if env.Backend == BackendLocal {
		t.Path = DefaultLocalPath
	}
	var diags hcl.Diagnostics
	dst := map[string]*string{
		"path": &t.Path, "account_id": &t.AccountID, "database": &t.Database,
		"api_token": &t.APIToken, "base_url": &t.BaseURL,
		"config": &t.Config, "binding": &t.Binding, "wrangler_env": &t.WranglerEnv, "persist_to": &t.PersistTo,
	}
	for _, a := range sortedAttrs(env.Attrs) {
		p, ok := dst[a.Name]
		if !ok {
			continue
		}
		ctx, missing := EvalContextFor(getenv, nil, a.Expr)
		if len(missing) > 0 {
			for _, v := range missing {
				diags = append(diags, errorf(a.Expr.Range(), "Environment variable not set",
					"The environment %q reads %s from the environment variable %s, which is not set.", env.Name, a.Name, v))
			}
			continue
		}
		v, vd := a.Expr.Value(ctx)
		if vd.HasErrors() {
			diags = append(diags, Redact(vd)...)
			continue
		}
		if IsSensitive(v) {
			t.Sensitive[a.Name] = true
		}
		v, _ = v.UnmarkDeep()
		if v.IsNull() || !v.IsKnown() || v.Type() != cty.String {
			diags = append(diags, errorf(a.Expr.Range(), "Invalid value",
				"The argument %q of environment %q must be a string.", a.Name, env.Name))
			continue
		}
		*p = v.AsString()
	}
	if env.Backend == "" && !diags.HasErrors() {
		diags = append(diags, errorf(env.DeclRange, "Invalid environment",
			"The environment %q has no valid backend.", env.Name))
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return t, diags
}

// Redact returns copies of diagnostics from evaluating expressions that
// may read env.X, with the detail replaced and the expression and context
// dropped (a diagnostic writer could print their values), keeping the
// summary and ranges. Use it on every evaluation of hook and seed
// expressions.
func Redact(diags hcl.Diagnostics) hcl.Diagnostics {
	out := make(hcl.Diagnostics, 0, len(diags))
	for _, d := range diags {
		c := *d
		c.Detail = "The expression could not be evaluated; its values may be sensitive and are not shown."
		if fc, ok := hcl.DiagnosticExtra[hclsyntax.FunctionCallDiagExtra](d); ok && valueFreeErrors[fc.CalledFunctionName()] && fc.FunctionCallError() != nil {
			c.Detail = fmt.Sprintf("Call to function %q failed: %s.", fc.CalledFunctionName(), fc.FunctionCallError())
		}
		c.Expression, c.EvalContext, c.Extra = nil, nil, nil
		out = append(out, &c)
	}
	return out
}

// valueFreeErrors are the functions whose errors never quote their
// arguments, so Redact may show them (bcrypt's say only that a password is
// over 72 bytes).
var valueFreeErrors = map[string]bool{"tonumber": true, "tobool": true, "tostring": true, "bcrypt": true}
