package planner_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
)

// The limits hclspec checks against are the backends' (one set of
// documented numbers).
func TestLimitsMatchTheBackends(t *testing.T) {
	pairs := map[string][2]int{
		"MaxColumns":        {hclspec.MaxColumns, backend.MaxColumns},
		"MaxKeyBytes":       {hclspec.MaxKeyBytes, backend.MaxKeyBytes},
		"MaxStatementBytes": {hclspec.MaxStatementBytes, backend.MaxStatementBytes},
		"MaxRowBytes":       {hclspec.MaxRowBytes, backend.MaxRowBytes},
		"MaxValueBytes":     {hclspec.MaxValueBytes, backend.MaxValueBytes},
	}
	for name, p := range pairs {
		if p[0] != p[1] {
			t.Errorf("hclspec.%s = %d, backend.%s = %d", name, p[0], name, p[1])
		}
	}
}

func TestCheckLimits(t *testing.T) {
	model := func(fields string, synced ...string) string {
		q := make([]string, len(synced))
		for i, s := range synced {
			q[i] = fmt.Sprintf("%q", s)
		}
		return "project \"lim\" {}\nmodel \"NOTE\" {\n" + fields + "  d1 { sync_fields = [" + strings.Join(q, ", ") + "] }\n}\n"
	}
	field := func(name, typ, def string) string {
		return fmt.Sprintf("  field %q {\n    type    = %s\n    default = %s\n  }\n", name, typ, def)
	}
	str := func(n int) string { return `"` + strings.Repeat("x", n) + `"` }
	seed := func(data string) string {
		return "seed \"NOTE\" \"big\" {\n  data = " + strings.Replace(data, "{", `{ user_id = "u", `, 1) + "\n}\n"
	}
	tests := []struct {
		name    string
		src     string
		summary string // "" for no diagnostic
		at      string // "line:col" of the diagnostic
		detail  []string
	}{
		{"small defaults", model(field("a", "string", str(1000))+field("b", "json", `{ k = "v\u0000" }`), "a", "b"), "", "", nil},
		{"just under the statement limit", model(field("a", "string", str(99_700)), "a"), "", "", nil},
		{"120 KB default", model(field("a", "string", str(120_000)), "a"),
			"Default too large for one SQL statement", "5:15", []string{`field "a"`, "120,", "100,000 bytes"}},
		{"default over 2 MB", model(field("a", "text", str(2_000_001)), "a"),
			"Default too large for D1", "5:15", []string{"2,000,001 bytes", "2,000,000 bytes"}},
		{"NUL in a string default", model(field("a", "string", `"a\u0000b"`), "a"),
			"NUL character in a default", "5:15", []string{`field "a"`}},
		{"NUL in an unsynced default", model(field("a", "string", `"a\u0000b"`)), "", "", nil},
		{"NUL in a json string default", model(field("a", "json", `"a\u0000b"`), "a"), "", "", nil},
		{"large unsynced default", model(field("a", "string", str(2_000_001))), "", "", nil},
		{"defaults that add up", model(field("a", "string", str(40_000))+field("b", "string", str(40_000))+field("c", "string", str(45_000)), "a", "b", "c"),
			"Defaults too large for one SQL statement", "13:15", []string{`table "note"`, `field "c"`, "45,002 bytes"}},
		{"seed row over 2 MB", model(field("a", "string", `""`)+field("b", "string", `""`), "a", "b") +
			seed(`{ note_id = "n1", a = "`+strings.Repeat("y", 1_500_000)+`", b = "`+strings.Repeat("z", 600_000)+`" }`),
			"Seed too large for D1", "14:48", []string{"seed NOTE.big", "2,100,003 bytes", `Field "a"`}},
		{"seed within limits", model(field("a", "string", `""`), "a") + seed(`{ note_id = "n1", a = "`+strings.Repeat("y", 100_000)+`" }`), "", "", nil},
		{"unsynced seed value", model(field("a", "string", `""`)) + seed(`{ note_id = "n1", a = "`+strings.Repeat("y", 2_000_001)+`" }`), "", "", nil},
		{"seed key over 512 bytes", model(field("a", "string", `""`), "a") + seed(`{ note_id = "`+strings.Repeat("i", 600)+`" }`),
			"Seed key too long for KV", "10:38", []string{"605 bytes", "512 bytes", `"note:{id}"`}},
		{"seed reading env", model(field("a", "string", `""`), "a") + seed(`{ note_id = "n1", a = "${env.BIG}`+strings.Repeat("y", 100)+`" }`), "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, diags := hclspec.LoadSources("lim", map[string][]byte{"m.dm.hcl": []byte(tt.src)})
			if diags.HasErrors() {
				t.Fatalf("load: %s", diags.Error())
			}
			got := planner.CheckLimits(spec)
			if tt.summary == "" {
				if len(got) > 0 {
					t.Fatalf("CheckLimits = %s", got.Error())
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("CheckLimits = %d diagnostics, want 1: %v", len(got), got)
			}
			d := got[0]
			if d.Summary != tt.summary || d.Subject == nil || fmt.Sprintf("%d:%d", d.Subject.Start.Line, d.Subject.Start.Column) != tt.at {
				t.Errorf("diagnostic %q at %v, want %q at %s", d.Summary, d.Subject, tt.summary, tt.at)
			}
			for _, w := range tt.detail {
				if !strings.Contains(d.Detail, w) {
					t.Errorf("detail %q lacks %q", d.Detail, w)
				}
			}
			var out bytes.Buffer
			if err := hclspec.WriteDiagnostics(&out, spec, got, false); err != nil {
				t.Fatal(err)
			}
			if out.Len() > 2000 {
				t.Errorf("the diagnostic prints %d bytes; the source line must be clipped", out.Len())
			}
		})
	}
}
