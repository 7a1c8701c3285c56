package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/backend/cloudflare/cftest"
)

// literalAccountHCL writes the account id into the HCL itself, not through
// env.X; "elsewhere" names an account the harness does not know, so
// commands against it fail with errors that could name it.
const literalAccountHCL = `project "blog" {}

environment "production" {
  backend    = "cloudflare"
  account_id = "ACCOUNT"
  database   = "blog"
}

environment "elsewhere" {
  backend    = "cloudflare"
  account_id = "0123456789abcdef0123456789abcdef"
  database   = "blog"
}

model "POST" {
  primary_key = "post_id"
  field "title" {
    type     = string
    required = true
  }
  kv { namespace = "POSTS" }
  d1 {
    table       = "posts"
    sync_fields = ["title"]
  }
}

seed "POST" "welcome" {
  match = ["title"]
  data  = { title = "Welcome", user_id = "u1" }
}
`

// TestLiteralAccountNeverShown: an account id written in the HCL (not from
// env.X) is shown in no view — plan in every format, the saved plan's
// target, show, apply, history, reconcile, bindings, logs and errors —
// only as its fingerprint, the way an env.X one is.
func TestLiteralAccountNeverShown(t *testing.T) {
	h := cftest.Shared(t)
	acct := h.NewAccount(t)
	h.NewDatabase(t, acct, "blog")
	dir := t.TempDir()
	hcl := strings.Replace(literalAccountHCL, "ACCOUNT", acct, 1)
	if err := os.WriteFile(filepath.Join(dir, "blog.dm.hcl"), []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"CLOUDFLARE_API_TOKEN": h.Token, "CLOUDFLARE_BASE_URL": h.BaseURL, "NO_COLOR": "1", "DMPLAN_LOG": "debug"}
	fingerprint := shownAccount(acct)
	planFile := filepath.Join(t.TempDir(), "plan.json")

	// leaks reports where id (or the 8-character prefix messages
	// abbreviate ids to) shows in text.
	leaks := func(text, id string) bool {
		return strings.Contains(text, id) || strings.Contains(text, id[:8])
	}
	var stdout string // of the last run
	run := func(wantCode int, id string, args ...string) string {
		t.Helper()
		code, out, errOut := runCLI(t, env, args...)
		all := out + errOut
		stdout = out
		if code != wantCode {
			t.Fatalf("dmplan %s: exit %d, want %d\n%s", strings.Join(args, " "), code, wantCode, all)
		}
		if leaks(all, id) {
			t.Errorf("dmplan %s shows the account id:\n%s", strings.Join(args, " "), all)
		}
		return all
	}

	out := run(exitChanges, acct, "plan", "-detailed-exitcode", "-env", "production", "-out", planFile, dir)
	if !strings.Contains(out, "account "+fingerprint) {
		t.Errorf("plan does not show the account as %s:\n%s", fingerprint, out)
	}
	run(exitChanges, acct, "plan", "-detailed-exitcode", "-json", "-env", "production", dir)
	var doc struct {
		Target struct {
			Account string `json:"account"`
		} `json:"target"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("plan -json: %v\n%s", err, stdout)
	}
	if doc.Target.Account != fingerprint {
		t.Errorf("plan -json target.account = %q, want %q", doc.Target.Account, fingerprint)
	}
	out = run(exitChanges, acct, "plan", "-detailed-exitcode", "-format", "markdown", "-env", "production", dir)
	if !strings.Contains(out, "account `"+fingerprint+"`") {
		t.Errorf("plan markdown does not show the account as %s:\n%s", fingerprint, out)
	}

	// The saved plan carries its sources verbatim (apply resolves the
	// target from them); everything else in it is free of the id.
	b, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	var pf map[string]any
	if err := json.Unmarshal(b, &pf); err != nil {
		t.Fatal(err)
	}
	delete(pf, "sources")
	rest, _ := json.Marshal(pf)
	if leaks(string(rest), acct) {
		t.Errorf("the saved plan holds the account id outside its sources:\n%s", rest)
	}
	if target, _ := pf["target"].(map[string]any); target["account"] != fingerprint {
		t.Errorf("saved plan target = %v, want account %s", pf["target"], fingerprint)
	}

	run(exitOK, acct, "show", planFile)
	run(exitOK, acct, "show", "-json", planFile)
	out = run(exitOK, acct, "apply", planFile)
	if !strings.Contains(out, "account "+fingerprint) {
		t.Errorf("apply does not name the account as %s:\n%s", fingerprint, out)
	}
	run(exitOK, acct, "apply", "-auto-approve", "-env", "production", dir)
	run(exitOK, acct, "apply", "-auto-approve", "-json", "-env", "production", dir)
	run(exitOK, acct, "history", "-env", "production", dir)
	run(exitOK, acct, "history", "-json", "-env", "production", dir)
	if m := regexp.MustCompile(`"id": "?([0-9a-z-]+)`).FindStringSubmatch(stdout); m != nil {
		run(exitOK, acct, "history", "show", "-env", "production", m[1], dir)
	} else {
		t.Errorf("history -json has no id:\n%s", out)
	}
	run(exitOK, acct, "reconcile", "-env", "production", dir)
	run(exitOK, acct, "reconcile", "-json", "-env", "production", dir)
	run(exitOK, acct, "bindings", "-env", "production", dir)

	// Errors from an account the API does not know do not name it.
	other := "0123456789abcdef0123456789abcdef"
	for _, args := range [][]string{
		{"plan", "-env", "elsewhere", dir},
		{"plan", "-json", "-env", "elsewhere", dir},
		{"apply", "-auto-approve", "-env", "elsewhere", dir},
		{"history", "-env", "elsewhere", dir},
	} {
		run(exitError, other, args...)
	}
}
