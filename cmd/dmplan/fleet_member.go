package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/fleet"
	"github.com/dmplan/dmplan/hclspec"
)

// errNotInFleet is returned for a -database the fleet does not hold.
var errNotInFleet = errors.New("no such database in the fleet")

// memberBackend is one database of a fleet; closing it closes the fleet's
// source too.
type memberBackend struct {
	backend.Backend
	src fleet.Source
}

func (m *memberBackend) Close() error {
	return errors.Join(m.Backend.Close(), m.src.Close())
}

// openFleetMember opens the database name of the fleet target t with the
// fleet's shared KV. It returns the spec as that tenant sees it (its KV
// keys start with "<name>/", hclspec.Spec.Tenant) and a target naming the
// database alone, for views and hints.
func (c *cli) openFleetMember(ctx context.Context, spec *hclspec.Spec, t *hclspec.Target, name, base string, readOnly bool) (backend.Backend, *hclspec.Spec, *hclspec.Target, error) {
	src, err := c.openFleet(ctx, t, readOnly)
	if err != nil {
		return nil, nil, nil, err
	}
	dbs, err := c.resolveFleet(ctx, t, base, src)
	if err != nil {
		src.Close()
		return nil, nil, nil, err
	}
	var db *fleet.Database
	for i := range dbs {
		if dbs[i].Name == name {
			db = &dbs[i]
		}
	}
	switch {
	case db == nil:
		src.Close()
		return nil, nil, nil, fmt.Errorf("-database %s: %w of environment %s (its databases block selects %s)", name, errNotInFleet, t.Environment, t.Fleet.Selector())
	case db.Missing:
		src.Close()
		return nil, nil, nil, fmt.Errorf("-database %s: the database does not exist yet (dmplan apply creates it when the databases block sets create = true)", name)
	}
	be, err := src.Open(ctx, *db, readOnly)
	if err != nil {
		src.Close()
		return nil, nil, nil, redact(err, t)
	}
	mt := *t
	mt.Fleet = nil
	if t.Backend == hclspec.BackendLocal {
		mt.Path = filepath.Join(t.Path, name)
	} else {
		mt.Database = name
	}
	return &memberBackend{Backend: be, src: src}, spec.Tenant(name), &mt, nil
}
