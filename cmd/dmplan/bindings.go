package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sort"
	"strings"

	"github.com/dmplan/dmplan/backend/cloudflare"
	"github.com/dmplan/dmplan/backend/wranglerdev"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/internal/view"
)

var bindingsCommand = command{
	name:     "bindings",
	synopsis: "bindings [flags] [DIR]",
	short:    "Print the wrangler d1_databases and kv_namespaces entries",
	summary: "Print the d1_databases and kv_namespaces entries of wrangler.jsonc (or, with\n" +
		"-format toml, wrangler.toml) for the environment, with the ids read from the\n" +
		"target. The D1 binding is the project's binding_prefix followed by \"DB\"; each\n" +
		"KV binding is binding_prefix followed by the model's kv.namespace, bound to\n" +
		"the namespace titled \"<project>-<environment>-<namespace>\". A namespace that\n" +
		"does not exist yet is listed with an empty id and the command exits 1: run\n" +
		"dmplan apply first.",
	maxArgs: 1,
}

type bindingsArgs struct {
	Dir     string
	Env     string
	Format  string
	NoColor bool
}

func parseBindings(args []string, c *cli) (bindingsArgs, error) {
	a := bindingsArgs{Format: view.WranglerJSONC}
	fs := flag.NewFlagSet("bindings", flag.ContinueOnError)
	fs.StringVar(&a.Env, "env", "", envUsage("the environment whose bindings to print"))
	fs.StringVar(&a.Format, "format", a.Format, "`jsonc` (wrangler.jsonc) or toml (wrangler.toml)")
	fs.BoolVar(&a.NoColor, "no-color", false, "do not use colour in errors")
	rest, err := bindingsCommand.parse(fs, args, c.stdout)
	if a.Env == "" {
		a.Env = c.envDefault()
	}
	if err == nil && a.Format != view.WranglerJSONC && a.Format != view.WranglerTOML {
		err = fmt.Errorf("-format must be jsonc or toml, got %q", a.Format)
	}
	a.Dir = dirArg(rest)
	return a, err
}

func (c *cli) bindings(ctx context.Context, args []string) int {
	var spec *hclspec.Spec
	a, err := parseBindings(args, c)
	v := view.NewBindings(a.Format, c.streams(viewArgs{NoColor: a.NoColor}, &spec))
	if errors.Is(err, errHelp) {
		return exitOK
	}
	if err != nil {
		v.Error(err)
		return exitError
	}
	t, ok := c.loadTarget(a.Dir, a.Env, &spec, v)
	if !ok {
		return exitError
	}
	doc, err := c.readBindings(ctx, spec, t)
	if err != nil {
		v.Error(redact(err, t))
		return exitError
	}
	v.Bindings(doc)
	var missing []string
	for _, k := range doc.KV {
		if k.ID == "" {
			missing = append(missing, k.Title)
		}
	}
	if len(missing) > 0 {
		v.Error(fmt.Errorf("environment %s has no KV %s %s yet; run dmplan apply -env %s to create %s",
			t.Environment, pluralWord(len(missing), "namespace", "namespaces"), strings.Join(missing, ", "),
			t.Environment, pluralWord(len(missing), "it", "them")))
		return exitError
	}
	return exitOK
}

// readBindings reads the target's D1 database and KV namespace ids and
// pairs them with the binding names the spec derives.
func (c *cli) readBindings(ctx context.Context, spec *hclspec.Spec, t *hclspec.Target) (view.BindingsDoc, error) {
	doc := view.BindingsDoc{Target: c.describe(t)}
	be, err := c.openBackend(ctx, t, true)
	if err != nil {
		return doc, err
	}
	defer be.Close()
	d1 := view.D1Binding{Binding: spec.Project.BindingPrefix + "DB", DatabaseName: spec.Project.Name}
	switch s := be.(type) {
	case *cloudflare.Store:
		d1.DatabaseID = s.DatabaseID()
		d1.DatabaseName = s.DatabaseName()
		if t.Sensitive["database"] {
			d1.DatabaseName = ""
			d1.Comment = "database_name is not shown: the environment reads it from env"
		}
	case *wranglerdev.Store:
		doc.WranglerEnv = t.WranglerEnv
		db := s.Database()
		d1 = view.D1Binding{Binding: db.Binding, DatabaseName: db.DatabaseName, DatabaseID: db.DatabaseID,
			Comment: "as the wrangler configuration has it; its local state is " + doc.Target.Database}
	default:
		d1.Comment = "local target: the database is " + doc.Target.Database + "; it has no D1 database id"
	}
	doc.D1 = []view.D1Binding{d1}

	nss, err := be.KV().Namespaces(ctx)
	if err != nil {
		return doc, fmt.Errorf("list kv namespaces of environment %s: %w", t.Environment, err)
	}
	ids := make(map[string]string, len(nss))
	for _, ns := range nss {
		ids[ns.Title] = ns.ID
		if s, ok := be.(*wranglerdev.Store); ok {
			// addressed by binding name; show the configuration's id
			ids[ns.Title] = s.NamespaceID(ns.ID)
		}
	}
	byNS := map[string]*view.KVBinding{}
	for _, m := range spec.Models {
		if m.D1Only() || m.KV.Namespace == "" { // no KV side
			continue
		}
		k := byNS[m.KV.Namespace]
		if k == nil {
			title := spec.NamespaceTitle(t.Environment, m.KV.Namespace)
			k = &view.KVBinding{Binding: m.KV.Binding, Title: title, ID: ids[title]}
			byNS[m.KV.Namespace] = k
		}
		k.Models = append(k.Models, m.Name)
	}
	for _, k := range byNS {
		doc.KV = append(doc.KV, *k)
	}
	sort.Slice(doc.KV, func(i, j int) bool { return doc.KV[i].Binding < doc.KV[j].Binding })
	return doc, nil
}
