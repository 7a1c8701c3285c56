package corpus

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/importer"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/state"
)

var update = flag.Bool("update", false, "rewrite testdata/*/import.golden")

// schemas lists the corpus: every directory of testdata.
func schemas(t *testing.T) []string {
	t.Helper()
	ents, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestCorpusSize(t *testing.T) {
	if n := len(schemas(t)); n < 20 {
		t.Errorf("the corpus has %d schemas, want at least 20", n)
	}
}

// golden renders what import made, for testdata/<schema>/import.golden.
func golden(res *importer.Result) []byte {
	var b bytes.Buffer
	b.WriteString("unmanaged:\n")
	for _, u := range res.Unmanaged {
		fmt.Fprintf(&b, "  %s %s: %s\n", u.Kind, u.Name, u.Reason)
	}
	for _, f := range res.Files {
		fmt.Fprintf(&b, "\n-- %s --\n", f.Name)
		b.Write(f.Content)
	}
	return b.Bytes()
}

// probeSQL and probeHCL are a table as another tool makes it and its
// model as import writes it, with what only the adoption language can
// say: a declared SQL type, an SQL default, AUTOINCREMENT and an index
// named otherwise than <table>_<label>.
const (
	probeSQL = `CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE INDEX idx_t_at ON t (at DESC)`
	probeHCL = `model "T" {
  storage     = "d1"
  primary_key = "id"
  options {
    timestamps    = false
    soft_delete   = false
    user_tracking = false
    auth          = false
  }
  field "id" {
    type          = integer
    autoincrement = true
  }
  field "at" {
    type        = timestamp
    required    = true
    sql_type    = "DATETIME"
    sql_default = "CURRENT_TIMESTAMP"
  }
  d1 {
    table = "t"
    index "at" {
      name = "idx_t_at"
      keys = ["at DESC"]
    }
  }
}
`
)

// adoptionPlanned reports whether hclspec decodes and the planner plans
// what import writes: the probe model loads and plans as "No changes"
// against its table. The plan half of the corpus test needs that; it
// runs by itself once the decoders and planners of the adoption language
// are in (until then the log says why it did not run).
func adoptionPlanned(t *testing.T) (bool, string) {
	ctx := context.Background()
	store, err := local.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.DB().SQL().ExecContext(ctx, probeSQL); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "t.dm.hcl"), []byte(probeHCL), 0o644); err != nil {
		t.Fatal(err)
	}
	spec, diags := hclspec.LoadDir(dir)
	if diags.HasErrors() {
		return false, "hclspec does not decode it: " + diags.Error()
	}
	live, err := backend.Inspect(ctx, store.D1(), store.KV())
	if err != nil {
		t.Fatal(err)
	}
	if p := planner.Diff(spec, "local", live); len(p.Steps) > 0 {
		return false, fmt.Sprintf("the planner plans %d steps for it, first %s %s %s", len(p.Steps), p.Steps[0].Action, p.Steps[0].Target, p.Steps[0].Reason)
	}
	return true, ""
}

// TestCorpusImport applies each schema to a local database, imports it,
// and checks the generated models: formatted HCL, what the golden file
// holds, the database unchanged by import; then, once hclspec decodes the
// adoption language, that they plan as "No changes" against it.
func TestCorpusImport(t *testing.T) {
	planToo, why := true, ""
	for _, name := range schemas(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			store, err := local.Open(ctx, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			db := store.DB().SQL()
			if err := Apply(ctx, db, filepath.Join("testdata", name)); err != nil {
				t.Fatal(err)
			}
			before, err := Dump(ctx, store.D1())
			if err != nil {
				t.Fatal(err)
			}
			live, err := importer.Read(ctx, store.D1())
			if err != nil {
				t.Fatal(err)
			}
			res, err := importer.Generate(live, importer.Options{Source: `environment "local" (local)`})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Files) == 0 {
				t.Errorf("no table of the schema was imported")
			}
			models := t.TempDir()
			for _, f := range res.Files {
				if _, diags := hclsyntax.ParseConfig(f.Content, f.Name, hcl.InitialPos); diags.HasErrors() {
					t.Errorf("%s does not parse: %s", f.Name, diags)
				}
				if formatted := hclwrite.Format(f.Content); !bytes.Equal(formatted, f.Content) {
					t.Errorf("%s is not formatted as dmplan fmt would:\n%s", f.Name, f.Content)
				}
				if err := os.WriteFile(filepath.Join(models, f.Name), f.Content, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			goldenPath := filepath.Join("testdata", name, "import.golden")
			got := golden(res)
			if *update {
				if err := os.WriteFile(goldenPath, got, 0o644); err != nil {
					t.Fatal(err)
				}
			} else if want, err := os.ReadFile(goldenPath); err != nil {
				t.Errorf("%v (run with -update to write it)", err)
			} else if !bytes.Equal(got, want) {
				t.Errorf("import output differs from %s (run with -update after checking):\n%s", goldenPath, got)
			}
			again, err := importer.Generate(live, importer.Options{Source: `environment "local" (local)`})
			if err != nil || !bytes.Equal(golden(again), got) {
				t.Errorf("a second Generate gave other output (err %v)", err)
			}

			if planToo {
				spec, diags := hclspec.LoadDir(models)
				if diags.HasErrors() {
					var b strings.Builder
					for _, d := range diags {
						fmt.Fprintf(&b, "  %s\n", d.Error())
					}
					t.Fatalf("the imported models do not load:\n%s", b.String())
				}
				schema, err := backend.Inspect(ctx, store.D1(), store.KV())
				if err != nil {
					t.Fatal(err)
				}
				p := planner.Diff(spec, "local", schema)
				for _, s := range p.Steps {
					t.Errorf("plan step %s %s: %s %s", s.Action, s.Target, s.Code, s.Reason)
				}
				// Notes that say a model and its table disagree mean the
				// import missed something.
				for _, n := range p.Notes {
					switch n.Code {
					case planner.NoteUnmanagedColumn, planner.NoteDefaultDiffers, planner.NoteUnmanagedIndex, planner.NoteTypeSpelling:
						t.Errorf("plan note %s %s: %s", n.Code, n.Target, n.Message)
					}
				}
				recreate(t, ctx, spec, schema, res)
			}

			after, err := Dump(ctx, store.D1())
			if err != nil {
				t.Fatal(err)
			}
			if after != before {
				t.Errorf("the database changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
	if !planToo {
		t.Log("the plan half was not run: the probe model of the adoption language does not plan as No changes: " + why)
	}
}

// recreate applies the imported models to an empty database (a new
// environment of the adopted project) and checks that each imported
// table comes out as the original: the same columns, types, defaults,
// keys, constraints and indexes as inspection reads them.
func recreate(t *testing.T, ctx context.Context, spec *hclspec.Spec, original *state.Schema, res *importer.Result) {
	t.Helper()
	fresh, err := local.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	p := planner.Diff(spec, "local", &state.Schema{})
	if _, err := applier.Apply(ctx, fresh, p, applier.Options{ToolVersion: "corpus", Actor: "corpus",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}); err != nil {
		t.Fatalf("the imported models cannot be created in an empty database: %v", err)
	}
	made, err := backend.Inspect(ctx, fresh.D1(), nil)
	if err != nil {
		t.Fatal(err)
	}
	imported := map[string]bool{}
	for _, f := range res.Files {
		imported[strings.ToLower(f.Table)] = true
	}
	only := func(s *state.Schema) *state.Schema {
		out := &state.Schema{}
		for _, tb := range s.Tables {
			if imported[strings.ToLower(tb.Name)] {
				out.Tables = append(out.Tables, tb)
			}
		}
		return out
	}
	a, b := only(original), only(made)
	if len(a.Tables) != len(b.Tables) {
		t.Errorf("%d tables recreated, want %d", len(b.Tables), len(a.Tables))
	}
	for _, want := range a.Tables {
		wj, _ := json.Marshal(tableShape(want))
		gj, _ := json.Marshal(tableShape(b.Table(want.Name)))
		if !bytes.Equal(wj, gj) {
			t.Errorf("table %s made from its model differs:\n  original  %s\n  recreated %s", want.Name, wj, gj)
		}
	}
}

// tableShape is a table without its row counts and generated columns
// (which no field declares: import names them in the file's header), its
// key columns NOT NULL: dmplan declares a key NOT NULL (a record always
// has its key), where SQLite lets a TEXT PRIMARY KEY declared without it
// hold NULL.
func tableShape(tb *state.Table) *state.Table {
	if tb == nil {
		return nil
	}
	c := *tb
	c.HasRows, c.Rows, c.RowsAtMost = false, 0, 0
	c.Columns = nil
	for _, col := range tb.Columns {
		if col.Generated != "" {
			continue
		}
		cc := *col
		cc.NotNull = cc.NotNull || cc.PK
		c.Columns = append(c.Columns, &cc)
	}
	return &c
}
