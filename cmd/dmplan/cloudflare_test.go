package main

import (
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/dmplan/dmplan/backend/cloudflare/cftest"
)

// TestCloudflareScripts runs plan and apply against a Cloudflare
// environment served by the workerd harness (real D1 and KV behind the
// REST paths cloudflare-go calls). Each script gets its own account with a
// D1 database named "blog"; the account id reaches dmplan only through
// env.CF_ACCOUNT, so the scripts can check it is never shown.
func TestCloudflareScripts(t *testing.T) {
	h := cftest.Start(t)
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/cloudflare",
		UpdateScripts: *update,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits": cmdExits,
			"fault": func(ts *testscript.TestScript, neg bool, args []string) { cmdFault(h, ts, neg, args) },
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
