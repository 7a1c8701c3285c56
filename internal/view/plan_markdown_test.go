package view

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

func TestMarkdownFullPlan(t *testing.T) {
	md := RenderMarkdown("nimbus", testTarget, testPlan())
	for _, want := range []string{
		CommentMarker("nimbus", testTarget.Environment) + "\n### dmplan plan\n",
		"**Plan: 2 to create, 1 to add, 1 blocked.**",
		"| `+` | create table | `page_meta` | PAGE |",
		"| `~` | add column | `users.nickname` | USER |",
		"- **DM101** `users.age`: changing USER.age",
		"  - What to do: add a new field, backfill it, switch readers",
		"- **DM201** `legacy`: table legacy is not managed",
		"<details>\n<summary>SQL (2 statements)</summary>",
		"```sql\nCREATE TABLE \"page_meta\" (\n  \"page_id\" TEXT PRIMARY KEY NOT NULL,\n  \"status\" TEXT DEFAULT 'a, b'\n);\nALTER TABLE",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

func TestMarkdownFallsBackUnderGitHubLimit(t *testing.T) {
	tests := []struct {
		name             string
		tables, blocked  int
		wantFull         bool
		wantTruncatedMsg bool
	}{
		{name: "small plan is shown in full", tables: 3, wantFull: true},
		{name: "huge plan becomes a summary", tables: 2000},
		{name: "huge plan with many blocked steps lists as many as fit", tables: 2000, blocked: 5000, wantTruncatedMsg: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := hugePlan(tt.tables, tt.blocked)
			md := RenderMarkdown("nimbus", testTarget, p)
			if len(md) > MaxMarkdown {
				t.Fatalf("markdown is %d bytes, over GitHub's %d", len(md), MaxMarkdown)
			}
			full := strings.Contains(md, "<details>")
			if full != tt.wantFull {
				t.Fatalf("full plan shown = %v, want %v", full, tt.wantFull)
			}
			if !tt.wantFull {
				for _, want := range []string{
					"over GitHub's 65536-character comment limit",
					"| create table | 2000 |",
					"**Plan: 2000 to create, 0 to add",
				} {
					if !strings.Contains(md, want) {
						t.Errorf("summary lacks %q", want)
					}
				}
			}
			if got := strings.Contains(md, "more blocked steps; see the full plan"); got != tt.wantTruncatedMsg {
				t.Errorf("truncation note shown = %v, want %v", got, tt.wantTruncatedMsg)
			}
		})
	}
}

func TestMarkdownEscaping(t *testing.T) {
	tests := []struct{ in, cell, code string }{
		{in: "a|b", cell: `a\|b`, code: `a\|b`},
		{in: "line1\nline2", cell: "line1 line2", code: "line1 line2"},
		{in: "<script>", cell: "&lt;script>", code: "<script>"},
		{in: "x`y", cell: "x`y", code: "x'y"},
	}
	for _, tt := range tests {
		if got := mdCell(tt.in); got != tt.cell {
			t.Errorf("mdCell(%q) = %q, want %q", tt.in, got, tt.cell)
		}
		if got := mdCode(tt.in); got != tt.code {
			t.Errorf("mdCode(%q) = %q, want %q", tt.in, got, tt.code)
		}
	}
	if got := mdFence("a ```` b"); got != "`````" {
		t.Errorf("mdFence = %q, want five backticks", got)
	}
}

func TestMarkdownError(t *testing.T) {
	var out, errOut bytes.Buffer
	v := NewPlan(Markdown, Streams{Out: &out, Err: &errOut})
	v.Diagnostics(hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid field type", Detail: "The type must be one of string, ...",
		Subject: &hcl.Range{Filename: "a.dm.hcl", Start: hcl.Pos{Line: 2, Column: 22}, End: hcl.Pos{Line: 2, Column: 27}}}})
	v.Error(errors.New("the configuration in app has 1 error"))
	md := out.String()
	for _, want := range []string{
		CommentMarker("", "") + "\n### dmplan plan failed\n",
		"**Error:** the configuration in app has 1 error",
		"Invalid field type",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown error lacks %q:\n%s", want, md)
		}
	}
	if !strings.Contains(errOut.String(), "Error: the configuration in app has 1 error") {
		t.Errorf("stderr lacks the error:\n%s", errOut.String())
	}
}

// Each project and environment gets its own comment marker, the same on
// every run, so a CI job updating "its" comment never overwrites another
// environment's; no name can end the HTML comment early.
func TestCommentMarker(t *testing.T) {
	tests := []struct {
		project, env string
		want         string
	}{
		{"nimbus", "production", "<!-- dmplan plan project=nimbus env=production -->"},
		{"nimbus", "staging", "<!-- dmplan plan project=nimbus env=staging -->"},
		{"shop", "production", "<!-- dmplan plan project=shop env=production -->"},
		{"nimbus", "eu west -->", "<!-- dmplan plan project=nimbus env=eu%20west%20--%3E -->"},
		{"a b", "c", "<!-- dmplan plan project=a%20b env=c -->"},
		{"a", "b c", "<!-- dmplan plan project=a env=b%20c -->"},
		{"", "", "<!-- dmplan plan project=%00 env=%00 -->"},
	}
	seen := map[string]string{}
	for _, tt := range tests {
		got := CommentMarker(tt.project, tt.env)
		if got != tt.want {
			t.Errorf("CommentMarker(%q, %q) = %q, want %q", tt.project, tt.env, got, tt.want)
		}
		if got != CommentMarker(tt.project, tt.env) {
			t.Errorf("CommentMarker(%q, %q) is not stable", tt.project, tt.env)
		}
		if strings.Count(got, "-->") != 1 {
			t.Errorf("CommentMarker(%q, %q) = %q ends the comment early", tt.project, tt.env, got)
		}
		key := tt.project + "\x00" + tt.env
		for k, m := range seen {
			if m == got && k != key {
				t.Errorf("%q and %q share the marker %q", k, key, got)
			}
		}
		seen[key] = got
	}
}

// An error comment carries the marker of the environment it was for, so it
// replaces that environment's plan comment.
func TestMarkdownErrorMarker(t *testing.T) {
	var out bytes.Buffer
	v := NewPlan(Markdown, Streams{Out: &out, Err: &bytes.Buffer{}}).(*PlanMarkdown)
	v.Scope = func() (string, string) { return "nimbus", "staging" }
	v.Error(errors.New("boom"))
	if want := "<!-- dmplan plan project=nimbus env=staging -->\n### dmplan plan failed\n"; !strings.HasPrefix(out.String(), want) {
		t.Errorf("error comment = %q, want it to start with %q", out.String(), want)
	}
}
