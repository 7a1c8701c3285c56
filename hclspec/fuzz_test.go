package hclspec_test

import (
	"io"
	"testing"

	"github.com/dmplan/dmplan/hclspec"
)

// FuzzLoad feeds arbitrary files to LoadSources: no input may panic, every
// diagnostic must print, and a spec without errors must be consistent.
// Run it with: go test ./hclspec -run=^$ -fuzz=FuzzLoad -fuzztime=3m
func FuzzLoad(f *testing.F) {
	hclspec.AddFuzzSeeds(f)
	getenv := func(name string) (string, bool) {
		if name == "UNSET" {
			return "", false
		}
		return "value-of-" + name, true
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		spec, diags := hclspec.LoadSources("fuzz", map[string][]byte{"fuzz.dm.hcl": src})
		if spec == nil {
			t.Fatal("nil spec")
		}
		if err := hclspec.WriteDiagnostics(io.Discard, spec, diags, true); err != nil {
			t.Fatal(err)
		}
		_ = spec.Hash()
		for _, e := range spec.Environments {
			_, _ = spec.ResolveEnvironment(e.Name, getenv)
		}
		if diags.HasErrors() {
			return
		}
		for _, m := range spec.Models {
			if len(m.Fields) == 0 || !m.Fields[0].Primary || m.Fields[0].Name != m.PrimaryKey {
				t.Fatalf("model %s: first field is not the primary key", m.Name)
			}
			if len(m.D1.SyncFields) > hclspec.MaxColumns {
				t.Fatalf("model %s: %d columns", m.Name, len(m.D1.SyncFields))
			}
			for _, n := range m.D1.SyncFields {
				if f := m.Field(n); f == nil || !f.Synced || f.KVOnly {
					t.Fatalf("model %s: sync field %q is not a synced field", m.Name, n)
				}
			}
			for _, idx := range m.D1.Indexes {
				if len(idx.Keys) > 0 && len(idx.Keys) != len(idx.Columns) {
					t.Fatalf("model %s: index %s has %d keys for %d columns", m.Name, idx.Name, len(idx.Keys), len(idx.Columns))
				}
				_ = idx.Condition()
				for _, c := range idx.Columns {
					if c == "<expr>" {
						continue
					}
					if f := m.Field(c); f == nil || !f.Synced {
						t.Fatalf("model %s: index %s column %q is not synced", m.Name, idx.Name, c)
					}
				}
			}
		}
		for _, s := range spec.Seeds {
			if spec.Model(s.Model) == nil || s.Data == nil {
				t.Fatalf("seed %s.%s is incomplete", s.Model, s.Name)
			}
		}
	})
}
