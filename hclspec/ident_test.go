package hclspec

import (
	"regexp"
	"testing"
)

func TestIsIdent(t *testing.T) {
	re := regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	for _, s := range []string{"", "a", "_", "A9", "9a", "a-b", "a b", "page_id", "é", "a\x00", "Z_0", "_9", "a.b"} {
		if got, want := isIdent(s), re.MatchString(s); got != want {
			t.Errorf("isIdent(%q) = %v, want %v", s, got, want)
		}
	}
}
