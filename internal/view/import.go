package view

// Import renders the import command, for humans: the files written and
// skipped, what was left unmanaged, and the baseline recorded.
type Import struct{ humanView }

// NewImport returns the import view. With dryRun the report goes to the
// error stream, so that standard output holds only the HCL.
func NewImport(s Streams, dryRun bool) *Import {
	if dryRun {
		s.Out = s.Err
	}
	return &Import{newHumanView(s)}
}

// ImportedFile is one file import wrote or would write.
type ImportedFile struct {
	Name  string
	Model string
	Table string
}

// SkippedFile is a table import did not write, and why.
type SkippedFile struct {
	Name   string // the file, "" when no file was involved
	Table  string
	Reason string
}

// UnmanagedObject is an object of the database no model declares.
type UnmanagedObject struct {
	Kind   string
	Name   string
	Reason string
}

// Header names the target.
func (v *Import) Header(t Target, dryRun bool) {
	verb := "Importing"
	if dryRun {
		verb = "Importing (dry run: nothing is written)"
	}
	v.printf("%s from %s\n", verb, clean(t.String()))
}

// Files lists the files written (or, in a dry run, printed).
func (v *Import) Files(files []ImportedFile, dir string, dryRun bool) {
	if len(files) == 0 {
		return
	}
	verb := "Wrote " + plural(len(files), "file", "files") + " to " + clean(dir)
	if dryRun {
		verb = "Would write " + plural(len(files), "file", "files") + " to " + clean(dir)
	}
	v.printf("\n%s:\n", verb)
	w := 0
	for _, f := range files {
		w = max(w, len(f.Name))
	}
	for _, f := range files {
		if f.Table == "" {
			v.printf("  %-*s  the project block\n", w, clean(f.Name))
			continue
		}
		v.printf("  %-*s  model %s (table %s)\n", w, clean(f.Name), clean(f.Model), clean(f.Table))
	}
}

// Skipped lists the tables whose files were not written.
func (v *Import) Skipped(skipped []SkippedFile) {
	if len(skipped) == 0 {
		return
	}
	v.printf("\nSkipped %s:\n", plural(len(skipped), "table", "tables"))
	for _, s := range skipped {
		name := s.Name
		if name == "" {
			name = s.Table
		}
		v.printf("  %s: %s\n", clean(name), clean(s.Reason))
	}
}

// Unmanaged lists the objects left as they are.
func (v *Import) Unmanaged(objs []UnmanagedObject) {
	if len(objs) == 0 {
		return
	}
	v.printf("\nNot imported, left as they are (dmplan plans around them):\n")
	wk, wn := 0, 0
	for _, o := range objs {
		wk, wn = max(wk, len(o.Kind)), max(wn, len(o.Name))
	}
	for _, o := range objs {
		v.printf("  %-*s  %-*s  %s\n", wk, clean(o.Kind), wn, clean(o.Name), clean(o.Reason))
	}
}

// Baseline says the import was recorded in history.
func (v *Import) Baseline(id int64, fingerprint string) {
	fp := fingerprint
	if len(fp) > 12 {
		fp = fp[:12]
	}
	v.printf("\nRecorded the import in the history (id %d, schema fingerprint %s).\n", id, fp)
}

// Next says what to run next.
func (v *Import) Next(dir string) {
	arg := ""
	if dir != "." && dir != "" {
		arg = " " + dir
	}
	v.printf("Run dmplan plan%s to check: it should say No changes.\n", clean(arg))
}

// Nothing says there was no table to import.
func (v *Import) Nothing() {
	v.printf("\nThe database holds no table a model can declare: nothing to import.\n")
}
