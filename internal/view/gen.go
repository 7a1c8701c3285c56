package view

import "fmt"

// Gen renders the gen command, for humans only: the file it wrote, or
// whether a checked file is current, with a diff hint when it is not.
type Gen struct{ humanView }

// NewGen returns the gen view.
func NewGen(s Streams) *Gen { return &Gen{newHumanView(s)} }

// Wrote says the file was written with the types of n models.
func (v *Gen) Wrote(name string, n int) {
	v.printf("Wrote %s (%s).\n", clean(name), plural(n, "model", "models"))
}

// Current says the file already holds what gen would write.
func (v *Gen) Current(name string) { v.printf("%s is up to date.\n", clean(name)) }

// Diff prints the start of a unified diff between a stale file and what
// gen would write, on stderr beside the error.
func (v *Gen) Diff(diff string) { v.errf("%s", clean(diff)) }

func (v *Gen) errf(format string, args ...any) {
	fmt.Fprintf(v.s.Err, format, args...)
}
