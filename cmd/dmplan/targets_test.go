package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const targetsHCL = `project "shop" {}

model "ITEM" {
  options { user_tracking = false }
  field "title" { type = string }
  kv { namespace = "ITEMS" }
  d1 { sync_fields = ["title"] }
}

model "ORDER" {
  options { user_tracking = false }
  field "total" { type = integer }
  kv { namespace = "ORDERS" }
  d1 { sync_fields = ["total"] }
}
`

// An apply with -target records in history the fingerprint the target
// really has afterwards (the partial plan's, not the whole plan's), and
// the next plan finds the live schema there; the untargeted model's
// namespace and table are left to a later plan.
func TestTargetedApplyRecordsWhereItLeftTheTarget(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "shop.dm.hcl"), []byte(targetsHCL), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := dmplanRun(t, "apply", "-auto-approve", "-target", "ITEM", dir)
	if code != exitOK || !strings.Contains(out, "Apply complete: 1 table created, 1 namespace created.") {
		t.Fatalf("apply -target ITEM: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = dmplanRun(t, "history", "-json", dir)
	if code != exitOK {
		t.Fatalf("history: exit %d\n%s\n%s", code, out, errOut)
	}
	var hist struct {
		History []struct {
			FingerprintAfter string `json:"fingerprint_after"`
		} `json:"history"`
	}
	if err := json.Unmarshal([]byte(out), &hist); err != nil || len(hist.History) != 1 {
		t.Fatalf("history: %v\n%s", err, out)
	}
	code, out, errOut = dmplanRun(t, "plan", "-json", dir)
	if code != exitOK {
		t.Fatalf("plan: exit %d\n%s\n%s", code, out, errOut)
	}
	var plan struct {
		Plan struct {
			Fingerprint string `json:"fingerprint"`
			Steps       []struct {
				Action, Target string
			} `json:"steps"`
		} `json:"plan"`
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatal(err)
	}
	if got, want := hist.History[0].FingerprintAfter, plan.Plan.Fingerprint; got != want {
		t.Errorf("history's fingerprint_after %.12s, but the target is now at %.12s", got, want)
	}
	var left []string
	for _, s := range plan.Plan.Steps {
		left = append(left, s.Action+" "+s.Target)
	}
	if want := "create_namespace shop-local-ORDERS,create_table order"; strings.Join(left, ",") != want {
		t.Errorf("steps left after -target ITEM = %v, want %s", left, want)
	}
}
