package view

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/hashicorp/hcl/v2"
)

// humanView is what every human view shares: styles for both streams,
// diagnostics and errors on stderr.
type humanView struct {
	s      Streams
	out    Styles
	errOut Styles
}

func newHumanView(s Streams) humanView {
	if s.WriteDiagnostics == nil {
		s.WriteDiagnostics = defaultDiagnosticWriter
	}
	// The supplied writer (hclspec.WriteDiagnostics) escapes control
	// characters itself; see escape.go.
	return humanView{s: s, out: DefaultStyles(s.Out, s.Color), errOut: DefaultStyles(s.Err, s.Color)}
}

func (h *humanView) Diagnostics(diags hcl.Diagnostics) {
	if len(diags) == 0 {
		return
	}
	_ = h.s.WriteDiagnostics(h.s.Err, diags, h.s.Color)
}

func (h *humanView) Error(err error) {
	fmt.Fprintf(h.s.Err, "\n%s %s\n", h.errOut.Error.Render("Error:"), escapeErr(err))
}

func (h *humanView) printf(format string, args ...any) {
	fmt.Fprintf(h.s.Out, format, args...)
}

// renderLines styles each line of text on its own: lipgloss pads a
// multi-line block to its widest line, which would leave trailing spaces.
func renderLines(st lipgloss.Style, text string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = st.Render(l)
		}
	}
	return strings.Join(lines, "\n")
}

// indent prefixes every line of text with pad.
func indent(text, pad string) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = pad + l
		}
	}
	return strings.Join(lines, "\n")
}
