package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"regexp"
	"runtime"
	"runtime/debug"
	"sync"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// otherwise it comes from the module's build information.
var version = ""

// toolVersion is the version recorded in saved plans and apply history.
func toolVersion() string {
	if version != "" {
		return version
	}
	bi, _ := debug.ReadBuildInfo()
	return buildVersion(bi)
}

// pseudoVersion matches the version Go stamps on a build from a checkout
// (v0.0.0-20261127180210-3b2e2585ae82+dirty): the revision says it shorter.
var pseudoVersion = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`\d{14}-[0-9a-f]{12}(\+dirty)?$`)
})

// buildVersion is the module version from the build information (a
// release tag), or else
// the VCS revision the binary was built from (12 characters, "-dirty"
// when the tree had uncommitted changes), or "dev".
func buildVersion(bi *debug.BuildInfo) string {
	if bi == nil {
		return "dev"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" && !pseudoVersion().MatchString(v) {
		return v
	}
	var rev string
	var dirty bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return rev
}

var versionCommand = command{
	name:     "version",
	synopsis: "version",
	short:    "Print the dmplan version",
	summary:  "Print the dmplan version.",
}

func (c *cli) version(_ context.Context, args []string) int {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	if _, err := versionCommand.parse(fs, args, c.stdout); err != nil {
		if errors.Is(err, errHelp) {
			return exitOK
		}
		fmt.Fprintf(c.stderr, "Error: %v\n", err)
		return exitError
	}
	fmt.Fprintf(c.stdout, "dmplan %s (%s %s/%s)\n", toolVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return exitOK
}
