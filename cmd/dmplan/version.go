package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// otherwise it comes from the module's build information.
var version = ""

// toolVersion is the version recorded in saved plans and apply history.
func toolVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
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
