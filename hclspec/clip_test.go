package hclspec

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
)

func TestClipLine(t *testing.T) {
	long := strings.Repeat("a", 300) + "BAD" + strings.Repeat("z", 300)
	rng := func(start, end int) hcl.Range {
		return hcl.Range{Start: hcl.Pos{Line: 1, Column: start}, End: hcl.Pos{Line: 1, Column: end}}
	}
	tests := []struct {
		name       string
		line       string
		r          hcl.Range
		wantMarked string // the text under the carets
	}{
		{"short lines stay whole", "  default = 1", rng(13, 14), "1"},
		{"middle of a long line", long, rng(301, 304), "BAD"},
		{"start of a long line", "BAD" + long, rng(1, 4), "BAD"},
		{"end of a long line", long + "BAD", rng(604, 607), "BAD"},
		{"range past the window", long, rng(301, 700), ""},
		{"wide characters", strings.Repeat("é", 200) + "BAD" + strings.Repeat("ü", 200), rng(201, 204), "BAD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line, r := clipLine(tt.line, tt.r)
			if n := utf8.RuneCountInString(line); n > maxSourceWidth+2 {
				t.Errorf("clipped line has %d characters", n)
			}
			m := marker(line, r)
			runes := []rune(line)
			start := strings.IndexByte(m, '^')
			if start < 0 || start >= len(runes) {
				t.Fatalf("marker %q outside line %q", m, line)
			}
			marked := string(runes[start:min(len(runes), len(m))])
			if tt.wantMarked != "" && marked != tt.wantMarked {
				t.Errorf("marked %q, want %q\n%s\n%s", marked, tt.wantMarked, line, m)
			}
			if tt.wantMarked == "" && !strings.HasPrefix(marked, "BAD") {
				t.Errorf("marked %q, want it to start at BAD\n%s\n%s", marked, line, m)
			}
		})
	}
}
