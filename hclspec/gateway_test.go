package hclspec_test

import (
	"strings"
	"testing"

	"github.com/dmplan/dmplan/hclspec"
)

func TestGatewayDecode(t *testing.T) {
	src := `
project "nimbus" {}
environment "prod_eu" {
  backend    = "cloudflare"
  account_id = env.CLOUDFLARE_ACCOUNT_ID
  database   = "nimbus"
  gateway {
    secret          = env.GW_SECRET
    previous_secret = env.GW_SECRET_OLD
    secret_version  = 3
    route {
      pattern = "api.example.com/dmplan/*"
      zone_id = "0123456789abcdef0123456789abcdef"
    }
  }
}
environment "staging" {
  backend    = "cloudflare"
  account_id = "x"
  database   = "nimbus"
  gateway {
    script = "my-gw"
    secret = env.GW_SECRET
  }
}
`
	spec, diags := hclspec.LoadSources("t", map[string][]byte{"a.dm.hcl": []byte(src)})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	g := spec.Environment("prod_eu").Gateway
	if g == nil {
		t.Fatal("no gateway")
	}
	if g.Script != "nimbus-prod-eu-gateway" || g.ScriptSet || g.SecretEnv != "GW_SECRET" || g.PreviousSecretEnv != "GW_SECRET_OLD" || g.SecretVersion != 3 {
		t.Errorf("gateway = %+v", g)
	}
	if g.Route == nil || g.Route.Pattern != "api.example.com/dmplan/*" || g.Route.ZoneID != "0123456789abcdef0123456789abcdef" {
		t.Errorf("route = %+v", g.Route)
	}
	s := spec.Environment("staging").Gateway
	if s.Script != "my-gw" || !s.ScriptSet || s.Route != nil || s.String() != "workers.dev" {
		t.Errorf("staging gateway = %+v", s)
	}
	if spec.Environment("local").Gateway != nil {
		t.Error("the implicit local environment has a gateway")
	}
	// The secret is never evaluated: resolving works without it set.
	tg, diags := spec.ResolveEnvironment("staging", func(string) (string, bool) { return "", false })
	if diags.HasErrors() || tg.Gateway != s {
		t.Errorf("ResolveEnvironment: %v, gateway %+v", diags, tg)
	}
}

func TestDefaultGatewayScript(t *testing.T) {
	for _, tt := range []struct{ project, env, want string }{
		{"nimbus", "production", "nimbus-production-gateway"},
		{"my_app", "eu_west", "my-app-eu-west-gateway"},
		{"-x-", "_y_", "x-y-gateway"},
		{strings.Repeat("p", 63), strings.Repeat("e", 63), strings.Repeat("p", 27) + "-" + strings.Repeat("e", 27) + "-gateway"},
		{strings.Repeat("p", 63), "prod", strings.Repeat("p", 50) + "-prod-gateway"},
	} {
		got := hclspec.DefaultGatewayScript(tt.project, tt.env)
		if got != tt.want || !hclspec.IsScriptName(got) {
			t.Errorf("DefaultGatewayScript(%q, %q) = %q (valid %v), want %q", tt.project, tt.env, got, hclspec.IsScriptName(got), tt.want)
		}
	}
}
