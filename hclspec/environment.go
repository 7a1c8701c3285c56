package hclspec

import (
	"github.com/hashicorp/hcl/v2"
)

// Backends.
const (
	BackendLocal      = "local"
	BackendCloudflare = "cloudflare"
	// BackendWrangler is `wrangler dev`'s local state of the project's
	// Worker (backend/wranglerdev).
	BackendWrangler = "wrangler"
)

// DefaultLocalPath is where the local backend keeps its files, relative to
// the configuration directory, when an environment does not set path.
const DefaultLocalPath = ".dmplan"

var environmentSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "backend", Required: true},
		{Name: "path"},
		{Name: "account_id"},
		{Name: "database"},
		{Name: "api_token"},
		{Name: "base_url"},
		{Name: "config"},
		{Name: "binding"},
		{Name: "wrangler_env"},
		{Name: "persist_to"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "gateway"}, {Type: "databases"}},
}

// backendAttrs are the arguments each backend takes, and which it requires.
var backendAttrs = map[string]map[string]bool{
	BackendLocal:      {"path": false},
	BackendCloudflare: {"account_id": true, "database": true, "api_token": false, "base_url": false},
	BackendWrangler:   {"config": false, "binding": false, "wrangler_env": false, "persist_to": false},
}

func (d *decoder) environments(blocks []*hcl.Block) hcl.Diagnostics {
	var diags hcl.Diagnostics
	seen := map[string]*hcl.Block{}
	for _, blk := range blocks {
		name := blk.Labels[0]
		if prev, ok := seen[name]; ok {
			diags = append(diags, duplicate(labelRange(blk, 0), labelRange(prev, 0),
				"Duplicate environment declaration", "An environment named \""+name+"\""))
			continue
		}
		seen[name] = blk
		if !isProjectName(name) || len(name) > 63 {
			diags = append(diags, errorf(labelRange(blk, 0), "Invalid environment name",
				"An environment name must be 1 to 63 lower-case letters, digits, \"-\" or \"_\", starting with a letter or digit; it is part of every KV namespace title."))
		}
		env, ed := decodeEnvironment(blk, d.spec.Project.Name)
		diags = append(diags, ed...)
		d.spec.Environments = append(d.spec.Environments, env)
	}
	if _, ok := seen[BackendLocal]; !ok {
		d.spec.Environments = append(d.spec.Environments, &Environment{
			Name:    "local",
			Backend: BackendLocal,
			Attrs:   hcl.Attributes{},
		})
	}
	return diags
}

func decodeEnvironment(blk *hcl.Block, project string) (*Environment, hcl.Diagnostics) {
	env := &Environment{Name: blk.Labels[0], Attrs: hcl.Attributes{}, DeclRange: blk.DefRange}
	content, diags := blk.Body.Content(environmentSchema)
	if content == nil {
		return env, diags
	}
	env.Attrs = content.Attributes
	a, ok := content.Attributes["backend"]
	if !ok {
		return env, diags
	}
	b, bd := staticString(a)
	diags = append(diags, bd...)
	if bd.HasErrors() {
		return env, diags
	}
	allowed, ok := backendAttrs[b]
	if !ok {
		diags = append(diags, errorf(a.Expr.Range(), "Unknown backend",
			"The backend must be \"local\" (embedded SQLite files), \"cloudflare\" (D1 and Workers KV through the API) or \"wrangler\" (wrangler dev's local state)."))
		return env, diags
	}
	env.Backend = b
	for _, attr := range sortedAttrs(content.Attributes) {
		if attr.Name == "backend" {
			continue
		}
		if _, ok := allowed[attr.Name]; !ok {
			diags = append(diags, errorf(attr.NameRange, "Argument not valid for this backend",
				"The argument %q does not apply to the %s backend.", attr.Name, b))
			continue
		}
		diags = append(diags, checkReferences(attr.Expr, nil, "env")...)
		diags = append(diags, checkFunctions(attr.Expr)...)
		if len(attr.Expr.Variables()) == 0 {
			_, sd := staticString(attr)
			diags = append(diags, sd...)
		}
	}
	var gateways, fleets []*hcl.Block
	for _, cb := range content.Blocks {
		if cb.Type == "databases" {
			fleets = append(fleets, cb)
		} else {
			gateways = append(gateways, cb)
		}
	}
	diags = append(diags, decodeEnvFleet(env, fleets, content.Attributes, b)...)
	for i, gb := range gateways {
		if i > 0 {
			diags = append(diags, duplicate(gb.DefRange, gateways[0].DefRange, "Duplicate gateway block", "A gateway block"))
			continue
		}
		if b != BackendCloudflare {
			diags = append(diags, errorf(gb.DefRange, "Gateway needs the cloudflare backend",
				"The environment %q uses the %s backend, where a Go service opens the database directly; a gateway Worker is deployed only for cloudflare environments.", env.Name, b))
			continue
		}
		g, gd := decodeGateway(gb, project, env.Name)
		diags = append(diags, gd...)
		env.Gateway = g
	}
	for _, name := range []string{"account_id", "database"} {
		if name == "database" && env.Fleet != nil {
			continue
		}
		if _, ok := content.Attributes[name]; allowed[name] && !ok {
			diags = append(diags, errorf(blk.DefRange, "Missing required argument",
				"The %s backend needs the argument %q.", b, name))
		}
	}
	return env, diags
}

// sortedAttrs returns the attributes in source order.
func sortedAttrs(attrs hcl.Attributes) []*hcl.Attribute {
	out := make([]*hcl.Attribute, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, a)
	}
	sortByRange(out, func(a *hcl.Attribute) hcl.Range { return a.Range })
	return out
}

// decodeEnvFleet decodes the environment's databases block, if any: at
// most one, and not beside a database argument.
func decodeEnvFleet(env *Environment, blocks []*hcl.Block, attrs hcl.Attributes, b string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for i, fb := range blocks {
		if i > 0 {
			diags = append(diags, duplicate(fb.DefRange, blocks[0].DefRange, "Duplicate databases block", "A databases block"))
			continue
		}
		// On a backend without a database argument, that argument is
		// already refused; no second error for the same line.
		if a, ok := attrs["database"]; ok && b == BackendCloudflare {
			diags = append(diags, errorf(a.NameRange, "Conflicting database arguments",
				"The environment %q names one database here and a fleet of databases in the databases block at %s; keep one of them.", env.Name, fb.DefRange.String()))
		}
		f, fd := decodeFleet(fb, b)
		diags = append(diags, fd...)
		env.Fleet = f
	}
	return diags
}
