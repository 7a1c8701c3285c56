package runtime

import (
	"errors"
	"fmt"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
)

// ErrTenantNotBound is returned by Tenant when the backend reaches
// another database than the tenant's: a gateway Worker binds one D1
// database, so a gateway serves only the tenant whose database it binds.
var ErrTenantNotBound = errors.New("runtime: the backend does not reach the tenant's database")

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
// another is refused with an error wrapping ErrTenantNotBound.
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
			c.keyPrefix = hclspec.TenantKeyPattern(name, m.keyPrefix)
		}
		t.models[sm.Name] = &c
	}
	return t, nil
}
