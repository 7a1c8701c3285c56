package hclspec

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
)

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[1;31m"
	ansiYellow = "\x1b[1;33m"
	ansiCyan   = "\x1b[36m"
	wrapWidth  = 100
)

// WriteDiagnostics prints each diagnostic as
//
//	file:line:col: error: Summary
//
//	  12 | model "PAGE" {
//	     |       ^^^^^^
//
//	  Detail, wrapped.
//
// with colour when color is true. Diagnostics without a range print the
// first line without the position.
func WriteDiagnostics(w io.Writer, spec *Spec, diags hcl.Diagnostics, color bool) error {
	bw := bufio.NewWriter(w)
	paint := func(code, s string) string {
		if !color {
			return s
		}
		return code + s + ansiReset
	}
	for i, d := range diags {
		if i > 0 {
			bw.WriteString("\n")
		}
		sev, code := "error", ansiRed
		if d.Severity == hcl.DiagWarning {
			sev, code = "warning", ansiYellow
		}
		if d.Subject != nil {
			fmt.Fprintf(bw, "%s: ", paint(ansiBold, fmt.Sprintf("%s:%d:%d", EscapeControl(d.Subject.Filename), d.Subject.Start.Line, d.Subject.Start.Column)))
		}
		fmt.Fprintf(bw, "%s: %s\n", paint(code, sev), paint(ansiBold, EscapeControl(d.Summary)))
		if d.Subject != nil && spec != nil {
			if line, ok := sourceLine(spec.Sources[d.Subject.Filename], d.Subject.Start.Line); ok {
				line, rng := clipLine(escapeLine(line, *d.Subject))
				num := fmt.Sprintf("%d", d.Subject.Start.Line)
				pad := strings.Repeat(" ", len(num))
				fmt.Fprintf(bw, "\n  %s | %s\n", paint(ansiCyan, num), line)
				fmt.Fprintf(bw, "  %s | %s\n", pad, paint(code, marker(line, rng)))
			}
		}
		if d.Detail != "" {
			bw.WriteString("\n")
			for _, l := range wrap(EscapeControl(d.Detail), wrapWidth-2) {
				fmt.Fprintf(bw, "  %s\n", l)
			}
		}
	}
	return bw.Flush()
}

// sourceLine returns line n (1-based) of src without its newline.
func sourceLine(src []byte, n int) (string, bool) {
	if src == nil || n < 1 {
		return "", false
	}
	for i := 1; ; i++ {
		j := bytes.IndexByte(src, '\n')
		if i == n {
			if j >= 0 {
				src = src[:j]
			}
			s := strings.TrimRight(string(src), "\r")
			if !utf8.ValidString(s) {
				s = strings.ToValidUTF8(s, "\uFFFD")
			}
			return s, true
		}
		if j < 0 {
			return "", false
		}
		src = src[j+1:]
	}
}

// escapeLine escapes line with EscapeControl (tabs too, since the marker
// line copies them) and moves the columns of r to match.
func escapeLine(line string, r hcl.Range) (string, hcl.Range) {
	if firstUnsafe(line) < 0 {
		return line, r
	}
	var b strings.Builder
	col, startShift, endShift := 1, 0, 0
	for i := 0; i < len(line); {
		c, size := utf8.DecodeRuneInString(line[i:])
		e := escapeRune(line[i:i+size], c, size)
		b.WriteString(e)
		if grow := utf8.RuneCountInString(e) - 1; grow > 0 {
			if col < r.Start.Column {
				startShift += grow
			}
			if col < r.End.Column {
				endShift += grow
			}
		}
		col++
		i += size
	}
	r.Start.Column += startShift
	if r.End.Line == r.Start.Line {
		r.End.Column += endShift
	}
	return b.String(), r
}

// maxSourceWidth is the most characters of a source line a diagnostic
// quotes; a longer line (generated HCL, a value on one line) is cut to a
// window around the problem, marked with "…" where it was cut.
const maxSourceWidth = 120

// clipLine cuts line to at most maxSourceWidth characters around the start
// of r and returns the range moved to match, for marker.
func clipLine(line string, r hcl.Range) (string, hcl.Range) {
	runes := []rune(line)
	if len(runes) <= maxSourceWidth {
		return line, r
	}
	from := max(0, min(r.Start.Column-1-maxSourceWidth/4, len(runes)-maxSourceWidth))
	to := min(len(runes), from+maxSourceWidth)
	var b strings.Builder
	shift := from
	if from > 0 {
		b.WriteString("…")
		shift-- // the ellipsis takes a column
	}
	b.WriteString(string(runes[from:to]))
	if to < len(runes) {
		b.WriteString("…")
	}
	r.Start.Column -= shift
	if r.End.Line == r.Start.Line {
		r.End.Column = min(r.End.Column-shift, to-shift+1)
	}
	return b.String(), r
}

// marker returns spaces (tabs where the line has tabs) up to the range's
// start column, then carets to its end on the same line (at least one).
func marker(line string, r hcl.Range) string {
	var b strings.Builder
	col := 1
	width := 1
	if r.End.Line == r.Start.Line && r.End.Column > r.Start.Column {
		width = r.End.Column - r.Start.Column
	}
	for _, c := range line {
		if col >= r.Start.Column {
			break
		}
		if c == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
		col++
	}
	if rest := utf8.RuneCountInString(line) - (col - 1); width > rest && rest > 0 {
		width = rest
	}
	b.WriteString(strings.Repeat("^", max(width, 1)))
	return b.String()
}

// wrap breaks s into lines of at most width characters at spaces.
func wrap(s string, width int) []string {
	var out []string
	for _, para := range strings.Split(s, "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			switch {
			case line == "":
				line = word
			case len(line)+1+len(word) > width:
				out = append(out, line)
				line = word
			default:
				line += " " + word
			}
		}
		out = append(out, line)
	}
	return out
}
