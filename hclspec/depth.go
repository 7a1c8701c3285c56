package hclspec

import (
	"bytes"
	"fmt"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
)

// MaxNesting is the deepest nesting of brackets, braces, parentheses,
// blocks, template interpolations and heredocs a configuration file may
// hold. HCL's parser descends one level of Go recursion (several frames)
// per level, and 100,000 nested parentheses overflow the goroutine stack:
// a fatal error no recover can catch. Real configurations nest a few
// levels; values nest at most MaxValueDepth.
const MaxNesting = 256

// CheckNesting scans src the way HCL's scanner reads it (comments, quoted
// strings with their escapes and ${ } and %{ } sequences, heredocs) and
// returns an error diagnostic at the first opening that goes deeper than
// MaxNesting, before any of src is handed to the parser. It needs no valid
// syntax: unbalanced or unterminated text is left for the parser to
// report.
func CheckNesting(filename string, src []byte) hcl.Diagnostics {
	off, ok := nestingOverflow(src)
	if ok {
		return nil
	}
	start := posAt(src, off)
	end := start
	end.Byte++
	end.Column++
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Nesting too deep",
		Detail: fmt.Sprintf("This opening nests more than %d levels deep (brackets, braces, parentheses, blocks, interpolations and heredocs together). "+
			"dmplan reads configurations nested at most %d levels; write the value with less nesting.", MaxNesting, MaxNesting),
		Subject: &hcl.Range{Filename: filename, Start: start, End: end},
	}}
}

// posAt returns the position of byte off in src: lines counted from 1,
// columns in characters from 1.
func posAt(src []byte, off int) hcl.Pos {
	line := 1 + bytes.Count(src[:off], []byte{'\n'})
	lineStart := bytes.LastIndexByte(src[:off], '\n') + 1
	return hcl.Pos{Line: line, Column: 1 + utf8.RuneCount(src[lineStart:off]), Byte: off}
}

// Kinds of nesting frames of nestingOverflow.
const (
	frameCode    = iota // inside ( [ { or a ${ } / %{ } sequence
	frameString         // inside a "quoted" template
	frameHeredoc        // inside a heredoc's body
)

type nestFrame struct {
	kind   int
	marker []byte // a heredoc's closing marker
}

// nestingOverflow returns the offset of the first opening deeper than
// MaxNesting, or ok true when there is none.
func nestingOverflow(src []byte) (off int, ok bool) {
	frames := make([]nestFrame, 1, 16) // the file's top level
	push := func(i, kind int, marker []byte) bool {
		if len(frames) > MaxNesting {
			off = i
			return false
		}
		frames = append(frames, nestFrame{kind: kind, marker: marker})
		return true
	}
	pop := func() {
		if len(frames) > 1 {
			frames = frames[:len(frames)-1]
		}
	}
	lineStart := true // at the start of a line (heredoc markers)
	for i := 0; i < len(src); i++ {
		c := src[i]
		top := frames[len(frames)-1]
		switch top.kind {
		case frameString, frameHeredoc:
			if top.kind == frameHeredoc && lineStart {
				if end, closed := heredocEnd(src, i, top.marker); closed {
					pop()
					i = end - 1
					lineStart = false
					continue
				}
			}
			lineStart = c == '\n'
			switch {
			case c == '\\' && top.kind == frameString:
				i++
			case c == '"' && top.kind == frameString:
				pop()
			case c == '\n' && top.kind == frameString:
				pop() // unterminated: the parser reports it
				lineStart = true
			case (c == '$' || c == '%') && i+1 < len(src) && src[i+1] == c && i+2 < len(src) && src[i+2] == '{':
				i += 2 // $${ and %%{ are literal
			case (c == '$' || c == '%') && i+1 < len(src) && src[i+1] == '{':
				if !push(i, frameCode, nil) {
					return off, false
				}
				i++
			}
			continue
		}
		lineStart = c == '\n'
		switch c {
		case '#':
			i = skipLine(src, i)
		case '/':
			if i+1 < len(src) && src[i+1] == '/' {
				i = skipLine(src, i)
			} else if i+1 < len(src) && src[i+1] == '*' {
				end := bytes.Index(src[i+2:], []byte("*/"))
				if end < 0 {
					return 0, true
				}
				i += end + 3
			}
		case '"':
			if !push(i, frameString, nil) {
				return off, false
			}
		case '(', '[', '{':
			if !push(i, frameCode, nil) {
				return off, false
			}
		case ')', ']', '}':
			pop()
		case '<':
			if marker, body, isHeredoc := heredocStart(src, i); isHeredoc {
				if !push(i, frameHeredoc, marker) {
					return off, false
				}
				i = body - 1
				lineStart = true
			}
		}
	}
	return 0, true
}

// skipLine returns the index of the newline ending the line at i (or the
// last byte), so that the loop's i++ lands on the newline's successor.
func skipLine(src []byte, i int) int {
	j := bytes.IndexByte(src[i:], '\n')
	if j < 0 {
		return len(src) - 1
	}
	return i + j - 1
}

// heredocStart reads <<MARKER or <<-MARKER followed by a newline at i and
// returns the marker and the offset of the body's first byte.
func heredocStart(src []byte, i int) (marker []byte, body int, ok bool) {
	j := i + 2
	if j > len(src) || src[i+1] != '<' {
		return nil, 0, false
	}
	if j < len(src) && src[j] == '-' {
		j++
	}
	k := j
	for k < len(src) && (isIdentStart(src[k]) || (k > j && isIdentPart(src[k]))) {
		k++
	}
	if k == j {
		return nil, 0, false
	}
	nl := k
	if nl < len(src) && src[nl] == '\r' {
		nl++
	}
	if nl >= len(src) || src[nl] != '\n' {
		return nil, 0, false
	}
	return src[j:k], nl + 1, true
}

// heredocEnd reports whether the line at i is the heredoc's closing marker
// (after optional spaces and tabs) and returns the offset just after it.
func heredocEnd(src []byte, i int, marker []byte) (int, bool) {
	j := i
	for j < len(src) && (src[j] == ' ' || src[j] == '\t') {
		j++
	}
	if !bytes.HasPrefix(src[j:], marker) {
		return 0, false
	}
	k := j + len(marker)
	if k < len(src) && src[k] == '\r' {
		k++
	}
	if k < len(src) && src[k] != '\n' {
		return 0, false
	}
	return k, true
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentPart(c byte) bool {
	return isIdentStart(c) || c == '-' || (c >= '0' && c <= '9')
}
