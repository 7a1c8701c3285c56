package view

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/dmplan/dmplan/planner"
)

// hostile is text a configuration or a live database can carry: an OSC
// that sets the terminal title, a clear-screen, a carriage return, a C1
// CSI, DEL and the bidi override and isolate a reviewer would not see.
const hostile = "a\x1b]0;pwned\x07\x1b[2J\rX\u009b31m\x7f\u202eevil\u2066b"

// rawControl returns the first character of out a terminal would act on,
// allowing the SGR colour sequences the views write themselves when
// color is on.
func rawControl(out string, color bool) (string, bool) {
	for i, r := range out {
		switch {
		case r == '\n' || r == '\t':
		case r == 0x1b && color && sgrAt(out[i:]):
		case r < 0x20 || (r >= 0x7f && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
			lo := max(0, i-20)
			return out[lo:min(len(out), i+20)], true
		}
	}
	return "", false
}

// sgrAt reports whether s starts with ESC [ digits/semicolons m.
func sgrAt(s string) bool {
	if !strings.HasPrefix(s, "\x1b[") {
		return false
	}
	for i := 2; i < len(s); i++ {
		switch c := s[i]; {
		case c == 'm':
			return true
		case c == ';' || (c >= '0' && c <= '9'):
		default:
			return false
		}
	}
	return false
}

func hostilePlan() *planner.Plan {
	p := testPlan()
	p.Steps[1].SQL = []string{`CREATE TABLE "page_meta" ("status" TEXT DEFAULT '` + hostile + `')`}
	p.Steps[3].Reason = "the default " + hostile + " differs"
	p.Steps[3].Hint = hostile
	p.Notes[0].Message = hostile
	return p
}

// Every human and markdown view escapes control characters in the data it
// prints, with colour on and off; the JSON view keeps the exact strings
// and escapes them in the document.
func TestViewsEscapeControlCharacters(t *testing.T) {
	target := Target{Environment: "env" + hostile, Backend: "local", Database: "db" + hostile}
	report := PlanReport{Target: target, Plan: hostilePlan()}
	err := errors.New("apply failed: " + hostile)
	for _, color := range []bool{false, true} {
		renders := map[string]func(s Streams){
			"plan human":    func(s Streams) { NewPlan(Human, s).Plan(report) },
			"plan markdown": func(s Streams) { NewPlan(Markdown, s).Plan(report) },
			"markdown error": func(s Streams) {
				v := NewPlan(Markdown, s)
				v.Diagnostics(hcl.Diagnostics{{Severity: hcl.DiagError, Summary: hostile, Detail: hostile}})
				v.Error(err)
			},
			"apply": func(s Streams) {
				v := NewApply(Human, s)
				v.Plan(report)
				v.Applying(target, report.Plan)
				v.Step(report.Plan.Steps[1], StepOutcome{}, nil)
				v.Step(report.Plan.Steps[1], StepOutcome{}, err)
				v.Applied(target, report.Plan, ApplyResult{PlanID: hostile, Outcome: OutcomeApplied, GatewayURL: hostile})
				v.Error(err)
			},
			"history": func(s Streams) {
				NewHistory(Human, s).History(target, []HistoryEntry{{PlanID: hostile, Outcome: hostile, Actor: hostile, Error: hostile, StartedAt: time.Now()}})
			},
			"history show": func(s Streams) {
				NewHistory(Human, s).Show(target, HistoryEntry{PlanID: hostile, Outcome: hostile, Actor: hostile, Error: hostile, StartedAt: time.Now()}, nil)
			},
			"diagnostics without sources": func(s Streams) {
				NewValidate(Human, s).Diagnostics(hcl.Diagnostics{{Severity: hcl.DiagError, Summary: hostile, Detail: hostile}})
			},
			"fmt": func(s Streams) {
				v := NewFmt(s)
				v.File("f" + hostile)
				v.Diff(hostile)
			},
		}
		for name, render := range renders {
			var out, errOut bytes.Buffer
			render(Streams{Out: &out, Err: &errOut, Color: color})
			for stream, text := range map[string]string{"stdout": out.String(), "stderr": errOut.String()} {
				if at, ok := rawControl(text, color); ok {
					t.Errorf("%s (color %v) %s prints a raw control character near %q", name, color, stream, at)
				}
			}
			if !strings.Contains(out.String()+errOut.String(), `\x1b]0;pwned\x07\x1b[2J\rX\x9b31m\x7f\u202eevil\u2066b`) {
				t.Errorf("%s (color %v) does not show the escaped text:\n%s%s", name, color, out.String(), errOut.String())
			}
		}
	}

	var out bytes.Buffer
	NewPlan(JSON, Streams{Out: &out}).Plan(report)
	if at, ok := rawControl(out.String(), false); ok {
		t.Errorf("plan JSON holds a raw control character near %q", at)
	}
	var doc struct {
		Plan struct {
			Steps []struct {
				Reason string `json:"reason"`
			} `json:"steps"`
		} `json:"plan"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if got := doc.Plan.Steps[3].Reason; got != report.Plan.Steps[3].Reason {
		t.Errorf("JSON reason decodes to %q, want %q", got, report.Plan.Steps[3].Reason)
	}
}

// clean copies only what it escapes and leaves its input alone.
func TestCleanCopies(t *testing.T) {
	p := hostilePlan()
	c := clean(p)
	if p.Steps[3].Hint != hostile {
		t.Error("clean changed its input")
	}
	if c.Steps[3].Hint == hostile || c.CreatedAt != p.CreatedAt || c.Steps[0].Reason != p.Steps[0].Reason {
		t.Errorf("clean(p) = %+v", c.Steps[3])
	}
	plain := testPlan()
	if clean(plain) != plain {
		t.Error("clean copied a plan with nothing to escape")
	}
}
