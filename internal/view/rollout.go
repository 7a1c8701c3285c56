package view

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dmplan/dmplan/fleet"
)

// rolloutOrder is the order the outcomes are listed in.
var rolloutOrder = []fleet.Outcome{fleet.OutcomeDone, fleet.OutcomeCurrent, fleet.OutcomeBlocked, fleet.OutcomeFailed, fleet.OutcomeSkipped}

// rolloutListed are the outcomes whose databases a report lists with their
// reasons.
var rolloutListed = []fleet.Outcome{fleet.OutcomeBlocked, fleet.OutcomeFailed, fleet.OutcomeMissing, fleet.OutcomeSkipped}

// maxRolloutLines bounds the databases a human or markdown report lists
// per outcome; -json lists every one.
const maxRolloutLines = 20

// RolloutHuman writes a fleet rollout's report for a terminal: the counts,
// then the blocked, failed and skipped databases with their reasons, then
// how to resume when the rollout stopped early.
func RolloutHuman(w io.Writer, rep *fleet.RolloutReport) {
	counts := rep.Counts()
	fmt.Fprintf(w, "Rollout %s", rep.Rollout)
	if rep.Environment != "" {
		fmt.Fprintf(w, " of environment %s", rep.Environment)
	}
	fmt.Fprintf(w, ": %s in %s, %s\n", plural(len(rep.Results), "database", "databases"),
		plural(rep.Waves, "wave", "waves"), rep.Finished.Sub(rep.Started).Round(time.Millisecond))
	var parts []string
	for _, o := range rolloutOrder {
		parts = append(parts, fmt.Sprintf("%d %s", counts[o], o))
	}
	if n := counts[fleet.OutcomeMissing]; n > 0 {
		parts = append(parts, fmt.Sprintf("%d %s", n, fleet.OutcomeMissing))
	}
	fmt.Fprintf(w, "  %s\n", strings.Join(parts, " · "))
	if rep.Requests > 0 && len(rep.Results) > 0 {
		fmt.Fprintf(w, "  %d API requests (%.1f per database)\n", rep.Requests, float64(rep.Requests)/float64(len(rep.Results)))
	}
	for _, o := range rolloutListed {
		rs := rolloutWith(rep, o)
		if len(rs) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s:\n", strings.ToUpper(string(o[:1]))+string(o[1:]))
		for i, r := range rs {
			if i == maxRolloutLines {
				fmt.Fprintf(w, "  … and %d more (-json lists every database)\n", len(rs)-i)
				break
			}
			line := "  " + r.Database
			if r.Code != "" {
				line += "  " + r.Code
			}
			if r.Reason != "" {
				line += "  " + oneLine(r.Reason)
			}
			fmt.Fprintln(w, line)
		}
	}
	if rep.Stopped != "" {
		fmt.Fprintf(w, "\nStopped: %s.\nNothing was applied twice; to continue: dmplan apply -env %s -resume %s\n",
			rep.Stopped, rep.Environment, rep.Rollout)
	}
}

// RolloutJSON writes the report as one JSON document: the report with
// every database, and the counts per outcome.
func RolloutJSON(w io.Writer, rep *fleet.RolloutReport) error {
	doc := struct {
		*fleet.RolloutReport
		Counts map[fleet.Outcome]int `json:"counts"`
	}{rep, rep.Counts()}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// RolloutMarkdown writes the report for a pull request or a job summary.
func RolloutMarkdown(w io.Writer, rep *fleet.RolloutReport) {
	counts := rep.Counts()
	fmt.Fprintf(w, "### Rollout `%s`", rep.Rollout)
	if rep.Environment != "" {
		fmt.Fprintf(w, " of `%s`", rep.Environment)
	}
	fmt.Fprintf(w, "\n\n%s in %s, %s.\n\n| outcome | databases |\n|---|---:|\n",
		plural(len(rep.Results), "database", "databases"), plural(rep.Waves, "wave", "waves"),
		rep.Finished.Sub(rep.Started).Round(time.Millisecond))
	for _, o := range rolloutOrder {
		fmt.Fprintf(w, "| %s | %d |\n", o, counts[o])
	}
	if n := counts[fleet.OutcomeMissing]; n > 0 {
		fmt.Fprintf(w, "| %s | %d |\n", fleet.OutcomeMissing, n)
	}
	for _, o := range rolloutListed {
		rs := rolloutWith(rep, o)
		if len(rs) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n<details><summary>%s %s</summary>\n\n| database | code | reason |\n|---|---|---|\n", plural(len(rs), "database", "databases"), o)
		for i, r := range rs {
			if i == maxRolloutLines {
				fmt.Fprintf(w, "| … | | %d more |\n", len(rs)-i)
				break
			}
			fmt.Fprintf(w, "| `%s` | %s | %s |\n", r.Database, r.Code, mdCell(r.Reason))
		}
		fmt.Fprint(w, "\n</details>\n")
	}
	if rep.Stopped != "" {
		fmt.Fprintf(w, "\n**Stopped:** %s. Resume with `dmplan apply -env %s -resume %s`.\n", mdCell(rep.Stopped), rep.Environment, rep.Rollout)
	}
}

func rolloutWith(rep *fleet.RolloutReport, o fleet.Outcome) []fleet.RolloutResult {
	var out []fleet.RolloutResult
	for _, r := range rep.Results {
		if r.Status == o {
			out = append(out, r)
		}
	}
	return out
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
