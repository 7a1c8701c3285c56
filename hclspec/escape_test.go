package hclspec

import (
	"bytes"
	"strings"
	"testing"
)

func TestEscapeControl(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text, é 日本 🙂", "plain text, é 日本 🙂"},
		{"tab\tand\nnewline", "tab\tand\nnewline"},
		{"esc\x1b[31mred", `esc\x1b[31mred`},
		{"bell\a cr\r nul\x00 del\x7f", `bell\x07 cr\r nul\x00 del\x7f`},
		{"c1 \u0085 \u009b", `c1 \x85 \x9b`},
		{"bidi \u202a\u202b\u202c\u202d\u202e \u2066\u2067\u2068\u2069", `bidi \u202a\u202b\u202c\u202d\u202e \u2066\u2067\u2068\u2069`},
		{"sep \u2028\u2029", `sep \u2028\u2029`},
		{"bad \xff utf8", `bad \xff utf8`},
	}
	for _, tt := range tests {
		if got := EscapeControl(tt.in); got != tt.want {
			t.Errorf("EscapeControl(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if again := EscapeControl(EscapeControl(tt.in)); again != EscapeControl(tt.in) {
			t.Errorf("EscapeControl is not idempotent on %q", tt.in)
		}
	}
}

// A diagnostic about a line holding ESC sequences and a bidi override
// prints them escaped, in the summary, the detail and the quoted source
// line, with the caret still under the reported range.
func TestWriteDiagnosticsEscapesControlCharacters(t *testing.T) {
	src := "model \"A\" {\n  field \"x\" {\n    type = \"\x1b]0;t\x07\u202e\" + strin\x1b[2Jg\n  }\n}\n"
	spec, diags := LoadSources("esc", map[string][]byte{"esc.dm.hcl": []byte(src)})
	if !diags.HasErrors() {
		t.Fatal("no diagnostics")
	}
	var out bytes.Buffer
	if err := WriteDiagnostics(&out, spec, diags, true); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, r := range text {
		if r == '\u202e' || r == '\a' || r == '\r' {
			t.Fatalf("raw control character %U in:\n%s", r, text)
		}
	}
	if strings.Contains(text, "\x1b]") || strings.Contains(text, "\x1b[2J") {
		t.Fatalf("raw ESC sequence in:\n%s", text)
	}
	var plain bytes.Buffer
	_ = WriteDiagnostics(&plain, spec, diags, false)
	// The "Invalid character" caret covers the four characters of \x1b.
	lines := strings.Split(plain.String(), "\n")
	found := false
	for i := 0; i+1 < len(lines); i++ {
		l, marks := lines[i], lines[i+1]
		caret := strings.IndexByte(marks, '^')
		if !strings.Contains(l, `strin\x1b[2Jg`) || caret < 0 || strings.Count(marks, "^") != 4 {
			continue
		}
		found = true
		if !strings.HasPrefix(l[caret:], `\x1b[2J`) {
			t.Errorf("caret not under the escaped ESC:\n%s\n%s", l, marks)
		}
	}
	if !found {
		t.Errorf("source line not quoted escaped:\n%s", plain.String())
	}
}
