package hclspec

import (
	"net"
	"net/mail"
	"net/url"
	"sort"
	"strings"
	"time"
)

// namedValidators are the validators a field may name with
// validation = "NAME". The runtime checks values with ValidateNamed so the
// rules are the same at load time (defaults) and at run time (saves).
var namedValidators = map[string]func(string) bool{
	"url":      isURL,
	"email":    isEmail,
	"uuid":     isUUID,
	"slug":     isSlug,
	"hostname": isHostname,
	"ip":       func(s string) bool { return net.ParseIP(s) != nil },
	"ipv4": func(s string) bool {
		ip := net.ParseIP(s)
		return ip != nil && ip.To4() != nil && !strings.Contains(s, ":")
	},
	"ipv6":         func(s string) bool { ip := net.ParseIP(s); return ip != nil && strings.Contains(s, ":") },
	"alpha":        func(s string) bool { return allOf(s, isLetter) },
	"alphanumeric": func(s string) bool { return allOf(s, isLetter, isDigit) },
	"numeric":      func(s string) bool { return allOf(s, isDigit) },
	"hex":          func(s string) bool { return allOf(s, isHex) },
	"lowercase":    func(s string) bool { return s == strings.ToLower(s) },
	"uppercase":    func(s string) bool { return s == strings.ToUpper(s) },
	"timestamp":    IsTimestamp,
}

// ValidateNamed reports whether s passes the named validator. An unknown
// name never passes.
func ValidateNamed(name, s string) bool {
	f, ok := namedValidators[name]
	return ok && f(s)
}

// ValidatorNames returns the names of the named validators, sorted.
func ValidatorNames() []string {
	out := make([]string, 0, len(namedValidators))
	for n := range namedValidators {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// FormatTimestamp formats t as timestamps are stored (TimestampLayout).
func FormatTimestamp(t time.Time) string { return t.UTC().Format(TimestampLayout) }

// TimestampInRange reports whether t falls in years 0000 to 9999 in UTC:
// only there is the stored form (TimestampLayout) RFC 3339, with a
// four-digit year, so that stored timestamps sort by time as strings.
func TimestampInRange(t time.Time) bool {
	y := t.UTC().Year()
	return y >= 0 && y <= 9999
}

// TimestampRangeReason says why a timestamp outside TimestampInRange is
// refused; it never holds the value.
const TimestampRangeReason = "is outside years 0000 to 9999 (UTC), the range a stored RFC 3339 timestamp can hold"

// MaxInteger is the largest magnitude an integer field holds, 2^53-1:
// D1 over its REST API and every JavaScript Worker hold numbers as 64-bit
// floats, which are exact only up to it, so a larger integer would be
// exact in KV and rounded in D1.
const MaxInteger = 1<<53 - 1

// IntegerRangeReason says why an integer beyond MaxInteger is refused; it
// never holds the value.
const IntegerRangeReason = "an integer must be from -(2^53-1) to 2^53-1 (±9007199254740991), the range D1 and JavaScript hold exactly"

// IsTimestamp reports whether s is an ISO-8601 (RFC 3339) timestamp, the
// form timestamp fields are stored in.
func IsTimestamp(s string) bool {
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil
}

func isURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return false
	}
	return u.Scheme == "http" || u.Scheme == "https"
}

func isEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && isHostname(s[at+1:]) && strings.Contains(s[at+1:], ".")
}

func isHostname(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, l := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if !isHostLabel(l) {
			return false
		}
	}
	return true
}

// The character classes of the validators. They are loops rather than
// regular expressions: the runtime runs them on every save, and compiling
// expressions would cost every dmplan command at start-up.
func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isLower(c byte) bool  { return 'a' <= c && c <= 'z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isHex(c byte) bool    { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// allOf reports whether s is not empty and each of its bytes is in one of
// the classes.
func allOf(s string, classes ...func(byte) bool) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		ok := false
		for _, in := range classes {
			if in(s[i]) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// isHyphenated reports whether s is runs of the classes joined by single
// hyphens, as in a slug or a host name label.
func isHyphenated(s string, classes ...func(byte) bool) bool {
	for _, run := range strings.Split(s, "-") {
		if !allOf(run, classes...) {
			return false
		}
	}
	return true
}

func isSlug(s string) bool { return isHyphenated(s, isLower, isDigit) }

// isHostLabel reports whether l is one label of a host name: 1 to 63
// letters, digits and hyphens, neither first nor last a hyphen.
func isHostLabel(l string) bool {
	if len(l) > 63 || l == "" || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	return allOf(l, isLetter, isDigit, func(c byte) bool { return c == '-' })
}

// isUUID reports whether s is a UUID in its 8-4-4-4-12 hex form.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isHex(s[i]) {
				return false
			}
		}
	}
	return true
}
