package applier

import (
	"context"
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
)

// Models used across the tests: PAGE and NOTE share a KV namespace.
const baseHCL = `
project "shop" {}

model "PAGE" {
  primary_key = "page_id"
  field "project_id" {
    type     = string
    required = true
  }
  field "url" {
    type     = string
    required = true
  }
  field "title" { type = string }
  field "status" {
    type    = string
    default = "pending"
  }
  kv { namespace = "PAGES" }
  d1 {
    table       = "page_meta"
    sync_fields = ["project_id", "url", "title", "status"]
    index "by_project_status" { columns = ["project_id", "status"] }
  }
}

model "NOTE" {
  field "body" { type = string }
  kv { namespace = "PAGES" }
  d1 { sync_fields = ["body"] }
}
`

func loadSpec(t testing.TB, src string) *hclspec.Spec {
	t.Helper()
	spec, diags := hclspec.LoadSources("shop", map[string][]byte{"models.dm.hcl": []byte(src)})
	if diags.HasErrors() {
		t.Fatalf("load spec: %s", diags.Error())
	}
	return spec
}

func openStore(t testing.TB) *local.Store {
	t.Helper()
	s, err := local.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatalf("open local store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// makePlan inspects the backend and plans the spec against it.
func makePlan(t testing.TB, b backend.Backend, spec *hclspec.Spec) *planner.Plan {
	t.Helper()
	live, err := backend.Inspect(context.Background(), b.D1(), b.KV())
	if err != nil {
		t.Fatalf("inspect: %v", err)
	}
	return planner.Diff(spec, "local", live)
}

func exec(t testing.TB, b backend.Backend, sql string, args ...any) {
	t.Helper()
	if _, err := b.D1().Query(context.Background(), backend.Stmt{SQL: sql, Args: args}); err != nil {
		t.Fatalf("exec %s: %v", sql, err)
	}
}

func mustApply(t testing.TB, b backend.Backend, p *planner.Plan, opts Options) *Report {
	t.Helper()
	r, err := Apply(context.Background(), b, p, opts)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return r
}

// failingKV refuses to create namespaces: a fault at the network edge.
type failingKV struct{ backend.KV }

func (failingKV) CreateNamespace(context.Context, string) (backend.Namespace, error) {
	return backend.Namespace{}, errKVDown
}

type kvDown struct{ backend.Backend }

func (k kvDown) KV() backend.KV { return failingKV{k.Backend.KV()} }
