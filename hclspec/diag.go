package hclspec

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// errorf returns an error diagnostic on the range.
func errorf(rng hcl.Range, summary, detail string, args ...any) *hcl.Diagnostic {
	r := rng
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(detail, args...),
		Subject:  &r,
	}
}

// duplicate returns the diagnostic for a second declaration of something
// that may be declared once, pointing at the first one.
func duplicate(rng, prev hcl.Range, summary, what string) *hcl.Diagnostic {
	return errorf(rng, summary, "%s was already declared at %s. Remove one of them.", what, prev.String())
}

// labelRange returns the range of the block's label i, or its type range.
func labelRange(b *hcl.Block, i int) hcl.Range {
	if i < len(b.LabelRanges) {
		return b.LabelRanges[i]
	}
	return b.DefRange
}
