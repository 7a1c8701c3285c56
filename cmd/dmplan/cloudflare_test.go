package main

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/dmplan/dmplan/backend/cloudflare/cftest"
	gateway "github.com/dmplan/dmplan/backend/gateway/worker"
)

// TestCloudflareScripts runs plan and apply against a Cloudflare
// environment served by the workerd harness (real D1 and KV behind the
// REST paths cloudflare-go calls). Each script gets its own account with a
// D1 database named "blog"; the account id reaches dmplan only through
// env.CF_ACCOUNT, so the scripts can check it is never shown.
func TestCloudflareScripts(t *testing.T) {
	h := cftest.Shared(t)
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/cloudflare",
		UpdateScripts: *update,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits":   cmdExits,
			"gateway": gatewayCmd(h),
			"fault":   func(ts *testscript.TestScript, neg bool, args []string) { cmdFault(h, ts, neg, args) },
			"cfsql":   cmdCFSQL,
		},
		Setup: func(e *testscript.Env) error {
			acct := h.NewAccount(e.T().(testing.TB))
			h.NewDatabase(e.T().(testing.TB), acct, "blog")
			e.Setenv("CF_ACCOUNT", acct)
			e.Values[scriptTB{}] = e.T().(testing.TB)
			e.Setenv("CLOUDFLARE_API_TOKEN", h.Token)
			e.Setenv("CLOUDFLARE_BASE_URL", h.BaseURL)
			return nil
		},
	})
}

// gatewayCmd is "gateway SCRIPT VAR": the script the harness serves for
// the script's account (the deployed upload itself) answers its health
// path to the secret in $VAR with the version dmplan deployed; with "!",
// it refuses that secret with 401.
func gatewayCmd(h *cftest.Harness) func(ts *testscript.TestScript, neg bool, args []string) {
	return func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 {
			ts.Fatalf("usage: gateway SCRIPT VAR")
		}
		var url string
		scripts, _, err := h.ListScripts(ts.Getenv("CF_ACCOUNT"))
		ts.Check(err)
		for _, s := range scripts {
			if s.Name == args[0] {
				url = s.URL
			}
		}
		if url == "" {
			ts.Fatalf("the harness serves no script %s", args[0])
		}
		req, err := http.NewRequest(http.MethodGet, url+"/v1/health", nil)
		ts.Check(err)
		req.Header.Set("Authorization", "Bearer "+ts.Getenv(args[1]))
		resp, err := http.DefaultClient.Do(req)
		ts.Check(err)
		defer resp.Body.Close()
		var body struct {
			Version string `json:"version"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		switch {
		case neg && resp.StatusCode != http.StatusUnauthorized:
			ts.Fatalf("gateway %s accepted $%s (HTTP %d), want 401", args[0], args[1], resp.StatusCode)
		case !neg && (resp.StatusCode != http.StatusOK || body.Version != gateway.Version):
			ts.Fatalf("gateway %s with $%s: HTTP %d, version %q; want 200 and %s", args[0], args[1], resp.StatusCode, body.Version, gateway.Version)
		}
	}
}

// cmdFault arms a harness fault for the script's account:
// fault STATUS|drop COUNT [after] [skip=N]. The next COUNT API requests
// fail with HTTP STATUS or a dropped connection (after: once they ran).
func cmdFault(h *cftest.Harness, ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: fault STATUS|drop COUNT [after] [skip=N]")
	}
	f := cftest.Fault{Account: ts.Getenv("CF_ACCOUNT")}
	n, err := strconv.Atoi(args[1])
	if err != nil {
		ts.Fatalf("fault: bad count %q", args[1])
	}
	f.Count = n
	if args[0] == "drop" {
		f.Drop = true
	} else if f.Status, err = strconv.Atoi(args[0]); err != nil {
		ts.Fatalf("fault: bad status %q", args[0])
	}
	for _, a := range args[2:] {
		switch {
		case a == "after":
			f.After = true
		case strings.HasPrefix(a, "skip="):
			if f.Skip, err = strconv.Atoi(strings.TrimPrefix(a, "skip=")); err != nil {
				ts.Fatalf("fault: bad %q", a)
			}
		default:
			ts.Fatalf("fault: unknown argument %q", a)
		}
	}
	h.SetFault(ts.Value(scriptTB{}).(testing.TB), f)
}

// scriptTB keys the script's testing.TB in its Env.Values.
type scriptTB struct{}
