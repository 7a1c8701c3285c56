package hclspec_test

import (
	"testing"

	"github.com/dmplan/dmplan/hclspec"
)

func TestValidateNamed(t *testing.T) {
	tests := []struct {
		name string
		good []string
		bad  []string
	}{
		{"url", []string{"https://example.com", "http://localhost:8080/a?b=c"}, []string{"", "example.com", "ftp://x.org", "https://", "not a url"}},
		{"email", []string{"a@example.com", "first.last+tag@sub.example.org"}, []string{"", "a", "a@b", "Ada <a@example.com>", "a@@example.com", "a@exa mple.com"}},
		{"uuid", []string{"123e4567-e89b-12d3-a456-426614174000"}, []string{"123e4567e89b12d3a456426614174000", "xyz"}},
		{"slug", []string{"hello", "hello-world-2"}, []string{"Hello", "hello--world", "-a", "a-", "a_b"}},
		{"hostname", []string{"example.com", "a-b.c"}, []string{"-a.com", "a..b", ""}},
		{"ip", []string{"10.0.0.1", "::1"}, []string{"10.0.0.256"}},
		{"ipv4", []string{"10.0.0.1"}, []string{"::1", "::ffff:10.0.0.1"}},
		{"ipv6", []string{"::1"}, []string{"10.0.0.1"}},
		{"alpha", []string{"abc"}, []string{"ab1", ""}},
		{"alphanumeric", []string{"ab1"}, []string{"a-1"}},
		{"numeric", []string{"0123"}, []string{"1.5", "-1"}},
		{"hex", []string{"deadBEEF"}, []string{"0xff"}},
		{"lowercase", []string{"abc 1"}, []string{"aBc"}},
		{"uppercase", []string{"ABC 1"}, []string{"aBC"}},
		{"timestamp", []string{"2026-11-27T14:50:08.123Z", "2026-11-27T14:50:08+02:00"}, []string{"2026-11-27", "yesterday"}},
	}
	names := map[string]bool{}
	for _, tt := range tests {
		names[tt.name] = true
		for _, s := range tt.good {
			if !hclspec.ValidateNamed(tt.name, s) {
				t.Errorf("%s rejects %q", tt.name, s)
			}
		}
		for _, s := range tt.bad {
			if hclspec.ValidateNamed(tt.name, s) {
				t.Errorf("%s accepts %q", tt.name, s)
			}
		}
	}
	for _, n := range hclspec.ValidatorNames() {
		if !names[n] {
			t.Errorf("validator %q has no test cases", n)
		}
	}
	if hclspec.ValidateNamed("nope", "x") {
		t.Error("an unknown validator passed")
	}
}
