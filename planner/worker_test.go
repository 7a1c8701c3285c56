package planner

import (
	"encoding/json"
	"strings"
	"testing"

	gateway "github.com/dmplan/dmplan/backend/gateway/worker"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/state"
)

const gatewaySpec = `
project "nimbus" { binding_prefix = "NIMBUS_" }
environment "production" {
  backend    = "cloudflare"
  account_id = env.CLOUDFLARE_ACCOUNT_ID
  database   = "nimbus"
  gateway {
    secret = env.GW_SECRET
    %s
  }
}
model "PAGE" {
  kv { namespace = "PAGES" }
  d1 { table = "page_meta" }
}
model "ACCOUNT" {
  kv { namespace = "USERS" }
  d1 { table = "accounts" }
}
`

func loadGatewaySpec(t *testing.T, extra string) *hclspec.Spec {
	t.Helper()
	spec, diags := hclspec.LoadSources("nimbus", map[string][]byte{"a.dm.hcl": []byte(strings.Replace(gatewaySpec, "%s", extra, 1))})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return spec
}

var testDB = gateway.Database{ID: "0f0e0d0c-0b0a-0908-0706-050403020100", Name: "nimbus"}

func liveNamespaces() *state.Schema {
	return &state.Schema{Namespaces: []*state.Namespace{
		{Title: "nimbus-production-PAGES", ID: "ns-pages"},
		{Title: "nimbus-production-USERS", ID: "ns-users"},
	}}
}

// deployed is the live script exactly as a deploy of the spec leaves it.
func deployed(t *testing.T, spec *hclspec.Spec, live *state.Schema) *LiveWorker {
	t.Helper()
	g := spec.Environment("production").Gateway
	cfg := GatewayConfig(spec, "production", testDB, live)
	prev := ""
	if g.PreviousSecretEnv != "" {
		prev = "old"
	}
	bs, err := cfg.Bindings("secret-value", prev)
	if err != nil {
		t.Fatal(err)
	}
	bs = append(bs, gateway.Binding{Type: gateway.TypePlainText, Name: DeployBinding,
		Text: DeployRecord{ScriptSHA256: ScriptSHA256(), SecretVersion: g.SecretVersion}.JSON()})
	for i := range bs {
		if bs[i].Type == gateway.TypeSecretText {
			bs[i].Text = "" // the API never returns it
		}
	}
	lw := &LiveWorker{Bindings: bs, WorkersDev: g.Route == nil}
	if g.Route != nil {
		lw.Routes = []LiveRoute{{Pattern: g.Route.Pattern, Script: g.Script}}
	}
	return lw
}

func workerSteps(p *Plan) []Step {
	var out []Step
	for _, s := range p.Steps {
		if s.Action == DeployWorker || s.Action == UpdateWorker {
			out = append(out, s)
		}
	}
	return out
}

func TestGatewayDeploy(t *testing.T) {
	spec := loadGatewaySpec(t, "")
	live := liveNamespaces()
	p := Diff(spec, "production", live, WithGateway(&GatewayLive{Database: testDB}))
	ws := workerSteps(p)
	if len(ws) != 1 || ws[0].Action != DeployWorker || ws[0].Target != "nimbus-production-gateway" {
		t.Fatalf("steps = %+v, want one deploy_worker nimbus-production-gateway", p.Steps)
	}
	var got []string
	for _, b := range ws[0].Worker.Bindings {
		got = append(got, b.String())
	}
	want := []string{
		"DMPLAN_D1 = D1 database nimbus",
		"NIMBUS_PAGES = KV namespace nimbus-production-PAGES",
		"NIMBUS_USERS = KV namespace nimbus-production-USERS",
		"DMPLAN_CONFIG = gateway configuration (version " + gateway.Version + ")",
		"DMPLAN_DEPLOY = deploy record (script sha256 " + ScriptSHA256()[:12] + ", secret_version 0)",
		"DMPLAN_SECRET = (secret from env.GW_SECRET)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("bindings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if ws[0].Worker.Served != "workers.dev" || !p.HasChanges() {
		t.Errorf("served %q, changes %v", ws[0].Worker.Served, p.HasChanges())
	}
	// Without WithGateway nothing is planned for it.
	if n := len(workerSteps(Diff(spec, "production", live))); n != 0 {
		t.Errorf("%d worker steps without WithGateway", n)
	}
}

// TestGatewayOrder: the worker comes after the namespaces and tables it
// binds, before seeds and blocked steps.
func TestGatewayOrder(t *testing.T) {
	spec := loadGatewaySpec(t, "")
	p := Diff(spec, "production", &state.Schema{}, WithGateway(&GatewayLive{Database: testDB}))
	last := p.Steps[len(p.Steps)-1]
	if last.Action != DeployWorker {
		t.Fatalf("last step = %s, want deploy_worker after namespaces and tables: %+v", last.Action, p.Steps)
	}
	// The namespaces are created by this apply: the plan says so.
	for _, b := range last.Worker.Bindings {
		if b.Type == gateway.TypeKVNamespace && !strings.Contains(b.Target, "nimbus-production-") {
			t.Errorf("binding %s", b)
		}
	}
}

func TestGatewayUpdate(t *testing.T) {
	tests := []struct {
		name  string
		extra string // in the gateway block
		live  func(t *testing.T, lw *LiveWorker)
		want  []string // changes; nil means no step
	}{
		{name: "equal", live: func(*testing.T, *LiveWorker) {}},
		{name: "kv binding points elsewhere", live: func(t *testing.T, lw *LiveWorker) {
			setBinding(t, lw, "NIMBUS_PAGES", func(b *gateway.Binding) { b.NamespaceID = "ns-other" })
		}, want: []string{"binding NIMBUS_PAGES: namespace ns-other -> ns-pages (KV namespace nimbus-production-PAGES)"}},
		{name: "kv binding missing", live: func(t *testing.T, lw *LiveWorker) { dropBinding(lw, "NIMBUS_USERS") },
			want: []string{"add binding NIMBUS_USERS = KV namespace nimbus-production-USERS"}},
		{name: "unknown binding added by hand", live: func(t *testing.T, lw *LiveWorker) {
			lw.Bindings = append(lw.Bindings, gateway.Binding{Type: "plain_text", Name: "DEBUG", Text: "1"})
		}, want: []string{"remove binding DEBUG (plain_text, not declared)"}},
		{name: "other database", live: func(t *testing.T, lw *LiveWorker) {
			setBinding(t, lw, "DMPLAN_D1", func(b *gateway.Binding) { b.ID = "other-db" })
		}, want: []string{"binding DMPLAN_D1: database other-db -> " + testDB.ID + " (D1 database nimbus)"}},
		{name: "older script version", live: func(t *testing.T, lw *LiveWorker) {
			setBinding(t, lw, "DMPLAN_CONFIG", func(b *gateway.Binding) {
				var c gateway.Config
				_ = json.Unmarshal([]byte(b.Text), &c)
				c.Version = "0.9"
				b.Text = c.JSON()
			})
		}, want: []string{"script version 0.9 -> " + gateway.Version}},
		{name: "script content", live: func(t *testing.T, lw *LiveWorker) {
			setBinding(t, lw, DeployBinding, func(b *gateway.Binding) {
				b.Text = DeployRecord{ScriptSHA256: strings.Repeat("ab", 32)}.JSON()
			})
		}, want: []string{"script content abababababab -> " + ScriptSHA256()[:12]}},
		{name: "secret_version bumped", extra: "secret_version = 2", live: func(t *testing.T, lw *LiveWorker) {
			setBinding(t, lw, DeployBinding, func(b *gateway.Binding) {
				b.Text = DeployRecord{ScriptSHA256: ScriptSHA256(), SecretVersion: 1}.JSON()
			})
		}, want: []string{"secret_version 1 -> 2 (secrets uploaded again)"}},
		{name: "rotation starts", extra: "previous_secret = env.GW_OLD", live: func(t *testing.T, lw *LiveWorker) {
			dropBinding(lw, "DMPLAN_SECRET_PREVIOUS")
		}, want: []string{"add binding DMPLAN_SECRET_PREVIOUS = (secret from env.GW_OLD)"}},
		{name: "rotation ends", live: func(t *testing.T, lw *LiveWorker) {
			lw.Bindings = append(lw.Bindings, gateway.Binding{Type: "secret_text", Name: "DMPLAN_SECRET_PREVIOUS"})
		}, want: []string{"remove binding DMPLAN_SECRET_PREVIOUS (secret_text, not declared)"}},
		{name: "secret missing", live: func(t *testing.T, lw *LiveWorker) { dropBinding(lw, "DMPLAN_SECRET") },
			want: []string{"add binding DMPLAN_SECRET = (secret from env.GW_SECRET)"}},
		{name: "compatibility date", live: func(t *testing.T, lw *LiveWorker) { lw.CompatibilityDate = "2024-01-01" },
			want: []string{"compatibility date 2024-01-01 -> " + gateway.CompatibilityDate}},
		{name: "same compatibility date", live: func(t *testing.T, lw *LiveWorker) { lw.CompatibilityDate = gateway.CompatibilityDate }},
		{name: "workers.dev off", live: func(t *testing.T, lw *LiveWorker) { lw.WorkersDev = false },
			want: []string{"serve on workers.dev"}},
		{name: "route missing", extra: `route {
      pattern = "api.example.com/dm/*"
      zone_id = "0123456789abcdef0123456789abcdef"
    }`, live: func(t *testing.T, lw *LiveWorker) { lw.Routes = nil },
			want: []string{"add route api.example.com/dm/*"}},
		{name: "route to another script", extra: `route {
      pattern = "api.example.com/dm/*"
      zone_id = "0123456789abcdef0123456789abcdef"
    }`, live: func(t *testing.T, lw *LiveWorker) { lw.Routes[0].Script = "old" },
			want: []string{"route api.example.com/dm/*: script old -> nimbus-production-gateway"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := loadGatewaySpec(t, tt.extra)
			live := liveNamespaces()
			lw := deployed(t, spec, live)
			tt.live(t, lw)
			p := Diff(spec, "production", live, WithGateway(&GatewayLive{Database: testDB, Script: lw}))
			ws := workerSteps(p)
			if tt.want == nil {
				if len(ws) != 0 {
					t.Fatalf("steps = %+v, want none", p.Steps)
				}
				return
			}
			if len(ws) != 1 || ws[0].Action != UpdateWorker {
				t.Fatalf("steps = %+v, want one update_worker", p.Steps)
			}
			if strings.Join(ws[0].Worker.Changes, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(ws[0].Worker.Changes, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func setBinding(t *testing.T, lw *LiveWorker, name string, f func(b *gateway.Binding)) {
	t.Helper()
	for i := range lw.Bindings {
		if lw.Bindings[i].Name == name {
			f(&lw.Bindings[i])
			return
		}
	}
	t.Fatalf("no live binding %s", name)
}

func dropBinding(lw *LiveWorker, name string) {
	out := lw.Bindings[:0]
	for _, b := range lw.Bindings {
		if b.Name != name {
			out = append(out, b)
		}
	}
	lw.Bindings = out
}

func TestDeploysWorker(t *testing.T) {
	for _, tc := range []struct {
		acts []Action
		want bool
	}{
		{nil, false},
		{[]Action{CreateTable, CreateNamespace}, false},
		{[]Action{CreateTable, DeployWorker}, true},
		{[]Action{UpdateWorker}, true},
	} {
		p := &Plan{}
		for _, a := range tc.acts {
			p.Steps = append(p.Steps, Step{Action: a})
		}
		if got := p.DeploysWorker(); got != tc.want {
			t.Errorf("%v: DeploysWorker = %v, want %v", tc.acts, got, tc.want)
		}
	}
}
