package planner

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	gateway "github.com/dmplan/dmplan/backend/gateway/worker"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/state"
)

// The gateway Worker as a plan resource. An environment's gateway block
// (hclspec.Gateway) declares a Worker whose bindings are the environment's
// D1 database, its KV namespaces, its configuration and its secret. Diff,
// given what the account has (WithGateway), plans one DeployWorker step
// when the script is missing, one UpdateWorker step listing what differs
// when its version, content, bindings, secret_version or address differ,
// and nothing when they are equal.
//
// Secrets cannot be read back, so the plan compares only which secret
// bindings exist. A new secret value is announced by changing the block's
// secret_version, which is stored in the DMPLAN_DEPLOY binding beside the
// script's content hash (neither is derived from the secret).

// DeployBinding is the plain_text binding holding dmplan's record of the
// deploy (DeployRecord as JSON).
const DeployBinding = "DMPLAN_DEPLOY"

// DeployRecord is what dmplan stores in the DeployBinding: the uploaded
// script's SHA-256 and the gateway block's secret_version.
type DeployRecord struct {
	ScriptSHA256  string `json:"script_sha256"`
	SecretVersion int64  `json:"secret_version"`
}

// JSON is the record as stored.
func (r DeployRecord) JSON() string {
	b, _ := json.Marshal(r) // a string and a number: cannot fail
	return string(b)
}

// ScriptSHA256 is the hex SHA-256 of the embedded gateway script.
func ScriptSHA256() string {
	sum := sha256.Sum256(gateway.Script())
	return hex.EncodeToString(sum[:])
}

// GatewayLive is what the account holds for an environment's gateway, read
// by the deploy step before planning.
type GatewayLive struct {
	// Database is the environment's D1 database as resolved.
	Database gateway.Database `json:"database"`
	// Script is the deployed script; nil when the account has none of
	// that name.
	Script *LiveWorker `json:"script,omitempty"`
}

// LiveWorker is a deployed script: its bindings as the API returns them
// (secret texts never) and where it is served.
type LiveWorker struct {
	Bindings   []gateway.Binding `json:"bindings"`
	WorkersDev bool              `json:"workers_dev"`
	// CompatibilityDate is the script's, "" when not known.
	CompatibilityDate string `json:"compatibility_date,omitempty"`
	// Routes are the routes of the gateway's zone (only read when the
	// gateway declares a route).
	Routes []LiveRoute `json:"routes,omitempty"`
}

// LiveRoute is a route of a zone and the script it runs.
type LiveRoute struct {
	Pattern string `json:"pattern"`
	Script  string `json:"script"`
}

// WorkerStep is what a DeployWorker or UpdateWorker step deploys.
type WorkerStep struct {
	Script  string `json:"script"`
	Version string `json:"version"` // the gateway script version
	// Served is "workers.dev" or "route PATTERN".
	Served   string          `json:"served"`
	ZoneID   string          `json:"zone_id,omitempty"`
	Pattern  string          `json:"pattern,omitempty"`
	Bindings []WorkerBinding `json:"bindings"`
	// Changes say what differs from the live script (UpdateWorker).
	Changes []string `json:"changes,omitempty"`
}

// WorkerBinding is one binding as a plan shows it: what it binds, never a
// secret's value.
type WorkerBinding struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// Target is what it binds: "D1 database nimbus", "KV namespace
	// nimbus-production-PAGES", "(secret from env.X)", "gateway
	// configuration", "deploy record".
	Target string `json:"target"`
}

func (b WorkerBinding) String() string { return b.Name + " = " + b.Target }

// WithGateway gives Diff what the account holds for the environment's
// gateway. Without it, Diff plans no gateway step.
func WithGateway(live *GatewayLive) Option { return func(o *options) { o.gateway = live } }

// GatewayConfig is the configuration the environment's gateway runs with
// (its DMPLAN_CONFIG), with the namespace ids the live schema knows; a
// namespace still to be created has an empty id until apply creates it.
func GatewayConfig(spec *hclspec.Spec, env string, db gateway.Database, live *state.Schema) gateway.Config {
	ids := map[string]string{}
	if live != nil {
		for _, n := range live.Namespaces {
			if n != nil {
				ids[n.Title] = n.ID
			}
		}
	}
	seen := map[string]bool{}
	cfg := gateway.Config{Version: gateway.Version, Project: spec.Project.Name, Environment: env, Database: db}
	for _, m := range spec.Models {
		if m == nil || m.KV.Namespace == "" || seen[m.KV.Binding] {
			continue
		}
		seen[m.KV.Binding] = true
		title := spec.NamespaceTitle(env, m.KV.Namespace)
		cfg.Namespaces = append(cfg.Namespaces, gateway.Namespace{Binding: m.KV.Binding, ID: ids[title], Title: title})
	}
	sort.Slice(cfg.Namespaces, func(i, j int) bool { return cfg.Namespaces[i].Binding < cfg.Namespaces[j].Binding })
	return cfg
}

// gatewayStep plans the environment's gateway, or returns nil.
func (d *differ) gatewayStep(gl *GatewayLive) *Step {
	e := d.spec.Environment(d.env)
	if gl == nil || e == nil || e.Gateway == nil {
		return nil
	}
	g := e.Gateway
	cfg := GatewayConfig(d.spec, d.env, gl.Database, d.live)
	rec := DeployRecord{ScriptSHA256: ScriptSHA256(), SecretVersion: g.SecretVersion}
	ws := &WorkerStep{Script: g.Script, Version: gateway.Version, Served: "workers.dev"}
	if g.Route != nil {
		ws.Served, ws.ZoneID, ws.Pattern = "route "+g.Route.Pattern, g.Route.ZoneID, g.Route.Pattern
	}
	type want struct {
		b       gateway.Binding
		display WorkerBinding
	}
	wants := []want{
		{gateway.Binding{Type: gateway.TypeD1, Name: gateway.BindingD1, ID: gl.Database.ID},
			WorkerBinding{gateway.BindingD1, gateway.TypeD1, "D1 database " + gl.Database.Name}},
	}
	for _, ns := range cfg.Namespaces {
		wants = append(wants, want{gateway.Binding{Type: gateway.TypeKVNamespace, Name: ns.Binding, NamespaceID: ns.ID},
			WorkerBinding{ns.Binding, gateway.TypeKVNamespace, "KV namespace " + ns.Title}})
	}
	wants = append(wants,
		want{gateway.Binding{Type: gateway.TypePlainText, Name: gateway.BindingConfig, Text: cfg.JSON()},
			WorkerBinding{gateway.BindingConfig, gateway.TypePlainText, "gateway configuration (version " + gateway.Version + ")"}},
		want{gateway.Binding{Type: gateway.TypePlainText, Name: DeployBinding, Text: rec.JSON()},
			WorkerBinding{DeployBinding, gateway.TypePlainText, "deploy record (script sha256 " + rec.ScriptSHA256[:12] + ", secret_version " + strconv.FormatInt(rec.SecretVersion, 10) + ")"}},
		want{gateway.Binding{Type: gateway.TypeSecretText, Name: gateway.BindingSecret},
			WorkerBinding{gateway.BindingSecret, gateway.TypeSecretText, "(secret from env." + g.SecretEnv + ")"}},
	)
	if g.PreviousSecretEnv != "" {
		wants = append(wants, want{gateway.Binding{Type: gateway.TypeSecretText, Name: gateway.BindingSecretPrevious},
			WorkerBinding{gateway.BindingSecretPrevious, gateway.TypeSecretText, "(secret from env." + g.PreviousSecretEnv + ")"}})
	}
	for _, w := range wants {
		ws.Bindings = append(ws.Bindings, w.display)
	}
	step := &Step{Target: g.Script, Model: "", Safe: true, Worker: ws}
	if gl.Script == nil {
		step.Action = DeployWorker
		step.Reason = "environment " + d.env + " declares a gateway; the account has no script " + g.Script
		return step
	}

	live := map[string]gateway.Binding{}
	for _, b := range gl.Script.Bindings {
		live[b.Name] = b
	}
	var changes []string
	kvChanged := false
	for _, w := range wants {
		lb, ok := live[w.b.Name]
		delete(live, w.b.Name)
		if w.b.Type == gateway.TypeKVNamespace && (!ok || lb.NamespaceID != w.b.NamespaceID) {
			kvChanged = true
		}
		switch {
		case !ok && w.b.Type == gateway.TypeKVNamespace && w.b.NamespaceID == "":
			changes = append(changes, "add binding "+w.display.String()+" (created by this apply)")
		case !ok:
			changes = append(changes, "add binding "+w.display.String())
		case lb.Type != w.b.Type:
			changes = append(changes, "binding "+w.b.Name+": "+lb.Type+" -> "+w.b.Type+" ("+w.display.Target+")")
		case w.b.Type == gateway.TypeD1 && lb.ID != w.b.ID:
			changes = append(changes, "binding "+w.b.Name+": database "+lb.ID+" -> "+w.b.ID+" ("+w.display.Target+")")
		case w.b.Type == gateway.TypeKVNamespace && w.b.NamespaceID == "":
			changes = append(changes, "binding "+w.b.Name+": "+w.display.Target+", created by this apply")
		case w.b.Type == gateway.TypeKVNamespace && lb.NamespaceID != w.b.NamespaceID:
			changes = append(changes, "binding "+w.b.Name+": namespace "+lb.NamespaceID+" -> "+w.b.NamespaceID+" ("+w.display.Target+")")
		case w.b.Name == gateway.BindingConfig && lb.Text != w.b.Text:
			changes = append(changes, configChanges(lb.Text, cfg, kvChanged)...)
		case w.b.Name == DeployBinding && lb.Text != w.b.Text:
			changes = append(changes, recordChanges(lb.Text, rec)...)
		}
	}
	if d := gl.Script.CompatibilityDate; d != "" && d != gateway.CompatibilityDate {
		changes = append(changes, "compatibility date "+d+" -> "+gateway.CompatibilityDate)
	}
	var extra []string
	for name, b := range live {
		extra = append(extra, "remove binding "+name+" ("+b.Type+", not declared)")
	}
	sort.Strings(extra)
	changes = append(changes, extra...)
	if g.Route == nil && !gl.Script.WorkersDev {
		changes = append(changes, "serve on workers.dev")
	}
	if g.Route != nil {
		found := false
		for _, r := range gl.Script.Routes {
			if r.Pattern == g.Route.Pattern {
				found = true
				if r.Script != g.Script {
					changes = append(changes, "route "+r.Pattern+": script "+quoteEmpty(r.Script)+" -> "+g.Script)
				}
			}
		}
		if !found {
			changes = append(changes, "add route "+g.Route.Pattern)
		}
	}
	if len(changes) == 0 {
		return nil
	}
	ws.Changes = changes
	step.Action = UpdateWorker
	step.Reason = "the live script differs from environment " + d.env + "'s gateway: " + strings.Join(changes, "; ")
	return step
}

func quoteEmpty(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// configChanges says how a live DMPLAN_CONFIG differs from the desired.
// kvChanged says a KV binding change was listed already, which explains a
// change of the configuration's namespaces.
func configChanges(liveText string, want gateway.Config, kvChanged bool) []string {
	var got gateway.Config
	if err := json.Unmarshal([]byte(liveText), &got); err != nil {
		return []string{"binding " + gateway.BindingConfig + ": not a gateway configuration (replaced)"}
	}
	var out []string
	if got.Version != want.Version {
		out = append(out, "script version "+quoteEmpty(got.Version)+" -> "+want.Version)
	}
	if got.Project != want.Project || got.Environment != want.Environment {
		out = append(out, "configured for "+got.Project+"/"+got.Environment+" -> "+want.Project+"/"+want.Environment)
	}
	if got.Database != want.Database && (got.Database.ID != want.Database.ID || got.Database.Name != want.Database.Name) {
		out = append(out, "configured database "+got.Database.Name+" -> "+want.Database.Name)
	}
	if len(out) == 0 && !kvChanged {
		out = append(out, "gateway configuration changed (namespaces)")
	}
	return out
}

// recordChanges says how a live deploy record differs from the desired.
func recordChanges(liveText string, want DeployRecord) []string {
	var got DeployRecord
	if err := json.Unmarshal([]byte(liveText), &got); err != nil {
		return []string{"binding " + DeployBinding + ": not a deploy record (replaced)"}
	}
	var out []string
	if got.ScriptSHA256 != want.ScriptSHA256 {
		out = append(out, "script content "+short(got.ScriptSHA256)+" -> "+short(want.ScriptSHA256))
	}
	if got.SecretVersion != want.SecretVersion {
		out = append(out, "secret_version "+strconv.FormatInt(got.SecretVersion, 10)+" -> "+strconv.FormatInt(want.SecretVersion, 10)+" (secrets uploaded again)")
	}
	return out
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return quoteEmpty(h)
}

// IsWorker reports whether the action deploys the gateway Worker
// (DeployWorker or UpdateWorker).
func (a Action) IsWorker() bool { return a == DeployWorker || a == UpdateWorker }

// DeploysWorker reports whether the plan has a step that deploys the
// gateway Worker.
func (p *Plan) DeploysWorker() bool {
	for _, s := range p.Steps {
		if s.Action.IsWorker() {
			return true
		}
	}
	return false
}
