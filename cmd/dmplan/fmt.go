package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/rogpeppe/go-internal/diff"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/internal/view"
)

var fmtCommand = command{
	name:     "fmt",
	synopsis: "fmt [flags] [DIR | FILE]",
	short:    "Rewrite *.dm.hcl files in the canonical style",
	summary: "Rewrite the *.dm.hcl files in DIR (default \".\") in the canonical HCL style and\n" +
		"list the files it changed. With -check, change nothing and exit 1 when a file\n" +
		"would change.",
	maxArgs: 1,
}

type fmtArgs struct {
	Path    string
	Check   bool
	Diff    bool
	NoColor bool
}

func parseFmt(args []string, c *cli) (fmtArgs, error) {
	var a fmtArgs
	fs := flag.NewFlagSet("fmt", flag.ContinueOnError)
	fs.BoolVar(&a.Check, "check", false, "list files that are not formatted and exit 1 if any; write nothing")
	fs.BoolVar(&a.Diff, "diff", false, "print the changes as a unified diff")
	fs.BoolVar(&a.NoColor, "no-color", false, "do not use colour")
	rest, err := fmtCommand.parse(fs, args, c.stdout)
	a.Path = dirArg(rest)
	return a, err
}

func (c *cli) fmt(_ context.Context, args []string) int {
	va := scanViewArgs(args)
	var spec *hclspec.Spec
	v := view.NewFmt(c.streams(viewArgs{NoColor: va.NoColor}, &spec))
	a, err := parseFmt(args, c)
	if errors.Is(err, errHelp) {
		return exitOK
	}
	if err != nil {
		v.Error(err)
		return exitError
	}
	files, err := fmtFiles(a.Path)
	if err != nil {
		v.Error(err)
		return exitError
	}
	// Parse everything first: a file with syntax errors is reported, and
	// nothing is rewritten.
	srcs := map[string][]byte{}
	spec = &hclspec.Spec{Sources: srcs}
	var diags hcl.Diagnostics
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			v.Error(fmt.Errorf("read %s: %w", name, err))
			return exitError
		}
		srcs[name] = b
		if d := hclspec.CheckNesting(name, b); d.HasErrors() {
			diags = append(diags, d...) // too deep for the parser
			continue
		}
		_, d := hclsyntax.ParseConfig(b, name, hcl.InitialPos)
		diags = append(diags, d...)
	}
	if err := checkDiags(a.Path, diags); err != nil {
		v.Diagnostics(diags)
		v.Error(fmt.Errorf("%w; nothing was formatted", err))
		return exitError
	}
	changed := 0
	for _, name := range files {
		out := hclwrite.Format(srcs[name])
		if bytes.Equal(out, srcs[name]) {
			continue
		}
		changed++
		v.File(name)
		if a.Diff {
			v.Diff(string(diff.Diff(name, srcs[name], name+" (formatted)", out)))
		}
		if !a.Check {
			if err := writeKeepMode(name, out); err != nil {
				v.Error(err)
				return exitError
			}
		}
	}
	if a.Check && changed > 0 {
		return exitError
	}
	return exitOK
}

// fmtFiles lists the *.dm.hcl files in dir, or the file itself.
func fmtFiles(path string) ([]string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if fi.Mode().IsRegular() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("read directory %s: %w", path, err)
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), hclspec.FileSuffix) {
			out = append(out, filepath.Join(path, e.Name()))
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		return nil, fmt.Errorf("no *%s files in %s", hclspec.FileSuffix, path)
	}
	return out, nil
}

// writeKeepMode replaces a file's contents, keeping its permissions.
func writeKeepMode(name string, b []byte) error {
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(name); err == nil {
		mode = fi.Mode().Perm()
	}
	if err := os.WriteFile(name, b, mode); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}
