package view

import (
	"bytes"
	"encoding/json"
	"errors"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/dmplan/dmplan/operator"
)

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, b)
	}
	return m
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestPlanJSONShape(t *testing.T) {
	var out bytes.Buffer
	v := NewPlan(JSON, Streams{Out: &out, Err: &out})
	v.Diagnostics(hcl.Diagnostics{{Severity: hcl.DiagWarning, Summary: "Deprecated", Detail: "d",
		Subject: &hcl.Range{Filename: "a.dm.hcl", Start: hcl.Pos{Line: 3, Column: 5}}}})
	v.Plan(PlanReport{Target: testTarget, Plan: testPlan(), SavedTo: "plan.json"})
	v.Error(errors.New("ignored: the document is already written"))

	m := decode(t, out.Bytes())
	if diff := cmp.Diff([]string{"diagnostics", "format_version", "plan", "saved_to", "summary", "target"}, keys(m)); diff != "" {
		t.Errorf("top-level keys (-want +got):\n%s", diff)
	}
	plan := m["plan"].(map[string]any)
	if diff := cmp.Diff([]string{"created_at", "fingerprint", "id", "notes", "steps"}, keys(plan)); diff != "" {
		t.Errorf("plan keys (-want +got):\n%s", diff)
	}
	step := plan["steps"].([]any)[0].(map[string]any)
	if diff := cmp.Diff([]string{"action", "model", "reason", "safe", "sql", "target"}, keys(step)); diff != "" {
		t.Errorf("step keys (-want +got):\n%s", diff)
	}
	if step["action"] != "create_namespace" {
		t.Errorf("action = %v", step["action"])
	}
	wantDiag := []any{map[string]any{"severity": "warning", "summary": "Deprecated", "detail": "d",
		"filename": "a.dm.hcl", "line": 3.0, "column": 5.0}}
	if diff := cmp.Diff(wantDiag, m["diagnostics"]); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
	sum := m["summary"].(map[string]any)
	if sum["create"] != 2.0 || sum["add"] != 1.0 || sum["blocked"] != 1.0 || sum["changes"] != true {
		t.Errorf("summary = %v", sum)
	}
}

func TestJSONError(t *testing.T) {
	views := map[string]func(Streams) interface{ Error(error) }{
		"plan":     func(s Streams) interface{ Error(error) } { return NewPlan(JSON, s) },
		"apply":    func(s Streams) interface{ Error(error) } { return NewApply(JSON, s) },
		"history":  func(s Streams) interface{ Error(error) } { return NewHistory(JSON, s) },
		"validate": func(s Streams) interface{ Error(error) } { return NewValidate(JSON, s) },
	}
	for name, newView := range views {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			newView(Streams{Out: &out}).Error(errors.New("flag provided but not defined: -bogus"))
			m := decode(t, out.Bytes())
			if m["format_version"] != FormatVersion {
				t.Errorf("format_version = %v", m["format_version"])
			}
			want := map[string]any{"message": "flag provided but not defined: -bogus"}
			if diff := cmp.Diff(want, m["error"]); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if d, ok := m["diagnostics"].([]any); !ok || len(d) != 0 {
				t.Errorf("diagnostics = %v, want []", m["diagnostics"])
			}
		})
	}
}

func TestHistoryJSONEmptyIsArray(t *testing.T) {
	var out bytes.Buffer
	NewHistory(JSON, Streams{Out: &out}).History(testTarget, nil)
	m := decode(t, out.Bytes())
	if h, ok := m["history"].([]any); !ok || len(h) != 0 {
		t.Errorf("history = %#v, want []", m["history"])
	}
}

// TestReconcileTakeJSONShape pins the documents of reconcile -take-d1 and
// -take-kv: each carries only its own key, and an empty result is [].
func TestReconcileTakeJSONShape(t *testing.T) {
	res := []operator.TakeD1Result{{ID: "u1", Key: "user:u1", Outcome: operator.TookRewritten}}
	for _, tc := range []struct {
		name string
		take func(Reconcile, []operator.TakeD1Result)
		key  string
	}{
		{"take-d1", func(v Reconcile, r []operator.TakeD1Result) { v.TakeD1(testTarget, "user", r, "dmplan reconcile") }, "take_d1"},
		{"take-kv", func(v Reconcile, r []operator.TakeD1Result) { v.TakeKV(testTarget, "user", r, "dmplan reconcile") }, "take_kv"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, r := range [][]operator.TakeD1Result{res, {}} {
				var out bytes.Buffer
				v := NewReconcile(JSON, Streams{Out: &out, Err: &out}, false)
				tc.take(v, r)
				tc.take(v, r) // the document is written once
				m := decode(t, out.Bytes())
				want := []string{"diagnostics", "format_version", "model", "next", tc.key, "target"}
				sort.Strings(want)
				if d := cmp.Diff(want, keys(m)); d != "" {
					t.Fatalf("keys (-want +got):\n%s", d)
				}
				got, _ := m[tc.key].([]any)
				if m[tc.key] == nil || len(got) != len(r) {
					t.Fatalf("%s = %v, want %d results", tc.key, m[tc.key], len(r))
				}
				if m["model"] != "user" {
					t.Errorf("model = %v", m["model"])
				}
			}
		})
	}
}
