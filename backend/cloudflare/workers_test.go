package cloudflare

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/cloudflare/cloudflare-go/v6/option"
	"github.com/cloudflare/cloudflare-go/v6/workers"

	"github.com/dmplan/dmplan/backend"
)

const testWorker = `export default {
  async fetch(req, env) {
    const v = await env.KV.get("k");
    const row = await env.DB.prepare("SELECT ? AS x").bind(7).first();
    return new Response(JSON.stringify({kv: v, x: row.x, secret: env.SECRET === "s3cret-x", config: env.CONFIG}));
  },
};
`

// TestWorkerDeployBudget uploads a script, reads it back, serves it on
// workers.dev and on a route, counting each call's requests, and checks
// that the harness then runs the uploaded module on the same storage.
func TestWorkerDeployBudget(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	ns, err := f.s.KV().CreateNamespace(ctx, "gw")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.s.KV().Put(ctx, ns.ID, backend.Entry{Key: "k", Value: []byte("from REST")}); err != nil {
		t.Fatal(err)
	}
	up := WorkerUpload{MainModule: "w.js", Module: []byte(testWorker), CompatibilityDate: "2025-04-01", Bindings: []WorkerBinding{
		{Type: BindingD1, Name: "DB", ID: f.s.DatabaseID()},
		{Type: BindingKVNamespace, Name: "KV", NamespaceID: ns.ID},
		{Type: BindingPlainText, Name: "CONFIG", Text: `{"v":1}`},
		{Type: BindingSecretText, Name: "SECRET", Text: "s3cret-x"},
	}}
	const zone = "0123456789abcdef0123456789abcdef"
	var script *WorkerScript
	steps := []struct {
		name string
		want int
		run  func() error
	}{
		{"read a missing script", 1, func() error {
			s, err := f.s.WorkerScript(ctx, "gw-test")
			if err == nil && s != nil {
				err = errors.New("a missing script was found")
			}
			return err
		}},
		{"upload", 1, func() error { return f.s.UploadWorker(ctx, "gw-test", up) }},
		{"read settings", 1, func() error {
			var err error
			script, err = f.s.WorkerScript(ctx, "gw-test")
			return err
		}},
		{"workers.dev off", 1, func() error {
			on, err := f.s.WorkersDevEnabled(ctx, "gw-test")
			if err == nil && on {
				err = errors.New("enabled before EnableWorkersDev")
			}
			return err
		}},
		{"enable workers.dev", 1, func() error { return f.s.EnableWorkersDev(ctx, "gw-test") }},
		{"account subdomain", 1, func() error {
			sub, err := f.s.WorkersSubdomain(ctx)
			if err == nil && sub == "" {
				err = errors.New("empty subdomain")
			}
			return err
		}},
		{"list routes", 1, func() error { _, err := f.s.WorkerRoutes(ctx, zone); return err }},
		{"create a route", 1, func() error { return f.s.RouteWorker(ctx, zone, "api.example.com/gw/*", "gw-test", nil) }},
		{"route already there", 0, func() error {
			return f.s.RouteWorker(ctx, zone, "api.example.com/gw/*", "gw-test", []WorkerRoute{{ID: "x", Pattern: "api.example.com/gw/*", Script: "gw-test"}})
		}},
	}
	for _, st := range steps {
		before := f.s.Requests()
		if err := st.run(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := int(f.s.Requests() - before); got != st.want {
			t.Errorf("%s: %d requests, want %d", st.name, got, st.want)
		}
	}
	byName := map[string]WorkerBinding{}
	for _, b := range script.Bindings {
		byName[b.Name] = b
	}
	if byName["DB"].ID != f.s.DatabaseID() || byName["KV"].NamespaceID != ns.ID || byName["CONFIG"].Text != `{"v":1}` {
		t.Errorf("bindings read back: %+v", script.Bindings)
	}
	if s := byName["SECRET"]; s.Type != BindingSecretText || s.Text != "" {
		t.Errorf("secret binding read back as %+v: its text must never come back", s)
	}
	if on, err := f.s.WorkersDevEnabled(ctx, "gw-test"); err != nil || !on {
		t.Errorf("WorkersDevEnabled after enabling = %v, %v", on, err)
	}
	routes, err := f.s.WorkerRoutes(ctx, zone)
	if err != nil || len(routes) != 1 || routes[0].Script != "gw-test" {
		t.Errorf("routes = %+v, %v", routes, err)
	}

	// The harness serves the uploaded module on the same storage.
	scripts, _ := f.h.Scripts(t, f.acct)
	if len(scripts) != 1 {
		t.Fatalf("harness serves %d scripts", len(scripts))
	}
	resp, err := http.Get(scripts[0].URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `{"kv":"from REST","x":7,"secret":true,"config":"{\"v\":1}"}`; string(body) != want {
		t.Errorf("served script answered %s, want %s", body, want)
	}

	// A secret put through the secrets endpoint replaces the binding's
	// text, is listed by name only, and the served script sees it.
	sec := workers.NewScriptSecretService(option.WithBaseURL(f.h.BaseURL), option.WithAPIToken(f.h.Token), option.WithMaxRetries(0))
	var put workers.ScriptSecretUpdateParams
	present(&put.AccountID, f.acct)
	if _, err := sec.Update(ctx, "gw-test", put, option.WithRequestBody("application/json", []byte(`{"name":"SECRET","text":"rotated","type":"secret_text"}`))); err != nil {
		t.Fatalf("put secret: %v", err)
	}
	var list workers.ScriptSecretListParams
	present(&list.AccountID, f.acct)
	names, err := sec.List(ctx, "gw-test", list)
	if err != nil || len(names.Result) != 1 || names.Result[0].Name != "SECRET" || strings.Contains(names.JSON.RawJSON(), "rotated") {
		t.Errorf("secrets listed: %+v, %v", names, err)
	}
	resp, err = http.Get(scripts[0].URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"secret":false`) {
		t.Errorf("after the secret changed the script answered %s", body)
	}
}

// TestWorkerUploadRefused: an upload naming a namespace of another account
// is refused whole, as Cloudflare refuses it, and the error is short.
func TestWorkerUploadRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	err := f.s.UploadWorker(ctx, "gw-bad", WorkerUpload{MainModule: "w.js", Module: []byte(testWorker), CompatibilityDate: "2025-04-01",
		Bindings: []WorkerBinding{{Type: BindingKVNamespace, Name: "KV", NamespaceID: "0000"}, {Type: BindingSecretText, Name: "S", Text: "s3cret-y"}}})
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 {
		t.Fatalf("err = %v, want an HTTP 400 API error", err)
	}
	if strings.Contains(err.Error(), "s3cret-y") {
		t.Errorf("the error shows the secret: %v", err)
	}
	if s, err := f.s.WorkerScript(ctx, "gw-bad"); err != nil || s != nil {
		t.Errorf("a refused upload left script %+v, %v", s, err)
	}
	if _, err := f.s.WorkersDevEnabled(ctx, "gw-bad"); !errors.Is(err, ErrScriptNotFound) {
		t.Errorf("WorkersDevEnabled of a missing script = %v, want ErrScriptNotFound", err)
	}
}
