// Command servicesize is the smallest service a dmplan user writes: it
// opens the runtime on a local target that `dmplan apply` migrated, saves
// a record as a user and reads it back. It imports runtime and
// backend/local only, and exists to measure what such a service links
// (internal/archtest keeps the planner, the applier and the operator side
// out of it):
//
//	CGO_ENABLED=0 go build -ldflags='-s -w' -o /tmp/svc ./internal/servicesize
//
// Usage: servicesize SPECDIR TARGETDIR MODEL USER [FIELD=VALUE ...]
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/runtime"
)

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "servicesize:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) < 4 {
		return fmt.Errorf("usage: servicesize SPECDIR TARGETDIR MODEL USER [FIELD=VALUE ...]")
	}
	spec, diags := hclspec.LoadDir(args[0])
	if diags.HasErrors() {
		return fmt.Errorf("load spec: %s", diags.Error())
	}
	be, err := local.Open(ctx, args[1])
	if err != nil {
		return err
	}
	defer be.Close()
	ds, err := runtime.Open(ctx, spec, be)
	if err != nil {
		return err
	}
	user := ds.Auth(args[3])
	rec := user.New(args[2])
	for _, kv := range args[4:] {
		name, value, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("%q is not FIELD=VALUE", kv)
		}
		rec.Set(name, value)
	}
	if err := rec.Save(ctx); err != nil {
		return err
	}
	got, err := user.Get(ctx, args[2], rec.ID())
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(got)
}
