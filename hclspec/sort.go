package hclspec

import (
	"sort"

	"github.com/hashicorp/hcl/v2"
)

// sortByRange sorts items by where they start in the source.
func sortByRange[T any](items []T, rng func(T) hcl.Range) {
	sort.SliceStable(items, func(i, j int) bool {
		a, b := rng(items[i]), rng(items[j])
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		return a.Start.Byte < b.Start.Byte
	})
}

// subjectRange is the diagnostic's subject range, or the zero range.
func subjectRange(d *hcl.Diagnostic) hcl.Range {
	if d.Subject == nil {
		return hcl.Range{}
	}
	return *d.Subject
}
