package wranglerdev

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestStripJSONC(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"a": 1}`, `{"a":1}`},
		{"{\n  // a comment\n  \"a\": 1, // trailing\n}", `{"a":1}`},
		{`{"a": [1, 2, /* two */ ], }`, `{"a":[1,2]}`},
		{`{"u": "http://x/*y*/", "c": "a,]"}`, `{"c":"a,]","u":"http://x/*y*/"}`},
		{`{"q": "say \"//hi\""}`, `{"q":"say \"//hi\""}`},
	} {
		var v any
		if err := json.Unmarshal(StripJSONC([]byte(tc.in)), &v); err != nil {
			t.Errorf("%s: %v (stripped: %s)", tc.in, err, StripJSONC([]byte(tc.in)))
			continue
		}
		got, _ := json.Marshal(v)
		if string(got) != tc.want {
			t.Errorf("%s -> %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestReadConfig(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "src", "deep")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"wrangler.jsonc": `{
  // the app
  "name": "app",
  "d1_databases": [
    {"binding": "DB", "database_name": "app-db", "database_id": "x", "migrations_dir": "db/migrations",},
  ],
  "kv_namespaces": [{"binding": "APP_PAGES", "id": "k1"}],
  "env": {"staging": {"d1_databases": [{"binding": "DB", "database_name": "app-staging"}]}},
}`,
		"wrangler.toml": `name = "app"
[[d1_databases]]
binding = "DB"
database_name = "app-db"
database_id = "x"
migrations_dir = "db/migrations"
[[kv_namespaces]]
binding = "APP_PAGES"
id = "k1"
[[env.staging.d1_databases]]
binding = "DB"
database_name = "app-staging"
`,
	}
	for name, text := range files {
		t.Run(name, func(t *testing.T) {
			for _, n := range ConfigNames {
				os.Remove(filepath.Join(dir, n))
			}
			if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			p, err := FindConfig(sub)
			if err != nil || p != filepath.Join(dir, name) {
				t.Fatalf("FindConfig = %q, %v", p, err)
			}
			c, err := ReadConfig(p)
			if err != nil {
				t.Fatal(err)
			}
			d, err := c.Database("")
			if err != nil {
				t.Fatal(err)
			}
			if d.Binding != "DB" || d.DatabaseName != "app-db" || c.MigrationsPath(d) != filepath.Join(dir, "db", "migrations") {
				t.Errorf("database = %+v, migrations %s", d, c.MigrationsPath(d))
			}
			if len(c.KVNamespaces) != 1 || c.KVNamespaces[0].Binding != "APP_PAGES" {
				t.Errorf("kv = %+v", c.KVNamespaces)
			}
			st, err := c.ForEnv("staging")
			if err != nil {
				t.Fatal(err)
			}
			if d, err := st.Database("DB"); err != nil || d.DatabaseName != "app-staging" || st.MigrationsPath(d) != filepath.Join(dir, "migrations") {
				t.Errorf("staging database = %+v, %v", d, err)
			}
			if _, err := c.Database("OTHER"); err == nil {
				t.Error("Database(OTHER) found one")
			}
			if _, err := c.ForEnv("nope"); err == nil {
				t.Error("ForEnv(nope) found one")
			}
		})
	}
}

// TestAddNamespaceHint: the entry to add for an unbound KV namespace is
// written in the configuration's own syntax and under its wrangler
// environment.
func TestAddNamespaceHint(t *testing.T) {
	tests := []struct {
		config, env, want string
	}{
		{"/p/wrangler.jsonc", "", `add {"binding": "APP_TAGS", "id": "<any id>"} to kv_namespaces in /p/wrangler.jsonc`},
		{"/p/wrangler.json", "staging", `add {"binding": "APP_TAGS", "id": "<any id>"} to env.staging.kv_namespaces in /p/wrangler.json`},
		{"/p/wrangler.toml", "", `add [[kv_namespaces]] binding = "APP_TAGS" id = "<any id>" to /p/wrangler.toml`},
		{"/p/wrangler.toml", "staging", `add [[env.staging.kv_namespaces]] binding = "APP_TAGS" id = "<any id>" to /p/wrangler.toml`},
	}
	for _, tt := range tests {
		if got := addNamespaceHint(tt.config, tt.env, "APP_TAGS"); got != tt.want {
			t.Errorf("addNamespaceHint(%s, %q) = %s, want %s", tt.config, tt.env, got, tt.want)
		}
	}
}

// TestReadConfigBOM: a configuration saved with a UTF-8 byte order mark
// (as some Windows editors do), which wrangler reads, is read.
func TestReadConfigBOM(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"wrangler.jsonc": "\ufeff{ \"d1_databases\": [ { \"binding\": \"DB\" } ] }",
		"wrangler.toml":  "\ufeff[[d1_databases]]\nbinding = \"DB\"\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := ReadConfig(p)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(c.D1Databases) != 1 || c.D1Databases[0].Binding != "DB" {
			t.Errorf("%s: %+v", name, c.D1Databases)
		}
	}
}
