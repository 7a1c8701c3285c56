package hclspec_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/hclspec"
)

// TestSeedEvaluateMissingEnvPointsAtReference checks that an unset
// variable is reported at its env.X reference, not at "data = {".
func TestSeedEvaluateMissingEnvPointsAtReference(t *testing.T) {
	src := `project "p" {}
model "USER" {
  options { user_tracking = false }
  field "email" { type = string }
  field "password_hash" { type = string }
  d1 { sync_fields = ["email"] }
}
seed "USER" "admin" {
  match = ["email"]
  data = {
    email         = env.ADMIN_EMAIL
    password_hash = bcrypt(env.ADMIN_PASSWORD)
  }
}
`
	spec, diags := hclspec.LoadSources("p", map[string][]byte{"u.dm.hcl": []byte(src)})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	_, _, diags = spec.Seeds[0].Evaluate(fakeEnv(map[string]string{}))
	type at struct {
		Line, Col int
		Text      string
	}
	var got []at
	for _, d := range diags {
		got = append(got, at{d.Subject.Start.Line, d.Subject.Start.Column, string(d.Subject.SliceBytes([]byte(src)))})
	}
	want := []at{{11, 21, "env.ADMIN_EMAIL"}, {12, 28, "env.ADMIN_PASSWORD"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diagnostic ranges (-want +got):\n%s", diff)
	}
}
