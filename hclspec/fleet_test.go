package hclspec_test

import (
	"strings"
	"testing"

	"github.com/dmplan/dmplan/hclspec"
)

func TestFleetDecode(t *testing.T) {
	src := `
project "nimbus" {}
environment "tenants" {
  backend    = "cloudflare"
  account_id = "x"
  databases {
    names        = ["acme", "globex"]
    create       = true
    jurisdiction = "eu"
  }
}
environment "byprefix" {
  backend    = "cloudflare"
  account_id = "x"
  databases {
    prefix = "tenant-"
  }
}
environment "dev" {
  backend = "local"
  path    = "fleet"
  databases {
    pattern = "t-*"
  }
}
`
	spec, diags := hclspec.LoadSources("t", map[string][]byte{"a.dm.hcl": []byte(src)})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	f := spec.Environment("tenants").Fleet
	if f == nil || strings.Join(f.Names, ",") != "acme,globex" || !f.Create || f.Jurisdiction != "eu" || f.Selector() != "names" {
		t.Errorf("tenants fleet = %+v", f)
	}
	if f := spec.Environment("byprefix").Fleet; f == nil || f.Prefix != "tenant-" || f.Selector() != `prefix "tenant-"` {
		t.Errorf("byprefix fleet = %+v", f)
	}
	tg, diags := spec.ResolveEnvironment("dev", nil)
	if diags.HasErrors() || tg.Fleet == nil || tg.Fleet.Pattern != "t-*" || tg.Path != "fleet" {
		t.Errorf("dev target = %+v, %v", tg, diags)
	}
	if spec.Environment("local").Fleet != nil {
		t.Error("the implicit local environment is a fleet")
	}
}

func TestFleetDecodeErrors(t *testing.T) {
	tests := []struct {
		name, body string
		backend    string
		want       []string // summaries, in order
		line       int      // of the first diagnostic
	}{
		{"no selector", `databases {
  create = false
}`, "cloudflare", []string{"Missing database selector"}, 5},
		{"two selectors", `databases {
  prefix = "t-"
  names  = ["a"]
}`, "cloudflare", []string{"Conflicting database selectors"}, 7},
		{"database and databases", `database = "one"
databases {
  prefix = "t-"
}`, "cloudflare", []string{"Conflicting database arguments"}, 5},
		{"create with prefix", `databases {
  prefix = "t-"
  create = true
}`, "cloudflare", []string{"Create needs a list of names"}, 7},
		{"jurisdiction without create", `databases {
  names        = ["a"]
  jurisdiction = "eu"
}`, "cloudflare", []string{"Jurisdiction needs create"}, 7},
		{"unknown jurisdiction", `databases {
  names        = ["a"]
  create       = true
  jurisdiction = "mars"
}`, "cloudflare", []string{"Unknown jurisdiction"}, 8},
		{"jurisdiction on local", `databases {
  names        = ["a"]
  create       = true
  jurisdiction = "eu"
}`, "local", []string{"Argument not valid for this backend"}, 8},
		{"bad and duplicate names", `databases {
  names = ["a", "../b", "a"]
}`, "cloudflare", []string{"Invalid database name", "Duplicate database name"}, 6},
		{"empty prefix and bad pattern", `databases {
  prefix  = ""
  pattern = "[x"
}`, "cloudflare", []string{"Invalid value", "Conflicting database selectors", "Invalid pattern"}, 6},
		{"two blocks", `databases {
  names = ["a"]
}
databases {
  names = ["b"]
}`, "cloudflare", []string{"Duplicate databases block"}, 8},
		{"database and databases on local", `database = "one"
databases {
  prefix = "t-"
}`, "local", []string{"Argument not valid for this backend"}, 5},
		{"names D1 cannot create", `databases {
  names  = ["acme", "Globex", "_x", "ok-1_2"]
  create = true
}`, "cloudflare", []string{"Invalid D1 database name", "Invalid D1 database name"}, 6},
		{"names D1 cannot create on local are fine", `databases {
  names  = ["Globex", "_x"]
  create = true
}`, "local", nil, 0},
		{"databases on wrangler", `databases {
  names = ["a"]
}`, "wrangler", []string{"Block not valid for this backend"}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acct := `account_id = "x"`
			if tt.backend != "cloudflare" {
				acct = ""
			}
			src := "project \"p\" {}\nenvironment \"e\" {\n  backend = \"" + tt.backend + "\"\n  " + acct + "\n" + tt.body + "\n}\n"
			_, diags := hclspec.LoadSources("t", map[string][]byte{"a.dm.hcl": []byte(src)})
			var got []string
			for _, d := range diags {
				got = append(got, d.Summary)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("summaries = %q, want %q", got, tt.want)
			}
			if len(tt.want) == 0 {
				return
			}
			if diags[0].Subject == nil || diags[0].Subject.Start.Line != tt.line {
				t.Errorf("first diagnostic at %v, want line %d", diags[0].Subject, tt.line)
			}
		})
	}
}

func TestSpecTenant(t *testing.T) {
	src := `
model "PAGE" {
  field "title" { type = string }
}
model "AUDIT" {
  storage = "d1"
  options {
    auth = false
  }
  field "what" { type = string }
}
`
	spec, diags := hclspec.LoadSources("t", map[string][]byte{"a.dm.hcl": []byte(src)})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	ts := spec.Tenant("acme")
	page := ts.Model("PAGE")
	if got := page.KV.Key("p1"); got != "acme/page:p1" {
		t.Errorf("tenant key = %q", got)
	}
	if spec.Model("PAGE").KV.Key("p1") != "page:p1" {
		t.Error("Tenant changed the shared spec")
	}
	if ts.Model("AUDIT").KV.KeyPattern != "" {
		t.Errorf("a D1-only model got a key pattern: %q", ts.Model("AUDIT").KV.KeyPattern)
	}
	if page.Fields[0] != spec.Model("PAGE").Fields[0] {
		t.Error("the tenant spec copies fields instead of sharing them")
	}
}
