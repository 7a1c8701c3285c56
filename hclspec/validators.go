package hclspec

import (
	"net"
	"net/mail"
	"net/url"
	"regexp"
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
	"uuid":     regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`).MatchString,
	"slug":     regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`).MatchString,
	"hostname": isHostname,
	"ip":       func(s string) bool { return net.ParseIP(s) != nil },
	"ipv4": func(s string) bool {
		ip := net.ParseIP(s)
		return ip != nil && ip.To4() != nil && !strings.Contains(s, ":")
	},
	"ipv6":         func(s string) bool { ip := net.ParseIP(s); return ip != nil && strings.Contains(s, ":") },
	"alpha":        regexp.MustCompile(`^[A-Za-z]+$`).MatchString,
	"alphanumeric": regexp.MustCompile(`^[A-Za-z0-9]+$`).MatchString,
	"numeric":      regexp.MustCompile(`^[0-9]+$`).MatchString,
	"hex":          regexp.MustCompile(`^[0-9a-fA-F]+$`).MatchString,
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

var hostLabelRE = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

func isHostname(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, l := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if !hostLabelRE.MatchString(l) {
			return false
		}
	}
	return true
}
