//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/cloudflare/cftest"
	"github.com/dmplan/dmplan/backend/wranglerdev"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/runtime"
)

// The wrangler tests run the real wrangler CLI (pinned in the harness's
// package.json, installed by `npm ci` there) on a project in a temp dir
// whose node_modules is the harness's. Nothing leaves loopback.

// wranglerEnv is the environment of wrangler and of dmplan's Node process
// in the tests: no metrics, no update check, no account.
func wranglerEnv(dir string) []string {
	env := []string{"HOME=" + dir, "PATH=" + os.Getenv("PATH"), "WRANGLER_SEND_METRICS=false", "CI=1",
		"NO_UPDATE_NOTIFIER=1", "NO_COLOR=1", "XDG_CONFIG_HOME=" + filepath.Join(dir, ".config")}
	return env
}

// wrangler runs the wrangler CLI in dir and returns its output.
func wrangler(t *testing.T, ctx context.Context, dir string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, "node", append([]string{filepath.Join(dir, "node_modules", "wrangler", "bin", "wrangler.js")}, args...)...)
	cmd.Dir = dir
	cmd.Env = wranglerEnv(dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("wrangler %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// wranglerDmplan runs a dmplan command in-process and returns its exit code,
// stdout and stderr.
func wranglerDmplan(ctx context.Context, dir string, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	env := map[string]string{}
	for _, kv := range wranglerEnv(dir) {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	c := newCLI(strings.NewReader(""), &out, &errb, func(k string) string { return env[k] })
	code := c.run(ctx, args)
	return code, out.String(), errb.String()
}

const wranglerProjectConfig = `{
  // a Worker developed with wrangler dev
  "name": "notes-app",
  "main": "worker.js",
  "compatibility_date": "2025-04-01",
  "d1_databases": [
    { "binding": "DB", "database_name": "notes-app", "database_id": "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b", "migrations_dir": "migrations" },
  ],
  "kv_namespaces": [{ "binding": "APP_NOTE", "id": "3b9f0d2e6a1c4e8f9b7a5c3d1e0f2a4b" }],
}
`

const wranglerProjectSpec = `project "notes-app" {
  binding_prefix = "APP_"
}

environment "dev" {
  backend = "wrangler"
}

model "NOTE" {
  options {
    user_tracking = false
    auth          = false
  }
  field "title" { type = string }
  field "body" { type = text }
  kv { key_pattern = "note:{id}" }
  d1 {
    table       = "notes"
    sync_fields = ["title"]
    index "by_title" { columns = ["title"] }
  }
}
`

// The Worker reads and writes a note as dmplan's runtime does: the whole
// object in KV under note:{id}, the synced columns in D1 (KV first).
const wranglerProjectWorker = `export default {
  async fetch(req, env) {
    const url = new URL(req.url);
    const id = decodeURIComponent(url.pathname.split("/")[2] || "");
    if (req.method === "GET") {
      const kv = await env.APP_NOTE.get("note:" + id, "json");
      const row = await env.DB.prepare("SELECT note_id, title FROM notes WHERE note_id = ?").bind(id).first();
      const { results } = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name").all();
      return Response.json({ kv, row, names: results.map((r) => r.name) });
    }
    if (req.method === "PUT") {
      const body = await req.json();
      const now = new Date().toISOString();
      const obj = { note_id: id, title: body.title, body: body.body, created_at: now, updated_at: now, deleted_at: null };
      await env.APP_NOTE.put("note:" + id, JSON.stringify(obj));
      await env.DB.prepare("INSERT INTO notes (note_id, title, created_at, updated_at, deleted_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (note_id) DO UPDATE SET title = excluded.title, updated_at = excluded.updated_at")
        .bind(id, obj.title, now, now, null).run();
      return Response.json(obj);
    }
    return new Response("no", { status: 405 });
  },
};
`

// freePort returns a loopback port nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startWranglerDev runs `wrangler dev` (local mode) for the project and
// returns its URL once the Worker answers; the process group is killed
// when the test ends.
func startWranglerDev(t *testing.T, ctx context.Context, dir string) string {
	t.Helper()
	port := freePort(t)
	cmd := exec.Command("node", filepath.Join(dir, "node_modules", "wrangler", "bin", "wrangler.js"),
		"dev", "--ip", "127.0.0.1", "--port", fmt.Sprint(port), "--inspector-port", fmt.Sprint(freePort(t)), "--show-interactive-dev-session=false")
	cmd.Dir = dir
	cmd.Env = wranglerEnv(dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		// Nothing of the group (workerd included) is left for long.
		for i := 0; syscall.Kill(-cmd.Process.Pid, 0) == nil; i++ {
			if i == 100 {
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				t.Errorf("wrangler dev's process group outlived it by 10s")
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(90 * time.Second)
	for {
		select {
		case <-done:
			t.Fatalf("wrangler dev exited:\n%s", log.String())
		case <-ctx.Done():
			t.Fatalf("wrangler dev did not serve:\n%s", log.String())
		default:
		}
		resp, err := http.Get(url + "/notes/none")
		if err == nil {
			resp.Body.Close()
			return url
		}
		if time.Now().After(deadline) {
			t.Fatalf("wrangler dev did not serve within 90s:\n%s", log.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

type workerNote struct {
	KV    map[string]any `json:"kv"`
	Row   map[string]any `json:"row"`
	Names []string       `json:"names"`
}

func workerGet(t *testing.T, url, id string) workerNote {
	t.Helper()
	resp, err := http.Get(url + "/notes/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var n workerNote
	if err := json.Unmarshal(b, &n); err != nil {
		t.Fatalf("worker GET %s: %d %s", id, resp.StatusCode, b)
	}
	return n
}

func workerPut(t *testing.T, url, id string, body map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPut, url+"/notes/"+id, bytes.NewReader(b))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		out, _ := io.ReadAll(resp.Body)
		t.Fatalf("worker PUT %s: %d %s", id, resp.StatusCode, out)
	}
}

// TestWranglerDevParity is issue 13's done-when for local development: a
// real `wrangler dev` runs a JS Worker while dmplan applies to the
// environment backend = "wrangler"; the Worker reads the table, the index
// and what the Go runtime wrote (D1 row and KV object), the Go runtime
// reads what the Worker wrote, and plan afterwards has no changes.
func TestWranglerDevParity(t *testing.T) {
	if testing.Short() {
		t.Skip("starts wrangler and workerd several times (about a minute); skipped with -short")
	}
	t.Parallel()
	dir := cftest.WranglerProject(t, map[string]string{
		"package.json":   `{"private": true, "type": "module"}`,
		"wrangler.jsonc": wranglerProjectConfig,
		"worker.js":      wranglerProjectWorker,
		"notes.dm.hcl":   wranglerProjectSpec,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	url := startWranglerDev(t, ctx, dir)

	code, out, errOut := wranglerDmplan(ctx, dir, "apply", "-auto-approve", "-env", "dev", dir)
	if code != 0 {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"backend wrangler", ".wrangler/state/v3 (D1 binding DB)", "+ created table notes", "Apply complete"} {
		if !strings.Contains(out, want) {
			t.Errorf("apply output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "create namespace") {
		t.Errorf("apply created a namespace; the wrangler configuration binds it:\n%s", out)
	}
	code, out, errOut = wranglerDmplan(ctx, dir, "plan", "-detailed-exitcode", "-env", "dev", dir)
	if code != 0 || !strings.Contains(out, "No changes.") {
		t.Errorf("plan after apply: exit %d\n%s\n%s", code, out, errOut)
	}

	// bindings shows the configuration's entries, not the addressing.
	code, out, errOut = wranglerDmplan(ctx, dir, "bindings", "-env", "dev", dir)
	if code != 0 || !strings.Contains(out, `{ "binding": "DB", "database_name": "notes-app", "database_id": "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b" }`) ||
		!strings.Contains(out, `{ "binding": "APP_NOTE", "id": "3b9f0d2e6a1c4e8f9b7a5c3d1e0f2a4b" }`) {
		t.Errorf("bindings: exit %d\n%s\n%s", code, out, errOut)
	}

	// The Worker sees what apply created.
	n := workerGet(t, url, "none")
	if !contains(n.Names, "notes", "notes_by_title") {
		t.Errorf("the Worker sees tables and indexes %v, want notes and notes_by_title", n.Names)
	}

	// The Go runtime writes; the Worker reads both stores.
	spec, diags := hclspec.LoadSources("notes-app", map[string][]byte{"notes.dm.hcl": []byte(wranglerProjectSpec)})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	be, err := wranglerdev.Open(ctx, wranglerdev.Options{
		Dir: dir, Namespaces: []wranglerdev.Namespace{{Binding: "APP_NOTE", Title: spec.NamespaceTitle("dev", "NOTE")}},
		Project: "notes-app", Environment: "dev", Env: wranglerEnv(dir),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	ds, err := runtime.Open(ctx, spec, be, runtime.WithEnvironment("dev"))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := ds.System().Create(ctx, "NOTE", map[string]any{"title": "from go", "body": "go body"})
	if err != nil {
		t.Fatal(err)
	}
	n = workerGet(t, url, rec.ID())
	if n.KV["title"] != "from go" || n.KV["body"] != "go body" || n.Row["title"] != "from go" {
		t.Errorf("the Worker reads the Go record as kv %v, row %v", n.KV, n.Row)
	}

	// The Worker writes; the Go runtime reads both stores.
	workerPut(t, url, "js-1", map[string]any{"title": "from js", "body": "js body"})
	got, err := ds.System().Get(ctx, "NOTE", "js-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Get("title") != "from js" || got.Get("body") != "js body" {
		t.Errorf("Go reads the Worker's record as %v", got.Data())
	}
	res, err := be.D1().Query(ctx, backend.Stmt{SQL: "SELECT title FROM notes WHERE note_id = ?", Args: []any{"js-1"}})
	if err != nil || len(res.Rows) != 1 || res.Rows[0][0] != "from js" {
		t.Errorf("Go reads the Worker's row as %v, %v", res, err)
	}
	if err := be.Close(); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = wranglerDmplan(ctx, dir, "plan", "-detailed-exitcode", "-env", "dev", dir)
	if code != 0 || !strings.Contains(out, "No changes.") {
		t.Errorf("plan after the writes: exit %d\n%s\n%s", code, out, errOut)
	}
}

func contains(list []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, s := range list {
			found = found || s == w
		}
		if !found {
			return false
		}
	}
	return true
}

// TestExportWranglerAppliesWithWrangler: the migration dmplan export
// writes (planning creates no local state) is applied by the real `wrangler d1 migrations apply --local`,
// after which plan against that local state has no changes (and notes
// wrangler's ledger); a second export, after a field is added, is
// numbered after it and applies the same way; exported again before
// wrangler applied it, export refuses. The configuration names its own
// migrations_table, which plan notes as wrangler's ledger (DM220).
func TestExportWranglerAppliesWithWrangler(t *testing.T) {
	if testing.Short() {
		t.Skip("starts wrangler and workerd several times (about a minute); skipped with -short")
	}
	t.Parallel()
	dir := cftest.WranglerProject(t, map[string]string{
		"package.json": `{"private": true, "type": "module"}`,
		// wrangler's ledger under a name of the project's own
		"wrangler.jsonc": strings.Replace(wranglerProjectConfig, `"migrations_dir": "migrations"`, `"migrations_dir": "migrations", "migrations_table": "schema_log"`, 1),
		"worker.js":      wranglerProjectWorker,
		"notes.dm.hcl":   wranglerProjectSpec,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	code, out, errOut := wranglerDmplan(ctx, dir, "export", "-format", "wrangler", "-env", "dev", dir)
	if code != 0 {
		t.Fatalf("export: exit %d\n%s\n%s", code, out, errOut)
	}
	first := filepath.Join(dir, "migrations", "0001_create_notes_index_notes_by_title.sql")
	if _, err := os.Stat(first); err != nil {
		t.Fatalf("export wrote no %s:\n%s", first, out)
	}
	if !strings.Contains(out, "wrangler d1 migrations apply notes-app") || strings.Contains(out, "Not exported") {
		t.Errorf("export output:\n%s", out)
	}
	// Planning read the state that does not exist yet without creating it.
	if _, err := os.Stat(filepath.Join(dir, ".wrangler")); !os.IsNotExist(err) {
		t.Errorf("export created wrangler's state (%v)", err)
	}
	applied := wrangler(t, ctx, dir, "d1", "migrations", "apply", "notes-app", "--local")
	if !strings.Contains(applied, "0001_create_notes_index_notes_by_title.sql") {
		t.Errorf("wrangler did not apply the migration:\n%s", applied)
	}
	code, out, errOut = wranglerDmplan(ctx, dir, "plan", "-detailed-exitcode", "-env", "dev", dir)
	if code != 0 || !strings.Contains(out, "No changes.") ||
		!strings.Contains(out, "DM220 schema_log: table schema_log is wrangler's migrations ledger (lists 1 migration, the latest 0001_create_notes_index_notes_by_title.sql)") ||
		strings.Contains(out, "DM201") {
		t.Errorf("plan after wrangler applied the export: exit %d\n%s\n%s", code, out, errOut)
	}

	// A field is added: the next export is 0002, and applies too.
	spec := strings.Replace(wranglerProjectSpec, `sync_fields = ["title"]`, `sync_fields = ["title", "rank"]`, 1)
	spec = strings.Replace(spec, `field "body" { type = text }`, "field \"body\" { type = text }\n  field \"rank\" { type = integer }", 1)
	if err := os.WriteFile(filepath.Join(dir, "notes.dm.hcl"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = wranglerDmplan(ctx, dir, "export", "-format", "wrangler", "-env", "dev", dir)
	second := filepath.Join(dir, "migrations", "0002_add_notes_rank.sql")
	if _, err := os.Stat(second); code != 0 || err != nil {
		t.Fatalf("second export: exit %d, %v\n%s\n%s", code, err, out, errOut)
	}
	// Exported again before wrangler applied it: refused, as the file would
	// repeat the pending one.
	code, _, errOut = wranglerDmplan(ctx, dir, "export", "-format", "wrangler", "-env", "dev", dir)
	if code == 0 || !strings.Contains(errOut, "migration 0002_add_notes_rank.sql in") || !strings.Contains(errOut, "not applied yet") {
		t.Errorf("export with a pending migration: exit %d\n%s", code, errOut)
	}
	// and plan says so (DM223): it plans the column wrangler will add.
	code, out, errOut = wranglerDmplan(ctx, dir, "plan", "-env", "dev", dir)
	if code != 0 || !strings.Contains(out, "migrations (0002_add_notes_rank.sql) not applied yet (schema_log lists 1 migration") || !strings.Contains(out, "DM223 ") {
		t.Errorf("plan with a pending migration: exit %d\n%s\n%s", code, out, errOut)
	}
	applied = wrangler(t, ctx, dir, "d1", "migrations", "apply", "notes-app", "--local")
	if !strings.Contains(applied, "0002_add_notes_rank.sql") {
		t.Errorf("wrangler did not apply the second migration:\n%s", applied)
	}
	code, out, errOut = wranglerDmplan(ctx, dir, "plan", "-detailed-exitcode", "-env", "dev", dir)
	if code != 0 || !strings.Contains(out, "No changes.") || !strings.Contains(out, "lists 2 migrations, the latest 0002_add_notes_rank.sql") {
		t.Errorf("plan after the second migration: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = wranglerDmplan(ctx, dir, "export", "-format", "wrangler", "-env", "dev", dir)
	if code != 0 || !strings.Contains(out, "Nothing to export") {
		t.Errorf("export with nothing to do: exit %d\n%s", code, out)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "migrations")); len(entries) != 2 {
		t.Errorf("migrations holds %d files, want 2", len(entries))
	}
}
