package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A configuration that would pass one of D1's or KV's limits stops
// validate, plan and apply at the HCL that causes it, before anything is
// written: no database, no namespace, no table. Before, validate and plan
// passed and apply failed after creating the namespace.
func TestLimitsStopBeforeTheFirstWrite(t *testing.T) {
	model := func(def string) string {
		return "project \"lim\" {}\nmodel \"NOTE\" {\n  field \"title\" {\n    type    = string\n    default = " + def + "\n  }\n  d1 { sync_fields = [\"title\"] }\n}\n"
	}
	tests := []struct {
		name, src, want string
	}{
		{"120 KB default", model(`"` + strings.Repeat("x", 120_000) + `"`),
			"lim.dm.hcl:5:15: error: Default too large for one SQL statement"},
		{"NUL in a default", model(`"a\u0000b"`), "lim.dm.hcl:5:15: error: NUL character in a default"},
		{"seed row over 2 MB", model(`""`) + "seed \"NOTE\" \"big\" {\n  data = { note_id = \"n1\", user_id = \"u\", title = \"" + strings.Repeat("y", 2_000_001) + "\" }\n}\n",
			"lim.dm.hcl:10:51: error: Seed too large for D1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "lim.dm.hcl"), []byte(tt.src), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{{"validate"}, {"plan"}, {"apply", "-auto-approve"}} {
				code, out, errOut := dmplanRun(t, append(args, dir)...)
				if code != exitError || !strings.Contains(errOut, tt.want) {
					t.Errorf("%s: exit %d, want %d and %q:\n%.1500s\n%.1500s", args[0], code, exitError, tt.want, out, errOut)
				}
				if len(out)+len(errOut) > 3000 {
					t.Errorf("%s printed %d bytes: a huge value or statement was echoed", args[0], len(out)+len(errOut))
				}
			}
			if _, err := os.Stat(filepath.Join(dir, ".dmplan")); !os.IsNotExist(err) {
				t.Errorf("something was written: %v", err)
			}
		})
	}
}

// A seed whose size comes from a secret is checked when apply evaluates
// it, before apply's first write.
func TestSeedLimitsWithSecretsStopApply(t *testing.T) {
	dir := t.TempDir()
	src := "project \"lim\" {}\nmodel \"NOTE\" {\n  field \"title\" { type = string }\n  d1 { sync_fields = [\"title\"] }\n}\n" +
		"seed \"NOTE\" \"big\" {\n  data = { note_id = \"n1\", user_id = \"u\", title = env.BIG_TITLE }\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "lim.dm.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("s", 2_000_001)
	getenv := func(name string) string {
		if name == "BIG_TITLE" {
			return big
		}
		return ""
	}
	var out, errOut strings.Builder
	code := run(context.Background(), []string{"apply", "-auto-approve", dir}, strings.NewReader(""), &out, &errOut, getenv)
	if code != exitError || !strings.Contains(errOut.String(), "lim.dm.hcl:7:51: error: Seed too large for D1") {
		t.Errorf("apply: exit %d\n%.1500s\n%.1500s", code, out.String(), errOut.String())
	}
	if strings.Contains(out.String()+errOut.String(), "sssssssss") {
		t.Error("the secret value was printed")
	}
	if _, err := os.Stat(filepath.Join(dir, ".dmplan", "d1.sqlite")); err == nil {
		code, hist, _ := dmplanRun(t, "history", dir)
		if code != exitOK || !strings.Contains(hist, "No applies recorded yet") {
			t.Errorf("apply wrote before failing: history exit %d\n%s", code, hist)
		}
	}
}
