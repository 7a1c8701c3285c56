package hclspec

import (
	"strings"
	"testing"
)

func TestWranglerEnvironment(t *testing.T) {
	for _, tc := range []struct {
		name, env string
		want      Target
		err       string
	}{
		{name: "defaults", env: `backend = "wrangler"`, want: Target{Environment: "dev", Backend: BackendWrangler}},
		{name: "all", env: `backend = "wrangler"
  config = "worker/wrangler.toml"
  binding = "DB"
  wrangler_env = "staging"
  persist_to = ".state"`,
			want: Target{Environment: "dev", Backend: BackendWrangler, Config: "worker/wrangler.toml", Binding: "DB", WranglerEnv: "staging", PersistTo: ".state"}},
		{name: "cloudflare argument", env: `backend = "wrangler"
  account_id = "x"`, err: `The argument "account_id" does not apply to the wrangler backend.`},
		{name: "wrangler argument elsewhere", env: `backend = "local"
  binding = "DB"`, err: `The argument "binding" does not apply to the local backend.`},
		{name: "gateway", env: `backend = "wrangler"
  gateway { secret = env.S }`, err: "Gateway needs the cloudflare backend"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := "project \"app\" {}\nenvironment \"dev\" {\n  " + tc.env + "\n}\n"
			spec, diags := LoadSources("app", map[string][]byte{"app.dm.hcl": []byte(src)})
			if tc.err != "" {
				if !diags.HasErrors() || !strings.Contains(diags.Error(), tc.err) {
					t.Fatalf("diagnostics = %v, want %q", diags, tc.err)
				}
				for _, d := range diags {
					if d.Subject == nil {
						t.Errorf("diagnostic without a range: %v", d)
					}
				}
				return
			}
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			got, rd := spec.ResolveEnvironment("dev", func(string) (string, bool) { return "", false })
			if rd.HasErrors() {
				t.Fatal(rd.Error())
			}
			if got.Environment != tc.want.Environment || got.Backend != tc.want.Backend || got.Config != tc.want.Config ||
				got.Binding != tc.want.Binding || got.WranglerEnv != tc.want.WranglerEnv || got.PersistTo != tc.want.PersistTo || got.Path != "" {
				t.Errorf("target = %+v\nwant %+v", *got, tc.want)
			}
		})
	}
}
