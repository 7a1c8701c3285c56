package operator_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/importer"
	"github.com/dmplan/dmplan/internal/corpus"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/runtime"
	"github.com/dmplan/dmplan/state"
)

// TestCorpusRuntime runs the runtime on every schema of the import corpus
// (internal/corpus): the imported D1-only models read every row by query
// page and by key, and a text field of a record is updated and set back.
// Then every model with a single text or integer key gets a KV side: the
// plan is create_namespace and fill_kv (no blocked step), apply copies the
// rows, and the dual-write runtime reads each record from KV as D1 holds
// it and updates one.
func TestCorpusRuntime(t *testing.T) {
	root := filepath.Join("..", "internal", "corpus", "testdata")
	ents, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		t.Run(e.Name(), func(t *testing.T) {
			ctx := context.Background()
			store, err := local.Open(ctx, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			if err := corpus.ApplyD1(ctx, store.D1(), filepath.Join(root, e.Name())); err != nil {
				t.Fatal(err)
			}
			db, err := importer.Read(ctx, store.D1())
			if err != nil {
				t.Fatal(err)
			}
			res, err := importer.Generate(db, importer.Options{})
			if err != nil {
				t.Fatal(err)
			}
			src := map[string][]byte{"project.dm.hcl": []byte(`project "corpus" {}` + "\n")}
			for _, f := range res.Files {
				src[f.Name] = f.Content
			}
			spec, diags := hclspec.LoadSources("corpus", src)
			if diags.HasErrors() {
				t.Fatalf("imported models do not load: %s", diags.Error())
			}
			ds, err := runtime.Open(ctx, spec, store, runtime.WithEnvironment("local"), runtime.WithLogger(quiet()))
			if err != nil {
				t.Fatal(err)
			}
			readAll(t, ctx, ds, spec)
			editAll(t, ctx, ds, spec)
			rows := readAll(t, ctx, ds, spec) // triggers may have added rows
			t.Logf("%d models, %d records read through the D1-only runtime", len(spec.Models), rows)

			// The KV side, for every model that can have one.
			var given []string
			for _, m := range spec.Models {
				key := m.Field(m.PrimaryKey)
				if len(m.PrimaryKeys) > 0 || key == nil || (key.Type != hclspec.String && key.Type != hclspec.Integer) {
					continue
				}
				m.Storage = hclspec.StorageD1KV
				m.KV = hclspec.KV{Namespace: m.Name, KeyPattern: strings.ToLower(m.Name) + ":{id}", Binding: m.Name}
				given = append(given, m.Name)
			}
			live, err := backend.Inspect(ctx, store.D1(), store.KV())
			if err != nil {
				t.Fatal(err)
			}
			p := planner.Diff(spec, "local", live, planner.WithFillKV())
			for _, s := range p.Steps {
				if s.Action != planner.CreateNamespace && s.Action != planner.FillKV {
					t.Fatalf("giving %v a KV side plans %s %s: %s %s", given, s.Action, s.Target, s.Code, s.Reason)
				}
			}
			kvds, err := runtime.Open(ctx, spec, store, runtime.WithEnvironment("local"), runtime.WithLogger(quiet()))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := applier.Apply(ctx, store, p, applier.Options{KVFiller: operator.KVFiller(kvds), Logger: quiet()}); err != nil {
				t.Fatal(err)
			}
			if again := planner.Diff(spec, "local", mustInspect(t, ctx, store), planner.WithFillKV()); again.HasChanges() {
				t.Errorf("after the apply the plan has changes: %+v", again.Steps)
			}
			// Read everything first: an edit can fire a trigger that
			// writes rows to another table in D1 only (audit_log), which
			// a KV read cannot see until reconcile copies them.
			kvRows := readAll(t, ctx, kvds, spec)
			editAll(t, ctx, kvds, spec)
			if kvRows != rows {
				t.Errorf("%d records read with a KV side, %d without", kvRows, rows)
			}
			t.Logf("%v given a KV side (%d fill_kv steps); every record reads from KV as D1 holds it", given, p.Counts()[planner.FillKV])
		})
	}
}

func mustInspect(t *testing.T, ctx context.Context, be backend.Backend) *state.Schema {
	t.Helper()
	s, err := backend.Inspect(ctx, be.D1(), be.KV())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// readAll pages through every model's records (D1 columns), reads each
// again by key (from KV when the model has a KV side) and compares. It
// returns the records read.
func readAll(t *testing.T, ctx context.Context, ds *runtime.Datastore, spec *hclspec.Spec) int {
	t.Helper()
	sys := ds.System()
	n := 0
	for _, m := range spec.Models {
		keys := m.PrimaryKeys
		if len(keys) == 0 {
			keys = []string{m.PrimaryKey}
		}
		cursor := ""
		for {
			q := sys.Query(m.Name).Limit(100).After(cursor)
			if m.Options.SoftDelete {
				q = q.IncludeDeleted()
			}
			page, err := q.List(ctx)
			if err != nil {
				t.Fatalf("query %s: %v", m.Name, err)
			}
			for _, row := range page.Data {
				key := runtime.Key{}
				for _, k := range keys {
					key[k] = row[k]
				}
				r, err := sys.GetKey(ctx, m.Name, key, runtime.IncludingDeleted())
				if err != nil {
					t.Fatalf("get %s %v: %v", m.Name, key, err)
				}
				for _, f := range m.Columns() {
					if !runtime.EqualValues(r.Get(f.Name), row[f.Name]) {
						t.Errorf("%s %s: %s = %#v by key, %#v in its row", m.Name, r.ID(), f.Name, r.Get(f.Name), row[f.Name])
					}
				}
				n++
			}
			if cursor = page.Pagination.NextCursor; cursor == "" {
				break
			}
		}
	}
	return n
}

// editAll edits a free text field of each model's first record and sets
// it back (see editBack).
func editAll(t *testing.T, ctx context.Context, ds *runtime.Datastore, spec *hclspec.Spec) {
	t.Helper()
	sys := ds.System()
	for _, m := range spec.Models {
		page, err := sys.Query(m.Name).Limit(1).List(ctx)
		if err != nil {
			t.Fatalf("query %s: %v", m.Name, err)
		}
		if len(page.Data) == 0 {
			continue
		}
		keys := m.PrimaryKeys
		if len(keys) == 0 {
			keys = []string{m.PrimaryKey}
		}
		key := runtime.Key{}
		for _, k := range keys {
			key[k] = page.Data[0][k]
		}
		r, err := sys.GetKey(ctx, m.Name, key)
		if err != nil {
			t.Fatalf("get %s %v: %v", m.Name, key, err)
		}
		editBack(t, ctx, sys, m, r)
	}
}

// editBack sets a free text field of r (no key, CHECK, UNIQUE, reference
// or rule) to another value, reads it back by key, and restores it.
func editBack(t *testing.T, ctx context.Context, sys *runtime.Handle, m *hclspec.Model, r *runtime.Record) {
	t.Helper()
	var f *hclspec.Field
	for _, c := range m.Columns() {
		if (c.Type == hclspec.String || c.Type == hclspec.Text) && !c.Primary && c.SQL.Check == "" && !c.SQL.Unique &&
			c.SQL.References == nil && c.Validation.Named == "" && len(c.Validation.Enum) == 0 && !inUniqueIndex(m, c.Name) && !inTableCheck(m, c.Name) {
			f = c
			break
		}
	}
	if f == nil {
		return
	}
	old := r.Get(f.Name)
	if old == "" && f.Required && !m.D1Only() {
		return // a required field of a KV model takes no empty string back
	}
	r.Set(f.Name, "edited by the corpus test")
	if err := r.Save(ctx); err != nil {
		t.Fatalf("update %s %s.%s: %v", m.Name, r.ID(), f.Name, err)
	}
	got, err := sys.GetKey(ctx, m.Name, r.Key(), runtime.IncludingDeleted())
	if err != nil || got.Get(f.Name) != "edited by the corpus test" {
		t.Fatalf("%s %s after the update: %v, %v", m.Name, r.ID(), got, err)
	}
	r.Set(f.Name, old)
	if err := r.Save(ctx); err != nil {
		t.Fatalf("restore %s %s.%s: %v", m.Name, r.ID(), f.Name, err)
	}
}

func inUniqueIndex(m *hclspec.Model, col string) bool {
	for _, ix := range m.D1.Indexes {
		if (ix.Unique || ix.UniqueLive) && (containsStr(ix.Columns, col) || len(ix.Keys) > 0) {
			return true
		}
	}
	for _, u := range m.D1.Uniques {
		if containsStr(u, col) {
			return true
		}
	}
	return false
}

func inTableCheck(m *hclspec.Model, col string) bool {
	for _, c := range m.D1.Checks {
		if strings.Contains(c, col) {
			return true
		}
	}
	for _, fk := range m.D1.ForeignKeys {
		if containsStr(fk.Columns, col) {
			return true
		}
	}
	return false
}

func containsStr(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
