package wranglerdev_test

import (
	"context"
	"log"
	"os"

	"github.com/dmplan/dmplan/backend/wranglerdev"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/runtime"
)

// A Go service in local development reads and writes the state the
// project's Worker sees under `wrangler dev`: the KV namespaces are the
// models' bindings, titled as dmplan titles them for the environment.
func Example() {
	ctx := context.Background()
	spec, diags := hclspec.LoadDir(".")
	if diags.HasErrors() {
		log.Fatal(diags.Error())
	}
	const env = "dev"
	var nss []wranglerdev.Namespace
	for _, m := range spec.Models {
		if m.KV.Namespace != "" {
			nss = append(nss, wranglerdev.Namespace{Binding: m.KV.Binding, Title: spec.NamespaceTitle(env, m.KV.Namespace)})
		}
	}
	be, err := wranglerdev.Open(ctx, wranglerdev.Options{Dir: ".", Namespaces: nss, Project: spec.Project.Name, Environment: env, Stderr: os.Stderr})
	if err != nil {
		log.Fatal(err)
	}
	defer be.Close() // stops the Node process
	ds, err := runtime.Open(ctx, spec, be, runtime.WithEnvironment(env))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := ds.System().Create(ctx, "NOTE", map[string]any{"title": "hello"}); err != nil {
		log.Fatal(err)
	}
}
