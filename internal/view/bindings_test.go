package view

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/dmplan/dmplan/backend/wranglerdev"
)

// TestBindingsUnderWranglerEnv: for a target in a wrangler environment the
// entries are printed where that environment's bindings go (env.<name>),
// and both formats parse as the configuration wrangler reads.
func TestBindingsUnderWranglerEnv(t *testing.T) {
	doc := BindingsDoc{
		Target:      Target{Environment: "staging", Backend: "wrangler", Database: ".wrangler/state/v3"},
		WranglerEnv: "staging",
		D1:          []D1Binding{{Binding: "DB", DatabaseName: "app-staging", DatabaseID: "y", Comment: "as the configuration has it"}},
		KV:          []KVBinding{{Binding: "APP_TASKS", ID: "k1", Title: "app-staging-TASKS", Models: []string{"TASK"}}},
	}
	for _, format := range []string{WranglerJSONC, WranglerTOML} {
		t.Run(format, func(t *testing.T) {
			var out bytes.Buffer
			NewBindings(format, Streams{Out: &out, Err: &out}).Bindings(doc)
			var cfg wranglerdev.Config
			if format == WranglerTOML {
				if _, err := toml.Decode(out.String(), &cfg); err != nil {
					t.Fatalf("%v\n%s", err, out.String())
				}
			} else if err := json.Unmarshal(wranglerdev.StripJSONC(out.Bytes()), &cfg); err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			e := cfg.Env["staging"]
			if len(cfg.D1Databases) != 0 || e == nil || len(e.D1Databases) != 1 || e.D1Databases[0].DatabaseName != "app-staging" ||
				len(e.KVNamespaces) != 1 || e.KVNamespaces[0].Binding != "APP_TASKS" {
				t.Errorf("entries not under env.staging:\n%s", out.String())
			}
			if !strings.Contains(out.String(), "app-staging-TASKS (TASK)") {
				t.Errorf("comments lost:\n%s", out.String())
			}
		})
	}
}
