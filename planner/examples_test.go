package planner

import (
	"testing"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/state"
)

// TestExamplesPlan plans the repository's examples against an empty
// database: every model gets its table and indexes, nothing is blocked,
// and planning the expected result again gives nothing to do.
func TestExamplesPlan(t *testing.T) {
	spec, diags := hclspec.LoadDir("../examples")
	if diags.HasErrors() {
		t.Fatalf("load examples: %s", diags.Error())
	}
	p := Diff(spec, "local", &state.Schema{})
	if b := p.Blocked(); len(b) > 0 {
		t.Fatalf("blocked steps on an empty database: %+v", b)
	}
	counts := p.Counts()
	if counts[CreateTable] != len(spec.Models) {
		t.Errorf("create_table steps = %d, want one per model (%d)", counts[CreateTable], len(spec.Models))
	}
	indexes := 0
	for _, m := range spec.Models {
		indexes += len(m.D1.Indexes)
	}
	if counts[CreateIndex] != indexes {
		t.Errorf("create_index steps = %d, want %d", counts[CreateIndex], indexes)
	}
	for _, s := range p.Steps {
		t.Log(s.Explain())
	}
	after := Desired(spec, "local")
	if got := state.Fingerprint(after); got != p.FingerprintAfter {
		t.Errorf("FingerprintAfter %s, desired schema %s", p.FingerprintAfter, got)
	}
	if counts[Seed] != len(spec.Seeds) {
		t.Errorf("seed steps = %d, want one per seed (%d): new tables are empty", counts[Seed], len(spec.Seeds))
	}
	done := map[string]SeedStatus{}
	for _, s := range spec.Seeds {
		done[SeedKey(s.Model, s.Name)] = SeedStatus{Reason: "already seeded"}
	}
	if again := Diff(spec, "local", after, WithSeedStatus(done)); len(again.Steps) != 0 || len(again.Notes) != 0 {
		t.Errorf("plan against the desired schema: %+v %+v", again.Steps, again.Notes)
	}
}
