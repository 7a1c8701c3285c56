package gen

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode"
)

// initialisms are the words Go spells in capitals (as golint did), so a
// field page_id becomes PageID and url becomes URL.
var initialisms = map[string]bool{
	"ACL": true, "API": true, "ASCII": true, "CPU": true, "CSS": true, "DB": true, "DNS": true,
	"EOF": true, "GUID": true, "HTML": true, "HTTP": true, "HTTPS": true, "ID": true, "IP": true,
	"JSON": true, "KV": true, "LHS": true, "QPS": true, "RAM": true, "RHS": true, "RPC": true,
	"SLA": true, "SMTP": true, "SQL": true, "SSH": true, "TCP": true, "TLS": true, "TTL": true,
	"UDP": true, "UI": true, "UID": true, "UUID": true, "URI": true, "URL": true, "UTF8": true,
	"VM": true, "XML": true, "XMPP": true, "XSRF": true, "XSS": true,
}

// words splits an identifier ([A-Za-z_][A-Za-z0-9_]*) into its words at
// underscores and at lower-to-upper case changes: "PUBLIC_DATA" -> PUBLIC,
// DATA; "pageId" -> page, Id.
func words(s string) []string {
	var out []string
	for _, part := range strings.Split(s, "_") {
		start := 0
		for i := 1; i < len(part); i++ {
			if unicode.IsLower(rune(part[i-1])) && unicode.IsUpper(rune(part[i])) {
				out = append(out, part[start:i])
				start = i
			}
		}
		if start < len(part) {
			out = append(out, part[start:])
		}
	}
	return out
}

// pascal is the exported Go (and TypeScript type) spelling of an
// identifier: PUBLIC_DATA -> PublicData, page_id -> PageID. An identifier
// with no letters ("_") becomes "X"; one starting with a digit after the
// split gets an "X" in front.
func pascal(s string) string {
	var b strings.Builder
	for _, w := range words(s) {
		up := strings.ToUpper(w)
		if initialisms[up] {
			b.WriteString(up)
			continue
		}
		b.WriteString(up[:1])
		b.WriteString(strings.ToLower(w[1:]))
	}
	out := b.String()
	if out == "" || !unicode.IsLetter(rune(out[0])) {
		out = "X" + out
	}
	return out
}

// camel is pascal with a lower-case first word: PAGE -> page,
// PUBLIC_DATA -> publicData, for TypeScript functions.
func camel(s string) string {
	p := pascal(s)
	ws := words(s)
	if len(ws) == 0 {
		return "x"
	}
	first := strings.ToUpper(ws[0])
	if initialisms[first] && strings.HasPrefix(p, first) {
		return strings.ToLower(first) + p[len(first):]
	}
	return strings.ToLower(p[:1]) + p[1:]
}

// uniqueNames makes names unique in order: a name already taken gets the
// smallest number suffix that is free ("Auth", "Auth2").
func uniqueNames(names []string, taken map[string]bool) []string {
	out := make([]string, len(names))
	for i, n := range names {
		cand := n
		for k := 2; taken[cand]; k++ {
			cand = n + strconv.Itoa(k)
		}
		taken[cand] = true
		out[i] = cand
	}
	return out
}

// goIdent reports whether s can name a Go package.
func goIdent(s string) bool {
	if s == "" || goKeywords[s] {
		return false
	}
	for i, r := range s {
		if !(r == '_' || unicode.IsLetter(r) || (i > 0 && unicode.IsDigit(r))) {
			return false
		}
	}
	return true
}

var goKeywords = map[string]bool{
	"break": true, "case": true, "chan": true, "const": true, "continue": true, "default": true,
	"defer": true, "else": true, "fallthrough": true, "for": true, "func": true, "go": true,
	"goto": true, "if": true, "import": true, "interface": true, "map": true, "package": true,
	"range": true, "return": true, "select": true, "struct": true, "switch": true, "type": true, "var": true,
}

// PackageName returns the Go package name for generated code placed in a
// directory with the base name dir: the name lower-cased with characters
// a package name cannot hold removed, or "models" when nothing is left.
func PackageName(dir string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(dir) {
		if r == '_' || (r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r))) {
			b.WriteRune(r)
		}
	}
	s := strings.TrimLeft(b.String(), "0123456789")
	if !goIdent(s) || s == "main" {
		return "models"
	}
	return s
}

// tsString quotes s as a TypeScript string literal: its JSON form, which
// is a valid JavaScript string literal.
func tsString(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}
