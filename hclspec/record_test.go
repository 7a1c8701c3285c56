package hclspec_test

import (
	"strings"
	"testing"
	"time"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"
	"golang.org/x/crypto/bcrypt"
)

func loadExamples(t *testing.T) *hclspec.Spec {
	t.Helper()
	spec, diags := hclspec.LoadDir("../examples")
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	return spec
}

func TestSeedEvaluate(t *testing.T) {
	spec := loadExamples(t)
	seed := spec.Seeds[0]
	if diff := cmp.Diff([]string{"ADMIN_EMAIL", "ADMIN_PASSWORD"}, seed.EnvNames()); diff != "" {
		t.Errorf("EnvNames (-want +got):\n%s", diff)
	}
	rec, sensitive, diags := seed.Evaluate(fakeEnv(map[string]string{"ADMIN_EMAIL": "root@example.com", "ADMIN_PASSWORD": "pw-123"}))
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	hash, _ := rec["password_hash"].(string)
	if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte("pw-123")); err != nil {
		t.Errorf("password_hash does not verify: %v", err)
	}
	delete(rec, "password_hash")
	want := map[string]any{
		"email": "root@example.com", "is_admin": true, "status": "active",
		"profile": map[string]any{"name": "System Administrator"},
	}
	if diff := cmp.Diff(want, rec); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]bool{"email": true, "password_hash": true}, sensitive); diff != "" {
		t.Errorf("sensitive (-want +got):\n%s", diff)
	}

	_, _, diags = seed.Evaluate(fakeEnv(map[string]string{"ADMIN_PASSWORD": "pw-123"}))
	if len(diags) != 1 || !strings.Contains(diags[0].Detail, "USER.admin") || !strings.Contains(diags[0].Detail, "ADMIN_EMAIL") ||
		strings.Contains(diags[0].Error(), "pw-123") {
		t.Errorf("missing env diags = %v", diags)
	}
}

func TestHookConditionOverRecord(t *testing.T) {
	spec := loadExamples(t)
	page := spec.Model("PAGE")
	hook := page.Hooks[0]
	self, err := page.ObjectValue(map[string]any{
		"page_id": "p1", "project_id": "pr1", "url": "https://example.com", "status": "completed",
		"created_at": time.Date(2026, 11, 27, 14, 50, 8, 123e6, time.UTC), "not_a_field": 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		changes map[string]any
		want    bool
	}{
		{map[string]any{"status": "completed"}, true},
		{map[string]any{"status": "failed"}, false},
		{map[string]any{"title": "x"}, false},
	} {
		changes, err := page.ObjectValue(tt.changes)
		if err != nil {
			t.Fatal(err)
		}
		vars := map[string]cty.Value{"self": self, "changes": changes}
		ctx, _ := hclspec.EvalContextFor(fakeEnv(nil), vars, hook.When)
		v, diags := hook.When.Value(ctx)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		if got := v.True(); got != tt.want {
			t.Errorf("when with changes %v = %v, want %v", tt.changes, got, tt.want)
		}
	}
	ctx, missing := hclspec.EvalContextFor(fakeEnv(map[string]string{"PAGE_WEBHOOK_URL": "https://hooks.example.com"}),
		map[string]cty.Value{"self": self}, hook.Webhook.Body, hook.Webhook.URL)
	if len(missing) > 0 {
		t.Fatal(missing)
	}
	body, diags := hook.Webhook.Body.Value(ctx)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	got, err := hclspec.ToGo(body)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"page_id": "p1", "project_id": "pr1", "url": "https://example.com"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
	created := self.GetAttr("created_at").AsString()
	if created != "2026-11-27T14:50:08.123Z" {
		t.Errorf("created_at = %q", created)
	}
}

func TestFromGoRoundTrip(t *testing.T) {
	in := map[string]any{"s": "x", "i": int64(3), "f": 1.5, "b": true, "n": nil,
		"l": []any{"a", int64(1)}, "m": map[string]any{"k": []any{}}}
	v, err := hclspec.FromGo(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := hclspec.ToGo(v)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("round trip (-in +out):\n%s", diff)
	}
	if _, err := hclspec.FromGo(struct{}{}); err == nil {
		t.Error("FromGo accepted a struct")
	}
}

func TestSeedEvaluateErrorsAreRedacted(t *testing.T) {
	spec := load(t, `model "TOKEN" {
  options { user_tracking = false }
  field "owner" { type = string }
  field "n" { type = integer }
}
seed "TOKEN" "k" {
  data = { token_id = "k1", owner = env.OWNER, n = 1 + lower(env.OWNER) }
}`)
	_, _, diags := spec.Seeds[0].Evaluate(fakeEnv(map[string]string{"OWNER": "private-owner-value"}))
	if !diags.HasErrors() {
		t.Fatal("expected an evaluation error")
	}
	for _, d := range diags {
		if strings.Contains(d.Error(), "private-owner-value") || d.EvalContext != nil || d.Expression != nil {
			t.Errorf("diagnostic not redacted: %s", d.Error())
		}
	}
}
