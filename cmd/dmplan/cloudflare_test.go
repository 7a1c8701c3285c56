package main

import (
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
		Cmds:          map[string]func(ts *testscript.TestScript, neg bool, args []string){"exits": cmdExits},
		Setup: func(e *testscript.Env) error {
			acct := h.NewAccount(e.T().(testing.TB))
			h.NewDatabase(e.T().(testing.TB), acct, "blog")
			e.Setenv("CF_ACCOUNT", acct)
			e.Setenv("CLOUDFLARE_API_TOKEN", h.Token)
			e.Setenv("CLOUDFLARE_BASE_URL", h.BaseURL)
			return nil
		},
	})
}
