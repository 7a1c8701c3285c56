package view

import "strings"

// prettySQL lays a CREATE TABLE statement out one column per line, the
// way people write it; other statements are returned as they are. Quoted
// identifiers and string literals are respected.
func prettySQL(q string) string {
	if !strings.HasPrefix(strings.ToUpper(strings.TrimSpace(q)), "CREATE TABLE") || strings.Contains(q, "\n") {
		return q
	}
	var b strings.Builder
	depth := 0
	var quote rune
	for _, r := range q {
		if quote != 0 {
			b.WriteRune(r)
			if r == quote {
				quote = 0
			}
			continue
		}
		switch r {
		case '\'', '"', '`':
			quote = r
			b.WriteRune(r)
		case '(':
			depth++
			b.WriteRune(r)
			if depth == 1 {
				b.WriteString("\n  ")
			}
		case ')':
			if depth == 1 {
				b.WriteString("\n")
			}
			depth--
			b.WriteRune(r)
		case ',':
			b.WriteRune(r)
			if depth == 1 {
				b.WriteString("\n ")
			}
		default:
			b.WriteRune(r)
		}
	}
	if depth != 0 || quote != 0 {
		return q // not what we understand; show it unchanged
	}
	return b.String()
}
