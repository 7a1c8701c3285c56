package view

import (
	"io"

	"github.com/hashicorp/hcl/v2"
)

// Diagnostic is the JSON form of one HCL diagnostic.
type Diagnostic struct {
	Severity string `json:"severity"` // "error" or "warning"
	Summary  string `json:"summary"`
	Detail   string `json:"detail,omitempty"`
	Filename string `json:"filename,omitempty"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
}

// DiagnosticWriter prints HCL diagnostics for humans: file:line:col with
// the source line, as hclspec.WriteDiagnostics does. Commands supply it so
// the view package does not decide how sources are found.
type DiagnosticWriter func(w io.Writer, diags hcl.Diagnostics, color bool) error

// defaultDiagnosticWriter prints with HCL's own text writer and no source
// files, for views built without a writer.
func defaultDiagnosticWriter(w io.Writer, diags hcl.Diagnostics, color bool) error {
	return hcl.NewDiagnosticTextWriter(w, nil, 0, color).WriteDiagnostics(cleanDiagnostics(diags))
}

// jsonDiagnostics converts diagnostics to their JSON form; never nil.
func jsonDiagnostics(diags hcl.Diagnostics) []Diagnostic {
	out := make([]Diagnostic, 0, len(diags))
	for _, d := range diags {
		if d == nil {
			continue
		}
		jd := Diagnostic{Severity: "error", Summary: d.Summary, Detail: d.Detail}
		if d.Severity == hcl.DiagWarning {
			jd.Severity = "warning"
		}
		if d.Subject != nil {
			jd.Filename = d.Subject.Filename
			jd.Line = d.Subject.Start.Line
			jd.Column = d.Subject.Start.Column
		}
		out = append(out, jd)
	}
	return out
}
