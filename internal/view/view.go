package view

import (
	"fmt"
	"io"
	"strings"
)

// FormatVersion is the version of every JSON document the views write. It
// changes only when a field is removed or changes meaning.
const FormatVersion = "1"

// Type is an output format.
type Type int

// Output formats.
const (
	Human Type = iota
	JSON
	Markdown
)

var typeNames = map[Type]string{Human: "human", JSON: "json", Markdown: "markdown"}

func (t Type) String() string {
	if s, ok := typeNames[t]; ok {
		return s
	}
	return fmt.Sprintf("type(%d)", int(t))
}

// ParseType returns the format with the name: human, json or markdown.
func ParseType(name string) (Type, error) {
	for t, s := range typeNames {
		if s == name {
			return t, nil
		}
	}
	return Human, fmt.Errorf("unknown format %q: want human, json or markdown", name)
}

// Streams are where a view writes. Color turns ANSI styling on for the
// human view; the text is the same either way.
type Streams struct {
	Out   io.Writer
	Err   io.Writer
	Color bool
	// WriteDiagnostics prints HCL diagnostics for humans (file:line:col
	// and the source line); nil uses HCL's text writer without sources.
	WriteDiagnostics DiagnosticWriter
}

// Target names where a plan goes, for humans and machines. It never holds
// a secret: values that came from env.X are replaced by "(sensitive)", and
// an account id, wherever it came from, by its fingerprint.
type Target struct {
	Environment string `json:"environment"`
	Backend     string `json:"backend"`
	Database    string `json:"database"`
	// Account is the Cloudflare account, when there is one, as
	// "(sensitive, fingerprint 1a2b3c4d)": never the id.
	Account string `json:"account,omitempty"`
}

// String is the one-line description used in headers:
// "environment local · backend local · database .dmplan/d1.sqlite".
func (t Target) String() string {
	parts := []string{
		"environment " + t.Environment,
		"backend " + t.Backend,
		"database " + t.Database,
	}
	if t.Account != "" {
		parts = append(parts, "account "+t.Account)
	}
	return strings.Join(parts, " · ")
}

// plural returns "1 table" or "3 tables".
func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

func itoa(n int) string { return fmt.Sprint(n) }
