package hclspec

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Gateway is an environment's gateway block: the Worker dmplan deploys so
// that Go services reach D1 and KV through it rather than the rate-limited
// REST API. The secrets are named, never read here: only the names of the
// environment variables holding them are kept (SecretEnv,
// PreviousSecretEnv), and the deploy reads them when it uploads.
type Gateway struct {
	// Script is the Workers script name; the default is
	// DefaultGatewayScript(project, environment).
	Script string
	// ScriptSet reports whether the script argument was given.
	ScriptSet bool
	// SecretEnv is X in secret = env.X.
	SecretEnv string
	// PreviousSecretEnv is Y in previous_secret = env.Y, "" without it:
	// during a rotation the Worker accepts both.
	PreviousSecretEnv string
	// SecretVersion is the secret_version argument (default 0). The live
	// secret cannot be read back, so a changed value is told to the plan by
	// changing this number; it is stored in the Worker's configuration.
	SecretVersion int64
	// Route is where the Worker is served; nil means its workers.dev
	// address.
	Route *GatewayRoute

	DeclRange hcl.Range
}

// GatewayRoute is a route on one of the account's zones.
type GatewayRoute struct {
	Pattern string // "api.example.com/dmplan/*"
	ZoneID  string // the zone's id (32 hex digits)
}

// reservedBindingPrefix starts the names of the gateway Worker's own
// bindings (DMPLAN_D1, DMPLAN_CONFIG, DMPLAN_SECRET, ...); a KV binding may
// not use it.
const reservedBindingPrefix = "DMPLAN_"

var gatewaySchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "script"},
		{Name: "secret", Required: true},
		{Name: "previous_secret"},
		{Name: "secret_version"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "route"}},
}

var gatewayRouteSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "pattern", Required: true},
		{Name: "zone_id", Required: true},
	},
}

// maxScriptName is the longest Workers script name that is also a valid
// workers.dev host label.
const maxScriptName = 63

// IsScriptName reports whether s is a valid Workers script name as dmplan
// accepts it: 1 to 63 lower-case letters, digits and "-", starting and
// ending with a letter or digit, so it is also a workers.dev host name.
func IsScriptName(s string) bool {
	if s == "" || len(s) > maxScriptName || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	return allOf(s, isLower, isDigit, func(c byte) bool { return c == '-' })
}

// DefaultGatewayScript is the script name of an environment's gateway when
// the block does not set one: "<project>-<environment>-gateway" with "_"
// turned into "-", shortened to a valid name when the parts are long.
func DefaultGatewayScript(project, env string) string {
	clean := func(s string) string {
		s = strings.Trim(strings.ReplaceAll(strings.ToLower(s), "_", "-"), "-")
		return s
	}
	p, e := clean(project), clean(env)
	const suffix = "-gateway"
	name := p + "-" + e + suffix
	if len(name) > maxScriptName {
		room := maxScriptName - len(suffix) - 1
		if len(e) > room/2 {
			e = strings.Trim(e[:room/2], "-")
		}
		if len(p) > room-len(e) {
			p = strings.Trim(p[:room-len(e)], "-")
		}
		name = p + "-" + e + suffix
	}
	if p == "" || e == "" {
		name = strings.Trim(p+"-"+e, "-") + suffix
	}
	return name
}

// decodeGateway decodes an environment's gateway block.
func decodeGateway(blk *hcl.Block, project, env string) (*Gateway, hcl.Diagnostics) {
	g := &Gateway{DeclRange: blk.DefRange}
	content, diags := blk.Body.Content(gatewaySchema)
	if content == nil {
		return g, diags
	}
	if a, ok := content.Attributes["script"]; ok {
		s, sd := staticString(a)
		diags = append(diags, sd...)
		if !sd.HasErrors() {
			if !IsScriptName(s) {
				diags = append(diags, errorf(a.Expr.Range(), "Invalid script name",
					"A Workers script name must be 1 to %d lower-case letters, digits or \"-\", starting and ending with a letter or digit (it is also the workers.dev host name).", maxScriptName))
			} else {
				g.Script, g.ScriptSet = s, true
			}
		}
	}
	if !g.ScriptSet {
		g.Script = DefaultGatewayScript(project, env)
	}
	if a, ok := content.Attributes["secret"]; ok {
		name, d := envReference(a)
		diags = append(diags, d...)
		g.SecretEnv = name
	}
	if a, ok := content.Attributes["previous_secret"]; ok {
		name, d := envReference(a)
		diags = append(diags, d...)
		g.PreviousSecretEnv = name
		if name != "" && name == g.SecretEnv {
			diags = append(diags, errorf(a.Expr.Range(), "Same secret twice",
				"previous_secret reads the same variable as secret (env.%s); during a rotation it holds the secret being replaced.", name))
		}
	}
	if a, ok := content.Attributes["secret_version"]; ok {
		v, vd := staticValue(a.Expr, "The argument %q", a.Name)
		diags = append(diags, vd...)
		if !vd.HasErrors() {
			if v.IsNull() || v.Type() != cty.Number || !v.AsBigFloat().IsInt() || v.AsBigFloat().Sign() < 0 {
				diags = append(diags, errorf(a.Expr.Range(), "Invalid value",
					"secret_version must be a whole number of 0 or more; change it when the secret's value changes."))
			} else if n, acc := v.AsBigFloat().Int64(); acc != 0 || n > 1<<53 {
				diags = append(diags, errorf(a.Expr.Range(), "Invalid value", "secret_version is too large."))
			} else {
				g.SecretVersion = n
			}
		}
	}
	var prev *hcl.Block
	for _, rb := range content.Blocks {
		if prev != nil {
			diags = append(diags, duplicate(rb.DefRange, prev.DefRange, "Duplicate route block", "A route block"))
			continue
		}
		prev = rb
		r, rd := decodeGatewayRoute(rb)
		diags = append(diags, rd...)
		g.Route = r
	}
	return g, diags
}

func decodeGatewayRoute(blk *hcl.Block) (*GatewayRoute, hcl.Diagnostics) {
	r := &GatewayRoute{}
	content, diags := blk.Body.Content(gatewayRouteSchema)
	if content == nil {
		return r, diags
	}
	if a, ok := content.Attributes["pattern"]; ok {
		s, sd := staticString(a)
		diags = append(diags, sd...)
		if !sd.HasErrors() {
			if s == "" || strings.ContainsAny(s, " \t\r\n") || strings.Contains(s, "://") || !strings.Contains(s, "/") {
				diags = append(diags, errorf(a.Expr.Range(), "Invalid route pattern",
					"A route pattern is a host and path without a scheme, such as \"api.example.com/dmplan/*\"."))
			} else {
				r.Pattern = s
			}
		}
	}
	if a, ok := content.Attributes["zone_id"]; ok {
		s, sd := staticString(a)
		diags = append(diags, sd...)
		if !sd.HasErrors() {
			if len(s) != 32 || !allOf(s, isDigit, func(c byte) bool { return c >= 'a' && c <= 'f' }) {
				diags = append(diags, errorf(a.Expr.Range(), "Invalid zone id",
					"zone_id is the zone's id: 32 lower-case hexadecimal digits, shown on the zone's overview page."))
			} else {
				r.ZoneID = s
			}
		}
	}
	return r, diags
}

// envReference checks that attr is exactly env.NAME and returns NAME. The
// secret's value is never read at decode time.
func envReference(attr *hcl.Attribute) (string, hcl.Diagnostics) {
	tr, d := hcl.AbsTraversalForExpr(attr.Expr)
	if d.HasErrors() || len(tr) != 2 || tr.RootName() != "env" {
		return "", hcl.Diagnostics{errorf(attr.Expr.Range(), "Secret must come from env",
			"The argument %q must be env.NAME: the gateway's secret is read from an environment variable when dmplan deploys, and is never written to a file, plan or log.", attr.Name)}
	}
	a, ok := tr[1].(hcl.TraverseAttr)
	if !ok || !isIdentLoose(a.Name) {
		return "", hcl.Diagnostics{errorf(attr.Expr.Range(), "Secret must come from env",
			"The argument %q must be env.NAME with NAME an environment variable name.", attr.Name)}
	}
	return a.Name, nil
}

func isIdentLoose(s string) bool {
	return s != "" && allOf(s, isLower, isDigit, func(c byte) bool { return c == '_' || (c >= 'A' && c <= 'Z') })
}

// gatewayBindingClashes reports KV binding names of the models that the
// gateway Worker reserves, once per environment with a gateway.
func (d *decoder) gatewayBindingClashes() hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, env := range d.spec.Environments {
		if env.Gateway == nil {
			continue
		}
		seen := map[string]bool{}
		for _, m := range d.spec.Models {
			if strings.HasPrefix(m.KV.Binding, reservedBindingPrefix) && !seen[m.KV.Binding] {
				seen[m.KV.Binding] = true
				diags = append(diags, errorf(env.Gateway.DeclRange, "Reserved binding name",
					"Model %s's KV binding %s starts with %s, which the gateway Worker keeps for its own bindings (DMPLAN_D1, DMPLAN_CONFIG, DMPLAN_SECRET, ...); choose another kv.namespace or binding_prefix.",
					m.Name, m.KV.Binding, reservedBindingPrefix))
			}
		}
	}
	return diags
}

// String describes where the gateway is served.
func (g *Gateway) String() string {
	if g.Route != nil {
		return fmt.Sprintf("route %s", g.Route.Pattern)
	}
	return "workers.dev"
}
