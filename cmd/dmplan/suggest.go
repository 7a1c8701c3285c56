package main

import (
	"flag"
	"sort"
	"strings"
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
		d := editDistance(strings.ToLower(typed), strings.ToLower(c))
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

// editDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and swaps of adjacent bytes.
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
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
