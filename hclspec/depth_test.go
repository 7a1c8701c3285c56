package hclspec

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// deepSources are files nested far past MaxNesting in each way HCL nests;
// before the guard each one overflowed the goroutine stack in the parser
// (a fatal error, not a panic). FuzzLoad uses them as seeds.
func deepSources() map[string][]byte {
	const n = 100_000
	field := func(value string) []byte {
		return []byte("model \"A\" {\n  field \"x\" {\n    type    = string\n    default = " + value + "\n  }\n}\n")
	}
	return map[string][]byte{
		"parens":   field(strings.Repeat("(", n) + `"a"` + strings.Repeat(")", n)),
		"brackets": field(strings.Repeat("[", n) + strings.Repeat("]", n)),
		"objects":  field(strings.Repeat("{a=", n) + "1" + strings.Repeat("}", n)),
		"blocks":   []byte(strings.Repeat("b {\n", n) + strings.Repeat("}\n", n)),
		"interp":   field(strings.Repeat(`"${`, n) + "1" + strings.Repeat(`}"`, n)),
		"unclosed": field(strings.Repeat("(", n)),
	}
}

func TestLoadRejectsDeepNesting(t *testing.T) {
	for name, src := range deepSources() {
		t.Run(name, func(t *testing.T) {
			spec, diags := LoadSources("deep", map[string][]byte{"deep.dm.hcl": src})
			if !diags.HasErrors() {
				t.Fatal("no error")
			}
			d := diags[0]
			if d.Summary != "Nesting too deep" || d.Subject == nil || d.Subject.Filename != "deep.dm.hcl" {
				t.Fatalf("first diagnostic = %v", d)
			}
			var out bytes.Buffer
			if err := WriteDiagnostics(&out, spec, diags, false); err != nil {
				t.Fatal(err)
			}
			if out.Len() > 2000 {
				t.Errorf("diagnostics print %d bytes, want the source line clipped:\n%.500s", out.Len(), out.String())
			}
		})
	}
}

func TestCheckNesting(t *testing.T) {
	deep := func(open, close string, n int) string {
		return strings.Repeat(open, n) + strings.Repeat(close, n)
	}
	tests := []struct {
		name string
		src  string
		at   string // "line:col" of the reported opening, "" for none
	}{
		{"at the limit", "x = " + deep("(", ")", MaxNesting) + "\n", ""},
		{"one past", "x = " + deep("(", ")", MaxNesting+1) + "\n", "1:" + itoa(5+MaxNesting)},
		{"mixed", "a {\n  x = " + deep("[{(", ")}]", MaxNesting/3+1) + "\n}\n", "2:" + itoa(6+MaxNesting)},
		{"in a string", `x = "` + strings.Repeat("(", 2*MaxNesting) + `"` + "\n", ""},
		{"escaped quote", `x = "\"` + strings.Repeat("(", 2*MaxNesting) + `"` + "\n", ""},
		{"literal interpolation", `x = "$${` + strings.Repeat("(", 2*MaxNesting) + `"` + "\n", ""},
		{"in comments", "# " + strings.Repeat("(", 2*MaxNesting) + "\n// " + strings.Repeat("[", 2*MaxNesting) + "\n/* " + strings.Repeat("{", 2*MaxNesting) + " */\nx = 1\n", ""},
		{"in a heredoc", "x = <<EOT\n" + strings.Repeat("(", 2*MaxNesting) + "\n  EOT\ny = 1\n", ""},
		{"heredoc interpolation", "x = <<-EOT\n${" + deep("(", ")", MaxNesting) + "}\nEOT\n", "2:" + itoa(1+MaxNesting)},
		{"after a heredoc", "x = <<EOT\n)))\nEOT\ny = " + deep("(", ")", MaxNesting+1) + "\n", "4:" + itoa(5+MaxNesting)},
		{"unbalanced closers", "x = " + strings.Repeat(")", 10*MaxNesting) + "\n", ""},
		{"unterminated string", "x = \"" + strings.Repeat("(", 10) + "\ny = " + deep("[", "]", 3) + "\n", ""},
		{"non-ASCII column", "x = \"é\" + " + deep("(", ")", MaxNesting+1) + "\n", "1:" + itoa(11+MaxNesting)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			diags := CheckNesting("f.dm.hcl", []byte(tt.src))
			got := ""
			if len(diags) > 0 {
				got = itoa(diags[0].Subject.Start.Line) + ":" + itoa(diags[0].Subject.Start.Column)
			}
			if got != tt.at {
				t.Fatalf("reported at %q, want %q (%v)", got, tt.at, diags)
			}
			if tt.at == "" {
				// What the guard lets through, HCL parses without trouble.
				hclsyntax.ParseConfig([]byte(tt.src), "f.dm.hcl", hcl.InitialPos)
			}
		})
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
