package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/wranglerdev"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
)

// resolveWrangler completes a wrangler target: config and persist_to
// become absolute (relative to the configuration directory base), Path
// is the persist directory wrangler dev uses (so saved plans and views
// name it), and the project's KV namespaces are kept for openWrangler. A
// configuration that cannot be found or read, a wrangler environment it
// does not declare or a D1 binding it lacks is an error diagnostic at the
// environment's attribute that asks for it, before any process starts.
func (c *cli) resolveWrangler(spec *hclspec.Spec, t *hclspec.Target, base string) hcl.Diagnostics {
	if t.Config != "" && !filepath.IsAbs(t.Config) {
		t.Config = filepath.Join(base, t.Config)
	}
	if t.PersistTo != "" && !filepath.IsAbs(t.PersistTo) {
		t.PersistTo = filepath.Join(base, t.PersistTo)
	}
	o := c.wranglerOptions(spec, t, base)
	c.wrangler = &o
	p, err := wranglerdev.Resolve(o)
	if err != nil {
		return wranglerDiag(spec.Environment(t.Environment), err)
	}
	t.Path = p.Persist
	if t.Binding == "" {
		t.Binding = p.Database
	}
	return nil
}

// wranglerDiag is the diagnostic of a wrangler configuration problem, at
// the environment's attribute that asks for what is missing: binding (or
// wrangler_env, which chose the databases), wrangler_env, config, else
// backend.
func wranglerDiag(env *hclspec.Environment, err error) hcl.Diagnostics {
	summary, attrs := "Cannot use the wrangler configuration", []string{"backend"}
	switch {
	case errors.Is(err, wranglerdev.ErrNoConfig):
		summary = "No wrangler configuration"
	case errors.Is(err, wranglerdev.ErrReadConfig):
		summary, attrs = "Cannot read the wrangler configuration", []string{"config", "backend"}
	case errors.Is(err, wranglerdev.ErrNoEnvironment):
		summary, attrs = "Unknown wrangler environment", []string{"wrangler_env", "backend"}
	case errors.Is(err, wranglerdev.ErrNoDatabase):
		summary, attrs = "D1 binding not in the wrangler configuration", []string{"binding", "wrangler_env", "config", "backend"}
	}
	d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: err.Error() + "."}
	if env != nil {
		rng := env.DeclRange
		for _, name := range attrs {
			if a, ok := env.Attrs[name]; ok {
				rng = a.Range
				break
			}
		}
		d.Subject = &rng
	}
	return hcl.Diagnostics{d}
}

// wranglerOptions are the wranglerdev options of a target.
func (c *cli) wranglerOptions(spec *hclspec.Spec, t *hclspec.Target, base string) wranglerdev.Options {
	o := wranglerdev.Options{
		Dir: base, Config: t.Config, Binding: t.Binding, WranglerEnv: t.WranglerEnv, PersistTo: t.PersistTo,
		Project: spec.Project.Name, Environment: t.Environment,
	}
	if t.Config != "" {
		o.Dir = filepath.Dir(t.Config)
	} else if p, err := wranglerdev.FindConfig(base); err == nil {
		o.Dir = filepath.Dir(p)
	}
	seen := map[string]bool{}
	for _, m := range spec.Models {
		if m == nil || m.KV.Namespace == "" || seen[m.KV.Binding] {
			continue
		}
		seen[m.KV.Binding] = true
		o.Namespaces = append(o.Namespaces, wranglerdev.Namespace{Binding: m.KV.Binding, Title: spec.NamespaceTitle(t.Environment, m.KV.Namespace)})
	}
	return o
}

// openWrangler opens wrangler dev's local state of the target. readOnly
// (plan, show, history, ...) reads a state that does not exist yet as an
// empty one in memory, so looking creates nothing, as for a local target.
func (c *cli) openWrangler(ctx context.Context, t *hclspec.Target, readOnly bool) (backend.Backend, error) {
	if c.wrangler == nil {
		return nil, fmt.Errorf("environment %s: the wrangler target was not resolved", t.Environment)
	}
	o := *c.wrangler
	o.Stderr = c.wranglerLog
	if readOnly && t.Path != "" && !fileExists(t.Path) {
		o.Ephemeral = true
	}
	s, err := wranglerdev.Open(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("environment %s: %w", t.Environment, err)
	}
	return s, nil
}

// wranglerWarnings are the warnings of a plan for a wrangler target: the
// KV namespaces it would create that the wrangler configuration does not
// bind (wrangler dev has only those; apply would stop at them).
func wranglerWarnings(spec *hclspec.Spec, p *planner.Plan, be backend.Backend) hcl.Diagnostics {
	s, ok := be.(*wranglerdev.Store)
	if !ok {
		return nil
	}
	return unboundNamespaceWarnings(spec, p, s.KVBindings(), s.AddNamespaceHint)
}

// unboundNamespaceWarnings warns, at the model, of each namespace the plan
// creates whose binding is not in bound, once per namespace.
func unboundNamespaceWarnings(spec *hclspec.Spec, p *planner.Plan, bound []string, hint func(binding string) string) hcl.Diagnostics {
	var out hcl.Diagnostics
	seen := map[string]bool{}
	for _, st := range p.Steps {
		if st.Action != planner.CreateNamespace {
			continue
		}
		m := spec.Model(st.Model)
		if m == nil || m.KV.Binding == "" || slices.Contains(bound, m.KV.Binding) || seen[m.KV.Binding] {
			continue
		}
		seen[m.KV.Binding] = true
		rng := m.DeclRange
		out = append(out, &hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  "KV namespace not bound in the wrangler configuration",
			Detail: fmt.Sprintf("The plan creates namespace %s (binding %s), but wrangler dev has only the namespaces its configuration binds: apply stops at that step. Bind it first: %s.",
				st.Target, m.KV.Binding, hint(m.KV.Binding)),
			Subject: &rng,
		})
	}
	return out
}

// wranglerLedgers is wrangler's ledger under the migrations_table the
// wrangler target's configuration names for its D1 database, when that is
// not d1_migrations (always read).
func wranglerLedgers(be backend.Backend) []planner.LedgerKind {
	s, ok := be.(*wranglerdev.Store)
	if !ok {
		return nil
	}
	table := s.Database().MigrationsTable
	if table == "" || strings.EqualFold(table, wranglerdev.DefaultMigrationsTable) {
		return nil
	}
	return []planner.LedgerKind{planner.WranglerLedger(table)}
}

// pendingMigrationsNote is the plan's note (DM223) on a wrangler target
// whose migrations folder holds files its ledger does not list yet (all
// of them when the database has no ledger): nil otherwise.
func (c *cli) pendingMigrationsNote(be backend.Backend, ledgers []planner.Ledger) *planner.Note {
	s, ok := be.(*wranglerdev.Store)
	if !ok {
		return nil
	}
	dir := s.MigrationsPath()
	l := wranglerLedger(ledgers)
	if l == nil {
		table := cmp.Or(s.Database().MigrationsTable, wranglerdev.DefaultMigrationsTable)
		l = &planner.Ledger{Kind: planner.WranglerLedger(table)}
	}
	pending := l.Pending(migrationFiles(dir))
	if len(pending) == 0 {
		return nil
	}
	n := planner.PendingNote(*l, c.relPath(dir), pending)
	return &n
}

// wranglerMigrationsTable is the migrations_table the wrangler target's
// configuration names for its D1 database ("" for wrangler's default or
// when it cannot be read).
func (c *cli) wranglerMigrationsTable(t *hclspec.Target) string {
	if c.wrangler == nil {
		return ""
	}
	o := *c.wrangler
	if o.Binding == "" {
		o.Binding = t.Binding
	}
	p, err := wranglerdev.Resolve(o)
	if err != nil {
		return ""
	}
	return p.MigrationsTable()
}
