package hclspec_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

const envSrc = `
environment "production" {
  backend    = "cloudflare"
  account_id = env.CF_ACCOUNT
  database   = "nimbus"
  api_token  = env.CF_TOKEN
  base_url   = "https://api.example.com/${env.CF_ACCOUNT}"
}
environment "staging" {
  backend    = "cloudflare"
  account_id = env.CF_ACCOUNT
  database   = env.STAGING_DB
}
environment "broken" {
  backend    = "cloudflare"
  account_id = env.CF_TOKEN + 1
  database   = env.CF_TOKEN.nested
}
environment "local" {
  backend = "local"
  path    = "state/${env.CF_ACCOUNT}"
}
`

const secret = "s3cr3t-T0KEN-value"

func TestResolveEnvironment(t *testing.T) {
	spec := load(t, envSrc)
	getenv := fakeEnv(map[string]string{"CF_ACCOUNT": "acc123", "CF_TOKEN": secret})

	got, diags := spec.ResolveEnvironment("production", getenv)
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	want := &hclspec.Target{
		Environment: "production", Backend: "cloudflare",
		AccountID: "acc123", Database: "nimbus", APIToken: secret,
		BaseURL:   "https://api.example.com/acc123",
		Sensitive: map[string]bool{"account_id": true, "api_token": true, "base_url": true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("target (-want +got):\n%s", diff)
	}

	local, diags := spec.ResolveEnvironment("local", getenv)
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	if local.Path != "state/acc123" || !local.Sensitive["path"] {
		t.Errorf("local = %+v", local)
	}

	_, diags = spec.ResolveEnvironment("staging", getenv)
	if len(diags) != 1 || diags[0].Summary != "Environment variable not set" ||
		!strings.Contains(diags[0].Detail, "STAGING_DB") || !strings.Contains(diags[0].Detail, `"staging"`) {
		t.Errorf("staging diags = %v", diags)
	}

	_, diags = spec.ResolveEnvironment("nowhere", getenv)
	if len(diags) != 1 || !strings.Contains(diags[0].Detail, "broken, local, production, staging") {
		t.Errorf("unknown environment diags = %v", diags)
	}
}

// TestSecretsNeverInDiagnostics resolves environments whose expressions
// fail on a secret value and loads files that misuse it, then prints the
// diagnostics every way the CLI might and looks for the secret.
func TestSecretsNeverInDiagnostics(t *testing.T) {
	getenv := fakeEnv(map[string]string{"CF_ACCOUNT": secret, "CF_TOKEN": secret, "ADMIN_EMAIL": secret})
	spec := load(t, envSrc)
	var all hcl.Diagnostics
	for _, name := range []string{"broken", "staging", "production", "nowhere"} {
		_, d := spec.ResolveEnvironment(name, getenv)
		all = append(all, d...)
	}
	if !all.HasErrors() {
		t.Fatal("expected errors from the broken environment")
	}

	bad := `model "USER" {
  field "email" {
    type       = string
    validation = "email"
    default    = env.ADMIN_EMAIL
  }
}
seed "USER" "admin" {
  data = { email = env.ADMIN_EMAIL, nope = env.CF_TOKEN, user_id = env.CF_TOKEN + 1 }
}`
	spec2, d2 := hclspec.LoadSources("x", map[string][]byte{"bad.dm.hcl": []byte(bad)})
	if !d2.HasErrors() {
		t.Fatal("expected load errors")
	}
	all = append(all, d2...)

	var out bytes.Buffer
	for _, color := range []bool{false, true} {
		_ = hclspec.WriteDiagnostics(&out, spec, all, color)
		_ = hclspec.WriteDiagnostics(&out, spec2, all, color)
	}
	fmt.Fprintf(&out, "%v %s", all, all.Error())
	for _, d := range all {
		fmt.Fprintf(&out, "%+v %+v", d, *d)
	}
	if strings.Contains(out.String(), secret) {
		t.Errorf("a diagnostic contains the secret:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "Environment variable not set") {
		t.Errorf("output lacks the expected diagnostics:\n%s", out.String())
	}
}
