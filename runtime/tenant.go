package runtime

import (
	"errors"
	"fmt"
	"strings"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
)

// ErrTenantNotBound is returned by Tenant when the backend reaches
// another database than the tenant's: a gateway Worker binds one D1
// database, so a gateway serves only the tenant whose database it binds.
var ErrTenantNotBound = errors.New("runtime: the backend does not reach the tenant's database")

// ErrTenantRequired is returned by every record operation of a Datastore
// opened on a fleet environment (WithEnvironment naming one with a
// databases block) rather than for one of its tenants: its records would land in the shared KV
// namespaces outside every tenant's "<name>/" keys. Open the tenant with
// Tenant(name, backend); hooks and middleware registered on the fleet's
// Datastore run for its tenants.
var ErrTenantRequired = errors.New("runtime: the environment is a fleet of databases: open a tenant with Datastore.Tenant(name, backend)")

// fleetRoot reports whether a Datastore of spec opened on environment env
// serves a whole fleet, not one of its databases.
func fleetRoot(spec *hclspec.Spec, env string) bool {
	e := spec.Environment(env)
	return e != nil && e.Fleet != nil && spec.TenantName() == ""
}

// databaseNamer is a backend that knows the D1 database it reaches (the
// cloudflare and gateway backends).
type databaseNamer interface{ DatabaseName() string }

// Tenant returns a Datastore serving one database of a fleet (an
// environment with a databases block, a database per tenant): b is that
// database's backend (cloudflare: the account Store's WithDatabase, or
// Open with the database's name; a gateway whose Worker binds it; local:
// the fleet directory's subdirectory of that name). The tenant's records
// live in the fleet's shared KV namespaces under keys that start with
// "<name>/" (hclspec.Spec.Tenant), in its own D1 tables.
//
// It compiles nothing: the models' statements, the namespace ids and the
// hooks are ds's, shared (a hook registered on either runs for both), and
// it lists no namespaces. Opening a tenant costs a copy of each model's
// compiled form, no request (see BenchmarkTenant).
//
// A backend that names its database (cloudflare, gateway) and names
// another is refused with an error wrapping ErrTenantNotBound. Called on a
// tenant's Datastore, Tenant serves the named tenant as if called on the
// fleet's (its keys start with "<name>/" alone).
func (ds *Datastore) Tenant(name string, b backend.Backend) (*Datastore, error) {
	if !hclspec.ValidDatabaseName(name) {
		return nil, fmt.Errorf("open tenant %q: %w: a database name of a fleet is 1 to 64 letters, digits, \"-\" or \"_\"", name, ErrInvalid)
	}
	if b == nil {
		return nil, fmt.Errorf("open tenant %s: %w: nil backend", name, ErrInvalid)
	}
	if n, ok := b.(databaseNamer); ok {
		if have := n.DatabaseName(); have != "" && have != name {
			return nil, fmt.Errorf("open tenant %s: %w: %s reaches database %s", name, ErrTenantNotBound, b.Describe(), have)
		}
	}
	spec := ds.spec.Tenant(name)
	// On a tenant's Datastore, the keys are rebased from that tenant's.
	own := ""
	if n := ds.spec.TenantName(); n != "" {
		own = hclspec.TenantKeyPattern(n, "")
	}
	t := &Datastore{
		spec:   spec,
		b:      b,
		d1:     backend.MeteredD1(b.D1()),
		kv:     b.KV(),
		log:    ds.log,
		env:    ds.env,
		now:    ds.now,
		newID:  ds.newID,
		models: make(map[string]*model, len(ds.models)),
		runner: ds.runner,
		advice: adviser{off: ds.advice.off},
	}
	for _, sm := range spec.Models {
		m := ds.models[sm.Name]
		c := *m
		c.spec = sm
		if c.keySplit && !sm.D1Only() {
			c.keyPrefix = hclspec.TenantKeyPattern(name, strings.TrimPrefix(m.keyPrefix, own))
		}
		t.models[sm.Name] = &c
	}
	return t, nil
}
