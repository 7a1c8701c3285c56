package wranglerdev

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	root := t.TempDir()
	sub := filepath.Join(root, "app", "db")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := `{"d1_databases": [{"binding": "DB"}, {"binding": "AUDIT"}],
  "env": {"staging": {"d1_databases": [{"binding": "DB"}]}}}`
	if err := os.WriteFile(filepath.Join(root, "app", "wrangler.json"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "other.toml"), []byte("[[d1_databases]]\nbinding = \"X\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	app := filepath.Join(root, "app")
	for _, tc := range []struct {
		name string
		o    Options
		want Paths
		err  string
	}{
		{"found upward, default persist", Options{Dir: sub, Binding: "DB"},
			Paths{Config: filepath.Join(app, "wrangler.json"), Persist: filepath.Join(app, ".wrangler", "state", "v3"), Database: "DB"}, ""},
		{"persist_to relative to Dir", Options{Dir: sub, Binding: "AUDIT", PersistTo: "../state"},
			Paths{Config: filepath.Join(app, "wrangler.json"), Persist: filepath.Join(app, "state", "v3"), Database: "AUDIT"}, ""},
		{"wrangler env with one database", Options{Dir: app, WranglerEnv: "staging"},
			Paths{Config: filepath.Join(app, "wrangler.json"), Persist: filepath.Join(app, ".wrangler", "state", "v3"), Database: "DB"}, ""},
		{"explicit config", Options{Dir: app, Config: "../other.toml"},
			Paths{Config: filepath.Join(root, "other.toml"), Persist: filepath.Join(root, ".wrangler", "state", "v3"), Database: "X"}, ""},
		{"two databases, no binding", Options{Dir: app}, Paths{}, "binds 2 D1 databases (DB, AUDIT): say which with binding"},
		{"unknown binding", Options{Dir: app, Binding: "NOPE"}, Paths{}, `binds no D1 database as "NOPE"`},
		{"unknown wrangler env", Options{Dir: app, WranglerEnv: "prod"}, Paths{}, `has no environment "prod"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Resolve(tc.o)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Config != tc.want.Config || got.Persist != tc.want.Persist || got.Database != tc.want.Database {
				t.Errorf("Resolve = %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
