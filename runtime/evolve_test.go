package runtime_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/runtime"
)

// evolveSpec loads a one-model spec: a TASK with the given field blocks and
// synced fields.
func evolveSpec(t testing.TB, fields, sync string) *hclspec.Spec {
	t.Helper()
	src := `project "ev" {}

model "TASK" {
  options { user_tracking = false }
  field "title" { type = string }
` + fields + `
  kv { key_pattern = "task:{id}" }
  d1 { sync_fields = ` + sync + ` }
}
`
	spec, diags := hclspec.LoadSources("ev", map[string][]byte{"task.dm.hcl": []byte(src)})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return spec
}

// applySpec plans spec against the store and applies it, refusing a plan
// with a blocked step. ds backfills new synced columns.
// openSource loads one configuration file, applies it to a fresh local
// store and opens the runtime on it.
func openSource(t testing.TB, ctx context.Context, project, src string) (*local.Store, *runtime.Datastore) {
	t.Helper()
	store, err := local.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	spec, diags := hclspec.LoadSources(project, map[string][]byte{project + ".dm.hcl": []byte(src)})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	applySpec(t, ctx, store, spec, nil)
	ds, err := runtime.Open(ctx, spec, store)
	if err != nil {
		t.Fatal(err)
	}
	return store, ds
}

func applySpec(t testing.TB, ctx context.Context, store *local.Store, spec *hclspec.Spec, ds *runtime.Datastore) {
	t.Helper()
	p := planFor(t, ctx, spec, store)
	for _, s := range p.Steps {
		if s.Action == planner.Blocked {
			t.Fatalf("plan is blocked: %s", s.Reason)
		}
	}
	opts := applier.Options{}
	if ds != nil {
		opts.Backfiller = operator.Backfiller(ds)
	}
	if _, err := applier.Apply(ctx, store, p, opts); err != nil {
		t.Fatal(err)
	}
}

// TestOldRecordsStayUpdatable writes a record with v1 of a model, applies
// v2 (a change the plan accepts), and updates another field of the old
// record with v2.
func TestOldRecordsStayUpdatable(t *testing.T) {
	tests := []struct {
		name           string
		v1, v2         string // field blocks
		sync1, sync2   string
		old            map[string]any // the v1 record, besides its id
		set            map[string]any // the v2 update
		wantGet        map[string]any // fields of the old record read with v2, before the update
		wantKV         map[string]any // fields of the KV object after the update
		wantD1         map[string]any // columns of the D1 row after the update
		wantStaleWarns int
	}{
		{
			name:    "required kv-only field added with a default",
			v2:      "field \"rank\" {\n type = integer\n required = true\n default = 0\n}",
			sync1:   `["title"]`,
			sync2:   `["title"]`,
			old:     map[string]any{"title": "a"},
			set:     map[string]any{"title": "b"},
			wantGet: map[string]any{"title": "a", "rank": int64(0)},
			wantKV:  map[string]any{"title": "b", "rank": float64(0)},
		},
		{
			name:    "required synced field added with a default",
			v2:      "field \"rank\" {\n type = integer\n required = true\n default = 7\n}",
			sync1:   `["title"]`,
			sync2:   `["title", "rank"]`,
			old:     map[string]any{"title": "a"},
			set:     map[string]any{"title": "b"},
			wantGet: map[string]any{"title": "a", "rank": int64(7)},
			wantKV:  map[string]any{"title": "b", "rank": float64(7)},
			wantD1:  map[string]any{"title": "b", "rank": int64(7)},
		},
		{
			name:           "kv-only field changed from string to integer",
			v1:             `field "blob" { type = string }`,
			v2:             `field "blob" { type = integer }`,
			sync1:          `["title"]`,
			sync2:          `["title"]`,
			old:            map[string]any{"title": "a", "blob": "secret-ish text"},
			set:            map[string]any{"title": "b"},
			wantGet:        map[string]any{"title": "a", "blob": "secret-ish text"},
			wantKV:         map[string]any{"title": "b", "blob": "secret-ish text"},
			wantStaleWarns: 1,
		},
		{
			name:           "kv-only string field becomes a synced integer",
			v1:             `field "blob" { type = string }`,
			v2:             `field "blob" { type = integer }`,
			sync1:          `["title"]`,
			sync2:          `["title", "blob"]`,
			old:            map[string]any{"title": "a", "blob": "secret-ish text"},
			set:            map[string]any{"title": "b"},
			wantGet:        map[string]any{"title": "a", "blob": "secret-ish text"},
			wantKV:         map[string]any{"title": "b", "blob": "secret-ish text"},
			wantD1:         map[string]any{"title": "b", "blob": "secret-ish text"},
			wantStaleWarns: 1,
		},
		{
			name:           "kv-only field narrowed to an enum",
			v1:             `field "state" { type = string }`,
			v2:             "field \"state\" {\n type = string\n validation = [\"open\", \"done\"]\n}",
			sync1:          `["title"]`,
			sync2:          `["title"]`,
			old:            map[string]any{"title": "a", "state": "legacy"},
			set:            map[string]any{"title": "b"},
			wantGet:        map[string]any{"title": "a", "state": "legacy"},
			wantKV:         map[string]any{"title": "b", "state": "legacy"},
			wantStaleWarns: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			store, err := local.Open(ctx, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { store.Close() })
			v1 := evolveSpec(t, tt.v1, tt.sync1)
			applySpec(t, ctx, store, v1, nil)
			ds1, err := runtime.Open(ctx, v1, store)
			if err != nil {
				t.Fatal(err)
			}
			old := map[string]any{"task_id": "t1"}
			for k, v := range tt.old {
				old[k] = v
			}
			if _, err := ds1.System().Create(ctx, "TASK", old); err != nil {
				t.Fatal(err)
			}

			v2 := evolveSpec(t, tt.v2, tt.sync2)
			logs := &syncBuffer{}
			ds2, err := runtime.Open(ctx, v2, store, runtime.WithLogger(slog.New(slog.NewJSONHandler(logs, nil))))
			if err != nil {
				t.Fatal(err)
			}
			applySpec(t, ctx, store, v2, ds2)
			// A before hook makes the update validate twice; the stale
			// value is still logged once.
			ds2.Hook("TASK", "before_update", func(context.Context, *runtime.Event) error { return nil })
			h := ds2.System()
			r, err := h.Get(ctx, "TASK", "t1")
			if err != nil {
				t.Fatal(err)
			}
			for k, want := range tt.wantGet {
				if d := cmp.Diff(want, r.Get(k)); d != "" {
					t.Errorf("Get %s before the update (-want +got):\n%s", k, d)
				}
			}
			res, err := h.Query("TASK").WithData().List(ctx)
			if err != nil || len(res.Data) != 1 {
				t.Fatalf("list: %v %+v", err, res)
			}
			for k, want := range tt.wantGet {
				if d := cmp.Diff(want, res.Data[0][k]); d != "" {
					t.Errorf("WithData %s (-want +got):\n%s", k, d)
				}
			}
			if _, err := h.Update(ctx, "TASK", "t1", tt.set); err != nil {
				t.Fatalf("update another field of the old record: %v", err)
			}
			var kv map[string]any
			raw, err := store.KV().Get(ctx, nsIDOf(t, ctx, store, v2, "TASK"), "task:t1")
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw.Value, &kv); err != nil {
				t.Fatal(err)
			}
			for k, want := range tt.wantKV {
				if d := cmp.Diff(want, kv[k]); d != "" {
					t.Errorf("KV %s after the update (-want +got):\n%s", k, d)
				}
			}
			if len(tt.wantD1) > 0 {
				res, err := store.D1().Query(ctx, backend.Stmt{SQL: `SELECT * FROM "task" WHERE "task_id" = 't1'`})
				if err != nil || len(res.Rows) != 1 {
					t.Fatalf("d1 row: %v", err)
				}
				row := res.Maps()[0]
				for k, want := range tt.wantD1 {
					if d := cmp.Diff(want, row[k]); d != "" {
						t.Errorf("D1 %s after the update (-want +got):\n%s", k, d)
					}
				}
			}
			if got := strings.Count(logs.String(), `"msg":"runtime.stale_value"`); got != tt.wantStaleWarns {
				t.Errorf("stale-value warnings = %d, want %d; logs:\n%s", got, tt.wantStaleWarns, logs)
			}
			for k, v := range tt.old {
				if s, ok := v.(string); ok && k != "title" && strings.Contains(logs.String(), s) {
					t.Errorf("logs hold the stored value of %s", k)
				}
			}
		})
	}
}

// TestStaleValueIsCheckedOnceTouched: a value kept by TestOldRecordsStayUpdatable
// is validated as soon as the caller sets it.
func TestStaleValueIsCheckedOnceTouched(t *testing.T) {
	ctx := context.Background()
	store, err := local.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	v1 := evolveSpec(t, `field "blob" { type = string }`, `["title"]`)
	applySpec(t, ctx, store, v1, nil)
	ds1, err := runtime.Open(ctx, v1, store)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ds1.System().Create(ctx, "TASK", map[string]any{"task_id": "t1", "blob": "text"}); err != nil {
		t.Fatal(err)
	}
	ds2, err := runtime.Open(ctx, evolveSpec(t, `field "blob" { type = integer }`, `["title"]`), store)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		set  map[string]any
		want error
	}{
		{"set to another string", map[string]any{"blob": "other"}, runtime.ErrInvalid},
		{"set to an integer", map[string]any{"blob": 5}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ds2.System().Update(ctx, "TASK", "t1", tt.set)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

// nsIDOf returns the KV namespace id of a model.
func nsIDOf(t testing.TB, ctx context.Context, store *local.Store, spec *hclspec.Spec, model string) string {
	t.Helper()
	nss, err := store.KV().Namespaces(ctx)
	if err != nil {
		t.Fatal(err)
	}
	title := spec.NamespaceTitle("local", spec.Model(model).KV.Namespace)
	for _, n := range nss {
		if n.Title == title {
			return n.ID
		}
	}
	t.Fatalf("namespace %s missing", title)
	return ""
}

// planFor inspects the backend and plans spec against it.
func planFor(t testing.TB, ctx context.Context, spec *hclspec.Spec, be backend.Backend, opts ...planner.Option) *planner.Plan {
	t.Helper()
	live, err := backend.Inspect(ctx, be.D1(), be.KV())
	if err != nil {
		t.Fatal(err)
	}
	return planner.Diff(spec, "local", live, opts...)
}
