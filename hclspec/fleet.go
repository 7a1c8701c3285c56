package hclspec

import (
	"path"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Fleet is an environment's databases block: the environment holds many
// D1 databases (a database per tenant) instead of one. Exactly one
// selector is set: Prefix, Pattern, Names or File. On the cloudflare
// backend the databases are the account's D1 databases; on the local
// backend they are the subdirectories of the environment's path, each
// holding its d1.sqlite. KV namespaces are shared by the whole fleet (one
// per kv.namespace, as for one database); a tenant's objects are the keys
// that start with "<database name>/" (see TenantKeyPattern).
type Fleet struct {
	// Prefix selects the databases whose name starts with it.
	Prefix string
	// Pattern selects the databases whose name matches it ("*" any run
	// of characters, "?" one character, path.Match syntax).
	Pattern string
	// Names lists the databases.
	Names []string
	// File names a file listing the databases, one name per line, "#"
	// starting a comment; relative to the configuration directory.
	File string
	// Create makes plan show, and apply create, the listed databases that
	// do not exist yet (only with Names or File).
	Create bool
	// Jurisdiction is where created databases live ("eu", "fedramp"); it
	// is create-only: a live database elsewhere is blocked (DM140).
	Jurisdiction string

	// DeclRange is the databases block's; FileRange the file attribute's
	// value (zero without file), where errors reading the file point.
	DeclRange hcl.Range
	FileRange hcl.Range
}

// Selector says how the fleet's databases are chosen, for messages:
// `prefix "tenant-"`, `names (3)`, `file "tenants.txt"`.
func (f *Fleet) Selector() string {
	switch {
	case f.Prefix != "":
		return "prefix " + quote(f.Prefix)
	case f.Pattern != "":
		return "pattern " + quote(f.Pattern)
	case f.File != "":
		return "file " + quote(f.File)
	default:
		return "names"
	}
}

func quote(s string) string { return "\"" + s + "\"" }

// Jurisdictions are the values jurisdiction accepts: Cloudflare's D1
// jurisdictions.
var Jurisdictions = []string{"eu", "fedramp"}

var fleetSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "prefix"},
		{Name: "pattern"},
		{Name: "names"},
		{Name: "file"},
		{Name: "create"},
		{Name: "jurisdiction"},
	},
}

// ValidDatabaseName reports whether name can name a database of a fleet:
// 1 to 64 letters, digits, "-" or "_". The name is a directory on the
// local backend and the start of the tenant's KV keys, so nothing else is
// allowed.
func ValidDatabaseName(name string) bool {
	if len(name) == 0 || len(name) > 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// validD1Name reports whether Cloudflare takes name for a new D1
// database: lowercase letters, digits, "-" and "_", starting with a
// letter or digit (the API's ^[a-z0-9][a-z0-9-_]*$).
func validD1Name(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '-' || c == '_') && i > 0:
		default:
			return false
		}
	}
	return name != ""
}

// decodeFleet decodes a databases block of an environment using backend b.
func decodeFleet(blk *hcl.Block, b string) (*Fleet, hcl.Diagnostics) {
	f := &Fleet{DeclRange: blk.DefRange}
	content, diags := blk.Body.Content(fleetSchema)
	if content == nil {
		return f, diags
	}
	if b == BackendWrangler {
		diags = append(diags, errorf(blk.DefRange, "Block not valid for this backend",
			"A databases block (a fleet of databases) is for the cloudflare and local backends; the %s backend serves one database.", b))
	}
	attrs := content.Attributes
	var selectors []*hcl.Attribute
	for _, a := range sortedAttrs(attrs) {
		switch a.Name {
		case "prefix", "pattern", "names", "file":
			selectors = append(selectors, a)
		}
	}
	switch {
	case len(selectors) == 0:
		diags = append(diags, errorf(blk.DefRange, "Missing database selector",
			"A databases block chooses its databases with exactly one of prefix, pattern, names or file."))
	case len(selectors) > 1:
		for _, a := range selectors[1:] {
			diags = append(diags, errorf(a.NameRange, "Conflicting database selectors",
				"A databases block takes exactly one of prefix, pattern, names or file; %q is given at %s as well as %q.", selectors[0].Name, selectors[0].NameRange.String(), a.Name))
		}
	}
	if a, ok := attrs["prefix"]; ok {
		s, d := staticString(a)
		diags = append(diags, d...)
		if !d.HasErrors() && s == "" {
			diags = append(diags, errorf(a.Expr.Range(), "Invalid value",
				"The prefix must not be empty: it would select every database of the account; list them with names or file."))
		}
		f.Prefix = s
	}
	if a, ok := attrs["pattern"]; ok {
		s, d := staticString(a)
		diags = append(diags, d...)
		if !d.HasErrors() {
			if _, err := path.Match(s, ""); err != nil || s == "" {
				diags = append(diags, errorf(a.Expr.Range(), "Invalid pattern",
					"The pattern must be a non-empty glob: \"*\" matches any run of characters, \"?\" one, [a-z] a class."))
			}
		}
		f.Pattern = s
	}
	if a, ok := attrs["names"]; ok {
		items, d := staticStringList(a)
		diags = append(diags, d...)
		seen := map[string]hcl.Range{}
		for _, it := range items {
			if !ValidDatabaseName(it.Value) {
				diags = append(diags, errorf(it.Range, "Invalid database name",
					"A database name of a fleet must be 1 to 64 letters, digits, \"-\" or \"_\": it names a directory on the local backend and starts the tenant's KV keys."))
				continue
			}
			if prev, ok := seen[it.Value]; ok {
				diags = append(diags, duplicate(it.Range, prev, "Duplicate database name", "The database "+quote(it.Value)))
				continue
			}
			seen[it.Value] = it.Range
			f.Names = append(f.Names, it.Value)
		}
		if !d.HasErrors() && len(items) == 0 {
			diags = append(diags, errorf(a.Expr.Range(), "Invalid value", "The names list is empty."))
		}
	}
	if a, ok := attrs["file"]; ok {
		s, d := staticString(a)
		diags = append(diags, d...)
		if !d.HasErrors() && s == "" {
			diags = append(diags, errorf(a.Expr.Range(), "Invalid value", "The file must name a file listing the databases, one per line."))
		}
		f.File = s
		f.FileRange = a.Expr.Range()
	}
	if a, ok := attrs["create"]; ok {
		v, d := staticBool(a)
		diags = append(diags, d...)
		f.Create = v
		if v && b == BackendCloudflare && attrs["names"] != nil {
			items, _ := staticStringList(attrs["names"])
			for _, it := range items {
				if ValidDatabaseName(it.Value) && !validD1Name(it.Value) {
					diags = append(diags, errorf(it.Range, "Invalid D1 database name",
						"Cloudflare creates D1 databases under names of lowercase letters, digits, \"-\" and \"_\" that start with a letter or digit; %q cannot be created.", it.Value))
				}
			}
		}
		if v && attrs["names"] == nil && attrs["file"] == nil {
			diags = append(diags, errorf(a.NameRange, "Create needs a list of names",
				"create = true creates the listed databases that do not exist yet, so it needs names or file; a prefix or pattern only selects databases that exist."))
		}
	}
	if a, ok := attrs["jurisdiction"]; ok {
		s, d := staticString(a)
		diags = append(diags, d...)
		f.Jurisdiction = s
		switch {
		case d.HasErrors():
		case b != BackendCloudflare:
			diags = append(diags, errorf(a.NameRange, "Argument not valid for this backend",
				"jurisdiction says where Cloudflare creates a D1 database; the %s backend has none.", b))
		case s != Jurisdictions[0] && s != Jurisdictions[1]:
			diags = append(diags, errorf(a.Expr.Range(), "Unknown jurisdiction",
				"The jurisdiction must be \"eu\" or \"fedramp\"."))
		case !f.Create:
			diags = append(diags, errorf(a.NameRange, "Jurisdiction needs create",
				"jurisdiction applies when a database is created; set create = true (a live database in another jurisdiction is then blocked, never moved)."))
		}
	}
	return f, diags
}

// TenantKeyPattern is the KV key pattern of a model for one database of a
// fleet: the model's pattern after "<database>/", so tenants sharing a
// namespace never see each other's objects.
func TenantKeyPattern(database, pattern string) string {
	return database + "/" + pattern
}

// Tenant returns the spec as one database of a fleet sees it: a shallow
// copy whose models' KV key patterns start with "<database>/"
// (TenantKeyPattern); on a tenant's view, the other tenant's prefix is
// replaced, not kept. Everything else is shared with s; the copy costs one
// Model struct per model.
func (s *Spec) Tenant(database string) *Spec {
	c := *s
	c.tenant = database
	c.Models = make([]*Model, len(s.Models))
	for i, m := range s.Models {
		mc := *m
		if !m.D1Only() {
			mc.KV.KeyPattern = TenantKeyPattern(database, strings.TrimPrefix(m.KV.KeyPattern, s.tenantPrefix()))
		}
		c.Models[i] = &mc
	}
	return &c
}

// tenantPrefix is what Tenant put before the key patterns of s: "" for a
// Spec as loaded. A tenant's view of a tenant's view starts from the
// loaded patterns again.
func (s *Spec) tenantPrefix() string {
	if s.tenant == "" {
		return ""
	}
	return TenantKeyPattern(s.tenant, "")
}

// TenantName is the database whose view of a fleet the Spec is (made by
// Tenant), "" for a Spec as loaded.
func (s *Spec) TenantName() string { return s.tenant }
