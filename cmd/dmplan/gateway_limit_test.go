package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/cloudflare"
	"github.com/dmplan/dmplan/backend/cloudflare/cftest"
	"github.com/dmplan/dmplan/backend/gateway"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/runtime"
)

const limitSpec = `
project "shop" {}
environment "production" {
  backend    = "cloudflare"
  account_id = env.CF_ACCOUNT
  database   = "shop"
  gateway { secret = env.GW_SECRET }
}
model "NOTE" {
  options { user_tracking = false }
  field "body" { type = string }
  kv { namespace = "NOTES" }
  d1 { sync_fields = ["body"] }
}
`

// TestGatewayUnderRateLimit deploys the gateway with dmplan apply, arms the
// harness's imitation of Cloudflare's global API limit (a short window),
// and saves the same records through the runtime three ways: over REST
// with no governor (the account goes over and is blocked: 429s until the
// saves fail with ErrRateLimited), over REST with a governor under the
// limit (every save lands, the governor waits, nothing is refused), and
// over the deployed gateway while the account is blocked (every save
// lands in one request to the Worker, no API request at all).
func TestGatewayUnderRateLimit(t *testing.T) {
	ctx := context.Background()
	h := cftest.Shared(t)
	acct := h.NewAccount(t)
	h.NewDatabase(t, acct, "shop")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "shop.dm.hcl"), []byte(limitSpec), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"CF_ACCOUNT": acct, "CLOUDFLARE_API_TOKEN": h.Token, "CLOUDFLARE_BASE_URL": h.BaseURL, "GW_SECRET": "limit-s3cret"}
	var out, errOut strings.Builder
	if code := run(ctx, []string{"apply", "-auto-approve", "-env", "production", dir}, nil, &out, &errOut, func(k string) string { return env[k] }); code != 0 {
		t.Fatalf("dmplan apply: exit %d\n%s\n%s", code, out.String(), errOut.String())
	}
	spec, diags := hclspec.LoadDir(dir)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	// saves saves 12 records from 4 goroutines at once.
	saves := func(b backend.Backend, prefix string) error {
		ds, err := runtime.Open(ctx, spec, b, runtime.WithEnvironment("production"), runtime.WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			return err
		}
		errs := make(chan error, 4)
		for w := 0; w < 4; w++ {
			go func(w int) {
				for i := 0; i < 3; i++ {
					n := ds.System().New("NOTE")
					n.Set("body", fmt.Sprintf("%s %d.%d", prefix, w, i))
					if err := n.Save(ctx); err != nil {
						errs <- err
						return
					}
				}
				errs <- nil
			}(w)
		}
		var first error
		for w := 0; w < 4; w++ {
			if err := <-errs; err != nil && first == nil {
				first = err
			}
		}
		return first
	}
	rest := func(gov *cloudflare.Governor) *cloudflare.Store {
		s, err := cloudflare.Open(ctx, cloudflare.Config{AccountID: acct, APIToken: h.Token, Database: "shop", BaseURL: h.BaseURL,
			Governor: gov, MaxRetryWait: time.Second, Getenv: func(string) string { return "" }})
		if err != nil {
			t.Fatalf("open REST backend: %v", err)
		}
		return s
	}

	// Governed: a short window, so the governor has to wait (4 writers at
	// once fill it long before the 12 saves are done) and the test is
	// quick; a governor well under the limit, as requests it starts on
	// time may reach the harness late on a loaded machine and bunch there
	// with the next window's.
	const limit = 20
	window := 1500 * time.Millisecond
	h.SetLimit(t, cftest.Limit{Account: acct, Limit: limit, Window: window, Block: 4 * window})
	gov := cloudflare.NewGovernor(8, window)
	if err := saves(rest(gov), "governed"); err != nil {
		t.Fatalf("REST with a governor: %v", err)
	}
	if n, _ := gov.Waits(); n == 0 {
		t.Errorf("REST with a governor: the governor never waited")
	}
	if n := h.LimitRefused(t, acct); n != 0 {
		t.Errorf("REST with a governor: the limiter refused %d requests", n)
	}

	// Ungoverned: a minute's window, so the saves go over whatever the
	// machine's speed, and a block that outlasts the test.
	h.SetLimit(t, cftest.Limit{Account: acct, Limit: limit, Window: time.Minute, Block: time.Minute})
	err := saves(rest(nil), "ungoverned")
	if !errors.Is(err, cloudflare.ErrRateLimited) {
		t.Fatalf("REST without a governor: err = %v, want ErrRateLimited", err)
	}
	refused := h.LimitRefused(t, acct)
	if refused == 0 {
		t.Fatalf("REST without a governor: the limiter refused nothing")
	}

	// The account is blocked now; the gateway is not subject to the limit.
	scripts, before := h.Scripts(t, acct)
	if len(scripts) != 1 {
		t.Fatalf("harness serves %d scripts, want the deployed gateway", len(scripts))
	}
	gw, err := gateway.Open(ctx, gateway.Options{URL: scripts[0].URL, Secret: "limit-s3cret"})
	if err != nil {
		t.Fatalf("open the deployed gateway: %v", err)
	}
	if err := saves(gw, "gateway"); err != nil {
		t.Fatalf("saves over the gateway while the API is blocked: %v", err)
	}
	if n := h.LimitRefused(t, acct); n != refused {
		t.Errorf("the gateway's saves hit the API limiter (%d refused, was %d)", n, refused)
	}
	_, after := h.Scripts(t, acct)
	t.Logf("gateway requests for open + 12 saves: %d", len(after)-len(before))
	// The gateway's own budget tests count requests per operation
	// (backend/gateway); here it is enough that the deployed script did
	// the work.
	if len(after) == len(before) {
		t.Errorf("the deployed gateway served no request")
	}
}
