package view

import (
	"github.com/hashicorp/hcl/v2"
)

// SpecCounts says what a valid configuration declares.
type SpecCounts struct {
	Files        int `json:"files"`
	Models       int `json:"models"`
	Seeds        int `json:"seeds"`
	Environments int `json:"environments"`
}

// Validate renders the validate command. Valid and Error each end the
// output.
type Validate interface {
	Diagnostics(diags hcl.Diagnostics)
	Valid(c SpecCounts)
	Error(err error)
}

var (
	_ Validate = (*ValidateHuman)(nil)
	_ Validate = (*ValidateJSON)(nil)
)

// NewValidate returns the validate view for the format (markdown falls
// back to human).
func NewValidate(t Type, s Streams) Validate {
	if t == JSON {
		return &ValidateJSON{jsonView{out: s.Out}}
	}
	return &ValidateHuman{newHumanView(s)}
}

// ValidateHuman prints a one-line verdict.
type ValidateHuman struct{ humanView }

// Valid prints "The configuration is valid: ...".
func (v *ValidateHuman) Valid(c SpecCounts) {
	v.printf("%s %s, %s, %s in %s.\n", v.out.Success.Render("The configuration is valid:"),
		plural(c.Models, "model", "models"), plural(c.Seeds, "seed", "seeds"),
		plural(c.Environments, "environment", "environments"), plural(c.Files, "file", "files"))
}

// ValidateJSON writes {format_version, valid, spec, diagnostics}.
type ValidateJSON struct{ jsonView }

// Diagnostics collects diagnostics for the document.
func (v *ValidateJSON) Diagnostics(diags hcl.Diagnostics) { v.addDiagnostics(diags) }

// Valid writes the document with valid true.
func (v *ValidateJSON) Valid(c SpecCounts) {
	ok := true
	v.write(document{Valid: &ok, Spec: &c})
}

// Error writes the document with valid false and the error.
func (v *ValidateJSON) Error(err error) {
	ok := false
	v.write(document{Valid: &ok, Error: &jsonError{Message: err.Error()}})
}
