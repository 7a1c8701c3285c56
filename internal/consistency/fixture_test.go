package consistency

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/cloudflare"
	"github.com/dmplan/dmplan/backend/cloudflare/cftest"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/runtime"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(crashChild())
	}
	os.Exit(cftest.Main(m))
}

const env = "test"

// quiet drops the runtime's logs: the tests provoke failures on purpose.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// wideFields are the synced fields of WIDE: enough columns that a bulk
// save of a few hundred records takes several D1 batches.
var wideFields = func() []string {
	var out []string
	for i := range 30 {
		out = append(out, fmt.Sprintf("f%02d", i))
	}
	return out
}()

func specSource(v2 bool) string {
	var wide strings.Builder
	for _, f := range wideFields {
		fmt.Fprintf(&wide, "  field %q { type = string }\n", f)
	}
	sync, index := `["title", "status", "rank"]`, ""
	if v2 {
		sync, index = `["title", "status", "rank", "body"]`, `index "by_body" { columns = ["body"] }`
	}
	return fmt.Sprintf(`project "cons" {}

model "PAGE" {
  options { user_tracking = false }
  field "title" {
    type     = string
    required = true
  }
  field "status" {
    type       = string
    default    = "pending"
    validation = ["pending", "done"]
  }
  field "rank" { type = integer }
  field "body" { type = text }
  d1 {
    sync_fields = %s
    %s
  }
}

model "TOKEN" {
  options {
    user_tracking = false
    soft_delete   = false
  }
  field "name" { type = string }
  d1 { sync_fields = ["name"] }
}

model "WIDE" {
  options { user_tracking = false }
%s  d1 { sync_fields = [%s] }
}
`, sync, index, wide.String(), `"`+strings.Join(wideFields, `", "`)+`"`)
}

func loadSpec(t testing.TB, v2 bool) *hclspec.Spec {
	t.Helper()
	spec, err := loadSpecFor(v2)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

func loadSpecFor(v2 bool) (*hclspec.Spec, error) {
	spec, diags := hclspec.LoadSources("cons", map[string][]byte{"cons.dm.hcl": []byte(specSource(v2))})
	if diags.HasErrors() {
		return nil, diags
	}
	return spec, nil
}

// kind is a backend the tests run on.
type kind struct {
	name string
	open func(t *testing.T) backend.Backend
}

var kinds = []kind{
	{"local", openLocal},
	{"cloudflare", openHarness},
}

func openLocal(t *testing.T) backend.Backend {
	t.Helper()
	s, err := local.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openHarness(t *testing.T) backend.Backend {
	t.Helper()
	h := cftest.Shared(t)
	acct := h.NewAccount(t)
	h.NewDatabase(t, acct, "cons")
	s, err := cloudflare.Open(context.Background(), cloudflare.Config{
		AccountID: acct, APIToken: h.Token, Database: "cons", BaseURL: h.BaseURL, Environment: env,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// migrate plans and applies spec on be.
func migrate(t testing.TB, ctx context.Context, spec *hclspec.Spec, be backend.Backend, opts applier.Options) {
	t.Helper()
	live, err := backend.Inspect(ctx, be.D1(), be.KV())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := applier.Apply(ctx, be, planner.Diff(spec, env, live), opts); err != nil {
		t.Fatal(err)
	}
}

func open(t testing.TB, ctx context.Context, spec *hclspec.Spec, be backend.Backend) *runtime.Datastore {
	t.Helper()
	ds, err := runtime.Open(ctx, spec, be, runtime.WithEnvironment(env), runtime.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// kvAll returns every raw KV object of every namespace of the spec.
func kvAll(t testing.TB, ctx context.Context, spec *hclspec.Spec, kv backend.KV) map[string]string {
	t.Helper()
	nss, err := kv.Namespaces(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, ns := range nss {
		if !strings.HasPrefix(ns.Title, "cons-"+env+"-") {
			continue
		}
		cursor := ""
		for {
			p, err := kv.List(ctx, ns.ID, "", cursor, 0)
			if err != nil {
				t.Fatal(err)
			}
			keys := make([]string, len(p.Keys))
			for i, k := range p.Keys {
				keys[i] = k.Name
			}
			vals, err := kv.GetMany(ctx, ns.ID, keys)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range vals {
				out[ns.Title+"/"+k] = string(v)
			}
			if p.Cursor == "" {
				break
			}
			cursor = p.Cursor
		}
	}
	return out
}

// drift returns "MODEL id kind" for every drifted record, sorted.
func drift(rep *operator.ReconcileReport) []string {
	var out []string
	for _, m := range rep.Models {
		for _, d := range m.Drift {
			out = append(out, m.Model+" "+d.ID+" "+d.Kind)
		}
	}
	sort.Strings(out)
	return out
}

// converge checks the promise after a fault: reconcile finds exactly want
// ("MODEL id kind"), a fix leaves no drift but the orphan rows, and no KV
// object changed across the fix.
func converge(t *testing.T, ctx context.Context, spec *hclspec.Spec, be backend.Backend, want []string) {
	t.Helper()
	ds := open(t, ctx, spec, be)
	rep, err := operator.Reconcile(ctx, ds, operator.ReconcileOptions{})
	if err != nil {
		t.Fatalf("reconcile: %v", err)
	}
	sort.Strings(want)
	if diff := cmp.Diff(want, drift(rep)); diff != "" {
		t.Errorf("drift found (-want +got):\n%s", diff)
	}
	before := kvAll(t, ctx, spec, be.KV())
	if _, err := operator.Reconcile(ctx, ds, operator.ReconcileOptions{Fix: true}); err != nil {
		t.Fatalf("reconcile fix: %v", err)
	}
	after, err := operator.Reconcile(ctx, ds, operator.ReconcileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var orphans []string
	for _, w := range want {
		if strings.HasSuffix(w, operator.DriftOrphanRow) || strings.HasSuffix(w, operator.DriftBadObject) {
			orphans = append(orphans, w)
		}
	}
	if diff := cmp.Diff(orphans, drift(after)); diff != "" {
		t.Errorf("drift after fix (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before, kvAll(t, ctx, spec, be.KV())); diff != "" {
		t.Errorf("KV changed by the fix (-before +after):\n%s", diff)
	}
}
