package corpus

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/importer"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/runtime"
)

// withKVSide rewrites an imported model file as a user adds the KV side:
// storage = "d1+kv", a kv block, and every field in sync_fields so that
// each column stays a column.
func withKVSide(t *testing.T, src []byte, m *hclspec.Model) []byte {
	t.Helper()
	f, diags := hclwrite.ParseConfig(src, "model.dm.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	mb := f.Body().FirstMatchingBlock("model", []string{m.Name})
	mb.Body().SetAttributeValue("storage", cty.StringVal(hclspec.StorageD1KV))
	var sync []cty.Value
	for _, fd := range m.Fields {
		if !fd.Primary {
			sync = append(sync, cty.StringVal(fd.Name))
		}
	}
	d1 := mb.Body().FirstMatchingBlock("d1", nil)
	if len(sync) > 0 {
		d1.Body().SetAttributeValue("sync_fields", cty.ListVal(sync))
	}
	kv := mb.Body().AppendNewBlock("kv", nil)
	kv.Body().SetAttributeValue("namespace", cty.StringVal(m.Name))
	return hclwrite.Format(f.Bytes())
}

// addKVSide gives every imported model with a single string or integer
// key a KV side, applies the plan (the namespace and a fill_kv copying
// every row into KV), checks that a second plan is "No changes", and that
// the runtime reads each model's records from KV as D1 holds them and
// writes them back through both stores.
func addKVSide(t *testing.T, ctx context.Context, store *local.Store, res *importer.Result, spec *hclspec.Spec) {
	dir := t.TempDir()
	var switched []*hclspec.Model
	for _, f := range res.Files {
		m := spec.Model(f.Model)
		content := f.Content
		if m != nil && len(m.PrimaryKeys) == 0 {
			if k := m.Field(m.PrimaryKey); k != nil && (k.Type == hclspec.String || k.Type == hclspec.Integer) {
				content = withKVSide(t, f.Content, m)
				switched = append(switched, m)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, f.Name), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if len(switched) == 0 {
		t.Skip("no model of the schema has a single string or integer key")
	}
	names := make([]string, len(switched))
	for i, m := range switched {
		names[i] = m.Name
	}
	t.Logf("KV side added to %s", strings.Join(names, ", "))
	kvSpec, diags := hclspec.LoadDir(dir)
	if diags.HasErrors() {
		t.Fatalf("the models with a KV side do not load: %s", diags.Error())
	}
	plan := func() *planner.Plan {
		live, err := backend.Inspect(ctx, store.D1(), store.KV())
		if err != nil {
			t.Fatal(err)
		}
		pending, err := operator.PendingBackfills(ctx, store.D1())
		if err != nil {
			t.Fatal(err)
		}
		return planner.Diff(kvSpec, "local", live, planner.WithPendingBackfills(pending), planner.WithFillKV())
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ds, err := runtime.Open(ctx, kvSpec, store, runtime.WithEnvironment("local"), runtime.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	p := plan()
	fills := 0
	for _, s := range p.Steps {
		if s.Action == planner.FillKV {
			fills++
		}
		if s.Action != planner.CreateNamespace && s.Action != planner.FillKV {
			t.Errorf("adding the KV side plans %s %s: %s %s", s.Action, s.Target, s.Code, s.Reason)
		}
	}
	if t.Failed() {
		return
	}
	withRows := 0
	for _, m := range switched {
		r, err := store.D1().Query(ctx, backend.Stmt{SQL: "SELECT EXISTS(SELECT 1 FROM " + backend.QuoteIdent(m.D1.Table) + ")"})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(r.Rows[0][0]) == "1" {
			withRows++
		}
	}
	if fills != withRows {
		t.Errorf("plan has %d fill_kv steps, want one per table with rows (%d)", fills, withRows)
	}
	t.Logf("plan: %d steps, %d fill_kv", len(p.Steps), fills)
	if _, err := applier.Apply(ctx, store, p, applier.Options{KVFiller: operator.KVFiller(ds), Logger: quiet, ToolVersion: "corpus"}); err != nil {
		t.Fatal(err)
	}
	for _, s := range plan().Steps {
		t.Errorf("after the fill, plan has %s %s: %s %s", s.Action, s.Target, s.Code, s.Reason)
	}
	sys := ds.System()
	for _, m := range switched {
		rows, err := store.D1().Query(ctx, backend.Stmt{SQL: "SELECT * FROM " + backend.QuoteIdent(m.D1.Table) + " ORDER BY 1 LIMIT 3"})
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range rows.Rows {
			d1 := map[string]any{}
			for i, c := range rows.Columns {
				d1[c] = row[i]
			}
			id := fmt.Sprint(d1[m.PrimaryKey])
			rec, err := sys.Get(ctx, m.Name, id)
			if err != nil {
				t.Errorf("%s %s: %v", m.Name, id, err)
				continue
			}
			for _, fd := range m.Fields {
				if got, v := rec.Get(fd.Name), d1[fd.Name]; !sameValue(got, v) {
					t.Errorf("%s %s: %s is %#v in KV, %#v in D1", m.Name, id, fd.Name, got, v)
				}
			}
			if err := rec.Save(ctx); err != nil {
				t.Errorf("%s %s: save through both stores: %v", m.Name, id, err)
			}
		}
		if list, err := sys.Query(m.Name).WithData().List(ctx); err != nil || len(list.Data) == 0 && len(rows.Rows) > 0 {
			t.Errorf("%s: query: %v, %v", m.Name, list, err)
		}
	}
}

// sameValue compares a runtime value with a D1 value: numbers by value,
// booleans with 0/1, blobs by bytes, JSON by its decoded value, and
// timestamps by instant (the runtime writes them as UTC with
// milliseconds; SQLite holds "2024-01-01 10:00:00").
func sameValue(got, d1 any) bool {
	if fmt.Sprint(got) == fmt.Sprint(d1) {
		return true
	}
	switch g := got.(type) {
	case []byte:
		b, ok := d1.([]byte)
		return ok && bytes.Equal(g, b) || string(g) == fmt.Sprint(d1)
	case bool:
		return fmt.Sprint(map[bool]int{true: 1, false: 0}[g]) == fmt.Sprint(d1)
	case map[string]any, []any:
		var v any
		return json.Unmarshal([]byte(fmt.Sprint(d1)), &v) == nil && reflect.DeepEqual(v, g)
	case string:
		tg, ok1 := parseTime(g)
		td, ok2 := parseTime(fmt.Sprint(d1))
		return ok1 && ok2 && tg.Equal(td)
	}
	return false
}

func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
