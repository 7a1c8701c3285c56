package hclspec_test

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/google/go-cmp/cmp"
)

// load loads one source file and fails the test on any diagnostic.
func load(t *testing.T, src string) *hclspec.Spec {
	t.Helper()
	spec, diags := hclspec.LoadSources("test", map[string][]byte{"main.dm.hcl": []byte(src)})
	if len(diags) > 0 {
		var buf bytes.Buffer
		_ = hclspec.WriteDiagnostics(&buf, spec, diags, false)
		t.Fatalf("unexpected diagnostics:\n%s", buf.String())
	}
	return spec
}

// fieldRow is a field reduced to what normalization decides.
type fieldRow struct {
	Name                                         string
	Type                                         string
	Required, Primary, BuiltIn, Auto, Synced, KV bool
}

func rows(m *hclspec.Model) []fieldRow {
	var out []fieldRow
	for _, f := range m.Fields {
		out = append(out, fieldRow{f.Name, f.Type.String(), f.Required, f.Primary, f.BuiltIn, f.Auto, f.Synced, f.KVOnly})
	}
	return out
}

func TestBuiltinFieldsPerOptions(t *testing.T) {
	pk := fieldRow{Name: "note_id", Type: "string", Primary: true, BuiltIn: true, Synced: true}
	title := fieldRow{Name: "title", Type: "string"}
	userID := fieldRow{Name: "user_id", Type: "string", Required: true, BuiltIn: true, Synced: true}
	created := fieldRow{Name: "created_at", Type: "timestamp", BuiltIn: true, Auto: true, Synced: true}
	updated := fieldRow{Name: "updated_at", Type: "timestamp", BuiltIn: true, Auto: true, Synced: true}
	deleted := fieldRow{Name: "deleted_at", Type: "timestamp", BuiltIn: true, Synced: true}
	auth := fieldRow{Name: "_auth", Type: "array", BuiltIn: true, KV: true}

	tests := []struct {
		name    string
		options string
		want    []fieldRow
		sync    []string
	}{
		{"defaults", ``, []fieldRow{pk, title, userID, created, updated, deleted, auth},
			[]string{"note_id", "user_id", "created_at", "updated_at", "deleted_at"}},
		{"all on", `options {
		  timestamps = true
		  soft_delete = true
		  user_tracking = true
		  auth = true
		}`, []fieldRow{pk, title, userID, created, updated, deleted, auth},
			[]string{"note_id", "user_id", "created_at", "updated_at", "deleted_at"}},
		{"all off", `options {
		  timestamps = false
		  soft_delete = false
		  user_tracking = false
		  auth = false
		}`, []fieldRow{pk, title}, []string{"note_id"}},
		{"no timestamps", `options { timestamps = false }`, []fieldRow{pk, title, userID, deleted, auth},
			[]string{"note_id", "user_id", "deleted_at"}},
		{"no soft delete", `options { soft_delete = false }`, []fieldRow{pk, title, userID, created, updated, auth},
			[]string{"note_id", "user_id", "created_at", "updated_at"}},
		{"no user tracking", `options { user_tracking = false }`, []fieldRow{pk, title, created, updated, deleted, auth},
			[]string{"note_id", "created_at", "updated_at", "deleted_at"}},
		{"no auth", `options { auth = false }`, []fieldRow{pk, title, userID, created, updated, deleted},
			[]string{"note_id", "user_id", "created_at", "updated_at", "deleted_at"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := load(t, `model "NOTE" {
			  `+tt.options+`
			  field "title" { type = string }
			}`)
			m := spec.Model("NOTE")
			if diff := cmp.Diff(tt.want, rows(m)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.sync, m.D1.SyncFields); diff != "" {
				t.Errorf("sync fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNamingDefaults(t *testing.T) {
	spec := load(t, `
project "acme" { binding_prefix = "ACME_" }
model "BlogPost" {
  field "title" { type = string }
}
model "TAG" {
  primary_key = "slug"
  field "label" { type = string }
  kv {
    namespace   = "TAGS"
    key_pattern = "t/{id}/v1"
  }
  d1 {
    table       = "tags"
    sync_fields = ["label"]
    index "by_label" {
      columns = ["label"]
      unique  = true
    }
  }
}`)
	type names struct {
		PK, Table, Namespace, Pattern, Binding, Prefix string
	}
	got := map[string]names{}
	for _, m := range spec.Models {
		got[m.Name] = names{m.PrimaryKey, m.D1.Table, m.KV.Namespace, m.KV.KeyPattern, m.KV.Binding, m.KV.Prefix()}
	}
	want := map[string]names{
		"BlogPost": {"blogpost_id", "blogpost", "BlogPost", "blogpost:{id}", "ACME_BlogPost", "blogpost:"},
		"TAG":      {"slug", "tags", "TAGS", "t/{id}/v1", "ACME_TAGS", "t/"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	// An index on a field that is not synced is an error.
	_, diags := hclspec.LoadSources("x", map[string][]byte{"a.dm.hcl": []byte(`model "TAG" {
  field "label" { type = string }
  d1 {
    index "by_label" { columns = ["label"] }
  }
}`)})
	if len(diags) != 1 || diags[0].Summary != "Index column not synced" {
		t.Errorf("diags = %v, want one Index column not synced", diags)
	}
	if got := spec.Model("TAG").KV.Key("abc"); got != "t/abc/v1" {
		t.Errorf("Key = %q", got)
	}
	if got := spec.NamespaceTitle("production", "TAGS"); got != "acme-production-TAGS" {
		t.Errorf("NamespaceTitle = %q", got)
	}
}

func TestSyncOrderFollowsFieldOrder(t *testing.T) {
	spec := load(t, `model "PAGE" {
  field "a" { type = string }
  field "b" { type = integer }
  field "c" { type = text }
  field "d" { type = number }
  d1 {
    sync_fields = ["d", "created_at", "page_id", "b", "c"]
    index "by_d_b" { columns = ["d", "b"] }
  }
}`)
	m := spec.Model("PAGE")
	want := []string{"page_id", "b", "c", "d", "user_id", "created_at", "updated_at", "deleted_at"}
	if diff := cmp.Diff(want, m.D1.SyncFields); diff != "" {
		t.Errorf("sync (-want +got):\n%s", diff)
	}
	var cols []string
	for _, f := range m.Columns() {
		cols = append(cols, f.Name)
	}
	if diff := cmp.Diff(want, cols); diff != "" {
		t.Errorf("Columns (-want +got):\n%s", diff)
	}
	if m.Field("a").Synced || !m.Field("c").Synced {
		t.Errorf("a synced=%v c synced=%v", m.Field("a").Synced, m.Field("c").Synced)
	}
	idx := m.D1.Indexes[0]
	if idx.Name != "page_by_d_b" || idx.Unique || !cmp.Equal(idx.Columns, []string{"d", "b"}) {
		t.Errorf("index = %+v", idx)
	}
}

func TestDefaultsAsGoValues(t *testing.T) {
	spec := load(t, `model "THING" {
  field "s"  {
    type    = string
    default = "x"
  }
  field "t"  {
    type    = text
    default = "long"
  }
  field "ts" {
    type    = timestamp
    default = "2026-11-27T14:50:08.123Z"
  }
  field "i"  {
    type    = integer
    default = -42
  }
  field "n"  {
    type    = number
    default = 2.5
  }
  field "n2" {
    type    = number
    default = 3
  }
  field "b"  {
    type    = boolean
    default = true
  }
  field "a"  {
    type    = array
    default = ["x", 1, true]
  }
  field "j"  {
    type    = json
    default = { name = "n", nested = { list = [1, 2.5] } }
  }
  field "j2" {
    type    = json
    default = "plain"
  }
  field "r"  {
    type     = string
    required = true
    default  = "fine"
  }
  field "none" { type = string }
}`)
	got := map[string]any{}
	for _, f := range spec.Model("THING").Fields {
		if !f.BuiltIn {
			got[f.Name] = f.Default
		}
	}
	want := map[string]any{
		"s": "x", "t": "long", "ts": "2026-11-27T14:50:08.123Z", "i": int64(-42), "n": 2.5, "n2": int64(3), "b": true,
		"a":  []any{"x", int64(1), true},
		"j":  map[string]any{"name": "n", "nested": map[string]any{"list": []any{int64(1), 2.5}}},
		"j2": "plain", "r": "fine", "none": nil,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}

func TestTypeKeywordOrString(t *testing.T) {
	spec := load(t, `model "T" {
  field "a" { type = boolean }
  field "b" { type = "boolean" }
}`)
	m := spec.Model("T")
	if m.Field("a").Type != hclspec.Boolean || m.Field("b").Type != hclspec.Boolean {
		t.Errorf("types = %v, %v", m.Field("a").Type, m.Field("b").Type)
	}
	if m.Field("a").Type.ColumnType() != "INTEGER" {
		t.Errorf("ColumnType = %s", m.Field("a").Type.ColumnType())
	}
}

func TestProjectAndEnvironmentDefaults(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "My Shop.v2")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src := "model \"ITEM\" {\n  field \"name\" { type = string }\n}\n"
	for name, body := range map[string]string{"b.dm.hcl": src, "a.dm.hcl": "", "ignored.hcl": "garbage {", "c.dm.hcl.bak": "garbage {"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub.dm.hcl"), 0o755); err != nil {
		t.Fatal(err)
	}
	spec, diags := hclspec.LoadDir(dir)
	// Only the warning that the project name came from the directory.
	if len(diags) != 1 || diags.HasErrors() || diags[0].Summary != "No project block" {
		t.Fatalf("diags: %v", diags)
	}
	if spec.Project.Name != "my-shop-v2" {
		t.Errorf("project = %q", spec.Project.Name)
	}
	var files []string
	for n := range spec.Sources {
		files = append(files, filepath.Base(n))
	}
	sort.Strings(files)
	if diff := cmp.Diff([]string{"a.dm.hcl", "b.dm.hcl"}, files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if len(spec.Environments) != 1 || spec.Environments[0].Name != "local" || spec.Environments[0].Backend != "local" {
		t.Fatalf("environments = %+v", spec.Environments)
	}
	tg, diags := spec.ResolveEnvironment("local", nil)
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	want := &hclspec.Target{Environment: "local", Backend: "local", Path: ".dmplan", Sensitive: map[string]bool{}}
	if diff := cmp.Diff(want, tg); diff != "" {
		t.Errorf("target (-want +got):\n%s", diff)
	}
}

// Timestamp defaults are stored as the runtime stores timestamps (UTC,
// milliseconds), so they compare and sort with the values it writes.
func TestTimestampDefaultsNormalized(t *testing.T) {
	spec := load(t, `model "EVENT" {
  field "a" {
    type    = timestamp
    default = "2026-01-01T00:00:00Z"
  }
  field "b" {
    type    = timestamp
    default = "2026-01-01T02:00:00.5+02:00"
  }
  field "c" {
    type    = timestamp
    default = "2026-11-27T14:50:08.123456789Z"
  }
}
`)
	m := spec.Model("EVENT")
	for name, want := range map[string]string{
		"a": "2026-01-01T00:00:00.000Z",
		"b": "2026-01-01T00:00:00.500Z",
		"c": "2026-11-27T14:50:08.123Z",
	} {
		if got := m.Field(name).Default; got != want {
			t.Errorf("default of %s = %v, want %s", name, got, want)
		}
	}
}
