package hclspec

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// EscapeControl returns s with every character that could change how a
// terminal or an editor shows the text around it written as a Go-style
// escape: C0 controls but newline and tab (so ESC shows as \x1b and a
// carriage return as \r), DEL, C1 controls, the bidirectional embeddings,
// overrides and isolates (U+202A–U+202E, U+2066–U+2069), the line and
// paragraph separators (U+2028, U+2029), and invalid UTF-8 bytes. Every
// view (diagnostics with their source lines, plans in text and markdown,
// history, errors) prints configuration text through it, so a string in an
// HCL file can neither colour, move nor reorder what dmplan prints.
// Text without such characters is returned as is.
func EscapeControl(s string) string {
	i := firstUnsafe(s)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		b.WriteString(escapeRune(s[i:i+size], r, size))
		i += size
	}
	return b.String()
}

// unsafeRune reports whether r must be escaped (see EscapeControl).
func unsafeRune(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case r < 0x20 || (r >= 0x7f && r <= 0x9f):
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x2028, r == 0x2029:
		return true
	}
	return false
}

// firstUnsafe returns the byte offset of the first character to escape,
// or -1.
func firstUnsafe(s string) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || unsafeRune(r) {
			return i
		}
		i += size
	}
	return -1
}

// escapeRune returns the text for one character: itself, or its escape.
func escapeRune(text string, r rune, size int) string {
	switch {
	case r == utf8.RuneError && size == 1:
		return `\x` + hex2(text[0])
	case !unsafeRune(r):
		return text
	case r == '\r':
		return `\r`
	case r < 0x100:
		return `\x` + hex2(byte(r))
	}
	return `\u` + strconv.FormatInt(int64(r)+0x10000, 16)[1:]
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&15]})
}
