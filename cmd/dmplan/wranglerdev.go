package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/wranglerdev"
	"github.com/dmplan/dmplan/hclspec"
)

// resolveWrangler completes a wrangler target: config and persist_to
// become absolute (relative to the configuration directory base), Path
// is the persist directory wrangler dev uses (so saved plans and views
// name it), and the project's KV namespaces are kept for openWrangler. A
// configuration that cannot be found is reported when the target is
// opened.
func (c *cli) resolveWrangler(spec *hclspec.Spec, t *hclspec.Target, base string) {
	if t.Config != "" && !filepath.IsAbs(t.Config) {
		t.Config = filepath.Join(base, t.Config)
	}
	if t.PersistTo != "" && !filepath.IsAbs(t.PersistTo) {
		t.PersistTo = filepath.Join(base, t.PersistTo)
	}
	o := c.wranglerOptions(spec, t, base)
	if p, err := wranglerdev.Resolve(o); err == nil {
		t.Path = p.Persist
		if t.Binding == "" {
			t.Binding = p.Database
		}
	}
	c.wrangler = &o
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
