package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/dmplan/dmplan/planner"
)

const tamperHCL = `project "shop" {}

model "Y" {
  options { user_tracking = false }
  field "title" { type = string }
  d1 {
    table       = "y"
    sync_fields = ["title"]
  }
}

seed "Y" "first" {
  match = ["title"]
  data = { title = "hello" }
}
`

// runCLI runs one dmplan invocation in-process.
func runCLI(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	c := &cli{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(k string) string { return env[k] }}
	code = c.run(context.Background(), args)
	return code, out.String(), errOut.String()
}

// TestSavedPlanTampered edits a saved plan the ways an attacker (or an
// accident) could and checks that neither show nor apply trusts it: the
// plan is derived again from the sources it carries, and the live table
// the edit aimed at survives.
func TestSavedPlanTampered(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(pf map[string]any)
		wantErr string
		// applyErr, when set, is what apply says besides wantErr.
		applyErr    string
		showAccepts bool
	}{
		{
			name: "step SQL replaced",
			edit: func(pf map[string]any) {
				for _, s := range steps(pf) {
					if s.(map[string]any)["action"] == "create_table" {
						s.(map[string]any)["sql"] = []any{`DROP TABLE "precious"`}
					}
				}
			},
			wantErr: "saved plan does not match its sources: step 2 (create_table y) differs; re-run dmplan plan",
		},
		{
			name: "step added",
			edit: func(pf map[string]any) {
				p := pf["plan"].(map[string]any)
				extra := map[string]any{"action": "create_table", "target": "z", "sql": []any{`DROP TABLE "precious"`}, "reason": "x", "safe": true}
				p["steps"] = append([]any{extra}, steps(pf)...)
			},
			wantErr: "saved plan does not match its sources: step 1 (create_table z) differs",
		},
		{
			name: "step removed",
			edit: func(pf map[string]any) {
				p := pf["plan"].(map[string]any)
				p["steps"] = steps(pf)[1:]
			},
			wantErr: "saved plan does not match its sources: step 1 (create_table y) differs",
		},
		{
			name: "last step removed",
			edit: func(pf map[string]any) {
				p := pf["plan"].(map[string]any)
				s := steps(pf)
				p["steps"] = s[:len(s)-1]
			},
			wantErr: "saved plan does not match its sources: ",
		},
		{
			// Whoever cut the step also fixed the count and the digest:
			// apply still derives the seed from the target and refuses.
			name: "last step removed, count and digest redone",
			edit: func(pf map[string]any) {
				p := pf["plan"].(map[string]any)
				s := steps(pf)
				p["steps"] = s[:len(s)-1]
				pf["step_count"] = len(s) - 1
				pf["steps_digest"] = redigest(t, s[:len(s)-1])
			},
			wantErr:  "saved plan does not match its sources: ",
			applyErr: "the target needs seed Y.first, which the plan lacks",
			// show holds no records to tell a seed was due: what it
			// shows is what the file says, and apply refuses it.
			showAccepts: true,
		},
		{
			name: "steps swapped",
			edit: func(pf map[string]any) {
				s := steps(pf)
				s[0], s[1] = s[1], s[0]
			},
			wantErr: "saved plan does not match its sources: ",
		},
		{
			name: "no steps digest",
			edit: func(pf map[string]any) {
				delete(pf, "steps_digest")
			},
			wantErr: "saved plan does not match its sources: it has no digest of its steps",
		},
		{
			name: "reason edited",
			edit: func(pf map[string]any) {
				s := steps(pf)
				s[len(s)-1].(map[string]any)["reason"] = "trust me"
			},
			wantErr: "its steps are not the ones it was saved with",
		},
		{
			name: "seed the sources do not declare",
			edit: func(pf map[string]any) {
				s := steps(pf)
				s[len(s)-1].(map[string]any)["target"] = "Y.other"
			},
			wantErr: "differs; re-run dmplan plan",
		},
		{
			name: "sources edited",
			edit: func(pf map[string]any) {
				for name, src := range pf["sources"].(map[string]any) {
					pf["sources"].(map[string]any)[name] = strings.Replace(src.(string), `"hello"`, `"bye"`, 1)
				}
			},
			wantErr: "do not match their hash",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "y.dm.hcl"), []byte(tamperHCL), 0o644); err != nil {
				t.Fatal(err)
			}
			db := filepath.Join(dir, ".dmplan", "d1.sqlite")
			execSQL(t, db, `CREATE TABLE "precious" (id TEXT PRIMARY KEY)`)
			planPath := filepath.Join(dir, "plan.json")
			if code, out, errOut := runCLI(t, nil, "plan", "-out", planPath, dir); code != exitOK {
				t.Fatalf("plan: exit %d\n%s\n%s", code, out, errOut)
			}
			b, err := os.ReadFile(planPath)
			if err != nil {
				t.Fatal(err)
			}
			var pf map[string]any
			if err := json.Unmarshal(b, &pf); err != nil {
				t.Fatal(err)
			}
			tt.edit(pf)
			if b, err = json.Marshal(pf); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(planPath, b, 0o600); err != nil {
				t.Fatal(err)
			}
			for _, cmd := range []string{"show", "apply"} {
				if cmd == "show" && tt.showAccepts {
					continue
				}
				code, out, errOut := runCLI(t, nil, cmd, planPath)
				if code != exitError || !strings.Contains(errOut, tt.wantErr) {
					t.Errorf("%s: exit %d, stderr lacks %q:\n%s", cmd, code, tt.wantErr, errOut)
				}
				if cmd == "apply" && !strings.Contains(errOut, tt.applyErr) {
					t.Errorf("apply: stderr lacks %q:\n%s", tt.applyErr, errOut)
				}
				if strings.Contains(out, "Plan:") || strings.Contains(out, "Apply complete") {
					t.Errorf("%s showed or applied the plan:\n%s", cmd, out)
				}
			}
			if got := tables(t, db); strings.Join(got, ",") != "precious" {
				t.Errorf("tables after the refused apply = %v, want only precious", got)
			}
		})
	}
}

// TestSavedPlanUntouchedApplies is the control: the same plan, unedited,
// shows and applies; applying it again says it was applied, before
// printing it.
func TestSavedPlanUntouchedApplies(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "y.dm.hcl"), []byte(tamperHCL), 0o644); err != nil {
		t.Fatal(err)
	}
	planPath := filepath.Join(dir, "plan.json")
	if code, out, errOut := runCLI(t, nil, "plan", "-out", planPath, dir); code != exitOK {
		t.Fatalf("plan: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, nil, "show", planPath); code != exitOK || !strings.Contains(out, "+ create table y") {
		t.Fatalf("show: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, nil, "apply", planPath); code != exitOK || !strings.Contains(out, "Apply complete: 1 table created, 1 namespace created, 1 record seeded.") {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut := runCLI(t, nil, "apply", planPath)
	if code != exitError || !strings.Contains(errOut, "was already applied at ") || strings.Contains(out, "Plan:") {
		t.Errorf("second apply: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

// redigest is stepsDigest of steps decoded from a plan file.
func redigest(t *testing.T, steps []any) string {
	t.Helper()
	b, err := json.Marshal(steps)
	if err != nil {
		t.Fatal(err)
	}
	var ps []planner.Step
	if err := json.Unmarshal(b, &ps); err != nil {
		t.Fatal(err)
	}
	d, err := stepsDigest(ps, nil)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func steps(pf map[string]any) []any {
	return pf["plan"].(map[string]any)["steps"].([]any)
}

func execSQL(t *testing.T, path, stmt string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(stmt); err != nil {
		t.Fatal(err)
	}
}

func tables(t *testing.T, path string) []string {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

// A saved plan made against an existing local database, applied after the
// project moved (the database is gone from where the plan points), is
// refused saying so, and creates nothing there.
func TestSavedPlanAfterTheProjectMoved(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "proj")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "y.dm.hcl"), []byte(tamperHCL), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCLI(t, nil, "apply", "-auto-approve", dir); code != exitOK {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errOut)
	}
	// A change to plan, saved; then the project moves.
	if err := os.WriteFile(filepath.Join(dir, "z.dm.hcl"), []byte("model \"Z\" {\n  field \"a\" { type = string }\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	planPath := filepath.Join(root, "plan.json")
	if code, out, errOut := runCLI(t, nil, "plan", "-out", planPath, dir); code != exitOK {
		t.Fatalf("plan: exit %d\n%s\n%s", code, out, errOut)
	}
	if err := os.Rename(dir, filepath.Join(root, "moved")); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, nil, "apply", planPath)
	if code != exitError || !strings.Contains(errOut, "no longer exists (was the project moved?)") {
		t.Errorf("apply: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("apply recreated %s (stat: %v)", dir, err)
	}
}

const editedTargetsHCL = `project "shop" {}

model "ITEM" {
  options { user_tracking = false }
  field "title" { type = string }
  field "color" { type = string }
  kv { namespace = "ITEMS" }
  d1 { sync_fields = ["title", "color"] }
}

model "ORDER" {
  options { user_tracking = false }
  field "total" { type = string }
  kv { namespace = "ORDERS" }
  d1 { sync_fields = ["total"] }
}
`

// TestSavedPlanTargetsEdited edits the targets of a saved targeted plan
// while another model is blocked: show and apply refuse the file as
// edited (the targets decide which steps the sources give), not as a
// plan the target's data made stale, and nothing is applied.
func TestSavedPlanTargetsEdited(t *testing.T) {
	tests := []struct {
		name string
		edit func(p map[string]any)
	}{
		{"targets removed", func(p map[string]any) { delete(p, "targets") }},
		{"targets changed", func(p map[string]any) { p["targets"] = []any{"ORDER"} }},
		{"target added", func(p map[string]any) { p["targets"] = []any{"ITEM", "ORDER"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			hcl := filepath.Join(dir, "shop.dm.hcl")
			v1 := strings.NewReplacer("  field \"color\" { type = string }\n", "", `["title", "color"]`, `["title"]`,
				`"total" { type = string }`, `"total" { type = integer }`).Replace(editedTargetsHCL)
			if err := os.WriteFile(hcl, []byte(v1), 0o644); err != nil {
				t.Fatal(err)
			}
			if code, out, errOut := runCLI(t, nil, "apply", "-auto-approve", dir); code != exitOK {
				t.Fatalf("first apply: exit %d\n%s\n%s", code, out, errOut)
			}
			if err := os.WriteFile(hcl, []byte(editedTargetsHCL), 0o644); err != nil {
				t.Fatal(err)
			}
			planPath := filepath.Join(dir, "plan.json")
			if code, out, errOut := runCLI(t, nil, "plan", "-target", "ITEM", "-out", planPath, dir); code != exitOK {
				t.Fatalf("plan -target ITEM: exit %d\n%s\n%s", code, out, errOut)
			}
			b, err := os.ReadFile(planPath)
			if err != nil {
				t.Fatal(err)
			}
			var pf map[string]any
			if err := json.Unmarshal(b, &pf); err != nil {
				t.Fatal(err)
			}
			tt.edit(pf["plan"].(map[string]any))
			if b, err = json.Marshal(pf); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(planPath, b, 0o600); err != nil {
				t.Fatal(err)
			}
			for _, cmd := range []string{"show", "apply"} {
				code, out, errOut := runCLI(t, nil, cmd, planPath)
				if code != exitError || !strings.Contains(errOut, "saved plan does not match its sources") || strings.Contains(errOut, "stale") {
					t.Errorf("%s: exit %d, want the file refused as edited:\n%s", cmd, code, errOut)
				}
				if strings.Contains(out, "Apply complete") {
					t.Errorf("%s applied the edited plan:\n%s", cmd, out)
				}
			}
			db := filepath.Join(dir, ".dmplan", "d1.sqlite")
			if cols := columns(t, db, "item"); slices.Contains(cols, "color") {
				t.Errorf("item columns after the refused apply = %v: the edited plan ran", cols)
			}
		})
	}
}

// columns lists a table's columns in the SQLite database at path.
func columns(t *testing.T, path, table string) []string {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT name FROM pragma_table_info(?)`, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}
