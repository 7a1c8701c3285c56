package hclspec

import (
	"regexp"
	"strings"
	"testing"
)

// The name checks and validators are loops; each must accept exactly what
// the regular expression it replaced accepts.
func TestLoopsMatchTheirRegexps(t *testing.T) {
	inputs := []string{
		"", "a", "_", "-", "A9", "9a", "a-b", "a--b", "-a", "a-", "a b", "page_id", "é", "a\x00", "Z_0", "_9", "a.b",
		"abc", "ABC", "aBc", "123", "0", "deadBEEF", "xyz1", "my-slug-1", "My-Slug", "slug_", "xn--bcher-kva",
		"123e4567-e89b-12d3-a456-426614174000", "123E4567-E89B-12D3-A456-426614174000", "123e4567e89b12d3a456426614174000",
		"123e4567-e89b-12d3-a456-42661417400", "123e4567-e89b-12d3-a456-4266141740000", "123e4567-e89b-12d3-a456_426614174000",
		"g23e4567-e89b-12d3-a456-426614174000", "nimbus", "nimbus-prod_2", "Nimbus", "_nimbus", "9lives",
		strings.Repeat("a", 63), strings.Repeat("a", 64), "a" + strings.Repeat("-", 61) + "a",
	}
	checks := []struct {
		name string
		re   string
		f    func(string) bool
	}{
		{"ident", `^[A-Za-z_][A-Za-z0-9_]*$`, isIdent},
		{"project name", `^[a-z0-9][a-z0-9_-]*$`, isProjectName},
		{"host label", `^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`, isHostLabel},
		{"uuid", `^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`, namedValidators["uuid"]},
		{"slug", `^[a-z0-9]+(?:-[a-z0-9]+)*$`, namedValidators["slug"]},
		{"alpha", `^[A-Za-z]+$`, namedValidators["alpha"]},
		{"alphanumeric", `^[A-Za-z0-9]+$`, namedValidators["alphanumeric"]},
		{"numeric", `^[0-9]+$`, namedValidators["numeric"]},
		{"hex", `^[0-9a-fA-F]+$`, namedValidators["hex"]},
	}
	for _, c := range checks {
		re := regexp.MustCompile(c.re)
		for _, s := range inputs {
			if got, want := c.f(s), re.MatchString(s); got != want {
				t.Errorf("%s(%q) = %v, want %v", c.name, s, got, want)
			}
		}
	}
}

func FuzzLoopsMatchTheirRegexps(f *testing.F) {
	for _, s := range []string{"a-b", "xn--a", "123e4567-e89b-12d3-a456-426614174000", "nimbus_1"} {
		f.Add(s)
	}
	ident := regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	label := regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)
	slug := regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)
	project := regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	f.Fuzz(func(t *testing.T, s string) {
		if isIdent(s) != ident.MatchString(s) || isHostLabel(s) != label.MatchString(s) ||
			isSlug(s) != slug.MatchString(s) || isProjectName(s) != project.MatchString(s) {
			t.Fatalf("%q: a loop and its regexp disagree", s)
		}
	})
}
