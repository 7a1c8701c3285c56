package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/importer"
	"github.com/dmplan/dmplan/internal/view"
)

var importCommand = command{
	name:     "import",
	synopsis: "import [flags] [DIR]",
	short:    "Write models for the tables of an existing database",
	summary: "Inspect the environment's database and write one <table>.dm.hcl per table into\n" +
		"DIR (or -out DIR): a D1-only model (storage = \"d1\") declaring the table's\n" +
		"columns, keys, constraints and indexes as they are, so that dmplan plan says\n" +
		"No changes. A file that exists is never overwritten, and a table a model of DIR\n" +
		"already declares is skipped. Views, triggers, virtual tables (FTS5) and their\n" +
		"shadow tables, other tools' ledgers (d1_migrations, __drizzle_migrations,\n" +
		"_prisma_migrations) and tables without a primary key are left unmanaged and\n" +
		"listed. The import is recorded in the environment's history (its only write).\n" +
		"-dry-run prints the models to standard output and writes nothing anywhere.\n" +
		"Exit codes: 0 every table imported, 1 an error or a file skipped because it\n" +
		"exists.",
	maxArgs: 1,
}

type importArgs struct {
	Dir     string
	Env     string
	Out     string
	DryRun  bool
	NoColor bool
}

func parseImport(args []string, c *cli) (importArgs, error) {
	var a importArgs
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.StringVar(&a.Env, "env", "", envUsage("the environment whose database to import"))
	fs.StringVar(&a.Out, "out", "", "write the files into `DIR` (default: the configuration directory)")
	fs.BoolVar(&a.DryRun, "dry-run", false, "print the models to standard output; write no file and no history")
	fs.BoolVar(&a.NoColor, "no-color", false, "do not use colour")
	rest, err := importCommand.parse(fs, args, c.stdout)
	if a.Env == "" {
		a.Env = c.envDefault()
	}
	a.Dir = dirArg(rest)
	if a.Out == "" {
		a.Out = a.Dir
	}
	return a, err
}

// errImportSkipped says files were left as they are.
var errImportSkipped = errors.New("import skipped tables whose files exist")

func (c *cli) importCmd(ctx context.Context, args []string) int {
	var spec *hclspec.Spec
	a, err := parseImport(args, c)
	v := view.NewImport(c.streams(viewArgs{NoColor: a.NoColor}, &spec), a.DryRun)
	if errors.Is(err, errHelp) {
		return exitOK
	}
	if err != nil {
		v.Error(err)
		return exitError
	}
	t, ok := c.importTarget(a, &spec, v)
	if !ok {
		return exitError
	}
	// A local target is read without creating or changing its files
	// (and reopened to record the baseline); a remote one is opened once.
	be, err := c.openBackend(ctx, t, a.DryRun || t.Backend == hclspec.BackendLocal)
	if err != nil {
		v.Error(redact(err, t))
		return exitError
	}
	defer func() { be.Close() }()
	db, err := importer.Read(ctx, be.D1())
	if err != nil {
		v.Error(redact(fmt.Errorf("inspect environment %s: %w", t.Environment, err), t))
		return exitError
	}
	res, err := importer.Generate(db, importer.Options{Source: fmt.Sprintf("environment %q (%s)", t.Environment, t.Backend)})
	if err != nil {
		v.Error(err)
		return exitError
	}

	v.Header(c.describe(t), a.DryRun)
	declared := map[string]string{} // lower table -> model of DIR
	for _, m := range spec.Models {
		declared[strings.ToLower(m.D1.Table)] = m.Name
	}
	var written []view.ImportedFile
	var skipped []view.SkippedFile
	var out bytes.Buffer
	exists := 0
	for _, f := range res.Files {
		if m, ok := declared[strings.ToLower(f.Table)]; ok {
			skipped = append(skipped, view.SkippedFile{Table: f.Table, Reason: "model " + m + " of the configuration already declares it"})
			continue
		}
		path := filepath.Join(a.Out, f.Name)
		if _, err := os.Lstat(path); err == nil {
			exists++
			skipped = append(skipped, view.SkippedFile{Name: c.relPath(path), Table: f.Table, Reason: "the file exists; import never overwrites"})
			continue
		} else if !errors.Is(err, fs.ErrNotExist) {
			v.Error(err)
			return exitError
		}
		if a.DryRun {
			fmt.Fprintf(&out, "# ---- %s ----\n", f.Name)
			out.Write(f.Content)
			out.WriteString("\n")
		} else if err := writeNew(a.Out, path, f.Content); err != nil {
			v.Error(err)
			return exitError
		}
		written = append(written, view.ImportedFile{Name: f.Name, Model: f.Model, Table: f.Table})
	}
	// Without a project block the project is named after the directory,
	// and a checkout under another name would plan new namespaces once a
	// model gets a KV side: import declares the name it used.
	if len(written) > 0 && !hasProjectBlock(spec) {
		path := filepath.Join(a.Out, projectFile)
		content := []byte("# The project: its name titles the KV namespaces (<project>-<environment>-<NAMESPACE>).\n" +
			"project " + strconv.Quote(spec.Project.Name) + " {}\n")
		switch _, err := os.Lstat(path); {
		case err == nil:
			skipped = append(skipped, view.SkippedFile{Name: c.relPath(path), Reason: "the file exists; declare project " + strconv.Quote(spec.Project.Name) + " {} yourself"})
		case !errors.Is(err, fs.ErrNotExist):
			v.Error(err)
			return exitError
		case a.DryRun:
			fmt.Fprintf(&out, "# ---- %s ----\n%s\n", projectFile, content)
			written = append(written, view.ImportedFile{Name: projectFile})
		default:
			if err := writeNew(a.Out, path, content); err != nil {
				v.Error(err)
				return exitError
			}
			written = append(written, view.ImportedFile{Name: projectFile})
		}
	}
	if a.DryRun {
		c.stdout.Write(out.Bytes())
	}
	v.Files(written, c.relPath(a.Out), a.DryRun)
	v.Skipped(skipped)
	objs := make([]view.UnmanagedObject, len(res.Unmanaged))
	for i, u := range res.Unmanaged {
		objs[i] = view.UnmanagedObject{Kind: u.Kind, Name: u.Name, Reason: u.Reason}
	}
	v.Unmanaged(objs)
	if len(res.Files) == 0 {
		v.Nothing()
	}
	if len(written) > 0 && !a.DryRun {
		var tables, models []string
		for _, f := range written {
			if f.Table != "" {
				tables, models = append(tables, f.Table), append(models, f.Model)
			}
		}
		if t.Backend == hclspec.BackendLocal {
			be.Close()
			if be, err = c.openBackend(ctx, t, false); err != nil {
				v.Error(redact(fmt.Errorf("the files were written, but recording the import in the history failed: %w", err), t))
				return exitError
			}
		}
		rec, err := applier.RecordBaseline(ctx, be.D1(), applier.Baseline{
			Fingerprint: res.Fingerprint, Tables: tables, Models: models,
			ToolVersion: toolVersion(), Actor: c.getenv("DMPLAN_ACTOR"), PlanID: uuid.NewString(),
		})
		if err != nil {
			v.Error(redact(fmt.Errorf("the files were written, but recording the import in the history failed: %w", err), t))
			return exitError
		}
		v.Baseline(rec.ID, rec.FingerprintBefore)
		v.Next(c.relPath(a.Out))
	}
	if exists > 0 {
		v.Error(fmt.Errorf("%w: %s left as %s; move %s away to import %s again",
			errImportSkipped, pluralWord(exists, "1 file was", fmt.Sprintf("%d files were", exists)),
			pluralWord(exists, "it was", "they were"), pluralWord(exists, "it", "them"), pluralWord(exists, "its table", "their tables")))
		return exitError
	}
	return exitOK
}

// importTarget resolves the environment. A directory without *.dm.hcl
// files (the usual start of an import) has the default local
// environment, DIR/.dmplan.
func (c *cli) importTarget(a importArgs, spec **hclspec.Spec, v *view.Import) (*hclspec.Target, bool) {
	files, _ := filepath.Glob(filepath.Join(a.Dir, "*"+hclspec.FileSuffix))
	if len(files) > 0 {
		return c.loadTarget(a.Dir, a.Env, spec, v)
	}
	if st, err := os.Stat(a.Dir); err != nil || !st.IsDir() {
		v.Error(fmt.Errorf("%s is not a directory", a.Dir))
		return nil, false
	}
	s, diags := hclspec.LoadSources(filepath.Base(absDir(a.Dir)), map[string][]byte{})
	*spec = s
	t, tdiags := c.resolveTarget(s, a.Env, absDir(a.Dir))
	v.Diagnostics(append(nonErrors(diags), tdiags...))
	if err := checkEnvDiags(c.envName(a.Env), tdiags); err != nil {
		v.Error(err)
		return nil, false
	}
	return t, true
}

// projectFile is the file import declares the project in.
const projectFile = "project" + hclspec.FileSuffix

// hasProjectBlock reports whether the configuration declares a project
// block.
func hasProjectBlock(spec *hclspec.Spec) bool {
	for name, src := range spec.Sources {
		f, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
		if diags.HasErrors() {
			continue
		}
		for _, b := range f.Body.(*hclsyntax.Body).Blocks {
			if b.Type == "project" {
				return true
			}
		}
	}
	return false
}

// nonErrors drops the errors of diags (an empty configuration's "no
// files", which import expects).
func nonErrors(diags hcl.Diagnostics) hcl.Diagnostics {
	var out hcl.Diagnostics
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			out = append(out, d)
		}
	}
	return out
}

// writeNew creates path with content, failing when it exists (a file
// made between the check and the write is not overwritten either).
func writeNew(dir, path string, content []byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(content); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
