package worker

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// scriptSHA256 is the SHA-256 of gateway.js for Version. A change to
// the script must come with a new Version (the deploy step compares
// versions to decide whether a gateway is out of date): bump Version,
// the script's VERSION, and this hash together.
const scriptSHA256 = "de29cb4adae1e393afb58e42d9da55fc8eff635fda368524343767064488d76a"

func TestScriptVersionMatches(t *testing.T) {
	m := regexp.MustCompile(`(?m)^const VERSION = "([^"]+)";$`).FindSubmatch(Script())
	if m == nil {
		t.Fatal("gateway.js has no `const VERSION = \"...\";` line")
	}
	if got := string(m[1]); got != Version {
		t.Errorf("script VERSION = %q, Go Version = %q; they must be equal", got, Version)
	}
	sum := sha256.Sum256(Script())
	if got := hex.EncodeToString(sum[:]); got != scriptSHA256 {
		t.Errorf("gateway.js changed (sha256 %s) but Version is still %q: bump Version and the script's VERSION, then set scriptSHA256 to the new hash", got, Version)
	}
}

func TestSpeaks(t *testing.T) {
	for _, tt := range []struct {
		v    string
		want bool
	}{
		{Version, true}, {"1.7", true}, {"2.0", false}, {"0.9", false}, {"", false}, {"1", false}, {"1.x", false}, {"-1.0", false},
	} {
		if got := Speaks(tt.v); got != tt.want {
			t.Errorf("Speaks(%q) = %v, want %v", tt.v, got, tt.want)
		}
	}
}

func TestBindings(t *testing.T) {
	cfg := Config{
		Version: Version, Project: "acme", Environment: "production",
		Database:   Database{ID: "db-uuid", Name: "acme-production"},
		Namespaces: []Namespace{{Binding: "ACME_PAGES", ID: "ns1", Title: "acme-production-PAGES"}, {Binding: "ACME_USERS", ID: "ns2", Title: "acme-production-USERS"}},
	}
	bs, err := cfg.Bindings("s3cret-now", "s3cret-before")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(bs)
	want := `[{"type":"d1","name":"DMPLAN_D1","id":"db-uuid"},` +
		`{"type":"plain_text","name":"DMPLAN_CONFIG","text":` + string(mustJSON(cfg.JSON())) + `},` +
		`{"type":"kv_namespace","name":"ACME_PAGES","namespace_id":"ns1"},` +
		`{"type":"kv_namespace","name":"ACME_USERS","namespace_id":"ns2"},` +
		`{"type":"secret_text","name":"DMPLAN_SECRET","text":"s3cret-now"},` +
		`{"type":"secret_text","name":"DMPLAN_SECRET_PREVIOUS","text":"s3cret-before"}]`
	if string(got) != want {
		t.Errorf("Bindings JSON =\n%s\nwant\n%s", got, want)
	}
	for _, b := range bs {
		if strings.Contains(b.String(), "s3cret") {
			t.Errorf("Binding.String() = %q shows the secret", b.String())
		}
	}
	noSecrets, _ := cfg.Bindings("", "")
	if len(noSecrets) != 4 {
		t.Errorf("Bindings without secrets: %d bindings, want 4", len(noSecrets))
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func TestConfigValidate(t *testing.T) {
	base := func() Config {
		return Config{Database: Database{ID: "db"}, Namespaces: []Namespace{{Binding: "A", ID: "1"}, {Binding: "B", ID: "2"}}}
	}
	if err := base().Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	tests := []struct {
		name   string
		change func(c *Config)
		want   string
	}{
		{"no database", func(c *Config) { c.Database.ID = "" }, "no D1 database id"},
		{"binding not an identifier", func(c *Config) { c.Namespaces[0].Binding = "my-pages" }, "not a JavaScript identifier"},
		{"reserved binding", func(c *Config) { c.Namespaces[0].Binding = BindingSecret }, "reserved prefix"},
		{"duplicate binding", func(c *Config) { c.Namespaces[1].Binding = "A" }, "appears twice"},
		{"no namespace id", func(c *Config) { c.Namespaces[0].ID = "" }, "no namespace id"},
		{"duplicate id", func(c *Config) { c.Namespaces[1].ID = "1" }, "bound twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base()
			tt.change(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want an error saying %q", err, tt.want)
			}
			if _, berr := c.Bindings("s", ""); berr == nil {
				t.Error("Bindings accepted an invalid config")
			}
		})
	}
}

func TestCheckSecret(t *testing.T) {
	for _, tt := range []struct {
		secret string
		ok     bool
	}{
		{"0123456789abcdef0123456789abcdef", true},
		{"pass phrase with spaces", true},
		{"A+/=~-._!", true},
		{"", false},
		{"s3cret\n", false},
		{"s3cret ", false},
		{" s3cret", false},
		{"s3c\x00ret", false},
		{"s3cret\tvalue", false},
		{"s3crét", true}, // UTF-8 reaches the Worker as sent
	} {
		err := CheckSecret(tt.secret)
		if (err == nil) != tt.ok {
			t.Errorf("CheckSecret(%q) = %v, want ok %v", tt.secret, err, tt.ok)
		}
		if err != nil && tt.secret != "" && strings.Contains(err.Error(), tt.secret) {
			t.Errorf("CheckSecret(%q) shows the secret: %v", tt.secret, err)
		}
	}
}
