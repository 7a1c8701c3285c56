package main

import (
	"os"
	"runtime/debug"
)

// gcPercent is the GOGC dmplan runs with unless the user sets GOGC. dmplan
// is a short-lived process whose live heap is small (about 11 MB while
// planning 200 models) but which allocates several times that parsing HCL;
// at Go's default of 100 the collector runs about nine times during such a
// plan, at 400 twice. A long apply keeps at most five times its live heap.
const gcPercent = 400

func init() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
}
