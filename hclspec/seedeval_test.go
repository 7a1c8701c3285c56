package hclspec_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
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
	spec := load(t, src)
	_, _, diags := spec.Seeds[0].Evaluate(fakeEnv(map[string]string{}))
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

// Env values are strings; tonumber, tobool and tostring convert them for
// integer, number and boolean fields, and their errors never quote the
// value (it may be a secret).
func TestSeedConversionFunctions(t *testing.T) {
	src := `project "p" {}
model "JOB" {
  options { user_tracking = false }
  field "name" { type = string }
  field "priority" { type = integer }
  field "ratio" { type = number }
  field "enabled" { type = boolean }
  field "label" { type = string }
  d1 { sync_fields = ["name"] }
}
seed "JOB" "nightly" {
  match = ["name"]
  data = {
    name     = "nightly"
    priority = tonumber(env.PRIORITY)
    ratio    = tonumber(env.RATIO)
    enabled  = tobool(env.ENABLED)
    label    = tostring(7)
  }
}
`
	spec := load(t, src)
	rec, _, diags := spec.Seeds[0].Evaluate(fakeEnv(map[string]string{"PRIORITY": "3", "RATIO": " 0.25 ", "ENABLED": "true"}))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := map[string]any{"name": "nightly", "priority": int64(3), "ratio": 0.25, "enabled": true, "label": "7"}
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("%s = %#v, want %#v", k, rec[k], v)
		}
	}

	const secret = "s3cr3t-not-a-number"
	_, _, diags = spec.Seeds[0].Evaluate(fakeEnv(map[string]string{"PRIORITY": secret, "RATIO": "1", "ENABLED": "yes-" + secret}))
	if !diags.HasErrors() {
		t.Fatal("no error for values that are not a number and not a boolean")
	}
	text := diags.Error()
	for _, d := range diags {
		text += d.Detail
	}
	if strings.Contains(text, secret) {
		t.Errorf("an error quotes the value:\n%s", text)
	}
	for _, want := range []string{"not a decimal number", `neither "true" nor "false"`} {
		if !strings.Contains(text, want) {
			t.Errorf("errors do not say %q:\n%s", want, text)
		}
	}
}

// bcrypt's error (a password over 72 bytes) is shown, never the password.
func TestSeedBcryptTooLong(t *testing.T) {
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
    email         = "admin@example.com"
    password_hash = bcrypt(env.ADMIN_PASSWORD)
  }
}
`
	spec := load(t, src)
	secret := strings.Repeat("s3cr3t-", 12) // 84 bytes
	_, _, diags := spec.Seeds[0].Evaluate(fakeEnv(map[string]string{"ADMIN_PASSWORD": secret}))
	text := diags.Error()
	for _, d := range diags {
		text += d.Detail
	}
	if !strings.Contains(text, "72 bytes") || strings.Contains(text, "s3cr3t") {
		t.Errorf("diagnostics:\n%s", text)
	}
}
