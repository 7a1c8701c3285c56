package main

import (
	"flag"
	"sort"
	"strings"

	"github.com/dmplan/dmplan/hclspec"
)

// suggest returns the candidate closest to what the user typed, for a
// "did you mean" hint, or "" when none is close: at most a third of the
// longer name's characters may differ (an edit or a swap of two adjacent
// characters each), or else the typed word and exactly one candidate start
// the other ("recon" for reconcile, "environment" for env).
// Ties go to the first candidate in sorted order, so hints are stable.
func suggest(typed string, candidates []string) string {
	if typed == "" {
		return ""
	}
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted)
	best, bestDist := "", -1
	var prefixed []string
	for _, c := range sorted {
		if c == typed {
			return ""
		}
		if len(typed) >= 2 && strings.HasPrefix(c, typed) || len(c) >= 3 && strings.HasPrefix(typed, c) {
			prefixed = append(prefixed, c)
		}
		d := hclspec.EditDistance(strings.ToLower(typed), strings.ToLower(c))
		limit := max(len(typed), len(c)) / 3
		if limit < 1 {
			limit = 1
		}
		if d <= limit && (bestDist < 0 || d < bestDist) {
			best, bestDist = c, d
		}
	}
	if best == "" && len(prefixed) == 1 {
		return prefixed[0]
	}
	return best
}

// commandNames are the subcommands, for suggestions and completion.
func commandNames() []string {
	names := make([]string, 0, len(commands)+1)
	for n := range commands {
		names = append(names, n)
	}
	names = append(names, "help")
	sort.Strings(names)
	return names
}

// flagNames are the flags fs defines, without their dash.
func flagNames(fs *flag.FlagSet) []string {
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	return names
}

// didYouMean is " (did you mean X?)" for the closest candidate, or "".
func didYouMean(typed string, candidates []string, prefix string) string {
	if s := suggest(typed, candidates); s != "" {
		return " (did you mean " + prefix + s + "?)"
	}
	return ""
}
