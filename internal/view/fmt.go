package view

// Fmt renders the fmt command, for humans only: the files it rewrote or
// would rewrite, and their diffs.
type Fmt struct{ humanView }

// NewFmt returns the fmt view.
func NewFmt(s Streams) *Fmt { return &Fmt{newHumanView(s)} }

// File names a file that was or would be rewritten.
func (v *Fmt) File(name string) { v.printf("%s\n", clean(name)) }

// Diff prints a unified diff of one file.
func (v *Fmt) Diff(diff string) { v.printf("%s", clean(diff)) }
